"""an index of officers by role and agency, with their dates (issue 20)

The administrator's home page counts, for each key post, the agencies with nobody holding
it today. Grouping all officers by agency (150,000 at 50,000 agencies) took 100-120 ms on
PostgreSQL; counting each post's current holders from an index of (role, agency, dates)
reads the index alone, about a third of that.

Revision ID: e5c3a1f7b9d2
Revises: d8e2f0a4b6c1
Create Date: 2026-12-07 19:10:00

"""

from alembic import op

revision = "e5c3a1f7b9d2"
down_revision = "d8e2f0a4b6c1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_officers_role_agency", "officers", ["role", "agency_id", "started_on", "ended_on"]
    )


def downgrade():
    op.drop_index("ix_officers_role_agency", table_name="officers")
