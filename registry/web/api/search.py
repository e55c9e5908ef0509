"""Issue 19 in the API: the one search, and the audit trail in words (administrator)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ...clock import today
from ...domain.audit_words import ACTIONS
from ...domain.errors import ValidationFailed
from ...domain.vocab import OFFICER_ROLE_LABELS, Role
from ...extensions import db
from ...services import audit_trail
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
            {"q": f"Give at least {service.MIN_LENGTH} characters to search for"}
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


def _entry(line: audit_trail.Line) -> dict[str, Any]:
    e, subject = line.entry, line.subject
    return {
        "sequence": e.sequence,
        "recorded_at": e.recorded_at.isoformat(),
        "who": line.who,
        "action": e.action,
        "what": line.what,
        "sentence": line.sentence,
        "subject_kind": subject.kind,
        "subject": subject.text,
        "agreement_id": subject.link_id if subject.link_kind == "agreement" else None,
        "agency_id": subject.link_id if subject.link_kind == "agency" else None,
        "before": e.before,
        "after": e.after,
    }


@api(
    bp,
    "/audit",
    "GET",
    "The audit trail in words, newest first, filtered by date, who, agency and action",
    response=contract.AuditList,
    query=contract.AuditQuery,
    errors=(401, 403, 422),
)
@signed_in(Role.ADMIN)
def list_audit():
    asked = query(contract.AuditQuery)
    fields = {}
    if asked.action and asked.action not in ACTIONS:
        fields["action"] = "Give one of the registry's action codes"
    if asked.date_from and asked.date_to and asked.date_to < asked.date_from:
        fields["date_to"] = "The last day must be the same as or after the first"
    if fields:
        raise ValidationFailed(fields)
    page = audit_trail.trail(
        db.session,
        audit_trail.TrailFilters(
            date_from=asked.date_from,
            date_to=asked.date_to,
            who=asked.q,
            agency_id=asked.agency_id,
            action=asked.action,
            entity=asked.entity,
        ),
        page=asked.page,
        per_page=asked.per_page,
    )
    return jsonify(items=[_entry(line) for line in page.items], total=page.total)
