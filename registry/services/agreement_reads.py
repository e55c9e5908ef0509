"""Reading agreements: the version shown, effective status, search and filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, false, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from ..database import unindexed
from ..domain.agreements import Content, PartyTerms
from ..domain.errors import NotFound
from ..domain.lifecycle import StatusSettings, effective_status
from ..domain.vocab import IN_FORCE, EffectiveStatus, VersionStatus
from ..models import Agreement, AgreementVersion, Party, Signature, VersionPurpose
from .paging import Page, paginate
from .text_index import matching

LONDON = ZoneInfo("Europe/London")


def get_agreement(
    session: Session, agreement_id: int, *, lock: bool = False, options: Sequence[ORMOption] = ()
) -> Agreement:
    agreement = session.get(Agreement, agreement_id, with_for_update=lock or None, options=options)
    if agreement is None:
        raise NotFound(f"There is no agreement with id {agreement_id}")
    return agreement


def agreement_to_show(session: Session, agreement_id: int) -> Agreement:
    """An agreement with all that its page shows, read up front: a protocol's page names
    every party of every version (hundreds), which read one by one took a query each."""
    version = selectinload(Agreement.versions)
    return get_agreement(
        session,
        agreement_id,
        options=(
            version.selectinload(AgreementVersion.parties).joinedload(Party.agency),
            version.selectinload(AgreementVersion.signatures),
            version.selectinload(AgreementVersion.purpose_rows),
            version.selectinload(AgreementVersion.category_rows),
            version.selectinload(AgreementVersion.basis_rows),
            version.selectinload(AgreementVersion.transfer_method_rows),
            selectinload(Agreement.withdrawals),
        ),
    )


def get_version(agreement: Agreement, number: int) -> AgreementVersion:
    for version in agreement.versions:
        if version.number == number:
            return version
    raise NotFound(f"{agreement.reference} has no version {number}")


def content_of(version: AgreementVersion) -> Content:
    agreement = version.agreement
    return Content(
        title=version.title,
        tier=agreement.tier,
        owner_agency_id=agreement.owner_agency_id,
        parent_id=agreement.parent_id,
        effective_from=version.effective_from,
        review_date=version.review_date,
        review_period_months=version.review_period_months,
        end_date=version.end_date,
        data_subjects=version.data_subjects,
        retention=version.retention,
        security=version.security,
        purposes=tuple(version.purposes),
        data_categories=tuple(version.data_categories),
        lawful_bases=tuple(version.lawful_bases),
        frequency=version.frequency.value if version.frequency else None,
        frequency_detail=version.frequency_detail,
        transfer_methods=tuple(version.transfer_methods),
        data_items=tuple(version.data_items or ()),
        dpia_reference=version.dpia_reference,
        dpia_completed_on=version.dpia_completed_on,
        dpia_outcome=version.dpia_outcome.value if version.dpia_outcome else None,
        dpia_link=version.dpia_link,
        controller_relationship=(
            version.controller_relationship.value if version.controller_relationship else None
        ),
        parties=tuple(
            PartyTerms(p.agency_id, p.may_disclose, p.may_receive, p.role) for p in version.parties
        ),
    )


def version_status(
    version: AgreementVersion, today: date, settings: StatusSettings
) -> EffectiveStatus:
    return effective_status(
        version.status,
        effective_from=version.effective_from,
        review_date=version.review_date,
        end_date=version.end_date,
        today=today,
        settings=settings,
        terminates_on=version.agreement.terminates_on,
    )


@dataclass(frozen=True)
class Standing:
    """Where an agreement stands today: the version shown and its effective status."""

    shown: AgreementVersion
    status: EffectiveStatus
    in_force_version: int | None


def standing(agreement: Agreement, today: date, settings: StatusSettings) -> Standing:
    current = agreement.current
    shown = current or agreement.latest
    status = version_status(shown, today, settings)
    in_force = shown.number if current is not None and status in IN_FORCE else None
    return Standing(shown=shown, status=status, in_force_version=in_force)


def shown_version_condition(v):
    """SQL: `v` is the version an agreement is shown by (current, else latest)."""
    other = aliased(AgreementVersion)
    has_current = exists().where(
        other.agreement_id == v.agreement_id,
        other.status.in_([VersionStatus.ACTIVE, VersionStatus.SUSPENDED]),
    )
    latest = (
        select(func.max(other.number)).where(other.agreement_id == v.agreement_id).scalar_subquery()
    )
    return or_(
        v.status.in_([VersionStatus.ACTIVE, VersionStatus.SUSPENDED]),
        and_(~has_current, v.number == latest),
    )


DUE_FOR_REVIEW = (
    EffectiveStatus.REVIEW_DUE,
    EffectiveStatus.REVIEW_OVERDUE,
    EffectiveStatus.LAPSED,
)


def any_status(v, statuses, today: date, settings: StatusSettings, *, walked: bool = False):
    """SQL that holds when the version's effective status is one of `statuses`."""
    return or_(*(status_condition(v, s, today, settings, walked=walked) for s in statuses))


