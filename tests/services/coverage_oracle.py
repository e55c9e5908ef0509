"""A reference oracle for the coverage check, written from SPEC section 5 alone.

It reads the agreements through the models and shares no code with
registry.domain.coverage, so that the lifecycle machine (test_lifecycle_machine.py)
checks the registry's answers against what the SPEC says, not against itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from registry.domain.lifecycle import StatusSettings
from registry.domain.vocab import VersionStatus
from registry.models import Agreement

GRACE = StatusSettings().grace_days


@dataclass(frozen=True)
class Terms:
    """One version as the oracle reads it."""

    number: int
    status: VersionStatus
    effective_from: date
    review_date: date
    end_date: date | None
    parties: dict[int, tuple[bool, bool]]
    signed: frozenset[int]
    purposes: frozenset[str]
    categories: frozenset[str]


def read_versions(agreement: Agreement) -> list[Terms]:
    found = []
    for v in agreement.versions:
        found.append(
            Terms(
                number=v.number,
                status=v.status,
                effective_from=v.effective_from,
                review_date=v.review_date,
                end_date=v.end_date,
                parties={p.agency_id: (p.may_disclose, p.may_receive) for p in v.parties},
                # A signature counts only when it binds the version's own content.
                signed=frozenset(
                    s.agency_id
                    for s in v.signatures
                    if v.content_sha256 is not None and s.content_sha256 == v.content_sha256
                ),
                purposes=frozenset(v.purposes),
                categories=frozenset(v.data_categories),
            )
        )
    return found


def in_force(agreement: Agreement, on: date) -> Terms | None:
    """Rule 1: the active version, within its dates, not lapsed, not terminated."""
    active = [v for v in read_versions(agreement) if v.status == VersionStatus.ACTIVE]
    if not active:
        return None
    version = active[-1]
    # SPEC section 4: an agreement left with fewer than two parties terminates. Read from
    # the notices and the version's parties, not from the agreement's terminates_on, which
    # the code under test keeps (and once kept wrongly across an amendment).
    gone = {w.agency_id for w in agreement.withdrawals if w.effective_on <= on}
    gone &= set(version.parties)
    if gone and len(set(version.parties) - gone) < 2:
        return None
    if on < version.effective_from:
        return None
    if version.end_date is not None and on > version.end_date:
        return None
    if (on - version.review_date).days > GRACE:
        return None
    return version


def present(agreement: Agreement, version: Terms, agencies: tuple[int, int], on: date) -> bool:
    """Rule 2: both signed the version and neither had withdrawn by the date."""
    withdrawn = {w.agency_id: w.effective_on for w in agreement.withdrawals}
    for agency in agencies:
        if agency not in version.parties or agency not in version.signed:
            return False
        if agency in withdrawn and withdrawn[agency] <= on:
            return False
    return True


def permits(version: Terms, a: int, b: int, purpose: str, categories: frozenset[str]) -> bool:
    """Rules 3 and 4."""
    return (
        version.parties[a][0]
        and version.parties[b][1]
        and purpose in version.purposes
        and categories <= version.categories
    )


def oracle(
    agreements: list[Agreement], a: int, b: int, purpose: str, categories, on: date
) -> dict[int, tuple[bool, int, date]]:
    """The agreements that cover the share: id -> (warned, tier, effective date)."""
    by_id = {x.id: x for x in agreements}
    covering = {}
    for x in agreements:
        if x.tier not in (2, 3):
            continue
        versions = read_versions(x)
        # A candidate: some version has both agencies as parties.
        if not any(a in v.parties and b in v.parties for v in versions):
            continue
        version = in_force(x, on)
        if version is None or not present(x, version, (a, b), on):
            continue
        if not permits(version, a, b, purpose, categories):
            continue
        warned = on > version.review_date
        parent_id, ok = x.parent_id, True
        while parent_id is not None and ok:
            parent = by_id[parent_id]
            above = in_force(parent, on)
            ok = above is not None and present(parent, above, (a, b), on)
            # Rule 5: a tier-2 ancestor must itself permit the share.
            if ok and parent.tier == 2:
                ok = permits(above, a, b, purpose, categories)
            if ok:
                warned = warned or on > above.review_date
            parent_id = parent.parent_id
        if ok:
            covering[x.id] = (warned, x.tier, version.effective_from)
    return covering


def candidates(agreements: list[Agreement], a: int, b: int) -> set[str]:
    found = set()
    for x in agreements:
        versions = read_versions(x)
        if x.tier in (2, 3) and any(a in v.parties and b in v.parties for v in versions):
            found.add(x.reference)
    return found
