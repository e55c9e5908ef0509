"""Agreement lifecycle: the effective status derived from dates, and which moves are allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .dates import long_date
from .errors import Conflict
from .vocab import EffectiveStatus, VersionStatus

_PASS_THROUGH = {
    VersionStatus.DRAFT: EffectiveStatus.DRAFT,
    VersionStatus.AWAITING_SIGNATURES: EffectiveStatus.AWAITING_SIGNATURES,
    VersionStatus.SUPERSEDED: EffectiveStatus.SUPERSEDED,
    VersionStatus.SUSPENDED: EffectiveStatus.SUSPENDED,
    VersionStatus.TERMINATED: EffectiveStatus.TERMINATED,
}


@dataclass(frozen=True)
class StatusSettings:
    notice_days: int = 90
    grace_days: int = 90


def effective_status(
    status: VersionStatus | str,
    *,
    effective_from: date,
    review_date: date,
    end_date: date | None,
    today: date,
    settings: StatusSettings = StatusSettings(),
    terminates_on: date | None = None,
) -> EffectiveStatus:
    """What a version is on `today`, from its stored status and its dates (SPEC §4)."""
    status = VersionStatus(status)
    if status in _PASS_THROUGH:
        return _PASS_THROUGH[status]
    if terminates_on is not None and today >= terminates_on:
        return EffectiveStatus.TERMINATED
    if end_date is not None and today > end_date:
        return EffectiveStatus.EXPIRED
    if today < effective_from:
        return EffectiveStatus.SCHEDULED
    if today > review_date + timedelta(days=settings.grace_days):
        return EffectiveStatus.LAPSED
    if today > review_date:
        return EffectiveStatus.REVIEW_OVERDUE
    if today >= review_date - timedelta(days=settings.notice_days):
        return EffectiveStatus.REVIEW_DUE
    return EffectiveStatus.ACTIVE


def _require(
    current: VersionStatus, allowed: set[VersionStatus], action: str, reference: str, number: int
) -> None:
    if current not in allowed:
        names = " or ".join(sorted(s.value.replace("_", " ") for s in allowed))
        raise Conflict(
            f"{reference} version {number} is {current.value.replace('_', ' ')}: "
            f"only a version that is {names} can be {action}",
            code="wrong_state",
        )


def check_can_edit(status: VersionStatus, reference: str, number: int) -> None:
    _require(status, {VersionStatus.DRAFT}, "edited", reference, number)


def check_can_submit(status: VersionStatus, reference: str, number: int) -> None:
    _require(status, {VersionStatus.DRAFT}, "submitted for signature", reference, number)


def check_can_sign(status: VersionStatus, reference: str, number: int) -> None:
    _require(status, {VersionStatus.AWAITING_SIGNATURES}, "signed or declined", reference, number)


def check_can_amend(
    status: VersionStatus, reference: str, number: int, open_version: int | None
) -> None:
    if open_version is not None:
        raise Conflict(
            f"{reference} already has version {open_version} open for amendment",
            code="amendment_open",
        )
    _require(status, {VersionStatus.ACTIVE}, "amended", reference, number)


def check_can_suspend(status: VersionStatus, reference: str, number: int) -> None:
    _require(status, {VersionStatus.ACTIVE}, "suspended", reference, number)


def check_can_resume(status: VersionStatus, reference: str, number: int) -> None:
    _require(status, {VersionStatus.SUSPENDED}, "resumed", reference, number)


def check_can_terminate(status: VersionStatus, reference: str, number: int) -> None:
    _require(
        status,
        {
            VersionStatus.ACTIVE,
            VersionStatus.SUSPENDED,
            VersionStatus.DRAFT,
            VersionStatus.AWAITING_SIGNATURES,
        },
        "terminated",
        reference,
        number,
    )


def check_can_review(status: VersionStatus, reference: str, number: int) -> None:
    _require(status, {VersionStatus.ACTIVE}, "reviewed", reference, number)


def ended_by_notices(terminates_on: date | None, on: date) -> bool:
    """Whether notices that left fewer than two parties had ended the agreement by `on`:
    on that day, for good (SPEC section 4), though its version reads active until someone
    terminates it."""
    return terminates_on is not None and terminates_on <= on


def check_not_ended(reference: str, terminates_on: date | None, today: date) -> None:
    """Nothing more is opened, edited, submitted, signed, reviewed, suspended or resumed
    on an agreement notices ended (an amendment coming into force would bring it back)."""
    if terminates_on is not None and ended_by_notices(terminates_on, today):
        raise Conflict(
            f"{reference} ended on {long_date(terminates_on)}, when fewer than two parties "
            "remained, so it can no longer be changed or signed. To go on sharing, draft a "
            "new agreement.",
            code="wrong_state",
        )
