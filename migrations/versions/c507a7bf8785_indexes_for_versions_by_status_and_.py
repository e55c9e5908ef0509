"""indexes for versions by status, agreements beyond their parent, audit entries by actor (issue 20)

At a million agreements, the lists filtered by a stored status (drafts, awaiting
signatures, signatures late) and by "exceeds its parent", and the administrator's figures,
read every agreement to find a few. An index of versions by status and submission time,
and a partial index of the agreements beyond their parent, find them directly. The audit
trail filtered by agency reads the entries its people made from an index of actors.

Revision ID: c507a7bf8785
Revises: f1a2b3c4d5e6
Create Date: 2026-12-07 07:07:48.449568

"""

import sqlalchemy as sa
from alembic import op

revision = "c507a7bf8785"
down_revision = "f1a2b3c4d5e6"
branch_labels = None
depends_on = None

BEYOND = sa.text("exceeds_parent IS NOT NULL")


def upgrade():
    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agreement_versions_status_submitted", ["status", "submitted_at"], unique=False
        )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agreements_exceeding_parent",
            ["reference"],
            unique=False,
            sqlite_where=BEYOND,
            postgresql_where=BEYOND,
        )

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entries_actor", ["actor_user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_actor")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index("ix_agreements_exceeding_parent")
    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_agreement_versions_status_submitted")
