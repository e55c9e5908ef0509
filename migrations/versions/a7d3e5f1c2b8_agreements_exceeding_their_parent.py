"""agreements exceeding their parent

A parent agreement may be amended to allow less than its children (SPEC section 2); the
children it no longer covers are flagged to their owners. agreements.exceeds_parent holds
what the child grants beyond its parent (NULL when it stays within it).

Revision ID: a7d3e5f1c2b8
Revises: 9c4e2b7a1f03
Create Date: 2026-12-06 14:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7d3e5f1c2b8"
down_revision = "9c4e2b7a1f03"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both engines (no table rebuild on SQLite).
    op.add_column("agreements", sa.Column("exceeds_parent", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("agreements") as batch:
        batch.drop_column("exceeds_parent")