def status_condition(
    v, status: EffectiveStatus, today: date, settings: StatusSettings, *, walked: bool = False
):
    """SQL that holds exactly when domain.lifecycle.effective_status gives `status`.
    `walked`: for a list read in another index's order on SQLite, whose planner would
    otherwise read every version in a range of dates and sort them (database.unindexed)."""
    stored = {
        EffectiveStatus.DRAFT: VersionStatus.DRAFT,
        EffectiveStatus.AWAITING_SIGNATURES: VersionStatus.AWAITING_SIGNATURES,
        EffectiveStatus.SUPERSEDED: VersionStatus.SUPERSEDED,
        EffectiveStatus.SUSPENDED: VersionStatus.SUSPENDED,
    }
    if status in stored:
        # The versions of a stored status are few (drafts, those awaiting signatures…):
        # asked as a list from the status index, which SQLite's planner would not choose
        # for `status = …` (its statistics see only the average status, most of a
        # registry's versions being in force).
        return v.id.in_(
            select(AgreementVersion.id).where(AgreementVersion.status == stored[status])
        )
    terminated_by_date = and_(
        Agreement.terminates_on.is_not(None), Agreement.terminates_on <= today
    )
    if status == EffectiveStatus.TERMINATED:
        return or_(
            v.status == VersionStatus.TERMINATED,
            and_(v.status == VersionStatus.ACTIVE, terminated_by_date),
        )
    kept = unindexed if walked else (lambda column: column)
    version_status, end_date = kept(v.status), kept(v.end_date)
    effective_from, review_date = kept(v.effective_from), kept(v.review_date)
    live = and_(version_status == VersionStatus.ACTIVE, ~terminated_by_date)
    expired = and_(end_date.is_not(None), end_date < today)
    scheduled = effective_from > today
    lapse_line = today - timedelta(days=settings.grace_days)
    notice_line = today + timedelta(days=settings.notice_days)
    started = and_(live, ~expired, ~scheduled)
    conditions = {
        EffectiveStatus.EXPIRED: and_(live, expired),
        EffectiveStatus.SCHEDULED: and_(live, ~expired, scheduled),
        EffectiveStatus.LAPSED: and_(started, review_date < lapse_line),
        EffectiveStatus.REVIEW_OVERDUE: and_(
            started, review_date < today, review_date >= lapse_line
        ),
        EffectiveStatus.REVIEW_DUE: and_(started, review_date >= today, review_date <= notice_line),
        EffectiveStatus.ACTIVE: and_(started, review_date > notice_line),
    }
    return conditions.get(status, false())


# The lists people page through count their matches up to this and say "more than"
# beyond it (counting every one of a million agreements took seconds); the API counts all.
PAGES_COUNT_UP_TO = 10_000


@dataclass
class AgreementFilters:
    search: str = ""
    tier: int | None = None
    status: EffectiveStatus | None = None
    agency_id: int | None = None
    purpose: str | None = None
    review_due: bool = False
    exceeds_parent: bool = False
    # A version has waited for signatures since before this day (issue 19's dashboard).
    waiting_since: date | None = None
    # Some version (an amendment too) waits for signatures; and for this agency's.
    awaiting: bool = False
    unsigned_by: int | None = None
    # Owned by this agency (the home page's lists are of the agreements it owns).
    owned_by: int | None = None
    # Made under this agreement (an agreement's page links here for all of its children).
    parent_id: int | None = None


