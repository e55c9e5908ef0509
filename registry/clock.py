"""The one place the web layer reads the time; services and domain are given it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

LONDON = ZoneInfo("Europe/London")


def system_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The current instant; tests may replace app.extensions['clock']."""
    return current_app.extensions.get("clock", system_now)()


def today() -> date:
    """Today's date in the partnership's time zone (Europe/London)."""
    return now().astimezone(LONDON).date()
