"""Issue 18: who is told of each lifecycle change, and what they read. Each notification is
written in the same transaction as the change, so a refused change tells no one."""

from datetime import timedelta

import pytest

from registry.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from registry.domain.lifecycle import StatusSettings
from registry.models import AuditEntry, Notification, NotificationEvent, SealJob, Withdrawal
from registry.services import agreement_lifecycle as lifecycle
from registry.services import agreements, delegations, signing
from registry.services.coverage import CheckInput, run_check

from ..factories import (
    ADMIN,
    FIXED_NOW,
    TODAY,
    activate,
    chain,
    make_agency,
    make_draft,
    make_user,
    party,
    police_to_council,
    signatory_for,
)

REASON = "Our youth service moves to the county's new early help hub"


def _told(session, event: NotificationEvent, agreement=None) -> dict[str, Notification]:
    """The notifications of `event` (about `agreement`, when given), by recipient email."""
    session.expire_all()
    rows = session.query(Notification).filter_by(event=event).all()
    rows = [r for r in rows if agreement is None or r.agreement_id == agreement.id]
    emails = [r.email for r in rows]
    assert len(emails) == len(set(emails)), "someone was told twice"
    return {r.email: r for r in rows}


@pytest.fixture
def partners(session):
    """Council, police and health, each with an IG lead and a signatory (real users), and
    a protocol and a MASH agreement in force between all three."""
    agencies = {
        name: make_agency(session, name=name, kind=kind)
        for name, kind in (("Council", "local_authority"), ("Police", "police"), ("NHS", "health"))
    }
    people = {}
    for name, agency in agencies.items():
        key = name.lower()
        people[f"{key}_lead"] = make_user(
            session,
            roles=("ig_lead",),
            agency=agency,
            name=f"{name} Lead",
            email=f"lead@{key}.example",
            job_title="IG lead",
        )
        people[f"{key}_signer"] = signatory_for(session, agency)
    protocol, mash = chain(session, *agencies.values())
    session.query(Notification).delete()  # of the set-up's submissions: each test starts clean
    session.commit()
    return agencies, people, protocol, mash


def _withdraw(session, user, agreement, agency, *, days=30, reason=REASON):
    return lifecycle.withdraw(
        session,
        user.actor(),
        agreement.id,
        agency_id=agency.id,
        effective_on=TODAY + timedelta(days=days),
        reason=reason,
        today=TODAY,
        now=FIXED_NOW,
    )


def test_submission_tells_the_signatories_of_each_party_that_has_not_signed(session, partners):
    agencies, people, protocol, _ = partners
    council, police, nhs = agencies.values()
    draft = make_draft(
        session,
        owner=council,
        parent=protocol,
        parties=[party(council), party(police), party(nhs)],
        title="Missing children",
    )
    lifecycle.submit(session, people["council_lead"].actor(), draft.id, now=FIXED_NOW)
    told = _told(session, NotificationEvent.SUBMITTED)
    signers = {people[f"{k}_signer"].email for k in ("council", "police", "nhs")}
    assert set(told) == signers  # signatories only: no IG lead is asked to sign
    notice = told[people["police_signer"].email]
    assert notice.subject == f"Please sign {draft.reference} version 1: Missing children"
    assert f"{draft.reference} “Missing children”" in notice.body
    assert "Council Lead (IG lead) of Council has submitted" in notice.body
    assert "sign it for your agency, or decline" in notice.body
    assert notice.link == f"/agreements/{draft.id}/sign"
    assert notice.agreement_id == draft.id and notice.created_at == FIXED_NOW

    # A submitter who also signs for a party is asked to sign like any other signatory.
    both = make_user(session, roles=("ig_lead", "signatory"), agency=nhs, email="both@nhs.example")
    other = make_draft(session, owner=nhs, parent=protocol, parties=[party(nhs), party(police)])
    lifecycle.submit(session, both.actor(), other.id, now=FIXED_NOW)
    assert both.email in _told(session, NotificationEvent.SUBMITTED, other)

    # Declined by the police and resubmitted unchanged: the council's signature still
    # binds the same content, so only the police and the NHS are asked again.
    signing.sign(
        session, people["council_signer"].actor(), draft.id, proof="password", now=FIXED_NOW
    )
    signing.decline(
        session,
        people["police_signer"].actor(),
        draft.id,
        "Wrong retention",
        proof="password",
        now=FIXED_NOW,
    )
    session.query(Notification).delete()
    session.commit()
    lifecycle.submit(session, people["council_lead"].actor(), draft.id, now=FIXED_NOW)
    assert set(_told(session, NotificationEvent.SUBMITTED, draft)) == {
        people["police_signer"].email,
        people["nhs_signer"].email,
        both.email,  # the NHS's second signatory now
    }


