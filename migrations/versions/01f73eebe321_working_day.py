"""working day: notifications outbox, delegations, signing proof, withdrawal reasons

Notifications are written in the same transaction as the change they tell of and sent
from there (an outbox). A signatory may name a delegate for a date range; a signature or
decline records the fresh proof of identity given and, for a delegate, on whose behalf.
A withdrawal notice gives its reason (empty for notices given before it was asked).
Nothing existing needs rewriting: every new column may be empty or has a default.

Revision ID: 01f73eebe321
Revises: 3fce14eeafd6
Create Date: 2026-12-06 22:23:34.725403

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "01f73eebe321"
down_revision = "3fce14eeafd6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("delegate_id <> principal_id", name=op.f("ck_delegations_not_self")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_delegations_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_delegations_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_delegations_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["delegate_id"], ["users.id"], name=op.f("fk_delegations_delegate_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["users.id"], name=op.f("fk_delegations_ended_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"], ["users.id"], name=op.f("fk_delegations_principal_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegations")),
    )
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.create_index("ix_delegations_agency", ["agency_id", "starts_on"], unique=False)
        batch_op.create_index("ix_delegations_delegate", ["delegate_id", "starts_on"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "event",
            sa.Enum(
                "submitted",
                "declined",
                "activated",
                "withdrawal_notice",
                "withdrawal_cancelled",
                "suspended",
                "resumed",
                "terminated",
                "parent_narrowed",
                "officer_changed",
                "review_reminder",
                "delegation",
                name="notification_event",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("needs_acknowledgement", sa.Boolean(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                name="delivery_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_notifications_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_notifications_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_state_run_after", ["state", "run_after"], unique=False
        )
        batch_op.create_index(
            "ix_notifications_user_created", ["user_id", "created_at"], unique=False
        )

    with op.batch_alter_table("declines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proof", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("on_behalf_of_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("on_behalf_of_name", sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_declines_on_behalf_of_user_id_users"),
            "users",
            ["on_behalf_of_user_id"],
            ["id"],
        )

    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proof", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("on_behalf_of_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("on_behalf_of_name", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("on_behalf_of_job_title", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("delegation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_signatures_on_behalf_of_user_id_users"),
            "users",
            ["on_behalf_of_user_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_signatures_delegation_id_delegations"),
            "delegations",
            ["delegation_id"],
            ["id"],
        )

    with op.batch_alter_table("withdrawals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("withdrawals", schema=None) as batch_op:
        batch_op.drop_column("reason")

    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_signatures_delegation_id_delegations"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_signatures_on_behalf_of_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("delegation_id")
        batch_op.drop_column("on_behalf_of_job_title")
        batch_op.drop_column("on_behalf_of_name")
        batch_op.drop_column("on_behalf_of_user_id")
        batch_op.drop_column("proof")

    with op.batch_alter_table("declines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_declines_on_behalf_of_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("on_behalf_of_name")
        batch_op.drop_column("on_behalf_of_user_id")
        batch_op.drop_column("proof")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_created")
        batch_op.drop_index("ix_notifications_state_run_after")

    op.drop_table("notifications")
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.drop_index("ix_delegations_delegate")
        batch_op.drop_index("ix_delegations_agency")

    op.drop_table("delegations")
