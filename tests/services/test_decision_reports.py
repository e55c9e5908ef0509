"""Decision reporting (issue 19 point 4): filters, the CSV's new columns, monthly counts."""

import csv
import io
from datetime import UTC, date, datetime

from registry.domain.decisions import KEY_QUESTIONS
from registry.domain.lifecycle import StatusSettings
from registry.services.coverage import CheckInput, run_check
from registry.services.decisions import (
    CSV_COLUMNS,
    DecisionFilters,
    decisions_csv,
    list_decisions,
    monthly_summary,
)

from ..factories import FIXED_NOW, TODAY, chain, make_agency, make_decision, make_user


def check(session, user, to, purpose="mash_triage"):
    row, _ = run_check(
        session,
        user.actor(),
        CheckInput(user.agency_id, to.id, purpose, ["identity_contact"], None),
        today=TODAY,
        now=FIXED_NOW,
        settings=StatusSettings(),
    )
    return row


def setting(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    health = make_agency(session, name="Health")
    user = make_user(session, agency=council)
    lead = make_user(session, roles=("ig_lead",), agency=council)
    return council, police, health, user, lead


def test_shared_although_not_covered_can_be_found(session):
    council, police, health, user, lead = setting(session)
    uncovered = make_decision(
        session,
        user,
        police,
        check_id=check(session, user, police).id,  # no agreement: not covered
        key_questions={"legitimate_purpose": "yes", "public_interest": "not_sure"},
    )
    make_decision(session, user, police, decision="not_share")  # no check
    make_decision(session, user, health, purpose="marac")
    found = list_decisions(
        session, lead.actor(), DecisionFilters(decision="share", coverage="not_covered")
    )
    assert [r.id for r in found.items] == [uncovered.id]
    assert list_decisions(session, lead.actor(), DecisionFilters(coverage="no_check")).total == 2
    assert [
        r.purpose
        for r in list_decisions(session, lead.actor(), DecisionFilters(purpose="marac")).items
    ] == ["marac"]
    to_health = list_decisions(session, lead.actor(), DecisionFilters(to_agency_id=health.id))
    assert to_health.total == 1


def test_the_csv_keeps_its_columns_and_adds_the_outcome_and_each_answer(session):
    council, police, health, user, lead = setting(session)
    make_decision(
        session,
        user,
        police,
        check_id=check(session, user, police).id,
        key_questions={"legitimate_purpose": "yes", "public_interest": "not_sure"},
    )
    make_decision(session, user, health, decision="not_share")
    rows = list(csv.reader(io.StringIO(decisions_csv(session, lead.actor()))))
    header = rows[0]
    assert tuple(header[: len(CSV_COLUMNS)]) == CSV_COLUMNS  # the old columns, in order
    assert header[len(CSV_COLUMNS)] == "check_outcome"
    assert header[len(CSV_COLUMNS) + 1 :] == [f"key_question_{k}" for k in KEY_QUESTIONS]
    first = dict(zip(header, rows[1], strict=True))
    assert first["check_outcome"] == "not_covered"
    assert first["key_question_legitimate_purpose"] == "yes"
    assert first["key_question_public_interest"] == "not_sure"
    assert first["key_question_confidential"] == ""
    second = dict(zip(header, rows[2], strict=True))
    assert second["check_outcome"] == "no_check"
    # The CSV exports what is filtered.
    only = list(
        csv.reader(
            io.StringIO(decisions_csv(session, lead.actor(), DecisionFilters(decision="not_share")))
        )
    )
    assert len(only) == 2 and only[1][header.index("to_agency")] == "Health"


def test_dates_filter_by_the_day_in_london(session):
    council, police, health, user, lead = setting(session)
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (summer time).
    late = make_decision(
        session, user, police, now=datetime(2026, 5, 31, 23, 30, tzinfo=UTC), reasons="June"
    )
    make_decision(session, user, police, now=datetime(2026, 5, 31, 22, 30, tzinfo=UTC))
    june = list_decisions(
        session,
        lead.actor(),
        DecisionFilters(recorded_from=date(2026, 6, 1), recorded_to=date(2026, 6, 30)),
    )
    assert [r.id for r in june.items] == [late.id]
    may = list_decisions(session, lead.actor(), DecisionFilters(recorded_to=date(2026, 5, 31)))
    assert may.total == 1 and may.items[0].id != late.id


def test_monthly_counts_include_empty_months(session):
    council, police, health, user, lead = setting(session)
    april = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
    make_decision(session, user, police, now=april)
    make_decision(
        session,
        user,
        police,
        now=april,
        consent="refused",
        consent_reason="Risk of significant harm",
        check_id=check(session, user, police).id,
    )
    make_decision(session, user, police, now=FIXED_NOW, decision="not_share", consent="refused")
    months = monthly_summary(session, lead.actor())
    assert [m.month for m in months] == [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]
    a, may, june = months
    assert (a.shares, a.not_shares, a.shared_without_coverage, a.consent_refused) == (2, 0, 1, 1)
    assert (may.shares, may.not_shares) == (0, 0)
    assert (june.shares, june.not_shares, june.consent_refused) == (0, 1, 1)
    # Another agency's IG lead sees none of these.
    other = make_user(session, roles=("ig_lead",), agency=police)
    assert monthly_summary(session, other.actor()) == []


def test_shares_without_cover_are_the_uncovered_and_the_unchecked_never_the_covered(session):
    """The administrator's figure of shares without cover links to this filter."""
    council, police, health, user, lead = setting(session)
    chain(session, council, police)
    covered_check = check(session, user, police)
    assert covered_check.answer["outcome"] == "covered"
    make_decision(session, user, police, check_id=covered_check.id)
    uncovered = make_decision(session, user, health, check_id=check(session, user, health).id)
    unchecked = make_decision(session, user, health)
    make_decision(session, user, health, decision="not_share")
    found = list_decisions(
        session, lead.actor(), DecisionFilters(decision="share", coverage="without_cover")
    )
    assert sorted(r.id for r in found.items) == sorted([uncovered.id, unchecked.id])
