from flask import jsonify

from ...clock import now, today
from ...domain import policy
from ...domain.vocab import Role
from ...extensions import db
from ...services import agreement_lifecycle as lifecycle
from ...services import agreements as service
from ...services import downloads, sealing, signing, users
from ...services.agreement_reads import AgreementFilters, get_agreement, get_version
from ...services.agreement_reads import list_agreements as find_agreements
from ...services.dashboard import late_since
from ..errors import api_error
from ..http import revalidating
from ..permissions import current_actor, signed_in
from ..settings import status_settings, totp_key
from . import bp, contract, serialise
from .body import given, listing, parse, query
from .spec import api

WRITE_ERRORS = (400, 401, 403, 404, 409, 422)
ACTION_ERRORS = (400, 401, 403, 404, 409, 422)


def _content_fields(asked: contract.AgreementUpdate) -> dict:
    fields = given(asked)
    fields.pop("lock_version", None)
    if asked.parties is not None:
        fields["parties"] = [
            {
                "agency_id": p.agency_id,
                "may_disclose": p.may_disclose,
                "may_receive": p.may_receive,
                "role": p.role or "",
            }
            for p in asked.parties
        ]
    return fields


@api(
    bp,
    "/agreements",
    "GET",
    "List agreements with filters",
    response=contract.AgreementList,
    errors=(401, 422),
    query=contract.AgreementQuery,
)
@signed_in()
def list_agreements():
    asked = query(contract.AgreementQuery)
    filters = AgreementFilters(
        search=asked.q,
        tier=asked.tier,
        status=asked.status,
        agency_id=asked.agency_id,
        purpose=asked.purpose,
        review_due=asked.review_due,
        exceeds_parent=asked.exceeds_parent,
        waiting_since=late_since(today()) if asked.signatures_late else None,
    )
    page = find_agreements(
        db.session,
        filters,
        today=today(),
        settings=status_settings(),
        page=asked.page,
        per_page=asked.per_page,
    )
    return jsonify(listing(page, serialise.agreement))