def test_a_withdrawal_notice_tells_every_party_s_ig_leads_with_its_reason_and_date(
    session, partners
):
    agencies, people, _, mash = partners
    council, police, _ = agencies.values()
    other_police_lead = make_user(
        session, roles=("ig_lead",), agency=police, email="second@police.example"
    )
    _withdraw(session, people["police_lead"], mash, police, days=30)
    told = _told(session, NotificationEvent.WITHDRAWAL_NOTICE)
    # Every party's IG leads, the withdrawing agency's other IG lead too; not the one who
    # gave the notice, and no signatory.
    assert set(told) == {
        people["council_lead"].email,
        people["nhs_lead"].email,
        other_police_lead.email,
    }
    notice = told[people["council_lead"].email]
    when = TODAY + timedelta(days=30)
    long = f"{when.day} {when.strftime('%B')} {when.year}"
    assert notice.subject == f"Police withdraws from {mash.reference} from {long}"
    assert f"Police has given notice that it withdraws from {mash.reference} “MASH”" in (
        notice.body
    )
    assert f"Reason given: {REASON}" in notice.body
    assert "Notice given by Police Lead (IG lead) on 15 June 2026" in notice.body
    assert f"from {long}" in notice.body and "terminates" not in notice.body
    assert notice.link == f"/agreements/{mash.id}" and notice.agency_id == police.id


def test_a_notice_that_leaves_fewer_than_two_parties_says_the_agreement_ends(session, partners):
    agencies, people, protocol, _ = partners
    council, police, _ = agencies.values()
    pair = activate(
        session,
        make_draft(
            session, owner=council, parent=protocol, parties=[party(council), party(police)]
        ),
    )
    _withdraw(session, people["police_lead"], pair, police, days=10)
    ends = TODAY + timedelta(days=10)
    told = _told(session, NotificationEvent.WITHDRAWAL_NOTICE, pair)
    notice = told[people["council_lead"].email]
    assert (
        f"Fewer than two parties will remain, so the agreement terminates on "
        f"{ends.day} {ends.strftime('%B')} {ends.year}." in notice.body
    )
    # Effective today: it ends now, and the notice says so.
    other = activate(
        session,
        make_draft(
            session, owner=council, parent=protocol, parties=[party(council), party(police)]
        ),
    )
    _withdraw(session, people["police_lead"], other, police, days=0)
    told = _told(session, NotificationEvent.WITHDRAWAL_NOTICE, other)
    notice = told[people["council_lead"].email]
    assert "the agreement has been terminated today" in notice.body
    assert _told(session, NotificationEvent.TERMINATED) == {}  # one notice says both


def test_a_withdrawal_needs_a_reason_and_a_refused_one_tells_no_one(session, partners):
    agencies, people, _, mash = partners
    police = agencies["Police"]
    for reason in (None, "   "):
        with pytest.raises(ValidationFailed) as caught:
            _withdraw(session, people["police_lead"], mash, police, reason=reason)
        assert caught.value.fields == {"reason": "Give the reason for withdrawing"}
    with pytest.raises(ValidationFailed) as caught:
        _withdraw(session, people["police_lead"], mash, police, reason="x\x00y")
    assert "reason" in caught.value.fields
    session.rollback()
    assert session.query(Withdrawal).count() == 0
    assert session.query(Notification).count() == 0


