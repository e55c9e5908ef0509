"""indexes for the follow-ups due on a home page, and versions with an end date (issue 20)

A practitioner's or IG lead's home page lists the decisions whose follow-up is due. Both
engines read every decision to find them (30 ms twice a page at 100,000 decisions on
PostgreSQL, and the partnership's decisions grow every day). Partial indexes of the
decisions with a follow-up date, by person and by agency, and of follow-ups with a next
date, find the few candidates directly. The agreements list filtered by "expired" read
every version for the few with an end date (1 s on SQLite at a million): a partial index
of versions with an end date finds them. Plain CREATE INDEX (not batch mode): the decision
tables' append-only triggers stay as they are.

Revision ID: d8e2f0a4b6c1
Revises: c507a7bf8785
Create Date: 2026-12-07 10:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d8e2f0a4b6c1"
down_revision = "c507a7bf8785"
branch_labels = None
depends_on = None

DATED = sa.text("follow_up_on IS NOT NULL")
ENDING = sa.text("end_date IS NOT NULL")
NEXT = sa.text("next_follow_up_on IS NOT NULL")


def upgrade():
    for name, column in (
        ("ix_decisions_user_follow_up", "user_id"),
        ("ix_decisions_agency_follow_up", "agency_id"),
    ):
        op.create_index(
            name,
            "decisions",
            [column, "follow_up_on"],
            sqlite_where=DATED,
            postgresql_where=DATED,
        )
    op.create_index(
        "ix_decision_follow_ups_next",
        "decision_follow_ups",
        ["next_follow_up_on"],
        sqlite_where=NEXT,
        postgresql_where=NEXT,
    )
    op.create_index(
        "ix_agreement_versions_ending",
        "agreement_versions",
        ["end_date"],
        sqlite_where=ENDING,
        postgresql_where=ENDING,
    )


def downgrade():
    op.drop_index("ix_agreement_versions_ending", table_name="agreement_versions")
    op.drop_index("ix_decision_follow_ups_next", table_name="decision_follow_ups")
    op.drop_index("ix_decisions_agency_follow_up", table_name="decisions")
    op.drop_index("ix_decisions_user_follow_up", table_name="decisions")
