"""Tier-3 content (frequency, transfer methods, named data items), each agreement's DPIA
and controller relationship (issue 19), and the transfer methods vocabulary, seeded.

Every new column is optional or has a default: agreements registered before keep their
content, shown as "not recorded".

Revision ID: a68088d6c0d8
Revises: e3b7c9d2f4a6
Create Date: 2026-12-07 03:05:08.699194

"""

import sqlalchemy as sa
from alembic import op

revision = "a68088d6c0d8"
down_revision = "e3b7c9d2f4a6"
branch_labels = None
depends_on = None

# Stable codes (never change once used); the administrator may relabel or retire them.
TRANSFER_METHODS = [
    ("secure_email", "Secure email"),
    ("secure_file_transfer", "Secure file transfer"),
    ("shared_case_system", "Shared case management system"),
    ("secure_portal", "Secure online portal or referral form"),
    ("phone", "Telephone"),
    ("meeting", "Multi-agency meeting"),
    ("tracked_post", "Tracked post or hand delivery"),
]


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade():
    methods = op.create_table(
        "transfer_methods",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "length(code) > 0 AND code = lower(code)",
            name=op.f("ck_transfer_methods_code_format"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_transfer_methods")),
    )
    op.create_table(
        "agreement_transfer_methods",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("method_code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["method_code"],
            ["transfer_methods.code"],
            name=op.f("fk_agreement_transfer_methods_method_code_transfer_methods"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["agreement_versions.id"],
            name=op.f("fk_agreement_transfer_methods_version_id_agreement_versions"),
        ),
        sa.PrimaryKeyConstraint(
            "version_id", "method_code", name=op.f("pk_agreement_transfer_methods")
        ),
    )
    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "frequency",
                _enum(
                    "each_referral",
                    "as_needed",
                    "daily",
                    "weekly",
                    "monthly",
                    "quarterly",
                    name="frequency",
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("frequency_detail", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("data_items", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("dpia_reference", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("dpia_completed_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "dpia_outcome",
                _enum(
                    "not_required",
                    "no_high_risk",
                    "risks_reduced",
                    "ico_consulted",
                    name="dpia_outcome",
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("dpia_link", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "controller_relationship",
                _enum("separate", "joint", name="controller_relationship"),
                nullable=True,
            )
        )
    op.bulk_insert(
        methods, [{"code": c, "label": label, "active": True} for c, label in TRANSFER_METHODS]
    )


def downgrade():
    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        # The enums' checks first: SQLite's copy of the table would keep them otherwise.
        for name in ("frequency", "dpia_outcome", "controller_relationship"):
            batch_op.drop_constraint(batch_op.f(f"ck_agreement_versions_{name}"), type_="check")
        batch_op.drop_column("controller_relationship")
        batch_op.drop_column("dpia_link")
        batch_op.drop_column("dpia_outcome")
        batch_op.drop_column("dpia_completed_on")
        batch_op.drop_column("dpia_reference")
        batch_op.drop_column("data_items")
        batch_op.drop_column("frequency_detail")
        batch_op.drop_column("frequency")
    op.drop_table("agreement_transfer_methods")
    op.drop_table("transfer_methods")
