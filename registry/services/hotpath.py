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

from sqlalchemy.orm import Session


@cache
def _sql(dialect: str, template: str) -> str:
    """`{p}` is a scalar parameter; `{x} IN {list}` tests membership of a list parameter;
    `{json}` is a JSON document; `{time}` a timestamp."""
    if dialect == "postgresql":
        return (template.replace("IN {list}", "= ANY({p})").replace("{json}", "{p}::json")
                .replace("{time}", "{p}").replace("{p}", "%s"))
    return (template.replace("{list}", "(SELECT value FROM json_each({p}))")
            .replace("{json}", "{p}").replace("{time}", "{p}").replace("{p}", "?"))


def timestamp(dialect: str, value: datetime) -> Any:
    """An aware time as each engine stores it (SQLite: naive UTC text, as SQLAlchemy does)."""
    utc = value.astimezone(UTC)
    if dialect == "postgresql":
        return utc
    return utc.replace(tzinfo=None).isoformat(sep=" ")


def execute(session: Session, template: str, *params: Any) -> None:
    """Run a statement that answers no rows (an insert)."""
    connection = session.connection()
    dialect = connection.dialect.name
    args = tuple(_list(dialect, p) if isinstance(p, list | tuple) else
                 timestamp(dialect, p) if isinstance(p, datetime) else
                 json.dumps(p, separators=(",", ":")) if isinstance(p, dict) else p
                 for p in params)
    connection.exec_driver_sql(_sql(dialect, template), args)


def _list(dialect: str, values: Sequence[Any]) -> Any:
    return list(values) if dialect == "postgresql" else json.dumps(list(values))


def run(session: Session, template: str, *params: Any) -> Sequence[Any]:
    """Run `template` with positional `params` (lists for `IN {list}`), answer all rows."""
    connection = session.connection()
    dialect = connection.dialect.name
    args = tuple(_list(dialect, p) if isinstance(p, list | tuple) else p for p in params)
    return connection.exec_driver_sql(_sql(dialect, template), args).fetchall()


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
