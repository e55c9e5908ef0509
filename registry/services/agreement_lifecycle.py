"""Moving an agreement through its lifecycle (SPEC §4): submit, amend, review, withdraw,
suspend, resume, terminate (signing and declining are in signing.py). Each is one
transaction with its audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import LONDON
from ..database import writes
from ..domain import lifecycle, policy
from ..domain.actor import Actor
from ..domain.agreements import content_sha256
from ..domain.dates import add_months, date_range_error, long_date
from ..domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..domain.fields import blank, text_error
from ..domain.vocab import ReviewOutcome, Role, VersionStatus
from ..models import (
    Agency,
    Agreement,
    AgreementVersion,
    NotificationEvent,
    Review,
    SealReason,
    User,
    Withdrawal,
)
from . import audit, lifecycle_notices, sealing
from .agencies import agency_names
from .agreement_reads import content_of, get_agreement
from .agreements import audit_view, restamp_parentage, validate_version, write_content


def version_hash(version: AgreementVersion) -> str:
    return content_sha256(
        content_of(version), reference=version.agreement.reference, version=version.number
    )


def record(
    session: Session,
    actor: Actor,
    action: str,
    agreement: Agreement,
    before: dict | None,
    after: dict | None,
    now: datetime,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"agreement.{action}",
        entity_type="agreement",
        entity_id=agreement.id,
        before=before,
        after=after,
        now=now,
    )


def load_locked(session: Session, agreement_id: int) -> Agreement:
    """The agreement, locked for this transaction: concurrent signers queue, not race."""
    return get_agreement(session, agreement_id, lock=True)


def acting_user(session: Session, actor: Actor) -> User:
    """The signed-in user behind the actor: signatures and reviews name a real person."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise Forbidden("Sign in as a registry user to do that")
    return user


def _reason(reason: str | None, what: str) -> str:
    reason = (reason or "").strip()
    if blank(reason):
        raise ValidationFailed({"reason": f"Give the reason for {what}"})
    if error := text_error(reason, "The reason", multiline=True):
        raise ValidationFailed({"reason": error})
    return reason


@writes
def submit(session: Session, actor: Actor, agreement_id: int, *, now: datetime) -> Agreement:
    """Freeze the draft's content and ask every party to sign it."""
    agreement = load_locked(session, agreement_id)
    policy.require(
        policy.may_manage_agreement(actor, agreement.tier, agreement.owner_agency_id),
        f"Only the owning agency's information governance lead can submit {agreement.reference}",
    )
    version = agreement.latest
    lifecycle.check_can_submit(version.status, agreement.reference, version.number)
    day = london_day(now)
    lifecycle.check_not_ended(agreement.reference, agreement.terminates_on, day)
    # The parent, and the parties' notices, may have changed since it was saved.
    validate_version(session, agreement, content_of(version), day)
    before = audit_view(version)
    version.content_sha256 = version_hash(version)
    version.status = VersionStatus.AWAITING_SIGNATURES
    version.submitted_at = now
    record(session, actor, "submit", agreement, before, audit_view(version), now)
    lifecycle_notices.submitted(session, actor, agreement, now=now)
    session.commit()
    return agreement


def london_day(now: datetime) -> date:
    return now.astimezone(LONDON).date()


@writes
def amend(
    session: Session, actor: Actor, agreement_id: int, *, now: datetime, _commit: bool = True
) -> AgreementVersion:
    """Open version N+1 as a draft copy of the active version N, which stays in force."""
    agreement = load_locked(session, agreement_id)
    policy.require(
        policy.may_manage_agreement(actor, agreement.tier, agreement.owner_agency_id),
        f"Only the owning agency's information governance lead can amend {agreement.reference}",
    )
    lifecycle.check_not_ended(agreement.reference, agreement.terminates_on, london_day(now))
    current = agreement.current
    open_version = agreement.open_version
    lifecycle.check_can_amend(
        current.status if current else agreement.latest.status,
        agreement.reference,
        (current or agreement.latest).number,
        open_version.number if open_version else None,
    )
    if current is None:  # check_can_amend refused already; this tells the type checker
        raise Conflict(f"{agreement.reference} has no version in force", code="wrong_state")
    # Parties whose withdrawal has taken effect are left out (not one under notice).
    withdrawn = agreement.withdrawn_by(london_day(now))
    content = content_of(current)
    content = content.__class__(
        **{
            **content.__dict__,
            "parties": tuple(p for p in content.parties if p.agency_id not in withdrawn),
        }
    )
    version = AgreementVersion(
        number=agreement.latest.number + 1, status=VersionStatus.DRAFT, created_at=now
    )
    write_content(version, content)
    agreement.versions.append(version)
    session.flush()
    record(session, actor, "amend", agreement, None, audit_view(version), now)
    if _commit:
        session.commit()
    return version


