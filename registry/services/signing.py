"""Signing and declining a version awaiting signatures (SPEC §4); the last party's
signature makes the version active and has its PDF sealed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..database import writes
from ..domain import lifecycle, policy
from ..domain.actor import Actor
from ..domain.errors import Conflict, ValidationFailed
from ..domain.fields import blank, text_error
from ..domain.vocab import VersionStatus
from ..models import Agreement, AgreementVersion, Decline, Review, SealReason, Signature
from . import sealing
from .agreement_lifecycle import acting_user, load_locked, london_day, record, version_hash
from .agreements import audit_view, restamp_parentage


def _awaiting(agreement: Agreement, actor: Actor) -> AgreementVersion:
    version = agreement.latest
    lifecycle.check_can_sign(version.status, agreement.reference, version.number)
    policy.require(
        policy.may_sign_for(actor, [p.agency_id for p in version.parties]),
        f"Only a signatory of a party agency can sign or decline "
        f"{agreement.reference} version {version.number}",
    )
    return version


@writes
def sign(session: Session, actor: Actor, agreement_id: int, *, now: datetime) -> Signature:
    """The actor signs for its agency; the last party's signature makes the version active."""
    agreement = load_locked(session, agreement_id)
    version = _awaiting(agreement, actor)
    user = acting_user(session, actor)
    agency_id = user.agency_id
    existing = version.signature_for(agency_id) if agency_id is not None else None
    if existing is not None:
        raise Conflict(
            f"{existing.agency_name} has already signed {agreement.reference} "
            f"version {version.number}",
            code="already_signed",
        )
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
    )
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
        },
        now,
    )
    if version.all_signed():
        _activate(session, actor, agreement, version, now)
    session.commit()
    return signature


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
        {"version": version.number, "status": "active", "seal_job": job.id if job else None},
        now,
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
    session: Session, actor: Actor, agreement_id: int, comment: str | None, *, now: datetime
) -> Decline:
    """A party's signatory refuses to sign; the version goes back to draft with the comment."""
    comment = (comment or "").strip()
    if blank(comment):
        raise ValidationFailed({"comment": "Say why you are declining to sign"})
    if error := text_error(comment, "The comment", multiline=True):
        raise ValidationFailed({"comment": error})
    agreement = load_locked(session, agreement_id)
    version = _awaiting(agreement, actor)
    user = acting_user(session, actor)
    row = Decline(
        version_id=version.id,
        agency_id=user.agency_id,
        user_id=user.id,
        signatory_name=user.name,
        comment=comment,
        declined_at=now,
    )
    session.add(row)
    before = audit_view(version)
    version.status = VersionStatus.DRAFT
    record(
        session,
        actor,
        "decline",
        agreement,
        before,
        {**audit_view(version), "comment": comment},
        now,
    )
    session.commit()
    return row
