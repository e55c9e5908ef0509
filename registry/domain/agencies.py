"""Rules about an agency's information-governance officers.

An officer holds the role on day D when `started_on <= D` and (`ended_on` is None or
`D < ended_on`): the day a holder leaves (`ended_on`) is the first day they no longer
hold it, and the day their successor starts. So a leaver's `ended_on` equals the
successor's `started_on`, and on that day the successor alone holds the role."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .dates import add_months, date_range_error, long_date
from .vocab import OFFICER_ROLE_LABELS, AgencyKind, OfficerRole

# Health and local-authority (social care) agencies must have a Caldicott Guardian.
NEEDS_CALDICOTT = frozenset({AgencyKind.HEALTH, AgencyKind.LOCAL_AUTHORITY})

# The roles held by one person at a time; an agency may list many signatories.
SINGLE_HOLDER_ROLES = frozenset(
    {
        OfficerRole.LEAD_INFORMATION_OFFICER,
        OfficerRole.CALDICOTT_GUARDIAN,
        OfficerRole.SIRO,
        OfficerRole.DPO,
    }
)

# The posts the partnership expects every agency to keep filled (issue 19's dashboard):
# the Caldicott Guardian only where the agency needs one.
KEY_ROLES = (
    OfficerRole.LEAD_INFORMATION_OFFICER,
    OfficerRole.CALDICOTT_GUARDIAN,
    OfficerRole.SIRO,
    OfficerRole.DPO,
)


def kinds_needing(role: OfficerRole) -> frozenset[AgencyKind] | None:
    """The kinds of agency that must have someone in `role`; None: every kind."""
    return NEEDS_CALDICOTT if role == OfficerRole.CALDICOTT_GUARDIAN else None


# How far ahead a start or leaving date may be entered.
MONTHS_AHEAD = 12


def holds_on(started_on: date, ended_on: date | None, day: date) -> bool:
    """Whether an officer with these dates holds the role on `day` (module docstring)."""
    return started_on <= day and (ended_on is None or day < ended_on)


def overlap(first: tuple[date, date | None], second: tuple[date, date | None]) -> bool:
    """Whether two periods of holding a role share a day (each runs from its start up to,
    not including, its end; no end: still held)."""
    (a_start, a_end), (b_start, b_end) = first, second
    return (b_end is None or a_start < b_end) and (a_end is None or b_start < a_end)


def latest_allowed(today: date) -> date:
    return add_months(today, MONTHS_AHEAD)


def start_error(started_on: date, today: date) -> str | None:
    """What is wrong with an officer's start date, if anything."""
    if error := date_range_error(started_on, "The start date"):
        return error
    if started_on > latest_allowed(today):
        return (
            "The start date must be no later than "
            f"{long_date(latest_allowed(today))}, a year from today"
        )
    return None


def end_error(ended_on: date, started_on: date, today: date) -> str | None:
    """What is wrong with an officer's leaving date, if anything."""
    if error := date_range_error(ended_on, "The leaving date"):
        return error
    if ended_on < started_on:
        return f"The leaving date must be on or after {long_date(started_on)}, the day they started"
    if ended_on > latest_allowed(today):
        return (
            "The leaving date must be no later than "
            f"{long_date(latest_allowed(today))}, a year from today"
        )
    return None


def role_label(role: OfficerRole) -> str:
    """The role's name within a sentence ("the Caldicott Guardian")."""
    label = OFFICER_ROLE_LABELS[role]
    return label if role == OfficerRole.CALDICOTT_GUARDIAN else label[0].lower() + label[1:]


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
