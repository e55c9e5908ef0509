"""The one search box in the API: agreements, agencies, officers and the decisions the reader
may open, grouped with counts."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ...clock import today
from ...domain.errors import ValidationFailed
from ...domain.vocab import OFFICER_ROLE_LABELS
from ...extensions import db
from ...services import search as service
from ..permissions import current_actor, signed_in
from ..settings import status_settings
from . import bp, contract
from .body import query
from .spec import api


def _hit(key: str, item: Any) -> dict[str, Any]:
    if key == "agreements":
        agreement, where = item
        return {
            "kind": "agreement",
            "id": agreement.id,
            "label": f"{agreement.reference} {where.shown.title}",
            "detail": f"tier {agreement.tier}, {where.status.value}",
            "agreement_id": agreement.id,
        }
    if key == "agencies":
        return {
            "kind": "agency",
            "id": item.id,
            "label": item.name,
            "detail": f"ICO {item.ico_registration}"
            + (f", ODS {item.ods_code}" if item.ods_code else ""),
            "agency_id": item.id,
        }
    if key == "officers":
        return {
            "kind": "officer",
            "id": item.id,
            "label": item.name,
            "detail": f"{OFFICER_ROLE_LABELS[item.role]}, {item.agency.name}, {item.email}",
            "agency_id": item.agency_id,
        }
    return {
        "kind": "decision",
        "id": item.id,
        "label": item.case_reference or "",
        "detail": f"decision {item.sequence}: {item.decision.value}",
    }


@api(
    bp,
    "/search",
    "GET",
    "Search agreements, agencies, officers and the decisions you may read, in one go",
    response=contract.SearchAnswer,
    query=contract.SearchQuery,
    errors=(401, 422),
)
@signed_in()
def search_registry():
    asked = query(contract.SearchQuery)
    results = service.search(
        db.session, current_actor(), asked.q, today=today(), settings=status_settings()
    )
    if len(results.q) < service.MIN_LENGTH:
        raise ValidationFailed(
            {"q": f"Give at least {service.MIN_LENGTH} characters besides spaces to search for"}
        )
    return jsonify(
        q=results.q,
        groups=[
            {
                "key": g.key,
                "title": g.title,
                "total": g.total,
                "more": g.more,
                "items": [_hit(g.key, item) for item in g.items],
            }
            for g in results.groups
        ],
    )
