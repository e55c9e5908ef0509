"""decision follow-ups

What happened after a decision (consent withdrawn, the share stopped, the information
returned or deleted, the outcome), recorded by the practitioner who made it or their
agency's IG lead. Append-only, like the decisions, with a hash chain of its own; the
database refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE), as for the decisions.
Its head is checkpointed and signed as the other two chains' are (chain 'follow_ups').

Revision ID: 47af3978c9be
Revises: 7c2e4b9d1a53
Create Date: 2026-12-07 03:04:28

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "47af3978c9be"
down_revision = "7c2e4b9d1a53"
branch_labels = None
depends_on = None

TABLE = "decision_follow_ups"
CHECKPOINTS = "chain_checkpoints"
KNOWN = "ck_chain_checkpoints_chain_known"


def _known_chains(chains: str) -> None:
    """Which chains a checkpoint may name. SQLite alters a constraint by copying the table,
    which loses its append-only triggers (migration b8e4f2a6d1c3): they are made again."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(CHECKPOINTS, recreate="always" if sqlite else "auto") as batch:
        batch.drop_constraint(op.f(KNOWN), type_="check")
        batch.create_check_constraint(op.f(KNOWN), f"chain IN ({chains})")
    if sqlite:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_{action.lower()}")
            op.execute(
                f"CREATE TRIGGER {CHECKPOINTS}_no_{action.lower()} BEFORE {action} ON "
                f"{CHECKPOINTS} BEGIN SELECT RAISE(ABORT, '{CHECKPOINTS} is append-only: "
                f"{action} refused'); END"
            )


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("consent_withdrawn", sa.Boolean(), nullable=False),
        sa.Column("share_stopped", sa.Boolean(), nullable=False),
        sa.Column(
            "information",
            sa.Enum(
                "returned",
                "deleted",
                "kept",
                "not_applicable",
                name="information_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("next_follow_up_on", sa.Date(), nullable=True),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "length(outcome) > 0", name=op.f("ck_decision_follow_ups_outcome_given")
        ),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_decision_follow_ups_sequence_positive")),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_decision_follow_ups_decision_id_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_decision_follow_ups_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_follow_ups")),
        sa.UniqueConstraint("sequence", name=op.f("uq_decision_follow_ups_sequence")),
    )
    op.create_index("ix_decision_follow_ups_decision_sequence", TABLE, ["decision_id", "sequence"])
    # Append-only (migration 52f953fd8e32 made registry_refuse_change() on PostgreSQL).
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
    _known_chains("'audit', 'decisions', 'follow_ups'")


def downgrade():
    # A checkpoint of the follow-ups' chain goes with the chain (the triggers let this
    # one migration remove them: on PostgreSQL in replica mode, on SQLite around them).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET LOCAL session_replication_role = replica")
        op.execute(f"DELETE FROM {CHECKPOINTS} WHERE chain = 'follow_ups'")
        op.execute("SET LOCAL session_replication_role = origin")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {CHECKPOINTS}_no_delete")
        op.execute(f"DELETE FROM {CHECKPOINTS} WHERE chain = 'follow_ups'")
    _known_chains("'audit', 'decisions'")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP TRIGGER {TABLE}_no_truncate ON {TABLE}")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER {TABLE}_no_{action}")
    op.drop_index("ix_decision_follow_ups_decision_sequence", table_name=TABLE)
    op.drop_table(TABLE)
