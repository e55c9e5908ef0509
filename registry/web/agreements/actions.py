"""Lifecycle actions on an agreement: each page confirms, calls one service and redirects."""

from dataclasses import replace

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ...clock import now, today
from ...domain import policy
from ...domain.dates import long_date
from ...domain.errors import Conflict, NotFound, ValidationFailed
from ...domain.vocab import Role, VersionStatus
from ...extensions import db
from ...services import agreement_lifecycle as lifecycle
from ...services import agreements as agreements_service
from ...services import signing, vocabularies
from ...services.agreement_reads import get_agreement, standing
from ..fields import attach_errors
from ..permissions import current_actor, signed_in
from ..settings import status_settings, totp_key
from . import bp
from .forms import ConfirmForm, DeclineForm, ReasonForm, ReviewForm, SignForm, WithdrawForm


def _back(agreement_id: int):
    return redirect(url_for("agreements.show_agreement", agreement_id=agreement_id))


def _conflict(agreement_id: int, exc: Conflict):
    flash(exc.message, "error")
    return _back(agreement_id)


@bp.post("/<int:agreement_id>/submit")
@signed_in(Role.ADMIN, Role.IG_LEAD)
def submit_agreement(agreement_id: int):
    if not ConfirmForm().validate_on_submit():
        return _back(agreement_id)
    try:
        agreement = lifecycle.submit(db.session, current_actor(), agreement_id, now=now())
    except ValidationFailed as exc:
        problems = "; ".join(exc.fields.values())
        flash(f"The draft cannot be submitted yet: {problems}. Edit the draft to fix it.", "error")
        return _back(agreement_id)
    except Conflict as exc:
        return _conflict(agreement_id, exc)
    flash(
        f"{agreement.reference} version {agreement.latest.number} has been sent to every "
        "party's signatories.",
        "success",
    )
    _warn_of_children(agreement, "Once signed, this version will allow less than")
    return _back(agreement_id)


def _warn_of_children(agreement, opening: str) -> None:
    """Narrowing a parent is accepted at once (a partnership must be able to stop a share
    today); say which agreements under it then go beyond it, and what they grant beyond."""
    for child, found in agreements_service.children_beyond(db.session, agreement, today()):
        flash(
            f"{opening} {child.reference}, which sits under it: {'; '.join(found)}. "
            f"{child.reference} does not cover what {agreement.reference} no longer "
            "allows; its owner should amend it.",
            "error",
        )


def _signer(agreement):
    """The signed-in user, once it is clear they may sign or decline the latest version
    (a signatory of a party, or a signatory's current delegate), and the delegation they
    act under (None for a signatory in their own right)."""
    actor = current_actor()
    delegation = signing.authority(
        db.session,
        agreement,
        actor,
        today(),
        message=f"Your agency is not a party to {agreement.reference}, or you may not sign for it",
    )
    return actor, delegation


def _answerable(agreement, actor, form) -> bool:
    """On a POST, whether the version can still be signed or declined by this agency
    (awaiting signatures, not signed by it), asked before any code is checked or spent;
    a GET shows the page, which says plainly when there is nothing to sign."""
    if not form.is_submitted():
        return True
    try:
        signing.precheck(db.session, actor, agreement.id, now=now())
    except Conflict as exc:
        flash(exc.message, "error")
        return False
    return True


def _proof(form) -> str | None:
    """The user's fresh proof (code or password), checked; None with the field's error
    attached when it is missing or wrong (the wrong one counted as a failed sign-in)."""
    try:
        return signing.check_fresh_proof(
            db.session,
            current_user,
            totp=form.code.data if "code" in form else None,
            password=form.password.data if "password" in form else None,
            now=now(),
            key=totp_key(),
        )
    except ValidationFailed as exc:
        attach_errors(form, exc.fields, {"totp": "code"})
        if "code" in form:
            form.code.data = ""  # a code is spent or wrong: never offered again
        return None


@bp.route("/<int:agreement_id>/sign", methods=["GET", "POST"])
@signed_in()
def sign_agreement(agreement_id: int):
    """A confirmation page that restates what is being signed, then the signature."""
    agreement = get_agreement(db.session, agreement_id)
    version = agreement.latest
    actor, delegation = _signer(agreement)
    form = SignForm()
    form.keep_proof(bool(current_user.totp_secret))
    if not _answerable(agreement, actor, form):
        return _back(agreement.id)
    if form.validate_on_submit() and (proof := _proof(form)):
        try:
            signing.sign(db.session, actor, agreement.id, proof=proof, now=now())
        except Conflict as exc:
            return _conflict(agreement.id, exc)
        agreement = get_agreement(db.session, agreement_id)
        done = ""
        if agreement.current is agreement.latest:
            starts = agreement.latest.effective_from
            done = (
                " It is now in force."
                if starts <= today()
                else f" Every party has signed: it comes into force on {long_date(starts)}."
            )
        behalf = f" on behalf of {delegation.principal.name}" if delegation else ""
        flash(
            f"You have signed {agreement.reference} version {version.number} for "
            f"your agency{behalf}.{done}",
            "success",
        )
        if done:
            _warn_of_children(agreement, "This version allows less than")
        return _back(agreement.id)
    # A parent narrowed since this version was submitted: say so before anyone signs.
    beyond_parent = agreements_service.beyond(
        db.session,
        agreement,
        agreements_service.parent_view(db.session, agreement.parent_id, today()),
        version,
    )
    return render_template(
        "agreements/sign.html",
        form=form,
        agreement=agreement,
        version=version,
        delegation=delegation,
        beyond_parent=beyond_parent,
        labels=vocabularies.labels(db.session),
        where=standing(agreement, today(), status_settings()),
    ), 422 if form.errors else 200