@writes
def review(
    session: Session,
    actor: Actor,
    agreement_id: int,
    *,
    outcome: str,
    notes: str | None,
    today: date,
    now: datetime,
) -> Review:
    """Record a review of the version in force: continue, amend or terminate."""
    try:
        outcome_value = ReviewOutcome(outcome)
    except ValueError:
        raise ValidationFailed({"outcome": "Choose continue, amend or terminate"}) from None
    notes = (notes or "").strip()
    if blank(notes):
        raise ValidationFailed({"notes": "Say what the review found"})
    if error := text_error(notes, "The notes", multiline=True):
        raise ValidationFailed({"notes": error})
    agreement = load_locked(session, agreement_id)
    policy.require(
        policy.may_review(actor, agreement.owner_agency_id),
        f"Only the owning agency's information governance lead can review {agreement.reference}",
    )
    lifecycle.check_not_ended(agreement.reference, agreement.terminates_on, today)
    current = agreement.current
    if current is None:
        raise Conflict(
            f"{agreement.reference} has no version in force to review", code="wrong_state"
        )
    lifecycle.check_can_review(current.status, agreement.reference, current.number)
    user = acting_user(session, actor)
    row = Review(
        agreement_id=agreement.id,
        version_number=current.number,
        outcome=outcome_value,
        notes=notes,
        reviewed_on=today,
        previous_review_date=current.review_date,
        new_review_date=None,
        reviewer_id=user.id,
        reviewer_name=user.name,
        recorded_at=now,
    )
    job = None
    if outcome_value is ReviewOutcome.CONTINUE:
        new_date = add_months(today, current.review_period_months)
        if new_date <= current.effective_from:
            new_date = add_months(current.effective_from, current.review_period_months)
        row.new_review_date = current.review_date = new_date
        # The review date is printed on every page: re-issue the sealed PDF, in the
        # background (the earlier one stays downloadable).
        job = sealing.enqueue(session, agreement, current, SealReason.REVIEW, now=now)
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "review",
        agreement,
        {"review_date": row.previous_review_date.isoformat()},
        {
            "outcome": outcome_value.value,
            "notes": notes,
            "version": current.number,
            "review_date": current.review_date.isoformat(),
            **({"seal_job": job.id} if job else {}),
        },
        now,
    )
    if outcome_value is ReviewOutcome.AMEND:
        amend(session, actor, agreement.id, now=now, _commit=False)
    elif outcome_value is ReviewOutcome.TERMINATE:
        parties = lifecycle_notices.party_ids(agreement)
        reason = f"Review on {long_date(today)}: {notes}"
        _terminate(session, actor, agreement, reason, now)
        lifecycle_notices.status_changed(
            session, actor, agreement, parties, NotificationEvent.TERMINATED, reason=reason, now=now
        )
    session.commit()
    return row


def termination_date(parties: set[int], withdrawals: list[Withdrawal]) -> date | None:
    """The day on which withdrawals leave fewer than two of `parties`, or None."""
    remaining = set(parties)
    for w in sorted(withdrawals, key=lambda w: w.effective_on):
        remaining.discard(w.agency_id)
        if len(remaining) < 2:
            return w.effective_on
    return None


def _reseal(session: Session, agreement: Agreement, now: datetime) -> int | None:
    """A notice (or its cancellation) is printed on the PDF's evidence page: the version in
    force gets a fresh sealed copy that shows it, made in the background."""
    current = agreement.current
    if current is None:
        return None
    job = sealing.enqueue(session, agreement, current, SealReason.WITHDRAWAL, now=now)
    return job.id if job else None


def notice_view(row: Withdrawal) -> dict:
    """A notice as the audit trail keeps it."""
    return {
        "agency_id": row.agency_id,
        "effective_on": row.effective_on.isoformat(),
        "reason": row.reason,
        "given_by_id": row.given_by_id,
        "given_at": row.given_at.isoformat(),
    }


