"""Signing and declining a version awaiting signatures (SPEC §4); the last party's
signature makes the version active and has its PDF sealed.

Both need fresh proof of identity on the confirmation (issue 18): the user's current
two-factor code, or their password when they have no two-factor sign-in. The proof is
checked first (`check_fresh_proof`, for the web pages and the API alike) and the kind
given is stored with the signature or decline. A current delegate (services/
delegations.py) signs and declines for its agency on the signatory's behalf."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..database import writes
from ..domain import lifecycle, policy
from ..domain.actor import Actor
from ..domain.dates import long_date
from ..domain.errors import Conflict, ValidationFailed
from ..domain.fields import blank, text_error
from ..domain.vocab import Role, VersionStatus
from ..models import (
    Agreement,
    AgreementVersion,
    Decline,
    Delegation,
    Notification,
    NotificationEvent,
    Review,
    SealReason,
    Signature,
    User,
)
from . import delegations, sealing, two_factor, users
from .agreement_lifecycle import (
    acting_user,
    load_locked,
    london_day,
    record,
    termination_date,
    version_hash,
)
from .agreement_reads import get_agreement
from .agreements import audit_view, restamp_parentage
from .notifications import ig_leads, notify

TWO_FACTOR = "two_factor"
PASSWORD = "password"
PROOFS = (TWO_FACTOR, PASSWORD)
# How the pages, the API and the PDF's evidence page say what was given.
PROOF_WORDS = {
    TWO_FACTOR: "confirmed with a two-factor code",
    PASSWORD: "confirmed with their password",
}


def proof_field(user: User) -> str:
    """Which proof this user gives: `totp` (a code) once they have two-factor sign-in,
    else `password`."""
    return "totp" if user.totp_secret else "password"


def check_fresh_proof(
    session: Session,
    user: User,
    *,
    totp: str | None,
    password: str | None,
    now: datetime,
    key: bytes,
) -> str:
    """The user's fresh proof of identity for signing or declining: their current
    two-factor code (each code is taken once, so not the one they signed in with), or,
    when they have no two-factor sign-in, their password. Answers the kind given
    (TWO_FACTOR or PASSWORD); a missing one raises ValidationFailed naming the field
    (`totp` or `password`), and a wrong one also counts as a failed sign-in, which locks
    the account at the tenth. Runs in its own transaction, before the signing."""
    field = proof_field(user)
    if users.is_locked(user, now):
        raise ValidationFailed(
            {
                field: "Your account is locked for 15 minutes after too many wrong codes or "
                "passwords. Try again later, or ask your registry administrator"
            }
        )
    if field == "totp":
        if error := two_factor.code_error(totp):
            raise ValidationFailed({field: error})
        if not users.second_factor_ok(session, user, totp, now=now, key=key):
            raise ValidationFailed(
                {
                    field: "That code is not right, or was used already: each code works "
                    "once, so not the one you signed in with. Wait for the next code in "
                    "your authenticator app and enter it"
                }
            )
        return TWO_FACTOR
    if not password:
        raise ValidationFailed({field: "Enter your password"})
    if not users.check_password(user, password):
        users.record_failure(session, user, now=now)
        raise ValidationFailed({field: "Your password is not right"})
    return PASSWORD


def authority(
    session: Session, agreement: Agreement, actor: Actor, day: date, *, message: str | None = None
) -> Delegation | None:
    """Forbidden unless the actor may sign or decline the latest version for its agency
    on `day`: a signatory of a party, or a signatory's current delegate. Answers the
    delegation the actor acts under (None for a signatory in its own right)."""
    version = agreement.latest
    delegation = (
        None
        if actor.has(Role.SIGNATORY)
        else delegations.current_for(session, actor.user_id, actor.agency_id, day)
    )
    policy.require(
        policy.may_sign_for(
            actor,
            [p.agency_id for p in version.parties],
            [delegation.agency_id] if delegation else [],
        ),
        message
        or f"Only a signatory of a party agency, or a signatory's current delegate, can sign "
        f"or decline {agreement.reference} version {version.number}",
    )
    return delegation


def _awaiting(
    session: Session, agreement: Agreement, actor: Actor, day: date
) -> tuple[AgreementVersion, Delegation | None]:
    """The version to sign, and the delegation the actor signs under (None when it is a
    signatory in its own right)."""
    version = agreement.latest
    delegation = authority(session, agreement, actor, day)
    # Who may sign is decided first (403), then the state (409): someone who could never
    # sign learns nothing of the agreement's state.
    lifecycle.check_can_sign(version.status, agreement.reference, version.number)
    lifecycle.check_not_ended(agreement.reference, agreement.terminates_on, day)
    return version, delegation


def precheck(session: Session, actor: Actor, agreement_id: int, *, now: datetime) -> None:
    """Whether the actor could sign or decline now (Forbidden or Conflict if not), without
    changing anything: asked before the proof, so that no code is spent, and no wrong one
    counted, on a request refused anyway."""
    agreement = get_agreement(session, agreement_id)
    version, _ = _awaiting(session, agreement, actor, london_day(now))
    _not_signed_yet(agreement, version, actor.agency_id)


def _not_signed_yet(agreement: Agreement, version: AgreementVersion, agency_id: int | None) -> None:
    """A party that has signed this content neither signs again nor declines it: its
    signature stands (and counts) until the content changes."""
    existing = version.signature_for(agency_id) if agency_id is not None else None
    if existing is not None:
        raise Conflict(
            f"{existing.agency_name} has already signed {agreement.reference} "
            f"version {version.number}",
            code="already_signed",
        )


def _check_proof(proof: str) -> None:
    if proof not in PROOFS:
        raise ValueError(f"proof must be one of {PROOFS}, not {proof!r}")


@writes
def sign(
    session: Session, actor: Actor, agreement_id: int, *, proof: str, now: datetime
) -> Signature:
    """The actor signs for its agency, having given `proof` (TWO_FACTOR or PASSWORD, from
    check_fresh_proof); the last party's signature makes the version active."""
    _check_proof(proof)
    agreement = load_locked(session, agreement_id)
    version, delegation = _awaiting(session, agreement, actor, london_day(now))
    user = acting_user(session, actor)
    agency_id = user.agency_id
    _not_signed_yet(agreement, version, agency_id)
    if version_hash(version) != version.content_sha256:
        raise Conflict(
            f"{agreement.reference} version {version.number} no longer matches "
            "the content submitted for signature",
            code="content_changed",
        )
    party = next(p for p in version.parties if p.agency_id == agency_id)
    signature = Signature(
        version_id=version.id,
        agency_id=party.agency_id,
        user_id=user.id,
        signatory_name=user.name,
        job_title=user.job_title or "",
        agency_name=party.agency.name,
        content_sha256=version.content_sha256,
        signed_at=now,
        proof=proof,
    )
    if delegation is not None:
        principal = delegation.principal
        signature.on_behalf_of_user_id = principal.id
        signature.on_behalf_of_name = principal.name
        signature.on_behalf_of_job_title = principal.job_title or ""
        signature.delegation_id = delegation.id
    session.add(signature)
    version.signatures.append(signature)
    session.flush()
    record(
        session,
        actor,
        "sign",
        agreement,
        None,
        {
            "version": version.number,
            "agency_id": party.agency_id,
            "content_sha256": version.content_sha256,
            "proof": proof,
            **({"on_behalf_of_user_id": signature.on_behalf_of_user_id} if delegation else {}),
            **({"delegation_id": delegation.id} if delegation else {}),
        },
        now,
    )
    _request_answered(session, agreement, agency_id, now)
    if version.all_signed():
        _activate(session, actor, agreement, version, now)
    session.commit()
    return signature