@bp.route("/<int:agreement_id>/decline", methods=["GET", "POST"])
@signed_in()
def decline_agreement(agreement_id: int):
    agreement = get_agreement(db.session, agreement_id)
    actor, delegation = _signer(agreement)
    form = DeclineForm()
    form.keep_proof(bool(current_user.totp_secret))
    if not _answerable(agreement, actor, form):
        return _back(agreement.id)
    if form.validate_on_submit() and (proof := _proof(form)):
        try:
            signing.decline(
                db.session, actor, agreement.id, form.comment.data, proof=proof, now=now()
            )
        except Conflict as exc:
            return _conflict(agreement.id, exc)
        except ValidationFailed as exc:
            attach_errors(form, exc.fields)
        else:
            flash(
                f"You declined to sign {agreement.reference}; it has gone back to draft and "
                "its owner's information governance leads have been told, with your comment.",
                "success",
            )
            return _back(agreement.id)
    return _reason_page("agreements/decline.html", form, agreement, delegation=delegation)


@bp.post("/<int:agreement_id>/amend")
@signed_in(Role.ADMIN, Role.IG_LEAD)
def amend_agreement(agreement_id: int):
    if not ConfirmForm().validate_on_submit():
        return _back(agreement_id)
    try:
        version = lifecycle.amend(db.session, current_actor(), agreement_id, now=now())
    except Conflict as exc:
        return _conflict(agreement_id, exc)
    flash(
        f"Version {version.number} opened as a draft. The version in force stays in force "
        "until every party signs the new one.",
        "success",
    )
    return redirect(url_for("agreements.edit_agreement", agreement_id=agreement_id))


@bp.route("/<int:agreement_id>/review", methods=["GET", "POST"])
@signed_in(Role.ADMIN, Role.IG_LEAD)
def review_agreement(agreement_id: int):
    agreement = get_agreement(db.session, agreement_id)
    policy.require(
        policy.may_review(current_actor(), agreement.owner_agency_id),
        f"Only the owning agency's IG lead can review {agreement.reference}",
    )
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            review = lifecycle.review(
                db.session,
                current_actor(),
                agreement.id,
                outcome=form.outcome.data,
                notes=form.notes.data,
                today=today(),
                now=now(),
            )
        except Conflict as exc:
            return _conflict(agreement.id, exc)
        except ValidationFailed as exc:
            attach_errors(form, exc.fields)
        else:
            messages = {
                "continue": "Review recorded. The next review is due on {date}.",
                "amend": "Review recorded and a new version opened for amendment.",
                "terminate": "Review recorded and the agreement terminated.",
            }
            flash(
                messages[review.outcome.value].format(date=long_date(review.new_review_date)),
                "success",
            )
            if review.outcome.value == "amend":
                return redirect(url_for("agreements.edit_agreement", agreement_id=agreement.id))
            return _back(agreement.id)
    return _reason_page("agreements/review.html", form, agreement)


@bp.route("/<int:agreement_id>/withdraw", methods=["GET", "POST"])
@signed_in(Role.IG_LEAD)
def withdraw_agreement(agreement_id: int):
    agreement = get_agreement(db.session, agreement_id)
    actor = current_actor()
    version = agreement.current or agreement.latest
    policy.require(
        policy.may_give_notice(actor, [p.agency_id for p in version.parties]),
        f"Your agency is not a party to {agreement.reference}",
    )
    try:
        lifecycle.check_not_owner(agreement, actor.agency_id)
    except Conflict as exc:
        return _conflict(agreement.id, exc)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            lifecycle.withdraw(
                db.session,
                actor,
                agreement.id,
                agency_id=actor.agency_id,
                effective_on=form.effective_on.data,
                reason=form.reason.data,
                today=today(),
                now=now(),
            )
        except Conflict as exc:
            return _conflict(agreement.id, exc)
        except ValidationFailed as exc:
            attach_errors(form, exc.fields, {"agency_id": "effective_on"})
        else:
            flash(
                f"Notice of withdrawal from {agreement.reference} recorded. Every party's "
                "information governance lead has been told.",
                "success",
            )
            return _back(agreement.id)
    elif set(form.errors) == {"reason"}:
        # The reason is missing but the date was read: say what is wrong with the date too
        # (in the past, out of range), so that one more try can put both right.
        problems = lifecycle.notice_problems(actor.agency_id, form.effective_on.data, None, today())
        del problems["reason"]  # the form's own message says it already
        if problems:
            attach_errors(form, problems, {"agency_id": "effective_on"})
    return _reason_page("agreements/withdraw.html", form, agreement)


