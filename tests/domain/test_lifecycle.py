"""Effective status, derived from stored status and dates (SPEC §4). No app, no database."""

from datetime import date, timedelta

import pytest

from registry.domain.errors import Conflict
from registry.domain.lifecycle import (
    StatusSettings,
    check_can_amend,
    check_can_sign,
    check_can_submit,
    effective_status,
)
from registry.domain.vocab import EffectiveStatus as E
from registry.domain.vocab import VersionStatus as V

EFFECTIVE = date(2026, 1, 1)
REVIEW = date(2027, 1, 1)
SETTINGS = StatusSettings(notice_days=90, grace_days=90)


def status(today, stored=V.ACTIVE, end=None, terminates_on=None):
    return effective_status(
        stored,
        effective_from=EFFECTIVE,
        review_date=REVIEW,
        end_date=end,
        today=today,
        settings=SETTINGS,
        terminates_on=terminates_on,
    )


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (EFFECTIVE - timedelta(days=1), E.SCHEDULED),
        (EFFECTIVE, E.ACTIVE),
        (REVIEW - timedelta(days=91), E.ACTIVE),
        (REVIEW - timedelta(days=90), E.REVIEW_DUE),
        (REVIEW, E.REVIEW_DUE),
        (REVIEW + timedelta(days=1), E.REVIEW_OVERDUE),
        (REVIEW + timedelta(days=90), E.REVIEW_OVERDUE),
        (REVIEW + timedelta(days=91), E.LAPSED),
    ],
)
def test_active_version_status_follows_the_dates(today, expected):
    assert status(today) == expected


@pytest.mark.parametrize(
    "stored", [V.DRAFT, V.AWAITING_SIGNATURES, V.SUPERSEDED, V.SUSPENDED, V.TERMINATED]
)
def test_other_stored_statuses_pass_through_whatever_the_date(stored):
    assert status(REVIEW + timedelta(days=500), stored=stored).value == stored.value


def test_expired_after_end_date_even_before_review():
    end = date(2026, 6, 30)
    assert status(date(2026, 6, 30), end=end) == E.ACTIVE
    assert status(date(2026, 7, 1), end=end) == E.EXPIRED


def test_scheduled_termination_takes_effect_on_its_date():
    assert status(date(2026, 3, 1), terminates_on=date(2026, 3, 2)) == E.ACTIVE
    assert status(date(2026, 3, 2), terminates_on=date(2026, 3, 2)) == E.TERMINATED


def test_notice_and_grace_come_from_settings():
    short = StatusSettings(notice_days=10, grace_days=5)
    kwargs = {"effective_from": EFFECTIVE, "review_date": REVIEW, "end_date": None}
    assert (
        effective_status(V.ACTIVE, today=REVIEW - timedelta(days=11), settings=short, **kwargs)
        == E.ACTIVE
    )
    assert (
        effective_status(V.ACTIVE, today=REVIEW + timedelta(days=6), settings=short, **kwargs)
        == E.LAPSED
    )


def test_wrong_state_refusals_name_the_agreement_and_version():
    with pytest.raises(Conflict) as caught:
        check_can_sign(V.DRAFT, "ISA-2026-0007", 2)
    assert "ISA-2026-0007 version 2 is draft" in caught.value.message
    with pytest.raises(Conflict):
        check_can_submit(V.ACTIVE, "ISA-2026-0007", 1)
    with pytest.raises(Conflict) as caught:
        check_can_amend(V.ACTIVE, "ISA-2026-0007", 1, open_version=2)
    assert "version 2 open" in caught.value.message