def _request_answered(
    session: Session, agreement: Agreement, agency_id: int | None, now: datetime
) -> None:
    """Once an agency has signed, the requests to sign that its users were sent are done
    with: marked read, so no one's home page still asks them to sign. `agency_id` None:
    everyone's (a decline sent the version back to draft)."""
    answered = select(User.id)
    if agency_id is not None:
        answered = answered.where(User.agency_id == agency_id)
    session.execute(
        update(Notification)
        .where(
            Notification.agreement_id == agreement.id,
            Notification.event == NotificationEvent.SUBMITTED,
            Notification.read_at.is_(None),
            Notification.user_id.in_(answered),
        )
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )


def _activate(
    session: Session, actor: Actor, agreement: Agreement, version: AgreementVersion, now: datetime
) -> None:
    previous = agreement.current
    if previous is not None and previous is not version:
        if _reviewed_since(session, agreement, version) and previous.review_date > (
            version.review_date
        ):
            # A review recorded while this amendment was open is never undone by it
            # (SPEC section 4): the later of the two review dates stands.
            version.review_date = previous.review_date
        previous.status = VersionStatus.SUPERSEDED
        record(
            session,
            actor,
            "supersede",
            agreement,
            {"version": previous.number},
            {"version": previous.number, "status": "superseded"},
            now,
        )
        session.flush()  # one current version at a time (a partial unique index holds it)
    version.status = VersionStatus.ACTIVE
    version.activated_at = now
    # Notices count against the parties the new version names: one that adds a party may
    # lift an end the notices had scheduled, one that takes a party out may bring one.
    was_ending = agreement.terminates_on
    agreement.terminates_on = termination_date(
        {p.agency_id for p in version.parties}, agreement.withdrawals
    )
    ending = (
        {"terminates_on": agreement.terminates_on and agreement.terminates_on.isoformat()}
        if agreement.terminates_on != was_ending
        else {}
    )
    restamp_parentage(session, agreement, london_day(now))
    # Sealed in the background (services/sealing.py): the signer does not wait for it.
    # The job is named here; its completion is recorded as agreement.seal, with the
    # sealed PDF's SHA-256.
    job = sealing.enqueue(session, agreement, version, SealReason.ACTIVATION, now=now)
    record(
        session,
        actor,
        "activate",
        agreement,
        None,
        {
            "version": version.number,
            "status": "active",
            "seal_job": job.id if job else None,
            **ending,
        },
        now,
    )
    _tell_activated(session, agreement, version, now)


