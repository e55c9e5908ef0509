"""One search across the registry: agreements (reference, title), agencies (name, ICO
registration number, ODS code), officers (name, email) and, for practitioners and IG
leads, the decisions they may read, by case reference.

Each group is one query for its first few matches and one for how many there are (counted
up to COUNT_LIMIT), so a search costs the same handful of queries however large the
registry. Every match is "this column contains these words, in any case", answered from an
index on both engines (services/text_index.py): PostgreSQL's trigram indexes (pg_trgm),
SQLite's FTS5 trigram tables (docs/PERFORMANCE.md has the figures for both)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select, union
from sqlalchemy.orm import Session, selectinload

from ..domain.actor import Actor
from ..domain.lifecycle import StatusSettings
from ..domain.vocab import Role
from ..models import Agency, Agreement, AgreementVersion, DecisionRecord, Officer
from .agreement_reads import Standing, standing
from .text_index import matching

SHOWN = 10  # matches listed per group
COUNT_LIMIT = 1000  # counted exactly up to this; beyond it, "more than 1,000"
MIN_LENGTH = 3  # fewer characters match too much to be useful (and no trigram index helps)
MAX_LENGTH = 100


def normalised(q: str) -> str:
    """The words searched for: spaces collapsed, at most MAX_LENGTH characters."""
    return " ".join(q.split())[:MAX_LENGTH]


@dataclass
class Group:
    key: str  # agreements, agencies, officers, decisions
    title: str
    total: int
    more: bool  # more than COUNT_LIMIT match
    items: list[Any] = field(default_factory=list)


@dataclass
class Results:
    q: str
    groups: list[Group] = field(default_factory=list)
    too_short: bool = False

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)


def _count(session: Session, query: Select) -> tuple[int, bool]:
    capped = query.order_by(None).limit(COUNT_LIMIT + 1).subquery()
    n = session.scalar(select(func.count()).select_from(capped)) or 0
    return min(n, COUNT_LIMIT), n > COUNT_LIMIT


def _agreements(
    session: Session, q: str, today: date, settings: StatusSettings
) -> tuple[Group, list[tuple[Agreement, Standing]]]:
    # Two matches, each answered by its own index, joined as a UNION: with an OR between
    # them a database would read every agreement's reference row by row.
    matched = union(
        select(Agreement.id).where(matching(session, q, Agreement, Agreement.reference)),
        select(AgreementVersion.agreement_id).where(
            matching(session, q, AgreementVersion, AgreementVersion.title)
        ),
    )
    query = select(Agreement.id).where(Agreement.id.in_(matched))
    total, more = _count(session, query)
    ids = list(session.scalars(query.order_by(Agreement.reference.desc()).limit(SHOWN)))
    found = {
        a.id: a
        for a in session.scalars(
            select(Agreement).where(Agreement.id.in_(ids)).options(selectinload(Agreement.versions))
        )
    }
    rows = [(found[i], standing(found[i], today, settings)) for i in ids if i in found]
    return Group("agreements", "Agreements", total, more, rows), rows


def _agencies(session: Session, q: str) -> Group:
    query = select(Agency).where(
        matching(session, q, Agency, Agency.name, Agency.ico_registration, Agency.ods_code)
    )
    total, more = _count(session, query)
    items = list(session.scalars(query.order_by(Agency.name).limit(SHOWN)))
    return Group("agencies", "Agencies", total, more, items)


def _officers(session: Session, q: str) -> Group:
    query = select(Officer).where(matching(session, q, Officer, Officer.name, Officer.email))
    total, more = _count(session, query)
    items = list(
        session.scalars(
            query.order_by(Officer.name, Officer.id)
            .limit(SHOWN)
            .options(selectinload(Officer.agency))
        )
    )
    return Group("officers", "Officers", total, more, items)


def decisions_scope(actor: Actor):
    """Whose decisions the search reads: an IG lead its agency's, a practitioner their
    own; None for everyone else (the search offers them no decisions)."""
    if actor.has(Role.IG_LEAD) and actor.agency_id is not None:
        return DecisionRecord.agency_id == actor.agency_id
    if actor.has(Role.PRACTITIONER) and actor.user_id is not None:
        return DecisionRecord.user_id == actor.user_id
    return None


def _decisions(session: Session, q: str, scope) -> Group:
    query = select(DecisionRecord).where(
        scope, matching(session, q, DecisionRecord, DecisionRecord.case_reference)
    )
    total, more = _count(session, query)
    items = list(session.scalars(query.order_by(DecisionRecord.sequence.desc()).limit(SHOWN)))
    return Group("decisions", "Your decisions", total, more, items)


def search(
    session: Session, actor: Actor, q: str, *, today: date, settings: StatusSettings
) -> Results:
    """Every group the actor may read, in a fixed order, each with its count."""
    words = normalised(q)
    results = Results(q=words)
    if len(words) < MIN_LENGTH:
        results.too_short = bool(words)
        return results
    group, _ = _agreements(session, words, today, settings)
    results.groups.append(group)
    results.groups.append(_agencies(session, words))
    results.groups.append(_officers(session, words))
    scope = decisions_scope(actor)
    if scope is not None:
        decided = _decisions(session, words, scope)
        if actor.has(Role.IG_LEAD):
            decided.title = "Your agency's decisions"
        results.groups.append(decided)
    return results