@api(
    bp,
    "/agreements",
    "POST",
    "Draft an agreement (version 1)",
    body=contract.AgreementCreate,
    response=contract.Agreement,
    status=201,
    errors=WRITE_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def create_agreement():
    agreement = service.create_draft(
        db.session, current_actor(), _content_fields(parse(contract.AgreementCreate)), now=now()
    )
    return jsonify(serialise.agreement_detail(agreement)), 201


@api(
    bp,
    "/agreements/<int:agreement_id>",
    "GET",
    "One agreement (its latest version)",
    response=contract.Agreement,
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
    body=contract.AgreementUpdate,
    response=contract.Agreement,
    errors=WRITE_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def update_agreement(agreement_id: int):
    agreement = get_agreement(db.session, agreement_id)
    policy.require(
        policy.may_manage_agreement(current_actor(), agreement.tier, agreement.owner_agency_id),
        f"Only the owning agency's IG lead can edit {agreement.reference}",
    )
    asked = parse(contract.AgreementUpdate)
    agreement = service.update_draft(
        db.session,
        current_actor(),
        agreement_id,
        _content_fields(asked),
        now=now(),
        lock_version=asked.lock_version,
    )
    return jsonify(serialise.agreement_detail(agreement))


@api(
    bp,
    "/agreements/<int:agreement_id>/versions",
    "GET",
    "Every version kept",
    response=contract.VersionList,
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
    query=contract.PdfQuery,
    errors=(401, 404, 422, 503),
)
@signed_in()
def agreement_pdf(agreement_id: int):
    agreement = get_agreement(db.session, agreement_id)
    number = query(contract.PdfQuery).version or agreement.latest.number
    get_version(agreement, number)  # an unknown version is 404 before anything else
    waiting = sealing.progress(db.session, agreement.id, number)
    if waiting is not None:
        # Never an unsealed render in place of the sealed copy still being made.
        code = "sealing_failed" if waiting.failed else "being_sealed"
        response, status = api_error(
            503, code, sealing.not_ready_message(agreement.reference, waiting)
        )
        if not waiting.failed:
            response.headers["Retry-After"] = str(sealing.RETRY_AFTER)
        return response, status
    found = downloads.pdf_file(db.session, agreement, number)
    return revalidating(
        found.read,
        etag=found.sha256,
        last_modified=found.issued_at,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{agreement.reference}-v{number}.pdf"'
        },
    )


@api(
    bp,
    "/agreements/<int:agreement_id>/submit",
    "POST",
    "Submit the draft for signature (draft → awaiting_signatures)",
    body=contract.Empty,
    response=contract.Agreement,
    errors=ACTION_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def submit_agreement(agreement_id: int):
    parse(contract.Empty)
    agreement = lifecycle.submit(db.session, current_actor(), agreement_id, now=now())
    return jsonify(serialise.agreement_detail(agreement))


PROOF_NOTE = (
    ". Fresh proof of identity is required: `totp`, the current code from your "
    "authenticator app (each code works once: not the one used for your token), or, only "
    "when you have no two-factor sign-in, `password`. A missing or wrong proof answers 422 "
    "naming the field (the request is allowed; what was given is not right), and a wrong "
    "one counts as a failed sign-in (ten lock the account for 15 minutes). Whether you may "
    "sign at all (403) and the agreement's state (409) are decided first, so no code is "
    "spent on a request refused anyway. A signatory's current delegate may sign and "
    "decline for the agency too: the signature then names the signatory in `on_behalf_of`"
)


def _fresh_proof(asked: contract.FreshProof) -> str:
    return signing.check_fresh_proof(
        db.session,
        users.get_user(db.session, current_actor().user_id),
        totp=asked.totp,
        password=asked.password,
        now=now(),
        key=totp_key(),
    )


@api(
    bp,
    "/agreements/<int:agreement_id>/sign",
    "POST",
    "Sign for your agency; the last party's signature activates the version" + PROOF_NOTE,
    body=contract.SignInput,
    response=contract.Signature,
    status=201,
    errors=ACTION_ERRORS,
)
@signed_in()
def sign_agreement(agreement_id: int):
    signing.precheck(db.session, current_actor(), agreement_id, now=now())
    proof = _fresh_proof(parse(contract.SignInput))
    signature = signing.sign(db.session, current_actor(), agreement_id, proof=proof, now=now())
    number = get_agreement(db.session, agreement_id).latest.number
    return jsonify(serialise.signature(signature, number)), 201


@api(
    bp,
    "/agreements/<int:agreement_id>/decline",
    "POST",
    "Decline to sign, with a comment; the version returns to draft" + PROOF_NOTE,
    body=contract.DeclineInput,
    response=contract.Agreement,
    errors=ACTION_ERRORS,
)
@signed_in()
def decline_agreement(agreement_id: int):
    signing.precheck(db.session, current_actor(), agreement_id, now=now())
    asked = parse(contract.DeclineInput)
    proof = _fresh_proof(asked)
    signing.decline(
        db.session, current_actor(), agreement_id, asked.comment, proof=proof, now=now()
    )
    return jsonify(serialise.agreement_detail(get_agreement(db.session, agreement_id)))


@api(
    bp,
    "/agreements/<int:agreement_id>/amend",
    "POST",
    "Open version N+1 as a draft; version N stays in force until N+1 is signed",
    body=contract.Empty,
    response=contract.Agreement,
    status=201,
    errors=ACTION_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def amend_agreement(agreement_id: int):
    parse(contract.Empty)
    lifecycle.amend(db.session, current_actor(), agreement_id, now=now())
    return jsonify(serialise.agreement_detail(get_agreement(db.session, agreement_id))), 201


@api(
    bp,
    "/agreements/<int:agreement_id>/reviews",
    "POST",
    "Record a review: continue, amend or terminate",
    body=contract.ReviewInput,
    response=contract.Review,
    status=201,
    errors=ACTION_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def review_agreement(agreement_id: int):
    get_agreement(db.session, agreement_id)
    asked = parse(contract.ReviewInput)
    row = lifecycle.review(
        db.session,
        current_actor(),
        agreement_id,
        outcome=asked.outcome.value,
        notes=asked.notes,
        today=today(),
        now=now(),
    )
    return jsonify(serialise.review(row)), 201


@api(
    bp,
    "/agreements/<int:agreement_id>/withdraw",
    "POST",
    "Give an agency's notice of withdrawal from a date, with its reason",
    body=contract.WithdrawInput,
    response=contract.Withdrawal,
    status=201,
    errors=ACTION_ERRORS,
)
@signed_in(Role.IG_LEAD)
def withdraw_agreement(agreement_id: int):
    get_agreement(db.session, agreement_id)
    asked = parse(contract.WithdrawInput)
    row = lifecycle.withdraw(
        db.session,
        current_actor(),
        agreement_id,
        agency_id=asked.agency_id,
        effective_on=asked.effective_on,
        reason=asked.reason,
        today=today(),
        now=now(),
    )
    given = serialise.withdrawals(get_agreement(db.session, agreement_id))
    return jsonify(next(n for n in given if n["agency_id"] == row.agency_id)), 201


@api(
    bp,
    "/agreements/<int:agreement_id>/withdrawals/<int:agency_id>",
    "DELETE",
    "Cancel an agency's notice of withdrawal before the day it takes effect (its IG lead or "
    "the administrator); on or after that day 409 notice_in_effect. Answers the agreement",
    response=contract.Agreement,
    errors=(401, 403, 404, 409),
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def cancel_withdrawal(agreement_id: int, agency_id: int):
    get_agreement(db.session, agreement_id)
    lifecycle.cancel_withdrawal(
        db.session, current_actor(), agreement_id, agency_id=agency_id, today=today(), now=now()
    )
    return jsonify(serialise.agreement_detail(get_agreement(db.session, agreement_id)))


def _status_change(agreement_id: int, action: str):
    get_agreement(db.session, agreement_id)
    reason = parse(contract.ReasonInput).reason
    getattr(lifecycle, action)(db.session, current_actor(), agreement_id, reason, now=now())
    return jsonify(serialise.agreement_detail(get_agreement(db.session, agreement_id)))


@api(
    bp,
    "/agreements/<int:agreement_id>/suspend",
    "POST",
    "Suspend (administrator)",
    body=contract.ReasonInput,
    response=contract.Agreement,
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
    body=contract.ReasonInput,
    response=contract.Agreement,
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
    body=contract.ReasonInput,
    response=contract.Agreement,
    errors=ACTION_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def terminate_agreement(agreement_id: int):
    return _status_change(agreement_id, "terminate")
