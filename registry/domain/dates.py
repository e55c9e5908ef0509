"""Date arithmetic and the one date format people read."""

from __future__ import annotations

import calendar
from datetime import date

# The dates the registry takes as input. An agreement's dates run at most a few years
# ahead, and the arithmetic done on them (a review date months on, a grace period days
# on) must stay within what a date can hold: year 9999 plus a year is no date at all.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def date_range_error(value: date | None, label: str) -> str | None:
    """What is wrong with a date given as input, if anything: outside the years 1900 to
    2199 it is a typing mistake or a probe, and later arithmetic on it could overflow."""
    if value is None or EARLIEST_DATE <= value <= LATEST_DATE:
        return None
    return f"{label} must be between {long_date(EARLIEST_DATE)} and {long_date(LATEST_DATE)}"


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