@bp.route("/<int:agreement_id>/withdrawals/<int:agency_id>/cancel", methods=["GET", "POST"])
@signed_in(Role.ADMIN, Role.IG_LEAD)
def cancel_withdrawal(agreement_id: int, agency_id: int):
    """A confirmation page, then the notice is cancelled (before the day it takes effect)."""
    agreement = get_agreement(db.session, agreement_id)
    actor = current_actor()
    policy.require(
        lifecycle.may_cancel_notice(actor, agency_id),
        "Only the withdrawing agency's information governance lead or the administrator "
        "can cancel its notice",
    )
    notice = next((n for n in withdrawal_notices(agreement) if n.agency_id == agency_id), None)
    if notice is None:
        raise NotFound(f"That agency has given no notice of withdrawal from {agreement.reference}")
    if not notice.may_cancel:
        # In effect already (or the agreement has ended): say so, rather than offer a
        # button that can only be refused.
        flash(
            f"{notice.agency}'s notice can no longer be cancelled: it took effect on "
            f"{long_date(notice.effective_on)}"
            if notice.in_effect
            else f"{agreement.reference} has ended: its notices can no longer be cancelled",
            "error",
        )
        return _back(agreement.id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            lifecycle.cancel_withdrawal(
                db.session, actor, agreement.id, agency_id=agency_id, today=today(), now=now()
            )
        except Conflict as exc:
            return _conflict(agreement.id, exc)
        flash(
            f"The notice is cancelled: {notice.agency} stays a party to {agreement.reference}. "
            "Every party's information governance lead has been told.",
            "success",
        )
        return _back(agreement.id)
    # Cancelling may lift an ending the notice brought (fewer than two parties left).
    version = agreement.current or agreement.latest
    ends_after = lifecycle.termination_date(
        {p.agency_id for p in version.parties},
        [w for w in agreement.withdrawals if w.agency_id != agency_id],
    )
    return _reason_page(
        "agreements/cancel_withdrawal.html",
        form,
        agreement,
        notice=notice,
        ending_lifted=agreement.terminates_on if agreement.terminates_on != ends_after else None,
    )


def withdrawal_notices(agreement) -> list[lifecycle.Notice]:
    """The notices as the page shows them, each saying whether this reader may cancel it
    (its agency's IG lead or the administrator, before it takes effect, while the
    agreement has not ended)."""
    actor = current_actor()
    ended = (agreement.current or agreement.latest).status in (
        VersionStatus.TERMINATED,
        VersionStatus.SUPERSEDED,
    )
    return [
        replace(
            n,
            may_cancel=not (n.in_effect or ended)
            and lifecycle.may_cancel_notice(actor, n.agency_id),
        )
        for n in lifecycle.notices(db.session, agreement, today())
    ]


@bp.context_processor
def _notices_for_pages():
    return {"withdrawal_notices": withdrawal_notices}


def _status_action(agreement_id: int, action: str):
    agreement = get_agreement(db.session, agreement_id)
    actor = current_actor()
    allowed = (
        policy.may_suspend(actor)
        if action in ("suspend", "resume")
        else policy.may_terminate(actor, agreement.owner_agency_id)
    )
    policy.require(allowed, f"You cannot {action} {agreement.reference}")
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            getattr(lifecycle, action)(db.session, actor, agreement.id, form.reason.data, now=now())
        except Conflict as exc:
            return _conflict(agreement.id, exc)
        except ValidationFailed as exc:
            attach_errors(form, exc.fields)
        else:
            done = {"suspend": "suspended", "resume": "resumed", "terminate": "terminated"}
            flash(f"{agreement.reference} {done[action]}.", "success")
            return _back(agreement.id)
    return _reason_page("agreements/status_action.html", form, agreement, action=action)


@bp.route("/<int:agreement_id>/suspend", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def suspend_agreement(agreement_id: int):
    return _status_action(agreement_id, "suspend")


@bp.route("/<int:agreement_id>/resume", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def resume_agreement(agreement_id: int):
    return _status_action(agreement_id, "resume")


@bp.route("/<int:agreement_id>/terminate", methods=["GET", "POST"])
@signed_in(Role.ADMIN, Role.IG_LEAD)
def terminate_agreement(agreement_id: int):
    return _status_action(agreement_id, "terminate")


def _reason_page(template: str, form, agreement, **extra):
    status = 422 if form.errors else 200
    return render_template(
        template,
        form=form,
        agreement=agreement,
        where=standing(agreement, today(), status_settings()),
        **extra,
    ), status
