"""Each API route is declared once, with the models it accepts and answers
(web/api/contract.py); the OpenAPI document is built from these declarations and the
same models validate the requests, so the document and the server cannot drift apart."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


@dataclass
class Operation:
    path: str
    method: str
    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    public: bool = False
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = (401, 403, 404, 422)
    content_type: str = "application/json"
    # Other successful answers with the same body: {status: when}.
    also: dict[int, str] = field(default_factory=dict)
    # Request headers the operation reads, as OpenAPI parameter objects (in: header).
    headers: tuple[dict[str, Any], ...] = ()


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
