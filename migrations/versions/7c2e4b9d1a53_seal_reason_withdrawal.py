"""seal reason 'withdrawal': a notice of withdrawal, or its cancellation, re-seals the PDF

The sealed copy of a version is made when it comes into force; a party's notice of
withdrawal (with its reason) and the cancellation of a notice are printed on its evidence
page, so each brings a fresh sealed copy. `seal_jobs.reason` is a VARCHAR with a CHECK
constraint listing the reasons: the constraint is replaced to allow the new one.

Revision ID: 7c2e4b9d1a53
Revises: 01f73eebe321
Create Date: 2026-12-06 22:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c2e4b9d1a53"
down_revision = "01f73eebe321"
branch_labels = None
depends_on = None


def _reason(*values: str) -> sa.Enum:
    return sa.Enum(
        *values, name="seal_reason", native_enum=False, create_constraint=True, length=32
    )


OLD = ("activation", "review")
NEW = (*OLD, "withdrawal")


def upgrade():
    with op.batch_alter_table("seal_jobs", schema=None) as batch_op:
        batch_op.alter_column(
            "reason", existing_type=_reason(*OLD), type_=_reason(*NEW), existing_nullable=False
        )


def downgrade():
    # Jobs re-sealing for a withdrawal are re-sealing a version in force: as a review does.
    op.execute("UPDATE seal_jobs SET reason = 'review' WHERE reason = 'withdrawal'")
    with op.batch_alter_table("seal_jobs", schema=None) as batch_op:
        batch_op.alter_column(
            "reason", existing_type=_reason(*NEW), type_=_reason(*OLD), existing_nullable=False
        )
