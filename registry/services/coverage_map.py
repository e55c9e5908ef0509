"""For one purpose: which ordered pairs of agencies can share, and under which agreement.

Built from a handful of queries (the agreements with that purpose, their ancestors, the
agency names), then answered pair by pair by the same rules as the coverage check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain import coverage as rules
from ..domain.lifecycle import StatusSettings
from ..models import Agency, Agreement, AgreementVersion, VersionPurpose
from .coverage import facts_for


@dataclass(frozen=True)
class Cell:
    reference: str
    agreement_id: int
    warning: bool


@dataclass(frozen=True)
class Grid:
    purpose: str
    agencies: list[tuple[int, str]]  # (id, name), in order
    cells: dict[tuple[int, int], Cell]  # (from, to) → covering agreement

    def covered(self, a: int, b: int) -> Cell | None:
        return self.cells.get((a, b))


def build(session: Session, purpose: str, *, today: date, settings: StatusSettings) -> Grid:
    ids = list(session.scalars(
        select(AgreementVersion.agreement_id).distinct()
        .join(VersionPurpose, VersionPurpose.version_id == AgreementVersion.id)
        .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
        .where(VersionPurpose.purpose_code == purpose, Agreement.tier.in_((2, 3)))))
    facts = facts_for(session, ids) if ids else {}
    members: dict[int, set[int]] = defaultdict(set)  # agency → candidate agreements
    for agreement_id in ids:
        for version in facts[agreement_id].versions:
            for agency_id in version.parties:
                members[agency_id].add(agreement_id)
    names = dict(session.execute(select(Agency.id, Agency.name)
                                 .where(Agency.id.in_(members))).all()) if members else {}
    agencies = sorted(names.items(), key=lambda item: item[1])
    cells: dict[tuple[int, int], Cell] = {}
    for a, _ in agencies:
        for b, _ in agencies:
            shared = members[a] & members[b]
            if a == b or not shared:
                continue
            registry = {i: facts[i] for i in _with_ancestors(shared, facts)}
            answer = rules.check(rules.Request(a, b, purpose, frozenset(), today), registry,
                                 (), settings=settings)
            if answer.agreement is not None:
                cells[(a, b)] = Cell(answer.agreement.reference, answer.agreement.id,
                                     bool(answer.warnings))
    return Grid(purpose=purpose, agencies=agencies, cells=cells)


def _with_ancestors(ids: set[int], facts: dict[int, rules.AgreementFacts]) -> set[int]:
    found = set(ids)
    for agreement_id in ids:
        parent = facts[agreement_id].parent_id
        while parent is not None and parent not in found and parent in facts:
            found.add(parent)
            parent = facts[parent].parent_id
    return found
