"""Each API route is declared once, with what it accepts and answers; the OpenAPI
document is built from these declarations, so the two cannot drift apart."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    body: str | None = None
    response: str | None = None
    status: int = 200
    public: bool = False
    query: list[tuple[str, str]] = field(default_factory=list)
    errors: tuple[int, ...] = (401, 403, 404, 422)
    content_type: str = "application/json"


OPERATIONS: list[Operation] = []


def openapi_path(rule: str) -> str:
    """Flask's `/agencies/<int:agency_id>` as OpenAPI's `/agencies/{agency_id}`."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def api(bp, rule: str, method: str, summary: str, **kw: Any):
    """Register the view on `bp` for one method and record its description."""

    def decorate(view):
        OPERATIONS.append(
            Operation(path=openapi_path(rule), method=method.lower(), summary=summary, **kw)
        )
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
        return view

    return decorate
