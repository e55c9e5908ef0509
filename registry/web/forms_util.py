"""Small helpers shared by the page views."""

from datetime import date, datetime

from flask import request

from ..domain.dates import date_range_error
from ..domain.fields import digits

# The words for a filter's dates, one place for every list that filters by a range of days
# (the audit trail, the decisions and their summary; the API says the last the same way).
FIRST_DAY, LAST_DAY = "The first date", "The last date"
RANGE_BACKWARDS = "The last date must be the same as or after the first date"


def form_data(form) -> dict:
    """The form's values by field name, without the CSRF token and buttons."""
    return {
        name: field.data
        for name, field in form._fields.items()
        if name not in ("csrf_token", "submit")
    }


def page_args() -> dict[str, int]:
    """`page` from the query string, never less than 1 nor a non-number."""
    raw = request.args.get("page", "1")
    page = int(raw) if digits(raw) and 0 < len(raw) < 7 else 1
    return {"page": max(1, page), "per_page": 25}


def search_arg() -> str:
    """The list pages' search (`q`) from the query string, at most 200 characters (the
    services trim it)."""
    return request.args.get("q", "")[:200]


def typed_day(raw: str) -> date | None:
    """A day as a date box sends it (2026-03-31) or as a person types it where the
    browser has no date box (31/3/2026, 31 March 2026); None when it is no real day."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    return None


def day_range_args(first: str = "from", last: str = "to") -> tuple[date | None, date | None, dict]:
    """A filter's first and last day from the query string, and what is wrong with them
    by field name (a day that is not real, out of range, or a range running backwards),
    so that a mistyped date is named, never quietly ignored. A day in error is None."""
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for key, label in ((first, FIRST_DAY), (last, LAST_DAY)):
        raw = request.args.get(key, "").strip()[:20]
        day = typed_day(raw) if raw else None
        if raw and day is None:
            errors[key] = f"{label} must be a real date, for example 31 March 2026"
        elif problem := date_range_error(day, label):
            errors[key], day = problem, None
        days[key] = day
    if days[first] and days[last] and days[last] < days[first]:
        errors[last], days[last] = RANGE_BACKWARDS, None
    return days[first], days[last], errors