def list_agreements(
    session: Session,
    filters: AgreementFilters,
    *,
    today: date,
    settings: StatusSettings,
    page: int = 1,
    per_page: int = 50,
    count_up_to: int | None = None,
) -> Page:
    """Agreements matching the filters, each judged by the version it is shown by (the
    versions read with them: the page shows each one's standing)."""
    v = aliased(AgreementVersion)
    query = (
        select(Agreement)
        .join(v, v.agreement_id == Agreement.id)
        .where(shown_version_condition(v))
        .order_by(Agreement.reference.desc())
        .options(selectinload(Agreement.versions))
    )
    if filters.search.strip():
        # The shown version's title or the reference; first narrowed to the agreements
        # with either (each read from its own trigram index on PostgreSQL): an OR across
        # the two tables read every agreement (2.8 s at a million).
        # (On SQLite from its FTS5 trigram tables: services/text_index.py.)
        titled = select(AgreementVersion.id).where(
            matching(session, filters.search, AgreementVersion, AgreementVersion.title)
        )
        referenced = select(Agreement.id).where(
            matching(session, filters.search, Agreement, Agreement.reference)
        )
        query = query.where(
            Agreement.id.in_(
                union_all(
                    select(AgreementVersion.agreement_id).where(AgreementVersion.id.in_(titled)),
                    referenced,
                )
            ),
            or_(v.id.in_(titled), Agreement.id.in_(referenced)),
        )
    if filters.tier:
        query = query.where(Agreement.tier == filters.tier)
    if filters.owned_by:
        query = query.where(Agreement.owner_agency_id == filters.owned_by)
    if filters.parent_id:
        query = query.where(Agreement.parent_id == filters.parent_id)
    if filters.agency_id and filters.agency_id != filters.unsigned_by:
        # (Waiting for this agency's signature already makes it a party, of the version
        # waiting: an amendment may add it to an agreement whose shown version lacks it.)
        # Asked as the list of its versions from the party index: an agency is a party to
        # few of a registry's agreements (the busiest of 50,000 to 3,665 of a million), and
        # SQLite otherwise asked every version in turn (0.55 s).
        query = query.where(
            v.id.in_(select(Party.version_id).where(Party.agency_id == filters.agency_id))
        )
    if filters.purpose:
        query = query.where(
            exists().where(
                VersionPurpose.version_id == v.id, VersionPurpose.purpose_code == filters.purpose
            )
        )
    if filters.exceeds_parent:
        query = query.where(Agreement.exceeds_parent.is_not(None))
    if filters.waiting_since:
        query = query.where(waiting_for_signatures_since(filters.waiting_since))
    if filters.awaiting or filters.unsigned_by:
        query = query.where(awaiting_signatures(filters.unsigned_by))

    def by_status(walked: bool) -> Select:
        statused = query
        if filters.status:
            statused = statused.where(
                status_condition(v, filters.status, today, settings, walked=walked)
            )
        if filters.review_due:
            statused = statused.where(any_status(v, DUE_FOR_REVIEW, today, settings, walked=walked))
        return statused

    chosen = by_status(walked=False)
    if (filters.status or filters.review_due) and session.get_bind().dialect.name == "sqlite":
        # SQLite cannot tell how many match before it reads them: when at least
        # WALK_FROM do, the list is read walking the agreements in reference order,
        # which finds a page among many at once (see status_condition); when fewer do,
        # from the dates' index, which finds the few at once.
        probe = chosen.order_by(None).limit(WALK_FROM)
        if session.scalar(select(func.count()).select_from(probe.subquery())) == WALK_FROM:
            chosen = by_status(walked=True)
    return paginate(session, chosen, page=page, per_page=per_page, count_up_to=count_up_to)


# See list_agreements.
WALK_FROM = 1_000


def waiting_for_signatures_since(day: date):
    """SQL: one of the agreement's versions was sent for signature before `day` (a day in
    London) and still awaits a signature."""
    start = datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)
    return awaiting_signatures(submitted_before=start)


