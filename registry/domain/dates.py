"""Date arithmetic and the one date format people read."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def long_date(value: date | None) -> str:
    """`1 September 2027`: the format every page, PDF and email uses."""
    if value is None:
        return ""
    return f"{value.day} {value.strftime('%B')} {value.year}"
