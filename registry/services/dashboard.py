"""What each role sees first on the home page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..domain.actor import Actor
from ..domain.lifecycle import StatusSettings
from ..domain.vocab import EffectiveStatus, OfficerRole, Role, VersionStatus
from ..models import Agency, Agreement, AgreementVersion, DecisionRecord, Officer
from .agencies import officer_gaps
from .agreement_reads import Standing, party_to, standing

WATCHED_OFFICERS = (
    OfficerRole.LEAD_INFORMATION_OFFICER,
    OfficerRole.CALDICOTT_GUARDIAN,
    OfficerRole.SIRO,
    OfficerRole.DPO,
)
OFFICER_CHANGE_WINDOW = timedelta(days=90)


@dataclass
class Dashboard:
    agreements: list[tuple[Agreement, Standing]] = field(default_factory=list)
    reviews: list[tuple[Agreement, Standing]] = field(default_factory=list)
    # the agency's own agreements that grant more than their parent now allows
    beyond_parent: list[tuple[Agreement, Standing]] = field(default_factory=list)
    # (agreement, version awaiting signatures, parties whose signature binds its content)
    awaiting: list[tuple[Agreement, AgreementVersion, int]] = field(default_factory=list)
    to_sign: list[tuple[Agreement, AgreementVersion]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    my_decisions: list[DecisionRecord] = field(default_factory=list)
    officer_changes: list[Officer] = field(default_factory=list)


def _agency_agreements(session: Session, agency_id: int) -> list[Agreement]:
    """The agency's agreements with the versions, parties and signatures the board looks
    at, in three queries rather than a few per agreement."""
    versions = selectinload(Agreement.versions)
    return list(
        session.scalars(
            select(Agreement)
            .where(party_to(agency_id))
            .order_by(Agreement.reference)
            .options(
                versions.selectinload(AgreementVersion.parties),
                versions.selectinload(AgreementVersion.signatures),
            )
        )
    )


def build(session: Session, actor: Actor, *, today: date, settings: StatusSettings) -> Dashboard:
    board = Dashboard()
    if actor.agency_id is None:
        return board
    if actor.has(Role.PRACTITIONER):
        board.my_decisions = list(
            session.scalars(
                select(DecisionRecord)
                .where(DecisionRecord.user_id == actor.user_id)
                .order_by(DecisionRecord.sequence.desc())
                .limit(5)
            )
        )
    agreements = _agency_agreements(session, actor.agency_id)
    for agreement in agreements:
        where = standing(agreement, today, settings)
        board.agreements.append((agreement, where))
        latest = agreement.latest
        if latest.status == VersionStatus.AWAITING_SIGNATURES:
            if (
                actor.has(Role.SIGNATORY)
                and any(p.agency_id == actor.agency_id for p in latest.parties)
                and not latest.signature_for(actor.agency_id)
            ):
                board.to_sign.append((agreement, latest))
            if agreement.owner_agency_id == actor.agency_id:
                signed = sum(1 for p in latest.parties if latest.signature_for(p.agency_id))
                board.awaiting.append((agreement, latest, signed))
        if agreement.owner_agency_id == actor.agency_id and where.status in (
            EffectiveStatus.REVIEW_DUE,
            EffectiveStatus.REVIEW_OVERDUE,
            EffectiveStatus.LAPSED,
        ):
            board.reviews.append((agreement, where))
        if agreement.owner_agency_id == actor.agency_id and agreement.exceeds_parent:
            board.beyond_parent.append((agreement, where))
    if actor.has(Role.IG_LEAD):
        agency = session.get(Agency, actor.agency_id)
        board.gaps = officer_gaps(agency) if agency is not None else []
        board.officer_changes = _partner_officer_changes(
            session, actor.agency_id, agreements, today
        )
    return board


def _partner_officer_changes(
    session: Session, agency_id: int, agreements: list[Agreement], today: date
) -> list[Officer]:
    """Recent changes of key officers at agencies we share agreements with."""
    partners = {p.agency_id for a in agreements for p in (a.current or a.latest).parties}
    partners.discard(agency_id)
    if not partners:
        return []
    since = today - OFFICER_CHANGE_WINDOW
    return list(
        session.scalars(
            select(Officer)
            .where(
                Officer.agency_id.in_(partners),
                Officer.role.in_(WATCHED_OFFICERS),
                (Officer.started_on >= since) | (Officer.ended_on >= since),
            )
            .order_by(Officer.agency_id, Officer.role)
        )
    )
