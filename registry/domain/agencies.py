"""Rules about an agency's information-governance officers."""

from __future__ import annotations

from collections.abc import Iterable

from .vocab import AgencyKind, OfficerRole

# Health and local-authority (social care) agencies must have a Caldicott Guardian.
NEEDS_CALDICOTT = frozenset({AgencyKind.HEALTH, AgencyKind.LOCAL_AUTHORITY})


def officer_gaps(name: str, kind: AgencyKind, held: Iterable[OfficerRole]) -> list[str]:
    """Posts the agency must fill and has not: a lead information officer always, and a
    Caldicott Guardian for health and local-authority agencies."""
    roles = set(held)
    gaps = []
    if OfficerRole.LEAD_INFORMATION_OFFICER not in roles:
        gaps.append(f"{name} has no lead information officer")
    if kind in NEEDS_CALDICOTT and OfficerRole.CALDICOTT_GUARDIAN not in roles:
        gaps.append(f"{name} has no Caldicott Guardian")
    return gaps