def test_suspend_resume_and_terminate_tell_every_party_s_ig_leads_with_the_reason(
    session, partners
):
    agencies, people, _, mash = partners
    leads = {people[f"{k}_lead"].email for k in ("council", "police", "nhs")}
    steps = (
        (lifecycle.suspend, ADMIN, "Data breach under investigation", "suspended"),
        (lifecycle.resume, ADMIN, "Investigation closed: no fault found", "resumed"),
        (lifecycle.terminate, people["council_lead"].actor(), "Replaced by MASH 2", "terminated"),
    )
    for action, actor, reason, done in steps:
        action(session, actor, mash.id, reason, now=FIXED_NOW)
        told = _told(session, NotificationEvent(done))
        expected = leads - {people["council_lead"].email} if done == "terminated" else leads
        assert set(told) == expected, done
        notice = next(iter(told.values()))
        assert notice.subject == f"{mash.reference} {done}: MASH"
        assert f"{mash.reference} “MASH” has been {done} by {actor.name}" in notice.body
        assert f"Reason: {reason}" in notice.body
    # A refused change tells no one.
    with pytest.raises(Conflict):
        lifecycle.suspend(session, ADMIN, mash.id, "Again", now=FIXED_NOW)
    session.rollback()
    assert len(_told(session, NotificationEvent.SUSPENDED)) == 3


def test_a_review_that_terminates_tells_the_parties(session, partners):
    agencies, people, _, mash = partners
    lifecycle.review(
        session,
        people["council_lead"].actor(),
        mash.id,
        outcome="terminate",
        notes="No longer needed",
        today=TODAY,
        now=FIXED_NOW,
    )
    told = _told(session, NotificationEvent.TERMINATED)
    assert set(told) == {people["police_lead"].email, people["nhs_lead"].email}
    assert "No longer needed" in next(iter(told.values())).body


def test_a_parent_narrowed_below_a_child_tells_the_child_s_owner_once(session, partners):
    agencies, people, _, mash = partners
    council, police, nhs = agencies.values()
    # The flow under MASH is owned by the NHS (so the owners differ).
    flow = activate(
        session,
        make_draft(
            session,
            tier=3,
            owner=nhs,
            parent=mash,
            parties=[party(police), party(nhs)],
            title="Police to NHS",
        ),
    )
    lead = people["council_lead"].actor()
    lifecycle.amend(session, lead, mash.id, now=FIXED_NOW)
    agreements.update_draft(
        session,
        lead,
        mash.id,
        {"parties": [party(council), party(police, disclose=False), party(nhs)]},
        now=FIXED_NOW,
    )
    activate(session, mash)  # signed by all: now in force, narrower than the flow
    told = _told(session, NotificationEvent.PARENT_NARROWED)
    assert set(told) == {people["nhs_lead"].email}
    notice = told[people["nhs_lead"].email]
    assert notice.subject == f"{flow.reference} now goes beyond its parent {mash.reference}"
    assert f"Police may not disclose under {mash.reference}" in notice.body
    assert f"{mash.reference} “MASH” has changed (its version 2 came into force on 15 June" in (
        notice.body
    )
    assert f"amend {flow.reference} to match" in notice.body
    assert notice.link == f"/agreements/{flow.id}" and notice.agreement_id == flow.id
    # A later change to the parent that leaves the flow still beyond it tells no one again.
    lifecycle.suspend(session, ADMIN, mash.id, "Checking", now=FIXED_NOW)
    lifecycle.resume(session, ADMIN, mash.id, "Checked", now=FIXED_NOW)
    _withdraw(session, people["police_lead"], mash, police, days=0)
    assert len(_told(session, NotificationEvent.PARENT_NARROWED)) == 1


def test_a_child_already_within_its_narrowed_parent_is_not_told(session, partners):
    agencies, people, _, mash = partners
    council, police, _ = agencies.values()
    police_to_council(session, mash, police, council)
    lead = people["council_lead"].actor()
    lifecycle.amend(session, lead, mash.id, now=FIXED_NOW)
    agreements.update_draft(session, lead, mash.id, {"title": "MASH, renamed"}, now=FIXED_NOW)
    activate(session, mash)
    assert _told(session, NotificationEvent.PARENT_NARROWED) == {}


# Cancelling a notice (issue 18 point 6) -----------------------------------------------


