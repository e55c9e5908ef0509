"""Schedule 1 conditions a safeguarding partnership uses: seed the missing paragraphs

The first migration seeded three DPA 2018 Schedule 1 conditions (paragraphs 6, 10 and 18).
A partnership's agreements also rely on paragraph 2 (Part 1: health or social care) and on
paragraphs 8, 12, 19 and 33 of Part 2. Each is added with a stable code unless an entry
with that code is already there (an administrator may have added it by hand): that entry,
and its label, are left as they are. No schema change.

Revision ID: 56934bb2fdb1
Revises: 47af3978c9be
Create Date: 2026-12-07 03:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "56934bb2fdb1"
down_revision = "47af3978c9be"
branch_labels = None
depends_on = None

ADDED = [
    ("sch1_para2", "DPA 2018 Sch 1 para 2: health or social care purposes"),
    ("sch1_para8", "DPA 2018 Sch 1 para 8: equality of opportunity or treatment"),
    (
        "sch1_para12",
        "DPA 2018 Sch 1 para 12: regulatory requirements about unlawful acts or dishonesty",
    ),
    (
        "sch1_para19",
        "DPA 2018 Sch 1 para 19: safeguarding the economic well-being of individuals at risk",
    ),
    ("sch1_para33", "DPA 2018 Sch 1 para 33: legal claims"),
]

bases = sa.table(
    "lawful_bases",
    sa.column("code", sa.String),
    sa.column("kind", sa.String),
    sa.column("label", sa.String),
    sa.column("active", sa.Boolean),
)
used = sa.table("agreement_lawful_bases", sa.column("basis_code", sa.String))


def upgrade():
    connection = op.get_bind()
    present = set(connection.scalars(sa.select(bases.c.code)))
    rows = [
        {"code": code, "kind": "sch1", "label": label, "active": True}
        for code, label in ADDED
        if code not in present
    ]
    if rows:
        op.bulk_insert(bases, rows)


def downgrade():
    # Only the entries no agreement names: an agreement's bases are never taken from it.
    op.execute(
        bases.delete().where(
            bases.c.code.in_([code for code, _ in ADDED]),
            bases.c.code.not_in(sa.select(used.c.basis_code)),
        )
    )
