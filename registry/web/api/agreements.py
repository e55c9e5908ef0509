from flask import Response, jsonify, request

from ...clock import now, today
from ...domain import policy
from ...domain.errors import ValidationFailed
from ...domain.vocab import EffectiveStatus, Role
from ...extensions import db
from ...services import agreement_lifecycle as lifecycle
from ...services import agreements as service
from ...services import pdfs
from ...services.agreement_reads import AgreementFilters, get_agreement
from ...services.agreement_reads import list_agreements as find_agreements
from ..permissions import current_actor, signed_in
from ..settings import status_settings
from . import bp, serialise
from .body import Body, listing, paging, query_int
from .spec import api

WRITE_ERRORS = (400, 401, 403, 404, 409, 422)
ACTION_ERRORS = (400, 401, 403, 404, 409, 422)


def _content_fields(body: Body, *, creating: bool) -> dict:
    fields = {
        "title": body.string("title", required=creating, max_length=200),
        "purposes": body.codes("purposes"),
        "data_categories": body.codes("data_categories"),
        "lawful_bases": body.codes("lawful_bases"),
        "data_subjects": body.string("data_subjects"),
        "retention": body.string("retention"),
        "security": body.string("security"),
        "effective_from": body.date("effective_from", required=creating),
        "review_date": body.date("review_date"),
        "review_period_months": body.integer("review_period_months"),
        "end_date": body.date("end_date"),
        "parties": body.parties(required=creating),
        "parent_id": body.integer("parent_id"),
    }
    if creating:
        fields["tier"] = body.integer("tier", required=True)
        fields["owner_agency_id"] = body.integer("owner_agency_id", required=True)
    body.check()
    return {k: v for k, v in fields.items() if body.has(k)}


@api(
    bp,
    "/agreements",
    "GET",
    "List agreements with filters",
    response="AgreementList",
    errors=(401, 422),
    query=[
        ("q", "string"),
        ("tier", "integer"),
        ("status", "string"),
        ("agency_id", "integer"),
        ("purpose", "string"),
        ("review_due", "integer"),
        ("exceeds_parent", "integer"),
        ("page", "integer"),
        ("per_page", "integer"),
    ],
)
@signed_in()
def list_agreements():
    status = request.args.get("status")
    if status is not None and status not in {s.value for s in EffectiveStatus}:
        raise ValidationFailed(
            {"status": "status must be one of " + ", ".join(s.value for s in EffectiveStatus)}
        )
    filters = AgreementFilters(
        search=request.args.get("q", ""),
        tier=query_int("tier", 0, low=1, high=3) or None,
        status=EffectiveStatus(status) if status else None,
        agency_id=query_int("agency_id", 0) or None,
        purpose=request.args.get("purpose") or None,
        review_due=request.args.get("review_due") in ("1", "true"),
        exceeds_parent=request.args.get("exceeds_parent") in ("1", "true"),
    )
    page = find_agreements(
        db.session, filters, today=today(), settings=status_settings(), **paging()
    )
    return jsonify(listing(page, serialise.agreement))


