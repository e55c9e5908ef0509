"""full-text (trigram) indexes for the one search box on SQLite

PostgreSQL answers the search's `lower(column) LIKE '%words%'` from trigram indexes
(revision e3b7c9d2f4a6). SQLite has no index for a match inside a value, so it read every
searched column on each search (0.6 to 1 s at 100,000 agreements). SQLite's FTS5 with its
trigram tokenizer (SQLite 3.34 and later) indexes every three characters of a value and
answers "contains these words" (a phrase query) from the index, in any case.

One FTS5 table per searched table, holding only an index: its text is read from the
table itself (external content, keyed by the row's id), and triggers keep the index in
step with every insert, update and delete, so nothing in the application writes to it.
Rows already there are indexed by a 'rebuild'.

Where SQLite was built without FTS5 or before 3.34, the migration says so and carries on:
the search then reads the tables as before. PostgreSQL gets nothing here. The tables are
not in the models (they exist on one engine only); migrations/env.py keeps the drift check
from reading them (and FTS5's own shadow tables, all named fts_*) as drift.

Revision ID: f1a2b3c4d5e6
Revises: a68088d6c0d8
Create Date: 2026-12-07 07:00:00

"""

import logging

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1a2b3c4d5e6"
down_revision = "a68088d6c0d8"
branch_labels = None
depends_on = None

# (FTS table, content table, columns searched)
INDEXES = (
    ("fts_agreements", "agreements", ("reference",)),
    ("fts_agreement_versions", "agreement_versions", ("title",)),
    ("fts_agencies", "agencies", ("name", "ico_registration", "ods_code")),
    ("fts_officers", "officers", ("name", "email")),
    ("fts_decisions", "decisions", ("case_reference",)),
)


def _has_fts5_trigrams(bind) -> bool:
    try:
        with bind.begin_nested():
            bind.execute(
                sa.text("CREATE VIRTUAL TABLE temp.fts_probe USING fts5(x, tokenize='trigram')")
            )
            bind.execute(sa.text("DROP TABLE temp.fts_probe"))
    except sa.exc.DBAPIError as exc:
        logging.getLogger("alembic").warning(
            "SQLite's FTS5 trigram tokenizer is not available (%s): the search will read "
            "the tables. It needs SQLite 3.34 or later built with FTS5.",
            exc.orig,
        )
        return False
    return True


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not _has_fts5_trigrams(bind):
        return
    for fts, table, columns in INDEXES:
        listed = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({listed}, content='{table}', "
            "content_rowid='id', tokenize='trigram')"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {listed}) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {listed}) VALUES ('delete', old.id, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {listed} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {listed}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {listed}) VALUES (new.id, {new}); END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for fts, _, _ in INDEXES:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{event}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
