"""The administrator's audit trail in words, filtered as the page filters it."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ...domain.audit_words import ACTIONS
from ...domain.errors import ValidationFailed
from ...domain.vocab import Role
from ...extensions import db
from ...services import audit_trail
from ..forms_util import RANGE_BACKWARDS
from ..permissions import signed_in
from . import bp, contract
from .body import query
from .spec import api


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
        fields["date_to"] = RANGE_BACKWARDS
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
