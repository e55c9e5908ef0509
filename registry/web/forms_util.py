"""Small helpers shared by the page views."""

from flask import request


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
    page = int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1
    return {"page": max(1, page), "per_page": 25}


def search_arg() -> str:
    """The list pages' search (`q`) from the query string, at most 200 characters (the
    services trim it)."""
    return request.args.get("q", "")[:200]
