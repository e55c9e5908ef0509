from flask import current_app, jsonify, request

from ...clock import now, today
from ...domain.vocab import Role
from ...extensions import db
from ...services import decisions as decision_service
from ...services.coverage import CheckInput, question_errors, run_check
from ...services.decisions import DecisionInput
from ..permissions import current_actor, signed_in
from ..settings import status_settings
from . import bp
from .body import Body, listing, paging
from .spec import api


@api(
    bp,
    "/coverage",
    "POST",
    "Is this share covered? The answer is stored as check_id",
    body="CoverageInput",
    response="CoverageAnswer",
    errors=(400, 401, 422),
)
@signed_in(Role.PRACTITIONER)  # SPEC section 8: practitioners run coverage checks
def check_coverage():
    body = Body()
    data = CheckInput(
        from_agency_id=body.integer("from_agency_id", required=True),
        to_agency_id=body.integer("to_agency_id", required=True),
        purpose=body.string("purpose", required=True, max_length=64),
        data_categories=body.codes("data_categories", required=True),
        on_date=body.date("on_date"),
    )
    if body.errors:  # name an unknown agency, purpose or category in the same answer
        body.check(vars(data), lambda _typed: question_errors(db.session, data))
    row, _ = run_check(
        db.session, current_actor(), data, today=today(), now=now(), settings=status_settings()
    )
    # Sent as it was stored: serialising the answer once is a measurable part of a check.
    return current_app.response_class(row.answer_text + "\n", mimetype="application/json")


def decision_json(record) -> dict:
    """The decision as the API shows it: its hashed content (less who and which key
    asked), with its id and the chain's two hashes."""
    shown = {
        k: v
        for k, v in decision_service.content(record).items()
        if k not in ("user_id", "agency_id", "idempotency_key")
    }
    return {
        "id": record.id,
        **shown,
        "entry_hash": record.entry_hash,
        "previous_hash": record.previous_hash,
    }


@api(
    bp,
    "/decisions",
    "GET",
    "Decisions you may read: your own; an IG lead its agency's",
    response="DecisionList",
    errors=(401, 422),
    query=[("q", "string"), ("decision", "string"), ("page", "integer"), ("per_page", "integer")],
)
@signed_in(Role.PRACTITIONER, Role.IG_LEAD, Role.ADMIN)  # a signatory reads no decisions
def list_decisions():
    page = decision_service.list_decisions(
        db.session,
        current_actor(),
        search=request.args.get("q", ""),
        decision=request.args.get("decision"),
        **paging(),
    )
    return jsonify(listing(page, decision_json))


@api(
    bp,
    "/decisions",
    "POST",
    "Record a decision as your own agency (append-only). A repeated Idempotency-Key "
    "answers the first record with 200",
    body="DecisionInput",
    response="Decision",
    status=201,
    errors=(400, 401, 403, 422),
)
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
        follow_up_on=body.date("follow_up_on"),
    )
    body.check()
    key = (request.headers.get("Idempotency-Key") or "").strip()[:200] or None
    record, created = decision_service.record_decision(
        db.session, current_actor(), data, idempotency_key=key, today=today(), now=now()
    )
    return jsonify(decision_json(record)), 201 if created else 200


@api(
    bp,
    "/decisions/<int:decision_id>",
    "GET",
    "One decision you may read",
    response="Decision",
    errors=(401, 403, 404),
)
@signed_in()
def show_decision(decision_id: int):
    return jsonify(
        decision_json(decision_service.get_decision(db.session, current_actor(), decision_id))
    )