@api(
    bp,
    "/agreements",
    "POST",
    "Draft an agreement (version 1)",
    body="AgreementInput",
    response="Agreement",
    status=201,
    errors=WRITE_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def create_agreement():
    agreement = service.create_draft(
        db.session, current_actor(), _content_fields(Body(), creating=True), now=now()
    )
    return jsonify(serialise.agreement_detail(agreement)), 201


@api(
    bp,
    "/agreements/<int:agreement_id>",
    "GET",
    "One agreement (its latest version)",
    response="Agreement",
    errors=(401, 404),
)
@signed_in()
def show_agreement(agreement_id: int):
    return jsonify(serialise.agreement_detail(get_agreement(db.session, agreement_id)))


@api(
    bp,
    "/agreements/<int:agreement_id>",
    "PATCH",
    "Edit the latest version while a draft",
    body="AgreementInput",
    response="Agreement",
    errors=WRITE_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def update_agreement(agreement_id: int):
    agreement = get_agreement(db.session, agreement_id)
    policy.require(
        policy.may_manage_agreement(current_actor(), agreement.tier, agreement.owner_agency_id),
        f"Only the owning agency's IG lead can edit {agreement.reference}",
    )
    body = Body()
    lock_version = body.integer("lock_version")
    agreement = service.update_draft(
        db.session,
        current_actor(),
        agreement_id,
        _content_fields(body, creating=False),
        now=now(),
        lock_version=lock_version,
    )
    return jsonify(serialise.agreement_detail(agreement))


@api(
    bp,
    "/agreements/<int:agreement_id>/versions",
    "GET",
    "Every version kept",
    response="VersionList",
    errors=(401, 404),
)
@signed_in()
def list_versions(agreement_id: int):
    agreement = get_agreement(db.session, agreement_id)
    return jsonify(
        items=[serialise.version(v) for v in agreement.versions], total=len(agreement.versions)
    )


@api(
    bp,
    "/agreements/<int:agreement_id>/pdf",
    "GET",
    "The agreement as a PDF: the latest version, or ?version=N",
    response="Pdf",
    content_type="application/pdf",
    query=[("version", "integer")],
    errors=(401, 404, 422),
)
@signed_in()
def agreement_pdf(agreement_id: int):
    agreement = get_agreement(db.session, agreement_id)
    number = query_int("version", 0) or agreement.latest.number
    return Response(pdfs.pdf_for(db.session, agreement, number), mimetype="application/pdf")


@api(
    bp,
    "/agreements/<int:agreement_id>/submit",
    "POST",
    "Submit the draft for signature (draft → awaiting_signatures)",
    body="Empty",
    response="Agreement",
    errors=ACTION_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def submit_agreement(agreement_id: int):
    agreement = lifecycle.submit(db.session, current_actor(), agreement_id, now=now())
    return jsonify(serialise.agreement_detail(agreement))


@api(
    bp,
    "/agreements/<int:agreement_id>/sign",
    "POST",
    "Sign for your agency; the last party's signature activates the version",
    body="Empty",
    response="Signature",
    status=201,
    errors=ACTION_ERRORS,
)
@signed_in(Role.SIGNATORY)
def sign_agreement(agreement_id: int):
    signature = lifecycle.sign(db.session, current_actor(), agreement_id, now=now())
    number = get_agreement(db.session, agreement_id).latest.number
    return jsonify(serialise.signature(signature, number)), 201


@api(
    bp,
    "/agreements/<int:agreement_id>/decline",
    "POST",
    "Decline to sign, with a comment; the version returns to draft",
    body="DeclineInput",
    response="Agreement",
    errors=ACTION_ERRORS,
)
@signed_in(Role.SIGNATORY)
def decline_agreement(agreement_id: int):
    get_agreement(db.session, agreement_id)
    body = Body()
    comment = body.string("comment", max_length=2000)
    body.check()
    lifecycle.decline(db.session, current_actor(), agreement_id, comment, now=now())
    return jsonify(serialise.agreement_detail(get_agreement(db.session, agreement_id)))


@api(
    bp,
    "/agreements/<int:agreement_id>/amend",
    "POST",
    "Open version N+1 as a draft; version N stays in force until N+1 is signed",
    body="Empty",
    response="Agreement",
    status=201,
    errors=ACTION_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def amend_agreement(agreement_id: int):
    lifecycle.amend(db.session, current_actor(), agreement_id, now=now())
    return jsonify(serialise.agreement_detail(get_agreement(db.session, agreement_id))), 201


@api(
    bp,
    "/agreements/<int:agreement_id>/reviews",
    "POST",
    "Record a review: continue, amend or terminate",
    body="ReviewInput",
    response="Review",
    status=201,
    errors=ACTION_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def review_agreement(agreement_id: int):
    get_agreement(db.session, agreement_id)
    body = Body()
    outcome = body.string("outcome", required=True, max_length=32)
    notes = body.string("notes", required=True)
    body.check()
    row = lifecycle.review(
        db.session,
        current_actor(),
        agreement_id,
        outcome=outcome,
        notes=notes,
        today=today(),
        now=now(),
    )
    return jsonify(serialise.review(row)), 201


@api(
    bp,
    "/agreements/<int:agreement_id>/withdraw",
    "POST",
    "Give an agency's notice of withdrawal from a date",
    body="WithdrawInput",
    response="Withdrawal",
    status=201,
    errors=ACTION_ERRORS,
)
@signed_in(Role.IG_LEAD)
def withdraw_agreement(agreement_id: int):
    get_agreement(db.session, agreement_id)
    body = Body()
    agency_id = body.integer("agency_id", required=True)
    effective_on = body.date("effective_on", required=True)
    body.check()
    row = lifecycle.withdraw(
        db.session,
        current_actor(),
        agreement_id,
        agency_id=agency_id,
        effective_on=effective_on,
        today=today(),
        now=now(),
    )
    return jsonify(agency_id=row.agency_id, effective_on=row.effective_on.isoformat()), 201


def _status_change(agreement_id: int, action: str):
    get_agreement(db.session, agreement_id)
    body = Body()
    reason = body.string("reason", max_length=2000)
    body.check()
    getattr(lifecycle, action)(db.session, current_actor(), agreement_id, reason, now=now())
    return jsonify(serialise.agreement_detail(get_agreement(db.session, agreement_id)))


@api(
    bp,
    "/agreements/<int:agreement_id>/suspend",
    "POST",
    "Suspend (administrator)",
    body="ReasonInput",
    response="Agreement",
    errors=ACTION_ERRORS,
)
@signed_in(Role.ADMIN)
def suspend_agreement(agreement_id: int):
    return _status_change(agreement_id, "suspend")


@api(
    bp,
    "/agreements/<int:agreement_id>/resume",
    "POST",
    "Resume (administrator)",
    body="ReasonInput",
    response="Agreement",
    errors=ACTION_ERRORS,
)
@signed_in(Role.ADMIN)
def resume_agreement(agreement_id: int):
    return _status_change(agreement_id, "resume")


@api(
    bp,
    "/agreements/<int:agreement_id>/terminate",
    "POST",
    "Terminate (the owner's IG lead or the administrator)",
    body="ReasonInput",
    response="Agreement",
    errors=ACTION_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def terminate_agreement(agreement_id: int):
    return _status_change(agreement_id, "terminate")
