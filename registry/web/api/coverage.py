from flask import jsonify, request

from ...clock import now, today
from ...domain.vocab import Role
from ...extensions import db
from ...services import decisions as decision_service
from ...services.coverage import CheckInput, run_check
from ...services.decisions import DecisionInput
from ..permissions import current_actor, signed_in
from ..settings import status_settings
from . import bp
from .body import Body, listing, paging
from .spec import api


@api(bp, "/coverage", "POST", "Is this share covered? The answer is stored as check_id",
     body="CoverageInput", response="CoverageAnswer", errors=(400, 401, 422))
@signed_in()
def check_coverage():
    body = Body()
    data = CheckInput(from_agency_id=body.integer("from_agency_id", required=True),
                      to_agency_id=body.integer("to_agency_id", required=True),
                      purpose=body.string("purpose", required=True, max_length=64),
                      data_categories=body.codes("data_categories", required=True),
                      on_date=body.date("on_date"))
    body.check()
    row, _ = run_check(db.session, current_actor(), data, today=today(), now=now(),
                       settings=status_settings())
    return jsonify(row.answer)


def decision_json(r) -> dict:
    return {"id": r.id, "sequence": r.sequence, "recorded_at": r.recorded_at.isoformat(),
            "recorded_by": r.recorded_by, "entry_hash": r.entry_hash,
            "previous_hash": r.previous_hash, "check_id": r.check_id,
            "from_agency_id": r.from_agency_id, "to_agency_id": r.to_agency_id,
            "purpose": r.purpose, "data_categories": r.data_categories,
            "decision": r.decision.value, "consent": r.consent.value,
            "consent_reason": r.consent_reason, "reasons": r.reasons,
            "case_reference": r.case_reference, "key_questions": r.key_questions,
            "method": r.method, "expected_action": r.expected_action,
            "follow_up_on": r.follow_up_on.isoformat() if r.follow_up_on else None}


@api(bp, "/decisions", "GET", "Decisions you may read: your own; an IG lead its agency's",
     response="DecisionList", errors=(401, 422),
     query=[("q", "string"), ("decision", "string"), ("page", "integer"),
            ("per_page", "integer")])
@signed_in()
def list_decisions():
    page = decision_service.list_decisions(db.session, current_actor(),
                                           search=request.args.get("q", ""),
                                           decision=request.args.get("decision"), **paging())
    return jsonify(listing(page, decision_json))


@api(bp, "/decisions", "POST",
     "Record a decision as your own agency (append-only). A repeated Idempotency-Key "
     "answers the first record with 200", body="DecisionInput", response="Decision",
     status=201, errors=(400, 401, 403, 422))
@signed_in(Role.PRACTITIONER)
def create_decision():
    body = Body()
    data = DecisionInput(
        check_id=body.string("check_id", max_length=32),
        from_agency_id=body.integer("from_agency_id", required=True),
        to_agency_id=body.integer("to_agency_id", required=True),
        purpose=body.string("purpose", required=True, max_length=64),
        data_categories=body.codes("data_categories", required=True),
        decision=body.string("decision", required=True, max_length=20),
        consent=body.string("consent", required=True, max_length=20),
        consent_reason=body.string("consent_reason"),
        reasons=body.string("reasons", required=True, max_length=10000),
        case_reference=body.string("case_reference", max_length=100),
        key_questions=body.mapping("key_questions") or {},
        method=body.string("method", max_length=40),
        expected_action=body.string("expected_action"),
        follow_up_on=body.date("follow_up_on"))
    body.check()
    key = (request.headers.get("Idempotency-Key") or "").strip()[:200] or None
    record, created = decision_service.record_decision(
        db.session, current_actor(), data, idempotency_key=key, today=today(), now=now())
    return jsonify(decision_json(record)), 201 if created else 200


@api(bp, "/decisions/<int:decision_id>", "GET", "One decision you may read",
     response="Decision", errors=(401, 403, 404))
@signed_in()
def show_decision(decision_id: int):
    return jsonify(decision_json(decision_service.get_decision(db.session, current_actor(),
                                                               decision_id)))
