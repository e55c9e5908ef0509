"""trigram indexes for the one search box (PostgreSQL, when pg_trgm can be installed)

The header's search matches `lower(column) LIKE '%words%'` on agreement references and
titles, agency names, ICO numbers and ODS codes, officer names and emails, and decision
case references. A B-tree index cannot answer a match in the middle of a value; a
trigram (pg_trgm) GIN index on the same `lower(...)` expression can, so on PostgreSQL the
search reads these indexes instead of the tables (docs/PERFORMANCE.md).

pg_trgm ships with PostgreSQL and is a trusted extension (13 and later): the database's
owner may install it. Where this role may not, the extension is tried in a savepoint and,
refused, the indexes are left out with a warning: the search still answers, by reading
the tables. SQLite gets none (it has no such index; the migration does nothing there).

The indexes are not in the models (an operator class and index method exist on one engine
only); migrations/env.py keeps the drift check from reading them as drift (ix_search_*).

Revision ID: e3b7c9d2f4a6
Revises: 56934bb2fdb1
Create Date: 2026-12-07 03:30:00

"""

import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e3b7c9d2f4a6"
down_revision = "56934bb2fdb1"
branch_labels = None
depends_on = None

# (index, table, column): each a GIN index on lower(column) with gin_trgm_ops.
INDEXES = (
    ("ix_search_agreements_reference", "agreements", "reference"),
    ("ix_search_agreement_versions_title", "agreement_versions", "title"),
    ("ix_search_agencies_name", "agencies", "name"),
    ("ix_search_agencies_ico_registration", "agencies", "ico_registration"),
    ("ix_search_agencies_ods_code", "agencies", "ods_code"),
    ("ix_search_officers_name", "officers", "name"),
    ("ix_search_officers_email", "officers", "email"),
    ("ix_search_decisions_case_reference", "decisions", "case_reference"),
)


def _has_trigrams(bind) -> bool:
    installed = sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    if bind.execute(installed).first():
        return True
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        logging.getLogger("alembic").warning(
            "pg_trgm could not be installed (%s): the search will read the tables. "
            "Ask the database's administrator to run CREATE EXTENSION pg_trgm, then "
            "run this migration again (downgrade to 56934bb2fdb1, upgrade).",
            exc.orig,
        )
        return False
    return True


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _has_trigrams(bind):
        return
    for name, table, column in INDEXES:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (lower({column}) gin_trgm_ops)"
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _, _ in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # pg_trgm itself stays: something else in the database may use it.