def notice_problems(
    agency_id: int | None, effective_on: date | None, reason: str | None, today: date
) -> dict[str, str]:
    """What is wrong with a notice as given, by field (all at once: a form shows them
    together)."""
    fields = {}
    if agency_id is None:
        fields["agency_id"] = "Choose the agency that is withdrawing"
    if effective_on is None:
        fields["effective_on"] = "Enter the date the withdrawal takes effect"
    elif error := date_range_error(effective_on, "The date the withdrawal takes effect"):
        fields["effective_on"] = error
    elif effective_on < today:
        fields["effective_on"] = f"The date must be today ({long_date(today)}) or later"
    try:
        _reason(reason, "withdrawing")
    except ValidationFailed as exc:
        fields.update(exc.fields)
    return fields


def check_not_owner(agreement: Agreement, agency_id: int | None) -> None:
    """The owning agency cannot give notice on its own agreement. Its IG lead manages the
    agreement (amends, reviews, terminates it) and must stay one of its parties: an owner
    that had left would be taken out of every amendment, which it could then not save,
    and nobody else could keep the agreement up to date."""
    if agency_id is None or agency_id != agreement.owner_agency_id:
        return
    owns = f"{agreement.owner.name} owns {agreement.reference}, so it cannot withdraw from it."
    if agreement.tier == 1:
        # Terminating a protocol takes every agreement under it out of force: not advice
        # to give for one agency's leaving.
        raise Conflict(
            f"{owns} Every agreement under this protocol depends on it, so terminating it "
            "would end them too, and the registry cannot yet hand a protocol to another "
            "owner: speak to the registry's administrator.",
            code="owner_cannot_withdraw",
        )
    raise Conflict(
        f"{owns} To end it, terminate it instead (every party is told); another party can "
        "then draft a replacement.",
        code="owner_cannot_withdraw",
    )


@writes
def withdraw(
    session: Session,
    actor: Actor,
    agreement_id: int,
    *,
    agency_id: int | None,
    effective_on: date | None,
    reason: str | None,
    today: date,
    now: datetime,
) -> Withdrawal:
    """A party gives notice, with its reason; from `effective_on` it is not covered. Fewer
    than two parties left: the agreement terminates (now, or on that date). Every party's
    IG leads are told, and the version in force is sealed afresh to show the notice."""
    fields = notice_problems(agency_id, effective_on, reason, today)
    if fields or agency_id is None or effective_on is None or reason is None:
        raise ValidationFailed(fields)
    reason = reason.strip()
    agreement = load_locked(session, agreement_id)
    policy.require(
        policy.may_withdraw(actor, agency_id),
        "Only the agency's own information governance lead can give its notice",
    )
    version = agreement.current or agreement.latest
    parties = {p.agency_id for p in version.parties}
    if agency_id not in parties:
        raise ValidationFailed(
            {"agency_id": f"That agency is not a party to {agreement.reference}"}
        )
    check_not_owner(agreement, agency_id)
    if any(w.agency_id == agency_id for w in agreement.withdrawals):
        raise Conflict(
            f"That agency has already given notice on {agreement.reference}",
            code="already_withdrawn",
        )
    if version.status in (VersionStatus.TERMINATED, VersionStatus.SUPERSEDED):
        raise Conflict(f"{agreement.reference} has ended", code="wrong_state")
    lifecycle.check_not_ended(agreement.reference, agreement.terminates_on, today)
    if agreement.current is None:
        raise Conflict(
            f"{agreement.reference} has never been in force, so there is nothing to withdraw "
            "from: a party that does not want it declines to sign it, and its owner can take "
            "a party out of the draft",
            code="wrong_state",
        )
    told = lifecycle_notices.party_ids(agreement)
    row = Withdrawal(
        agreement_id=agreement.id,
        agency_id=agency_id,
        effective_on=effective_on,
        reason=reason,
        given_by_id=acting_user(session, actor).id,
        given_at=now,
    )
    session.add(row)
    agreement.withdrawals.append(row)
    session.flush()
    ends = termination_date(parties, agreement.withdrawals)
    job = None if ends is not None and ends <= today else _reseal(session, agreement, now)
    record(
        session,
        actor,
        "withdraw",
        agreement,
        None,
        {
            "agency_id": agency_id,
            "effective_on": effective_on.isoformat(),
            "reason": reason,
            **({"seal_job": job} if job else {}),
        },
        now,
    )
    if ends is not None and ends <= today:
        _terminate(session, actor, agreement, "Fewer than two parties remain", now)
    elif ends is not None:
        agreement.terminates_on = ends
        record(
            session,
            actor,
            "schedule_termination",
            agreement,
            None,
            {"terminates_on": ends.isoformat()},
            now,
        )
    # Its children may name a party it has lost (a notice that takes effect today).
    withdrawing = session.get_one(Agency, agency_id)
    restamp_parentage(
        session, agreement, today, now=now, cause=f"{withdrawing.name} has withdrawn from it"
    )
    lifecycle_notices.withdrawal_given(
        session,
        actor,
        agreement,
        told,
        agency=withdrawing,
        effective_on=effective_on,
        reason=reason,
        today=today,
        terminates_on=ends,
        now=now,
    )
    session.commit()
    return row


