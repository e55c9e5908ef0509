"""Follow-ups to decisions (issue 19 point 3): append-only, chained, checked by
verify-audit; who may add one; which decisions are due a follow-up."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from registry.domain.errors import Forbidden, ValidationFailed
from registry.extensions import db
from registry.services import follow_ups
from registry.services.follow_ups import FollowUpInput, due_follow_ups, record_follow_up

from ..factories import FIXED_NOW, TODAY, make_agency, make_decision, make_follow_up, make_user
from ..tamper import tamper

EARLIER = FIXED_NOW - timedelta(days=30)


@pytest.fixture
def pair(session):
    return make_agency(session, name="Council"), make_agency(session, name="Police")


def test_follow_ups_are_chained_and_verify(session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    first = make_follow_up(session, user, decision)
    second = make_follow_up(session, user, decision, consent_withdrawn=False, information="kept")
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.previous_hash == first.entry_hash and len(first.entry_hash) == 64
    assert follow_ups.verify(session) is None
    shown = follow_ups.follow_ups_of(session, user.actor(), decision.id)
    assert [f.information.value for f in shown] == ["deleted", "kept"]


def test_the_database_refuses_to_change_or_remove_a_follow_up(session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    make_follow_up(session, user, make_decision(session, user, police))
    for sql in (
        "UPDATE decision_follow_ups SET outcome = 'Nothing happened'",
        "DELETE FROM decision_follow_ups",
    ):
        with pytest.raises(DatabaseError):
            session.execute(text(sql))
        session.rollback()
    assert db.session.scalar(text("SELECT outcome FROM decision_follow_ups")).startswith(
        "The recipient confirmed"
    )


def test_a_follow_up_changed_behind_the_registry_s_back_is_detected(app, session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    make_follow_up(session, user, decision)
    make_follow_up(session, user, decision, outcome="They confirmed the deletion in writing")
    tamper(
        session,
        "decision_follow_ups",
        "UPDATE decision_follow_ups SET consent_withdrawn = false WHERE sequence = 2",
    )
    assert follow_ups.verify(session) == 2
    result = app.test_cli_runner().invoke(args=["verify-audit"])
    assert result.exit_code == 1
    assert "The follow-ups to decisions are broken at follow-up 2" in result.output


def test_only_the_recorder_or_their_agency_s_ig_lead_may_follow_up(session, pair):
    council, police = pair
    author = make_user(session, agency=council)
    decision = make_decision(session, author, police)
    colleague = make_user(session, agency=council)
    other_lead = make_user(session, roles=("ig_lead",), agency=police)
    signatory = make_user(session, roles=("signatory",), agency=council)
    for outsider in (colleague, other_lead, signatory):
        with pytest.raises(Forbidden):
            make_follow_up(session, outsider, decision)
    lead = make_user(session, roles=("ig_lead",), agency=council, name="Ivy Lead")
    entry = make_follow_up(session, lead, decision)
    assert entry.recorded_by == "Ivy Lead"


def test_every_fault_is_named_at_once(session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    with pytest.raises(ValidationFailed) as caught:
        record_follow_up(
            session,
            user.actor(),
            decision.id,
            FollowUpInput(
                consent_withdrawn=None,
                share_stopped=None,
                information="burnt",
                outcome="  ",
                next_follow_up_on=TODAY - timedelta(days=1),
            ),
            today=TODAY,
            now=FIXED_NOW,
        )
    assert set(caught.value.fields) == {
        "consent_withdrawn",
        "share_stopped",
        "information",
        "outcome",
        "next_follow_up_on",
    }
    assert follow_ups.length(session) == 0


def test_follow_ups_due_are_those_past_their_date_with_none_recorded_since(session, pair):
    council, police = pair
    author = make_user(session, agency=council)
    other = make_user(session, agency=council)
    due_date = TODAY - timedelta(days=3)
    overdue = make_decision(
        session, author, police, follow_up_on=due_date, now=EARLIER, case_reference="CS-1"
    )
    make_decision(session, author, police, follow_up_on=TODAY + timedelta(days=5))  # not yet
    make_decision(session, author, police)  # none planned
    done = make_decision(session, author, police, follow_up_on=due_date, now=EARLIER)
    make_follow_up(session, author, done)  # followed up: nothing more planned
    again = make_decision(session, author, police, follow_up_on=due_date, now=EARLIER)
    make_follow_up(session, author, again, next_follow_up_on=TODAY)  # due again today
    colleagues = make_decision(session, other, police, follow_up_on=due_date, now=EARLIER)

    mine, total = due_follow_ups(session, author.actor(), today=TODAY)
    assert [(d.decision.id, d.due_on) for d in mine] == [(overdue.id, due_date), (again.id, TODAY)]
    assert total == 2 and mine[1].followed_up_before
    lead = make_user(session, roles=("ig_lead",), agency=council)
    agency_wide, total = due_follow_ups(session, lead.actor(), today=TODAY)
    assert {d.decision.id for d in agency_wide} == {overdue.id, again.id, colleagues.id}
    police_lead = make_user(session, roles=("ig_lead",), agency=police)
    assert due_follow_ups(session, police_lead.actor(), today=TODAY) == ([], 0)


def test_follow_ups_removed_from_the_end_are_caught_by_the_signed_checkpoint(app, session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    make_follow_up(session, user, decision)
    make_follow_up(session, user, decision, outcome="They confirmed the deletion in writing")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["verify-audit"])
    assert first.exit_code == 0 and "their follow-ups (2)" in first.output
    tamper(session, "decision_follow_ups", "DELETE FROM decision_follow_ups WHERE sequence = 2")
    assert follow_ups.verify(session) is None  # what is left still chains
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1
    assert "The follow-ups to decisions end at follow-up 1" in result.output
    assert "entries were removed from the end" in result.output


def test_the_decisions_list_says_which_decisions_had_consent_withdrawn_later(client, session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    withdrawn = make_decision(session, user, police, case_reference="CASE-WITHDRAWN-1")
    stopped = make_decision(session, user, police, case_reference="CASE-STOPPED-1")
    quiet = make_decision(session, user, police, case_reference="CASE-QUIET-1")
    make_follow_up(session, user, withdrawn, consent_withdrawn=False, share_stopped=False)
    make_follow_up(session, user, withdrawn)  # the second says consent was withdrawn
    make_follow_up(session, user, stopped, consent_withdrawn=False)
    client.sign_in(user)

    rows = {
        row.split("CASE-")[1].split("<")[0]: row
        for row in client.get("/decisions")
        .get_data(as_text=True)
        .split('<tr class="govuk-table__row">')
        if "CASE-" in row
    }
    assert "Consent withdrawn later" in rows["WITHDRAWN-1"]
    assert "share stopped" in rows["WITHDRAWN-1"]
    assert "Share stopped later" in rows["STOPPED-1"]
    assert "Consent withdrawn" not in rows["STOPPED-1"]
    assert "later" not in rows["QUIET-1"] and "follow-up" not in rows["QUIET-1"]
    assert quiet.id not in follow_ups.afterwards(session, [quiet.id])


def test_the_same_follow_up_sent_again_soon_is_answered_with_the_first(session, pair):
    council, police = pair
    user = make_user(session, agency=council)
    decision = make_decision(session, user, police)
    first = make_follow_up(session, user, decision)
    with pytest.raises(follow_ups.Repeated) as repeated:
        make_follow_up(session, user, decision, now=FIXED_NOW + timedelta(minutes=9))
    assert repeated.value.entry.id == first.id
    assert follow_ups.length(session) == 1
    # Worded differently, or the same words later, it is a new event on the record.
    make_follow_up(session, user, decision, outcome="They deleted it again from a backup")
    make_follow_up(session, user, decision, now=FIXED_NOW + timedelta(minutes=11))
    assert follow_ups.length(session) == 3
