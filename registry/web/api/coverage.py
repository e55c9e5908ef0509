import re

from flask import current_app, jsonify, request

from ...clock import now, today
from ...domain.errors import ValidationFailed
from ...domain.vocab import Role
from ...extensions import db
from ...services import decisions as decision_service
from ...services.coverage import CheckInput, question_errors, run_check
from ...services.decisions import DecisionFilters, DecisionInput
from ..permissions import current_actor, signed_in
from ..settings import status_settings
from . import bp, contract
from .body import listing, parse, query
from .spec import api

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Your own key for this decision (up to 200 characters). Sending the same "
    "key again answers the decision first recorded with it, with 200, and records nothing",
    "schema": {"type": "string", "maxLength": 200, "pattern": contract.SINGLE_LINE},
}


@api(
    bp,
    "/coverage",
    "POST",
    "Is this share covered? The answer is stored as check_id",
    body=contract.CoverageInput,
    response=contract.CoverageAnswer,
    errors=(400, 401, 403, 422),
)
@signed_in(Role.PRACTITIONER)  # SPEC section 8: practitioners run coverage checks
def check_coverage():
    asked = parse(contract.CoverageInput, rules=_question_errors)
    data = CheckInput(
        from_agency_id=asked.from_agency_id,
        to_agency_id=asked.to_agency_id,
        purpose=asked.purpose,
        data_categories=asked.data_categories,
        on_date=asked.on_date,
    )
    row, _ = run_check(
        db.session, current_actor(), data, today=today(), now=now(), settings=status_settings()
    )
    # Sent as it was stored: serialising the answer once is a measurable part of a check.
    return current_app.response_class(row.answer_text + "\n", mimetype="application/json")


def _question_errors(good: dict) -> dict[str, str]:
    """Name an unknown agency, purpose or category in the same answer as other faults."""
    return question_errors(
        db.session,
        CheckInput(
            from_agency_id=good.get("from_agency_id"),
            to_agency_id=good.get("to_agency_id"),
            purpose=good.get("purpose"),
            data_categories=good.get("data_categories"),
            on_date=None,
        ),
    )


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
    response=contract.DecisionList,
    errors=(401, 403, 422),
    query=contract.DecisionQuery,
)
@signed_in(Role.PRACTITIONER, Role.IG_LEAD, Role.ADMIN)  # a signatory reads no decisions
def list_decisions():
    asked = query(contract.DecisionQuery)
    filters = DecisionFilters(
        search=asked.q,
        decision=asked.decision.value if asked.decision else None,
        recorded_from=asked.recorded_from,
        recorded_to=asked.recorded_to,
        purpose=asked.purpose,
        to_agency_id=asked.to_agency_id,
        consent=asked.consent.value if asked.consent else None,
        coverage=asked.coverage,
    )
    page = decision_service.list_decisions(
        db.session, current_actor(), filters, page=asked.page, per_page=asked.per_page
    )
    return jsonify(listing(page, decision_json))


@api(
    bp,
    "/decisions",
    "POST",
    "Record a decision as your own agency (append-only). A repeated Idempotency-Key "
    "answers the first record with 200",
    body=contract.DecisionInput,
    response=contract.DecisionRecord,
    status=201,
    also={200: "The decision first recorded with this Idempotency-Key (nothing new recorded)"},
    headers=(IDEMPOTENCY_KEY,),
    errors=(400, 401, 403, 422),
)
@signed_in(Role.PRACTITIONER)
def create_decision():
    asked = parse(contract.DecisionInput)
    key = _idempotency_key()
    data = DecisionInput(
        check_id=asked.check_id,
        from_agency_id=asked.from_agency_id,
        to_agency_id=asked.to_agency_id,
        purpose=asked.purpose,
        data_categories=asked.data_categories,
        decision=asked.decision.value,
        consent=asked.consent.value,
        consent_reason=asked.consent_reason,
        reasons=asked.reasons,
        case_reference=asked.case_reference,
        key_questions=dict(asked.key_questions or {}),
        method=asked.method,
        expected_action=asked.expected_action,
        follow_up_on=asked.follow_up_on,
    )
    record, created = decision_service.record_decision(
        db.session, current_actor(), data, idempotency_key=key, today=today(), now=now()
    )
    return jsonify(decision_json(record)), 201 if created else 200


def _idempotency_key() -> str | None:
    """The client's key for this decision: one line of up to 200 characters."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    if len(raw) > 200 or not re.match(contract.SINGLE_LINE, raw):
        raise ValidationFailed(
            {"Idempotency-Key": "Idempotency-Key must be one line of 200 characters or fewer"}
        )
    return raw.strip() or None


@api(
    bp,
    "/decisions/<int:decision_id>",
    "GET",
    "One decision you may read",
    response=contract.DecisionRecord,
    errors=(401, 403, 404),
)
@signed_in()
def show_decision(decision_id: int):
    return jsonify(
        decision_json(decision_service.get_decision(db.session, current_actor(), decision_id))
    )