def test_the_withdrawing_agency_cancels_its_notice_before_it_takes_effect(session, partners):
    agencies, people, _, mash = partners
    police = agencies["Police"]
    _withdraw(session, people["police_lead"], mash, police, days=30)
    with pytest.raises(Forbidden):  # another party's IG lead may not
        lifecycle.cancel_withdrawal(
            session,
            people["council_lead"].actor(),
            mash.id,
            agency_id=police.id,
            today=TODAY,
            now=FIXED_NOW,
        )
    later = FIXED_NOW + timedelta(days=1)
    lifecycle.cancel_withdrawal(
        session,
        people["police_lead"].actor(),
        mash.id,
        agency_id=police.id,
        today=TODAY + timedelta(days=1),
        now=later,
    )
    session.expire_all()
    assert mash.withdrawals == []
    entry = session.query(AuditEntry).filter_by(action="agreement.withdrawal_cancelled").one()
    when = (TODAY + timedelta(days=30)).isoformat()
    assert entry.before["effective_on"] == when and entry.before["reason"] == REASON
    assert entry.actor_name == people["police_lead"].name
    assert entry.after["cancelled_by_id"] == people["police_lead"].id
    told = _told(session, NotificationEvent.WITHDRAWAL_CANCELLED)
    assert set(told) == {people["council_lead"].email, people["nhs_lead"].email}
    notice = told[people["nhs_lead"].email]
    assert notice.subject == f"Police no longer withdraws from {mash.reference}"
    assert "has been cancelled by Police Lead (IG lead) on 16 June 2026" in notice.body
    assert REASON in notice.body and "stays a party" in notice.body
    # Notice may be given again afterwards.
    _withdraw(session, people["police_lead"], mash, police, days=60)
    assert [w.agency_id for w in mash.withdrawals] == [police.id]


def test_the_administrator_may_cancel_and_a_cancelled_ending_is_lifted(session, partners):
    agencies, people, protocol, _ = partners
    council, police, _ = agencies.values()
    pair = activate(
        session,
        make_draft(
            session, owner=council, parent=protocol, parties=[party(council), party(police)]
        ),
    )
    _withdraw(session, people["police_lead"], pair, police, days=10)
    assert pair.terminates_on == TODAY + timedelta(days=10)
    lifecycle.cancel_withdrawal(
        session, ADMIN, pair.id, agency_id=police.id, today=TODAY, now=FIXED_NOW
    )
    session.expire_all()
    assert pair.terminates_on is None
    notice = _told(session, NotificationEvent.WITHDRAWAL_CANCELLED)[people["police_lead"].email]
    assert "no longer terminates on" in notice.body


def test_a_notice_cannot_be_cancelled_on_or_after_its_day(session, partners):
    agencies, people, _, mash = partners
    police, nhs = agencies["Police"], agencies["NHS"]
    _withdraw(session, people["police_lead"], mash, police, days=5)
    for day in (5, 6):
        with pytest.raises(Conflict) as caught:
            lifecycle.cancel_withdrawal(
                session,
                people["police_lead"].actor(),
                mash.id,
                agency_id=police.id,
                today=TODAY + timedelta(days=day),
                now=FIXED_NOW + timedelta(days=day),
            )
        assert caught.value.code == "notice_in_effect"
        assert "can no longer be cancelled" in caught.value.message
        session.rollback()
    assert len(mash.withdrawals) == 1
    with pytest.raises(NotFound):  # the NHS gave no notice
        lifecycle.cancel_withdrawal(
            session, ADMIN, mash.id, agency_id=nhs.id, today=TODAY, now=FIXED_NOW
        )


def test_a_notice_and_its_cancellation_each_reseal_the_version_in_force(app, session, partners):
    app.config["SEAL_ON_ACTIVATION"] = True
    agencies, people, _, mash = partners
    police = agencies["Police"]
    _withdraw(session, people["police_lead"], mash, police, days=30)
    lifecycle.cancel_withdrawal(
        session, ADMIN, mash.id, agency_id=police.id, today=TODAY, now=FIXED_NOW
    )
    jobs = session.query(SealJob).filter_by(agreement_id=mash.id).order_by(SealJob.id).all()
    assert [(j.reason.value, j.version_number) for j in jobs] == [
        ("withdrawal", 1),
        ("withdrawal", 1),
    ]
    given = session.query(AuditEntry).filter_by(action="agreement.withdraw").one()
    assert given.after["seal_job"] == jobs[0].id and given.after["reason"] == REASON