def awaiting_signatures(
    agency_id: int | None = None,
    *,
    submitted_before: datetime | None = None,
    per_agreement: bool = False,
):
    """SQL: one of the agreement's versions (an amendment too, while the version before it
    stays in force) waits for signatures; given an agency, for that agency's, as a party
    that has not signed its content (what the home page's "Waiting for your signature"
    lists); given a time, sent for signature before it. Asked as a list of agreements
    (read from the versions' status index) rather than of each agreement in turn: they
    are few, the agreements a million. With `per_agreement`, the same asked of each
    agreement in turn (its versions by agreement): for a few thousand agreements already
    found (an agency's, the home page), where SQLite, which cannot tell the few versions
    waiting from the million others by the status index's statistics, read every version
    for the list (4 x 100 ms at a million)."""
    waiting = select(AgreementVersion.agreement_id).where(
        AgreementVersion.status == VersionStatus.AWAITING_SIGNATURES
    )
    if submitted_before is not None:
        waiting = waiting.where(AgreementVersion.submitted_at < submitted_before)
    if agency_id is not None:
        waiting = waiting.join(Party, Party.version_id == AgreementVersion.id).where(
            Party.agency_id == agency_id,
            ~exists().where(
                Signature.version_id == AgreementVersion.id,
                Signature.agency_id == agency_id,
                Signature.content_sha256 == AgreementVersion.content_sha256,
            ),
        )
    if per_agreement:
        return exists(waiting.where(AgreementVersion.agreement_id == Agreement.id))
    return Agreement.id.in_(waiting)


def ancestors(agreement: Agreement) -> list[Agreement]:
    """Parent, grandparent…: the tier chain above the agreement, nearest first."""
    chain, seen = [], {agreement.id}
    parent = agreement.parent
    while parent is not None and parent.id not in seen:
        chain.append(parent)
        seen.add(parent.id)
        parent = parent.parent
    return chain


# An agreement's page lists this many of the agreements made under it, in reference
# order, and links to the agreements list for the rest: a partnership's protocol can have
# thousands (1,885 at a million made its page 218 KB and most of its time).
CHILDREN_SHOWN = 20


def children(session: Session, agreement: Agreement) -> tuple[list[Agreement], int]:
    """The first CHILDREN_SHOWN agreements made under this one, and how many there are."""
    limit = CHILDREN_SHOWN
    under = Agreement.parent_id == agreement.id
    shown = list(
        session.scalars(
            select(Agreement)
            .where(under)
            .order_by(Agreement.reference)
            .limit(limit)
            .options(selectinload(Agreement.versions))
        )
    )
    total = len(shown)
    if total == limit:
        total = session.scalar(select(func.count()).select_from(Agreement).where(under)) or 0
    return shown, total


def amendments(agreement: Agreement) -> list[tuple[AgreementVersion, list]]:
    """Each version after the first with its changes against the one before."""
    from ..domain.agreements import diff

    versions = agreement.versions
    return [
        (later, diff(content_of(earlier), content_of(later)))
        for earlier, later in zip(versions, versions[1:], strict=False)
    ]


def parents_for(
    session: Session, tier: int, today: date, settings: StatusSettings, agency_id: int | None = None
) -> list[tuple[int, str, str, int]]:
    """Agreements a new agreement of `tier` may sit under: one tier up, not ended, and,
    given an agency, one it is a party to (an agreement covers its parties only where
    they are parties of every agreement above it). As (id, reference, title, tier), by
    reference, read in one query however large the registry."""
    if tier not in (2, 3):
        return []
    v = aliased(AgreementVersion)
    ended = any_status(
        v,
        (EffectiveStatus.TERMINATED, EffectiveStatus.SUPERSEDED, EffectiveStatus.EXPIRED),
        today,
        settings,
    )
    query = (
        select(Agreement.id, Agreement.reference, v.title, Agreement.tier)
        .join(v, v.agreement_id == Agreement.id)
        .where(Agreement.tier == tier - 1, shown_version_condition(v), ~ended)
        .order_by(Agreement.reference)
    )
    if agency_id is not None:
        query = query.where(party_to(agency_id))
    return [
        (i, reference, title, parent_tier)
        for i, reference, title, parent_tier in session.execute(query)
    ]


def agreement_ids_of(agency_id: int) -> Select:
    """SQL: the ids of the agreements with a version the agency is a party to, read from
    the party index (so only that agency's agreements are visited); an id may repeat."""
    return (
        select(AgreementVersion.agreement_id)
        .join(Party, Party.version_id == AgreementVersion.id)
        .where(Party.agency_id == agency_id)
    )


def party_to(agency_id: int):
    """SQL: the agreement has a version the agency is a party to."""
    return Agreement.id.in_(agreement_ids_of(agency_id))
