"""signed chain checkpoints

Each hash chain's head (last sequence and entry hash) is recorded now and then, signed
with the seal key, which is kept outside the database, so that cutting the end off a
chain, or rewriting an entry and re-hashing every one after it, is detected. Like the
chains, the checkpoints are append-only in the database itself.

Revision ID: b8e4f2a6d1c3
Revises: a7d3e5f1c2b8
Create Date: 2026-12-06 14:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8e4f2a6d1c3"
down_revision = "a7d3e5f1c2b8"
branch_labels = None
depends_on = None

TABLE = "chain_checkpoints"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=20), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "chain IN ('audit', 'decisions')", name=op.f("ck_chain_checkpoints_chain_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_checkpoints")),
    )
    op.create_index(
        "ix_chain_checkpoints_chain_sequence", TABLE, ["chain", "sequence"], unique=False
    )
    # Append-only, as the audit trail and the decisions are (migration 52f953fd8e32; on
    # PostgreSQL its registry_refuse_change() function is reused).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION registry_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION registry_refuse_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {action} refused'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP TRIGGER {TABLE}_no_truncate ON {TABLE}")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER {TABLE}_no_{action}")
    op.drop_index("ix_chain_checkpoints_chain_sequence", table_name=TABLE)
    op.drop_table(TABLE)
