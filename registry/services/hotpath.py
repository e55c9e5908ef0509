"""Fixed SQL for the few queries on the hottest path (every coverage check, every API call).

SQLAlchemy spends more time preparing a statement than SQLite or PostgreSQL spend running
these indexed look-ups, so these run as plain driver SQL: one text per dialect, lists
passed as one parameter (PostgreSQL `= ANY(%s)`; SQLite `IN (SELECT value FROM json_each(?))`),
and values converted here to the types the rules expect."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..database import hot_engine


@cache
def _sql(dialect: str, template: str) -> str:
    """`{p}` is a scalar parameter; `{x} IN {list}` tests membership of a list parameter;
    `{json}` is a JSON document; `{time}` a timestamp."""
    if dialect == "postgresql":
        return (
            template.replace("IN {list}", "= ANY({p})")
            .replace("{json}", "{p}::json")
            .replace("{time}", "{p}")
            .replace("{p}", "%s")
        )
    return (
        template.replace("{list}", "(SELECT value FROM json_each({p}))")
        .replace("{json}", "{p}")
        .replace("{time}", "{p}")
        .replace("{p}", "?")
    )


def timestamp(dialect: str, value: datetime) -> Any:
    """An aware time as each engine stores it (SQLite: naive UTC text, as SQLAlchemy does)."""
    utc = value.astimezone(UTC)
    if dialect == "postgresql":
        return utc
    return utc.replace(tzinfo=None).isoformat(sep=" ")


def _day(dialect: str, value: date) -> Any:
    """A date as each engine stores it (SQLite: YYYY-MM-DD text, as SQLAlchemy does)."""
    return value if dialect == "postgresql" else value.isoformat()


class Raw:
    """A connection spoken to through the driver's own cursor: no SQLAlchemy result
    objects, which cost more than these indexed look-ups."""

    __slots__ = ("dialect", "cursor")

    def __init__(self, dialect: str, cursor: Any):
        self.dialect = dialect
        self.cursor = cursor

    @classmethod
    def of(cls, session: Session) -> Raw:
        """The session's own connection: what runs here is part of the session's
        transaction, so its commit or rollback covers it."""
        connection = session.connection()
        return cls(connection.dialect.name, connection.connection.cursor())

    def _args(self, params: tuple[Any, ...]) -> tuple[Any, ...]:
        dialect = self.dialect
        return tuple(
            _list(dialect, p)
            if isinstance(p, list | tuple)
            else timestamp(dialect, p)
            if isinstance(p, datetime)
            else json.dumps(p, separators=(",", ":"))
            if isinstance(p, dict)
            else _day(dialect, p)
            if isinstance(p, date)
            else p
            for p in params
        )

    def run(self, template: str, *params: Any) -> Sequence[Any]:
        """Run `template` with positional `params` (lists for `IN {list}`), answer all rows."""
        self.cursor.execute(_sql(self.dialect, template), self._args(params))
        return self.cursor.fetchall()

    def execute(self, template: str, *params: Any) -> None:
        """Run a statement that answers no rows (an insert)."""
        self.cursor.execute(_sql(self.dialect, template), self._args(params))


class Transaction(Raw):
    """A transaction on the hot path's own pool (database.hot_engine), without the ORM
    session's bookkeeping, which costs more than a coverage check's queries. It starts as
    a reader; `write()` turns it into the writer. On PostgreSQL it runs in pipeline mode:
    statements whose rows are not yet asked for travel with the next one that is, so
    BEGIN goes with the first query and the insert and COMMIT go together."""

    __slots__ = ("connection", "pipeline")

    def __init__(self, session: Session):
        engine = hot_engine(_engine(session))
        self.connection = engine.raw_connection()
        super().__init__(engine.dialect.name, self.connection.cursor())
        self.pipeline = None
        if self.dialect == "postgresql":
            driver: Any = self.connection.driver_connection
            self.pipeline = driver.pipeline()
            self.pipeline.__enter__()
        self.cursor.execute("BEGIN")

    def start(self, template: str, *params: Any) -> Any:
        """Send a query now and fetch its rows later (`.fetchall()` on the answer): on
        PostgreSQL, queries started together share one round trip."""
        cursor = self.connection.cursor()
        cursor.execute(_sql(self.dialect, template), self._args(params))
        return cursor

    def write(self) -> None:
        """SQLite: a read snapshot cannot safely become a writer (it fails at once if
        another writer committed meanwhile), so end it and take the write lock up front,
        as every writer does. PostgreSQL needs nothing."""
        if self.dialect == "sqlite":
            self.cursor.execute("COMMIT")
            self.cursor.execute("BEGIN IMMEDIATE")

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        connection = self.connection
        try:
            if kind is None:
                self.cursor.execute("COMMIT")
            if self.pipeline is not None:
                pipeline, self.pipeline = self.pipeline, None
                pipeline.__exit__(kind, error, traceback)  # sends what waits; raises its errors
        except BaseException:
            kind = kind or Exception
            raise
        finally:
            try:
                if kind is not None and not _broken(connection):
                    connection.rollback()
            finally:
                if _broken(connection):
                    connection.invalidate()  # a lost server: the next checkout connects anew
                connection.close()  # back to the pool


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _broken(connection: Any) -> bool:
    driver = connection.driver_connection
    return bool(getattr(driver, "broken", False) or getattr(driver, "closed", False))


def read(session: Session, template: str, *params: Any) -> Sequence[Any]:
    """One read on the hot path's pool: a single statement needs no transaction."""
    connection = hot_engine(_engine(session)).raw_connection()
    try:
        return Raw(session.get_bind().dialect.name, connection.cursor()).run(template, *params)
    except BaseException:
        if _broken(connection):
            connection.invalidate()
        raise
    finally:
        connection.close()


def try_write(session: Session, template: str, *params: Any) -> bool:
    """One statement committed at once on the hot path's pool (autocommit), for a write
    nothing else depends on: False, not an error, when the database refuses it (SQLite
    busy beyond its timeout, say)."""
    engine = hot_engine(_engine(session))
    connection = engine.raw_connection()
    try:
        Raw(engine.dialect.name, connection.cursor()).execute(template, *params)
        return True
    except engine.dialect.loaded_dbapi.Error:
        return False
    finally:
        if _broken(connection):
            connection.invalidate()
        connection.close()


def to_time(value: Any) -> datetime:
    """An aware UTC time from a timestamp column (SQLite keeps naive UTC text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _list(dialect: str, values: Sequence[Any]) -> Any:
    return list(values) if dialect == "postgresql" else json.dumps(list(values))


def run(session: Session, template: str, *params: Any) -> Sequence[Any]:
    """One statement on the session's connection (see Raw.run)."""
    return Raw.of(session).run(template, *params)


def execute(session: Session, template: str, *params: Any) -> None:
    """One row-less statement on the session's connection (see Raw.execute)."""
    Raw.of(session).execute(template, *params)


def to_date(value: Any) -> date | None:
    """SQLite keeps dates as ISO text; PostgreSQL returns dates."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def to_day(value: Any) -> date:
    """A date from a column that is never empty."""
    day = to_date(value)
    if day is None:
        raise ValueError("a required date column was empty")
    return day