@dataclass(frozen=True)
class Notice:
    """A notice of withdrawal as the partners read it: who withdraws, from when, why, who
    gave notice and when; `may_cancel` is the reader's, set by the page that shows it."""

    agency_id: int
    agency: str
    effective_on: date
    reason: str
    given_by: str
    given_at: datetime
    in_effect: bool
    may_cancel: bool = False


def notices(session: Session, agreement: Agreement, today: date | None) -> list[Notice]:
    """The agreement's notices of withdrawal, soonest first (two small look-ups, and none
    when it has no notice); `in_effect` as of `today` (never, without one: the PDF)."""
    rows = sorted(agreement.withdrawals, key=lambda w: (w.effective_on, w.id))
    if not rows:
        return []
    names = agency_names(session, [w.agency_id for w in rows])
    ids = sorted({w.given_by_id for w in rows})
    givers = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    return [
        Notice(
            agency_id=w.agency_id,
            agency=names.get(w.agency_id, ""),
            effective_on=w.effective_on,
            reason=w.reason,
            given_by=givers.get(w.given_by_id, ""),
            given_at=w.given_at,
            in_effect=today is not None and w.effective_on <= today,
        )
        for w in rows
    ]


def may_cancel_notice(actor: Actor, agency_id: int) -> bool:
    """The withdrawing agency's own IG lead, or the administrator, may cancel its notice."""
    return actor.has(Role.ADMIN) or policy.may_withdraw(actor, agency_id)


@writes
def cancel_withdrawal(
    session: Session,
    actor: Actor,
    agreement_id: int,
    *,
    agency_id: int,
    today: date,
    now: datetime,
) -> Agreement:
    """Cancel a notice before the day it takes effect: the agency stays a party as if it
    had never given it (the row goes; the audit trail keeps the notice and who cancelled
    it), and it may give notice again later. On or after that day: Conflict."""
    agreement = load_locked(session, agreement_id)
    policy.require(
        may_cancel_notice(actor, agency_id),
        "Only the withdrawing agency's information governance lead or the administrator "
        "can cancel its notice",
    )
    row = next((w for w in agreement.withdrawals if w.agency_id == agency_id), None)
    if row is None:
        raise NotFound(
            f"That agency has given no notice of withdrawal from {agreement.reference}",
            code="no_notice",
        )
    if row.effective_on <= today:
        raise Conflict(
            f"The notice took effect on {long_date(row.effective_on)}, so it can no longer be "
            "cancelled. To share with the agency again, draft a new agreement with it.",
            code="notice_in_effect",
        )
    version = agreement.current or agreement.latest
    if version.status in (VersionStatus.TERMINATED, VersionStatus.SUPERSEDED):
        raise Conflict(f"{agreement.reference} has ended", code="wrong_state")
    told = lifecycle_notices.party_ids(agreement)
    before = notice_view(row)
    effective_on, reason = row.effective_on, row.reason
    agreement.withdrawals.remove(row)
    session.delete(row)
    session.flush()
    parties = {p.agency_id for p in version.parties}
    was_ending = agreement.terminates_on
    agreement.terminates_on = termination_date(parties, agreement.withdrawals)
    job = _reseal(session, agreement, now)
    record(
        session,
        actor,
        "withdrawal_cancelled",
        agreement,
        before,
        {
            "agency_id": agency_id,
            "cancelled_by_id": actor.user_id,
            "terminates_on": agreement.terminates_on.isoformat()
            if agreement.terminates_on
            else None,
            **({"seal_job": job} if job else {}),
        },
        now,
    )
    restamp_parentage(session, agreement, today, now=now)
    lifecycle_notices.withdrawal_cancelled(
        session,
        actor,
        agreement,
        told,
        agency=session.get_one(Agency, agency_id),
        effective_on=effective_on,
        reason=reason,
        today=today,
        termination_cancelled=was_ending if was_ending != agreement.terminates_on else None,
        now=now,
    )
    session.commit()
    return agreement