def test_a_cancelled_notice_no_longer_removes_the_agency_from_coverage(session, partners):
    """Asked for a day after the old notice's date: covered again once it is cancelled."""
    agencies, people, _, mash = partners
    council, police, _ = agencies.values()
    practitioner = make_user(session, agency=council)
    after = TODAY + timedelta(days=40)

    def outcome():
        _, answer = run_check(
            session,
            practitioner.actor(),
            CheckInput(council.id, police.id, "mash_triage", ["identity_contact"], after),
            today=TODAY,
            now=FIXED_NOW,
            settings=StatusSettings(),
        )
        return answer.outcome.value, [r.code for r in answer.reasons]

    assert outcome()[0] == "covered"
    _withdraw(session, people["police_lead"], mash, police, days=30)
    assert outcome() == ("not_covered", ["withdrawn"])
    lifecycle.cancel_withdrawal(
        session, ADMIN, mash.id, agency_id=police.id, today=TODAY, now=FIXED_NOW
    )
    assert outcome()[0] == "covered"


def test_a_withdrawal_from_the_parent_that_leaves_a_child_beyond_it_is_told(session, partners):
    agencies, people, _, mash = partners
    _, police, nhs = agencies.values()
    flow = activate(
        session,
        make_draft(session, tier=3, owner=nhs, parent=mash, parties=[party(police), party(nhs)]),
    )
    assert _told(session, NotificationEvent.PARENT_NARROWED) == {}
    _withdraw(session, people["police_lead"], mash, police, days=0)  # from today
    told = _told(session, NotificationEvent.PARENT_NARROWED)
    assert set(told) == {people["nhs_lead"].email}
    body = told[people["nhs_lead"].email].body
    assert f"{mash.reference} “MASH” has changed (Police has withdrawn from it)" in body
    assert told[people["nhs_lead"].email].agreement_id == flow.id


def test_a_current_delegate_is_asked_to_sign_and_a_signature_answers_the_request(session, partners):
    """Found by trying it: a delegate who could sign was not asked, and 'Please sign'
    stayed unread on everyone's home page after their agency had signed."""
    agencies, people, protocol, _ = partners
    council, police, _ = agencies.values()
    deputy = make_user(session, roles=("practitioner",), agency=police, email="dep@police.example")
    delegations.create(
        session,
        people["police_signer"].actor(),
        delegate_id=deputy.id,
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=7),
        now=FIXED_NOW,
    )
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    lifecycle.submit(session, people["council_lead"].actor(), draft.id, now=FIXED_NOW)
    asked = _told(session, NotificationEvent.SUBMITTED, draft)
    assert set(asked) == {
        people["council_signer"].email,
        people["police_signer"].email,
        "dep@police.example",
    }
    # The deputy signs for the police: both police requests are answered; the council's
    # still waits.
    signing.sign(session, deputy.actor(), draft.id, proof="password", now=FIXED_NOW)
    asked = _told(session, NotificationEvent.SUBMITTED, draft)
    assert asked["dep@police.example"].read_at == FIXED_NOW
    assert asked[people["police_signer"].email].read_at == FIXED_NOW
    assert asked[people["council_signer"].email].read_at is None


def test_a_decline_answers_every_request_to_sign(session, partners):
    """Found by trying it: after a decline sent the version back to draft, every party's
    'Please sign' stayed unread and still said to sign it."""
    agencies, people, protocol, _ = partners
    council, police, _ = agencies.values()
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    lifecycle.submit(session, people["council_lead"].actor(), draft.id, now=FIXED_NOW)
    signing.decline(
        session, people["police_signer"].actor(), draft.id, "No", proof="password", now=FIXED_NOW
    )
    asked = _told(session, NotificationEvent.SUBMITTED, draft)
    assert len(asked) == 2 and all(n.read_at == FIXED_NOW for n in asked.values())


def test_notice_cannot_be_given_on_an_agreement_never_in_force(session, partners):
    """Found by trying it: the owner could 'withdraw' from its own draft, and every party
    was told."""
    agencies, people, protocol, _ = partners
    council, police, _ = agencies.values()
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    with pytest.raises(Conflict, match="never been in force"):
        _withdraw(session, people["police_lead"], draft, police)
    lifecycle.submit(session, people["council_lead"].actor(), draft.id, now=FIXED_NOW)
    with pytest.raises(Conflict, match="never been in force"):
        _withdraw(session, people["police_lead"], draft, police)
    session.rollback()
    assert _told(session, NotificationEvent.WITHDRAWAL_NOTICE) == {}