def _tell_activated(
    session: Session, agreement: Agreement, version: AgreementVersion, now: datetime
) -> None:
    """Every party's IG leads learn that the version is in force, with its sealed PDF."""
    names = ", ".join(p.agency.name for p in version.parties)
    replaces = (
        f" It replaces version {version.number - 1}, which is now superseded."
        if version.number > 1
        else ""
    )
    pdf = f"/agreements/{agreement.id}/pdf?version={version.number}"
    notify(
        session,
        NotificationEvent.ACTIVATED,
        ig_leads(session, [p.agency_id for p in version.parties]),
        subject=(
            f"{agreement.reference} {version.title} (version {version.number}) is now active"
            if version.effective_from <= london_day(now)
            else f"{agreement.reference} {version.title} (version {version.number}) is signed: "
            f"in force from {long_date(version.effective_from)}"
        ),
        body=(
            f"Every party has signed version {version.number} of {agreement.reference} "
            f"“{version.title}”, so it is now active.{replaces} It comes into force on "
            f"{long_date(version.effective_from)} and is due for review by "
            f"{long_date(version.review_date)}.\n\n"
            f"Parties: {names}.\n\n"
            "The link below opens the sealed PDF of the signed agreement (it is sealed "
            "within a few minutes of the last signature). Keep a copy with your agency's "
            "records and make sure the people who share under it know it applies."
        ),
        now=now,
        link=pdf,
        agreement_id=agreement.id,
    )


def _reviewed_since(session: Session, agreement: Agreement, version: AgreementVersion) -> bool:
    """Whether a review that moved the review date was recorded after `version` was
    opened."""
    found = session.scalar(
        select(Review.id)
        .where(
            Review.agreement_id == agreement.id,
            Review.new_review_date.is_not(None),
            Review.recorded_at >= version.created_at,
        )
        .limit(1)
    )
    return found is not None


@writes
def decline(
    session: Session,
    actor: Actor,
    agreement_id: int,
    comment: str | None,
    *,
    proof: str,
    now: datetime,
) -> Decline:
    """A party's signatory (or its current delegate) refuses to sign, having given `proof`;
    the version goes back to draft with the comment, and the owner's IG leads are told."""
    _check_proof(proof)
    comment = (comment or "").strip()
    if blank(comment):
        raise ValidationFailed({"comment": "Say why you are declining to sign"})
    if error := text_error(comment, "The comment", multiline=True):
        raise ValidationFailed({"comment": error})
    agreement = load_locked(session, agreement_id)
    version, delegation = _awaiting(session, agreement, actor, london_day(now))
    user = acting_user(session, actor)
    _not_signed_yet(agreement, version, user.agency_id)
    row = Decline(
        version_id=version.id,
        agency_id=user.agency_id,
        user_id=user.id,
        signatory_name=user.name,
        comment=comment,
        declined_at=now,
        proof=proof,
    )
    if delegation is not None:
        row.on_behalf_of_user_id = delegation.principal.id
        row.on_behalf_of_name = delegation.principal.name
    session.add(row)
    before = audit_view(version)
    version.status = VersionStatus.DRAFT
    record(
        session,
        actor,
        "decline",
        agreement,
        before,
        {**audit_view(version), "comment": comment, "proof": proof},
        now,
    )
    _tell_declined(session, agreement, version, row, user)
    _request_answered(session, agreement, None, now)  # back to draft: none can sign it now
    session.commit()
    return row


def _tell_declined(
    session: Session, agreement: Agreement, version: AgreementVersion, row: Decline, user: User
) -> None:
    """The owner's IG leads learn who declined, for which agency, and why."""
    agency = user.agency.name if user.agency else "a party"
    who = user.name + (f", {user.job_title}," if user.job_title else "")
    behalf = f" on behalf of {row.on_behalf_of_name}" if row.on_behalf_of_name else ""
    notify(
        session,
        NotificationEvent.DECLINED,
        ig_leads(session, [agreement.owner_agency_id]),
        subject=f"{agency} declined to sign {agreement.reference} {version.title}",
        body=(
            f"{who} declined to sign version {version.number} of {agreement.reference} "
            f"“{version.title}” for {agency}{behalf}.\n\n"
            f"Their comment: “{row.comment}”\n\n"
            f"Version {version.number} has gone back to draft. Open the agreement, change "
            "what is needed (or talk to them first), and submit it again: every party will "
            "need to sign the changed version."
        ),
        now=row.declined_at,
        link=f"/agreements/{agreement.id}",
        agreement_id=agreement.id,
    )
