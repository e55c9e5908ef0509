"""For one purpose: which ordered pairs of agencies can share, and under which agreement.

Built from a handful of queries (the agencies shown, their agreements with that purpose
and those above them), then answered pair by pair by the same rules as the coverage
check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import Session

from ..domain import coverage as rules
from ..domain.lifecycle import StatusSettings
from ..models import Agency, Agreement, AgreementVersion, Party, VersionPurpose
from .coverage import facts_for
from .paging import containing


@dataclass(frozen=True)
class Cell:
    reference: str
    agreement_id: int
    warning: bool


MAX_AGENCIES = 60  # what a readable grid holds; more are narrowed by name
COUNT_UP_TO = 300  # agencies counted for "the first 60 of …"; beyond, "more than"


@dataclass(frozen=True)
class Grid:
    purpose: str
    agencies: list[tuple[int, str]]  # (id, name), in order: those shown
    cells: dict[tuple[int, int], Cell]  # (from, to) → covering agreement
    total: int = 0  # agencies that would be shown without the limit (up to COUNT_UP_TO)

    @property
    def more(self) -> bool:
        return self.total > COUNT_UP_TO

    def covered(self, a: int, b: int) -> Cell | None:
        return self.cells.get((a, b))

    @property
    def cut(self) -> bool:
        return self.total > len(self.agencies)


def build(
    session: Session,
    purpose: str,
    *,
    today: date,
    settings: StatusSettings,
    search: str = "",
    limit: int = MAX_AGENCIES,
) -> Grid:
    """The grid for the first `limit` agencies by name that are parties to a tier 2 or 3
    agreement for `purpose`; with `search`, for the agencies whose name contains it (first)
    and those they share such an agreement with (after them). It reads only the agreements
    of the agencies shown, however large the registry."""
    # The tier 2 and 3 versions for the purpose; with a search, those of the agencies
    # found by name (read from the name first: the other way round took 13 s on 100,000).
    for_purpose = (
        select(Party.version_id)
        .distinct()
        .join(VersionPurpose, VersionPurpose.version_id == Party.version_id)
        .join(AgreementVersion, AgreementVersion.id == Party.version_id)
        .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
        .where(VersionPurpose.purpose_code == purpose, Agreement.tier.in_((2, 3)))
    )
    # Whether an agency takes part: asked of each agency in turn, it stops at its first
    # such version.
    takes_part = exists().where(
        Party.agency_id == Agency.id,
        Party.version_id == VersionPurpose.version_id,
        VersionPurpose.purpose_code == purpose,
        AgreementVersion.id == Party.version_id,
        Agreement.id == AgreementVersion.agreement_id,
        Agreement.tier.in_((2, 3)),
    )
    # Each agency asked whether it takes part, in name order, until the grid is full:
    # nationally almost every agency does, and listing them all first read every agreement
    # for the purpose (seconds at a million). With a search, those whose name contains it.
    named = containing(search, Agency.name) if search.strip() else None
    taking_part = select(Agency.id, Agency.name).where(takes_part)
    if named is not None:
        taking_part = taking_part.where(named)
    # Counted up to a bound ("of more than 300"), for the same reason.
    total = (
        session.scalar(
            select(func.count()).select_from(taking_part.limit(COUNT_UP_TO + 1).subquery())
        )
        or 0
    )
    agencies = [
        (i, n)
        for i, n in session.execute(taking_part.order_by(Agency.name, Agency.id).limit(limit))
    ]
    if named is not None and 0 < total <= COUNT_UP_TO:
        # Room in the grid or in the count: the agencies they share with, after them.
        partners, more = _partners(session, for_purpose, named, limit - len(agencies))
        agencies += partners
        total = min(total + more, COUNT_UP_TO + 1)
    shown = [i for i, _ in agencies]
    # Only an agreement with a version two of the agencies shown are parties to can fill a
    # cell (both must be parties to the version in force): those versions first, from the
    # party index (the few that two shown agencies share), then which of them are for the
    # purpose. The other way round asked the purpose of every version of every agency
    # shown (10,691 for the first 60 at a million, the hub among them: 66 ms, now 20 ms).
    two_shown = (
        select(Party.version_id)
        .where(Party.agency_id.in_(shown))
        .group_by(Party.version_id)
        .having(func.count(Party.agency_id.distinct()) > 1)
    )
    ids = (
        list(
            session.scalars(
                select(AgreementVersion.agreement_id)
                .distinct()
                .join(VersionPurpose, VersionPurpose.version_id == AgreementVersion.id)
                .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
                .where(
                    AgreementVersion.id.in_(two_shown),
                    VersionPurpose.purpose_code == purpose,
                    Agreement.tier.in_((2, 3)),
                )
                .order_by(AgreementVersion.agreement_id)
            )
        )
        if shown
        else []
    )
    facts = facts_for(session, ids) if ids else {}
    members: dict[int, set[int]] = defaultdict(set)  # agency → candidate agreements
    for agreement_id in ids:
        for version in facts[agreement_id].versions:
            for agency_id in version.parties:
                members[agency_id].add(agreement_id)
    cells: dict[tuple[int, int], Cell] = {}
    for a in shown:
        for b in shown:
            shared = members[a] & members[b]
            if a == b or not shared:
                continue
            registry = {i: facts[i] for i in _with_ancestors(shared, facts)}
            answer = rules.check(
                rules.Request(a, b, purpose, frozenset(), today), registry, (), settings=settings
            )
            if answer.agreement is not None:
                cells[(a, b)] = Cell(
                    answer.agreement.reference, answer.agreement.id, bool(answer.warnings)
                )
    return Grid(purpose=purpose, agencies=agencies, cells=cells, total=total)


def _partners(
    session: Session, for_purpose: Select, named: ColumnElement[bool], room: int
) -> tuple[list[tuple[int, str]], int]:
    """The agencies that share a version in `for_purpose` with an agency `named` (not named
    themselves): the first `room` by name, and how many there are. They come after those
    found by name, which are what was asked for: a name that many agencies share ("Agency
    01", a thousand of them with 33,000 partners at a million) otherwise filled the grid
    with partners that sort earlier, and finding those sorted every partner by name (0.7
    s); now they are read only when fewer than COUNT_UP_TO agencies are found by name."""
    # The versions of the agencies found, read once each (MATERIALIZED): PostgreSQL
    # otherwise planned to walk every agency by name and find the versions again for each
    # (minutes at 100,000 agreements). The agencies found asked as a list, read from their
    # parties' index (SQLite otherwise read every agreement's purposes first).
    versions = (
        for_purpose.where(Party.agency_id.in_(select(Agency.id).where(named)))
        .cte("found_versions")
        .prefix_with("MATERIALIZED")
    )
    takers = (
        select(Party.agency_id)
        .distinct()
        .where(Party.version_id.in_(select(versions.c.version_id)))
        .cte("takers")
        .prefix_with("MATERIALIZED")
    )
    # Counted in the same statement (a window over every partner): they are all found to
    # order them by name anyway, and counting apart found them twice.
    # Asked as membership of the partners' list (a hashed lookup), not a join: PostgreSQL
    # misjudged the list as every agency and joined by walking the agencies by name,
    # scanning the whole list for each (35 s for a name 100 agencies share).
    rows = session.execute(
        select(Agency.id, Agency.name, func.count().over())
        .where(Agency.id.in_(select(takers.c.agency_id)), ~named)
        .order_by(Agency.name, Agency.id)
        .limit(max(room, 1))  # a row at least, to read the count
    ).all()
    return [(i, n) for i, n, _ in rows[: max(room, 0)]], rows[0][2] if rows else 0


def _with_ancestors(ids: set[int], facts: dict[int, rules.AgreementFacts]) -> set[int]:
    found = set(ids)
    for agreement_id in ids:
        parent = facts[agreement_id].parent_id
        while parent is not None and parent not in found and parent in facts:
            found.add(parent)
            parent = facts[parent].parent_id
    return found
