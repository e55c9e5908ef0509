""" "Contains these words", answered from an index on either engine.

`paging.containing` writes the match as `lower(column) LIKE '%words%'`. PostgreSQL answers
that from its trigram indexes (migration e3b7c9d2f4a6). SQLite cannot; on SQLite the same
match is asked of the table's FTS5 trigram index (migration f1a2b3c4d5e6) as a phrase
restricted to the same columns, which finds the same rows: every three characters of the
words, one after another, in one of the columns, in any case.

A phrase of three characters or more is needed for a trigram index to answer; a shorter
one, or a database without the FTS5 tables (SQLite built without FTS5), falls back to the
LIKE, which reads the table."""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import ColumnElement, column, inspect, literal_column, select, table, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .paging import containing

_FTS_TABLES: weakref.WeakKeyDictionary[Engine, frozenset[str]] = weakref.WeakKeyDictionary()


def _fts_tables(session: Session) -> frozenset[str]:
    engine = session.get_bind()
    if not isinstance(engine, Engine):  # a Connection
        engine = engine.engine
    if engine.dialect.name != "sqlite":
        return frozenset()
    known = _FTS_TABLES.get(engine)
    if known is None:
        listed = session.execute(
            text(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'table' AND name LIKE 'fts\\_%' ESCAPE '\\'"
            )
        ).scalars()
        known = _FTS_TABLES[engine] = frozenset(listed)
    return known


def phrase(words: str) -> str:
    """`words` as one FTS5 phrase: in double quotes, a double quote in it doubled."""
    return '"' + words.replace('"', '""') + '"'


def matching(session: Session, words: str, model: Any, *columns: Any) -> ColumnElement[bool]:
    """Rows of `model` (a mapped class, or an alias of one) where one of `columns` (its
    own) contains `words`, in any case."""
    wanted = words.strip()
    fts = f"fts_{inspect(model).mapper.local_table.name}"  # a class or an alias of one
    if len(wanted) < 3 or fts not in _fts_tables(session):
        return containing(words, *columns)
    names = " ".join(c.expression.name for c in columns)
    index = table(fts, column("rowid"))
    found = select(index.c.rowid).where(
        literal_column(fts).op("MATCH")(f"{{{names}}} : {phrase(wanted)}")
    )
    return model.id.in_(found)
