"""the public register's order as an index

The register's downloads (register.csv, register.json, flask export) read every agreement
in force in batches, each after the last one's tier and reference. Without an index in
that order each batch sorted the whole table: 18 s for 100,000 agreements on SQLite, 2 s
with it (docs/PERFORMANCE.md).

Revision ID: 9c4e2b7a1f03
Revises: 5e0c1a7b2d94
Create Date: 2026-11-22 01:20:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "9c4e2b7a1f03"
down_revision = "5e0c1a7b2d94"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_agreements_tier_reference", "agreements", ["tier", "reference"])


def downgrade():
    op.drop_index("ix_agreements_tier_reference", table_name="agreements")
