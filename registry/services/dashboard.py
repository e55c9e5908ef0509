"""What each role sees first on the home page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import ClassVar

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from ..domain.actor import Actor
from ..domain.decisions import Decision
from ..domain.lifecycle import StatusSettings
from ..domain.vocab import EffectiveStatus, OfficerRole, Role
from ..models import (
    Agency,
    Agreement,
    AgreementVersion,
    DecisionRecord,
    Notification,
)
from . import inbox, outbox
from .agencies import key_post_gaps, officer_gaps
from .agreement_reads import (
    DUE_FOR_REVIEW,
    LONDON,
    PAGES_COUNT_UP_TO,
    AgreementFilters,
    Standing,
    agreement_ids_of,
    any_status,
    awaiting_signatures,
    list_agreements,
    shown_version_condition,
    standing,
)
from .decisions import without_cover
from .delegations import delegated_agency_ids


@dataclass
class Dashboard:
    # The first AGREEMENTS_SHOWN of the agency's agreements, and how many it has in all.
    agreements: list[tuple[Agreement, Standing]] = field(default_factory=list)
    agreements_total: int = 0
    reviews: list[tuple[Agreement, Standing]] = field(default_factory=list)
    # the agency's own agreements that grant more than their parent now allows
    beyond_parent: list[tuple[Agreement, Standing]] = field(default_factory=list)
    # (agreement, version awaiting signatures, parties whose signature binds its content)
    awaiting: list[tuple[Agreement, AgreementVersion, int]] = field(default_factory=list)
    to_sign: list[tuple[Agreement, AgreementVersion]] = field(default_factory=list)
    # How many each of the two lists above would hold: each holds its first list_shown.
    awaiting_total: int = 0
    to_sign_total: int = 0
    gaps: list[str] = field(default_factory=list)
    my_decisions: list[DecisionRecord] = field(default_factory=list)
    # The user's own unread notifications (count and the latest few), for every role.
    unread: inbox.Unread = field(default_factory=lambda: inbox.Unread(0, []))
    # Officer changes at partner agencies (notifications, services/inbox.py) that this
    # user has not yet acknowledged: they stay until then, for this user only.
    officer_changes: list[Notification] = field(default_factory=list)
    # The administrator's: notifications that could not be delivered and were given up.
    undelivered: outbox.Failures | None = None
    # The administrator's view across the partnership.
    partnership: Partnership | None = None
    # Each list of the board shows its first this many, and says how many there are (a
    # hub agency may have hundreds waiting to sign: a page of them all was 250 KB).
    list_shown: ClassVar[int] = 50


@dataclass
class Partnership:
    """The administrator's figures across every agency; each is the length of a list a
    page shows with the matching filters (the template links to it)."""

    review_overdue: int
    lapsed: int
    exceeds_parent: int
    signatures_late: int  # agreements with a version waiting longer than `late_days`
    late_days: int
    gaps: list[tuple[OfficerRole, int]]  # agencies with nobody in each key post
    shares_not_covered: int  # decisions to share this month with no covering check
    month_start: date
    # The agreement figures that stopped at partnership()'s count_up_to: more than shown.
    more: frozenset[str] = frozenset()


def _count(
    session: Session,
    filters: AgreementFilters,
    today: date,
    settings,
    count_up_to: int | None = None,
) -> tuple[int, bool]:
    """How many agreements match, up to `count_up_to`; and whether more do."""
    found = list_agreements(
        session, filters, today=today, settings=settings, per_page=1, count_up_to=count_up_to
    )
    return found.total, found.more


# Signatures waited for longer than this are late (the administrator's figure, the lists).
SIGNATURES_LATE_DAYS = 30


def late_since(today: date, late_days: int = SIGNATURES_LATE_DAYS) -> date:
    """Versions waiting for signatures since before this day are late."""
    return today - timedelta(days=late_days)


def partnership(
    session: Session,
    *,
    today: date,
    settings: StatusSettings,
    late_days: int = SIGNATURES_LATE_DAYS,
    count_up_to: int | None = None,
) -> Partnership:
    """A handful of counting queries, whatever the size of the registry (each reads an
    index or the agreements' shown versions once). With `count_up_to`, the agreement
    figures stop there (the home page: counting 130,000 agreements overdue for review
    among a million took 3 s); the API counts them all."""
    month_start = today.replace(day=1)
    since = datetime.combine(month_start, time(0), tzinfo=LONDON).astimezone(UTC)
    shares = session.scalar(
        select(func.count())
        .select_from(DecisionRecord)
        .where(
            DecisionRecord.decision == Decision.SHARE,
            DecisionRecord.recorded_at >= since,
            without_cover(),
        )
    )
    gaps = key_post_gaps(session, today)
    counted = {
        name: _count(session, filters, today, settings, count_up_to)
        for name, filters in (
            ("review_overdue", AgreementFilters(status=EffectiveStatus.REVIEW_OVERDUE)),
            ("lapsed", AgreementFilters(status=EffectiveStatus.LAPSED)),
            ("exceeds_parent", AgreementFilters(exceeds_parent=True)),
            ("signatures_late", AgreementFilters(waiting_since=late_since(today, late_days))),
        )
    }
    return Partnership(
        review_overdue=counted["review_overdue"][0],
        lapsed=counted["lapsed"][0],
        exceeds_parent=counted["exceeds_parent"][0],
        signatures_late=counted["signatures_late"][0],
        more=frozenset(name for name, (_, more) in counted.items() if more),
        late_days=late_days,
        gaps=gaps,
        shares_not_covered=shares or 0,
        month_start=month_start,
    )


AGREEMENTS_SHOWN = 50  # of the agency's agreements on its home page; the list has the rest


def _owned_needing_attention(agency_id: int, today: date, settings: StatusSettings):
    """SQL, of one of the agency's agreements: owned by the agency and beyond its parent
    or due for review (a superset the loop in `build` narrows by each one's standing)."""
    v = aliased(AgreementVersion)
    review = any_status(v, DUE_FOR_REVIEW, today, settings)
    return and_(
        Agreement.owner_agency_id == agency_id,
        or_(
            Agreement.exceeds_parent.is_not(None),
            exists().where(v.agreement_id == Agreement.id, shown_version_condition(v), review),
        ),
    )


def build(session: Session, actor: Actor, *, today: date, settings: StatusSettings) -> Dashboard:
    board = Dashboard()
    if actor.user_id is not None:
        board.unread = inbox.unread(session, actor.user_id)
        board.officer_changes = inbox.awaiting_acknowledgement(session, actor.user_id)
    if actor.has(Role.ADMIN):
        board.undelivered = outbox.failures(session)
        board.partnership = partnership(
            session, today=today, settings=settings, count_up_to=PAGES_COUNT_UP_TO
        )
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
    # A signatory's current delegate signs for the agency too (services/delegations.py).
    signs = actor.has(Role.SIGNATORY) or actor.agency_id in delegated_agency_ids(
        session, actor.user_id, today
    )
    # The agency's agreements, found once through the party index (MATERIALIZED):
    # otherwise PostgreSQL walked every agreement by reference until it had met 50 of an
    # agency's (30,000 at a million for an agency party to 3,665; docs/EXPLAIN.md). One
    # statement reads from them the newest AGREEMENTS_SHOWN by reference (as the agreements
    # list their links open runs, so its first page starts with them) and their count
    # (windows), and the two signature lists' lengths and first `list_shown` (the same SQL
    # as the agreements list's filters their "see them" links open), with the owned ones
    # that may be due for review or beyond their parent: a hub with 500 waiting for its
    # signature loads 50 of them with their parties and signatures, not 500.
    mine = agreement_ids_of(actor.agency_id).distinct().cte("mine").prefix_with("MATERIALIZED")
    # Asked of each of the agency's agreements on SQLite (the list form read every version
    # there), as a list on PostgreSQL (which hashes it; per agreement took 1.4 x as long).
    each = session.get_bind().dialect.name == "sqlite"
    to_sign = awaiting_signatures(actor.agency_id, per_agreement=each) if signs else false()
    awaited = and_(
        Agreement.owner_agency_id == actor.agency_id, awaiting_signatures(per_agreement=each)
    )
    ranked = (
        select(
            Agreement,
            func.count().over().label("total"),
            func.row_number().over(order_by=Agreement.reference.desc()).label("place"),
            to_sign.label("to_sign"),
            func.row_number()
            .over(partition_by=to_sign, order_by=Agreement.reference.desc())
            .label("to_sign_place"),
            func.count().filter(to_sign).over().label("to_sign_total"),
            awaited.label("awaited"),
            func.row_number()
            .over(partition_by=awaited, order_by=Agreement.reference.desc())
            .label("awaited_place"),
            func.count().filter(awaited).over().label("awaited_total"),
            _owned_needing_attention(actor.agency_id, today, settings).label("owned"),
        )
        .join(mine, mine.c.agreement_id == Agreement.id)
        .subquery()
    )
    agreement = aliased(Agreement, ranked)
    versions = selectinload(agreement.versions)
    shown = board.list_shown
    read = session.execute(
        select(agreement, ranked.c.place, ranked.c.to_sign, ranked.c.awaited, ranked.c.owned)
        .add_columns(ranked.c.total, ranked.c.to_sign_total, ranked.c.awaited_total)
        .where(
            or_(
                ranked.c.place <= AGREEMENTS_SHOWN,
                ranked.c.owned,
                and_(ranked.c.to_sign, ranked.c.to_sign_place <= shown),
                and_(ranked.c.awaited, ranked.c.awaited_place <= shown),
            )
        )
        .order_by(ranked.c.place)
        .options(
            versions.selectinload(AgreementVersion.parties),
            versions.selectinload(AgreementVersion.signatures),
        )
    ).all()
    board.agreements = [
        (a, standing(a, today, settings)) for a, place, *_ in read if place <= AGREEMENTS_SHOWN
    ]
    if read:
        first = read[0]
        board.agreements_total = first.total
        board.to_sign_total, board.awaiting_total = first.to_sign_total, first.awaited_total
    for agreement, _, signing, awaiting, owned, *_ in read:
        # The version waiting (an amendment's, the one before it staying in force).
        waiting = agreement.open_version or agreement.latest
        if signing and len(board.to_sign) < shown:
            board.to_sign.append((agreement, waiting))
        if awaiting and len(board.awaiting) < shown:
            signed = sum(1 for p in waiting.parties if waiting.signature_for(p.agency_id))
            board.awaiting.append((agreement, waiting, signed))
        if not owned:
            continue
        where = standing(agreement, today, settings)
        if where.status in DUE_FOR_REVIEW:
            board.reviews.append((agreement, where))
        if agreement.exceeds_parent:
            board.beyond_parent.append((agreement, where))
    if actor.has(Role.IG_LEAD):
        agency = session.get(Agency, actor.agency_id)
        board.gaps = officer_gaps(agency, today) if agency is not None else []
    return board