@writes
def suspend(
    session: Session, actor: Actor, agreement_id: int, reason: str | None, *, now: datetime
) -> Agreement:
    reason = _reason(reason, "suspending the agreement")
    agreement = load_locked(session, agreement_id)
    policy.require(policy.may_suspend(actor), "Only the administrator can suspend an agreement")
    version = agreement.current or agreement.latest
    lifecycle.check_can_suspend(version.status, agreement.reference, version.number)
    lifecycle.check_not_ended(agreement.reference, agreement.terminates_on, london_day(now))
    version.status, version.status_reason = VersionStatus.SUSPENDED, reason
    record(
        session,
        actor,
        "suspend",
        agreement,
        {"status": "active"},
        {"status": "suspended", "reason": reason},
        now,
    )
    lifecycle_notices.status_changed(
        session,
        actor,
        agreement,
        lifecycle_notices.party_ids(agreement),
        NotificationEvent.SUSPENDED,
        reason=reason,
        now=now,
    )
    session.commit()
    return agreement


@writes
def resume(
    session: Session, actor: Actor, agreement_id: int, reason: str | None, *, now: datetime
) -> Agreement:
    reason = _reason(reason, "resuming the agreement")
    agreement = load_locked(session, agreement_id)
    policy.require(policy.may_suspend(actor), "Only the administrator can resume an agreement")
    version = agreement.current or agreement.latest
    lifecycle.check_can_resume(version.status, agreement.reference, version.number)
    lifecycle.check_not_ended(agreement.reference, agreement.terminates_on, london_day(now))
    version.status, version.status_reason = VersionStatus.ACTIVE, reason
    record(
        session,
        actor,
        "resume",
        agreement,
        {"status": "suspended"},
        {"status": "active", "reason": reason},
        now,
    )
    lifecycle_notices.status_changed(
        session,
        actor,
        agreement,
        lifecycle_notices.party_ids(agreement),
        NotificationEvent.RESUMED,
        reason=reason,
        now=now,
    )
    session.commit()
    return agreement


@writes
def terminate(
    session: Session, actor: Actor, agreement_id: int, reason: str | None, *, now: datetime
) -> Agreement:
    reason = _reason(reason, "terminating the agreement")
    agreement = load_locked(session, agreement_id)
    policy.require(
        policy.may_terminate(actor, agreement.owner_agency_id),
        f"Only the owning agency's information governance lead or the "
        f"administrator can terminate {agreement.reference}",
    )
    version = agreement.current or agreement.latest
    lifecycle.check_can_terminate(version.status, agreement.reference, version.number)
    parties = lifecycle_notices.party_ids(agreement)
    _terminate(session, actor, agreement, reason, now)
    lifecycle_notices.status_changed(
        session, actor, agreement, parties, NotificationEvent.TERMINATED, reason=reason, now=now
    )
    session.commit()
    return agreement


def _terminate(
    session: Session, actor: Actor, agreement: Agreement, reason: str, now: datetime
) -> None:
    """End every live version: the one in force and any open amendment."""
    ended = []
    for version in agreement.versions:
        if version.status in (
            VersionStatus.ACTIVE,
            VersionStatus.SUSPENDED,
            VersionStatus.DRAFT,
            VersionStatus.AWAITING_SIGNATURES,
        ):
            if version.content_sha256 is None:
                version.content_sha256 = version_hash(version)
            version.status, version.status_reason = VersionStatus.TERMINATED, reason
            ended.append(version.number)
    record(session, actor, "terminate", agreement, None, {"versions": ended, "reason": reason}, now)
    restamp_parentage(session, agreement, london_day(now), now=now)
