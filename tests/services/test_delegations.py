"""Delegation (issue 18, SPEC §4): a signatory names a delegate of the same agency for a
range of London dates; while it is current the delegate signs and declines on the
signatory's behalf, and nobody else gets through."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.domain.errors import Conflict, Forbidden, ValidationFailed
from registry.domain.lifecycle import StatusSettings
from registry.extensions import db
from registry.models import AuditEntry, Delegation, Notification, NotificationEvent
from registry.services import agreement_lifecycle, dashboard, delegations, signing, users

from ..factories import (
    ADMIN,
    FIXED_NOW,
    TODAY,
    chain,
    ig_lead_actor,
    make_agency,
    make_draft,
    make_user,
    party,
)
from ..racing import race

LATER = FIXED_NOW + timedelta(days=10)


@pytest.fixture
def world(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)
    principal = make_user(
        session, roles=("signatory",), agency=council, name="Alice Ames", job_title="Director"
    )
    delegate = make_user(
        session, roles=("practitioner",), agency=council, name="Bob Brown", job_title="Deputy"
    )
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    agreement_lifecycle.submit(session, ig_lead_actor(council), draft.id, now=FIXED_NOW)
    return council, police, principal, delegate, draft


def name(session, principal, delegate, *, start=TODAY, days=30):
    return delegations.create(
        session,
        principal.actor(),
        delegate_id=delegate.id,
        starts_on=start,
        ends_on=start + timedelta(days=days),
        now=FIXED_NOW,
    )


def test_a_current_delegate_signs_on_the_signatory_s_behalf(session, world):
    council, _, principal, delegate, draft = world
    delegation = name(session, principal, delegate)
    signature = signing.sign(session, delegate.actor(), draft.id, proof="password", now=LATER)
    assert signature.signatory_name == "Bob Brown" and signature.job_title == "Deputy"
    assert signature.on_behalf_of_user_id == principal.id
    assert (signature.on_behalf_of_name, signature.on_behalf_of_job_title) == (
        "Alice Ames",
        "Director",
    )
    assert signature.delegation_id == delegation.id and signature.agency_id == council.id


def test_a_delegate_s_decline_names_the_signatory(session, world):
    _, _, principal, delegate, draft = world
    name(session, principal, delegate)
    row = signing.decline(
        session, delegate.actor(), draft.id, "Wrong parties", proof="password", now=LATER
    )
    assert (row.on_behalf_of_user_id, row.on_behalf_of_name) == (principal.id, "Alice Ames")


def test_a_signatory_in_their_own_right_signs_as_themselves(session, world):
    council, _, principal, _, draft = world
    other = make_user(session, roles=("signatory",), agency=council, name="Carol Cross")
    name(session, principal, other)
    signature = signing.sign(session, other.actor(), draft.id, proof="password", now=LATER)
    assert signature.on_behalf_of_name is None and signature.delegation_id is None


@pytest.mark.parametrize(
    "when",
    [
        FIXED_NOW + timedelta(days=-1),  # before the range (it starts today)
        FIXED_NOW + timedelta(days=31),  # after it
    ],
)
def test_a_delegate_outside_the_dates_is_refused(session, world, when):
    _, _, principal, delegate, draft = world
    name(session, principal, delegate)
    with pytest.raises(Forbidden):
        signing.sign(session, delegate.actor(), draft.id, proof="password", now=when)
    with pytest.raises(Forbidden):
        signing.decline(session, delegate.actor(), draft.id, "No", proof="password", now=when)


def test_a_delegation_ended_early_no_longer_lets_the_delegate_sign(session, world):
    _, _, principal, delegate, draft = world
    delegation = name(session, principal, delegate)
    delegations.end(session, principal.actor(), delegation.id, now=FIXED_NOW)
    with pytest.raises(Forbidden):
        signing.sign(session, delegate.actor(), draft.id, proof="password", now=LATER)
    with pytest.raises(Conflict):  # once only
        delegations.end(session, principal.actor(), delegation.id, now=FIXED_NOW)


def test_a_delegate_signs_only_for_the_delegation_s_agency(session, world):
    council, police, principal, delegate, _ = world
    name(session, principal, delegate)
    school = make_agency(session, name="School")
    protocol, _ = chain(session, police, school)
    other = make_draft(
        session, owner=police, parent=protocol, parties=[party(police), party(school)]
    )
    agreement_lifecycle.submit(session, ig_lead_actor(police), other.id, now=FIXED_NOW)
    # A council delegate cannot sign an agreement the council is not a party to.
    with pytest.raises(Forbidden):
        signing.sign(session, delegate.actor(), other.id, proof="password", now=LATER)
    # And a delegate moved to another agency no longer signs for the council.
    users.update_user(session, ADMIN, delegate.id, agency_id=police.id, now=FIXED_NOW)
    with pytest.raises(Forbidden):
        signing.sign(session, delegate.actor(), world[4].id, proof="password", now=LATER)


def test_a_delegation_carries_on_when_the_signatory_leaves(session, world):
    _, _, principal, delegate, draft = world
    name(session, principal, delegate)
    users.update_user(session, ADMIN, principal.id, active=False, now=FIXED_NOW)
    signature = signing.sign(session, delegate.actor(), draft.id, proof="password", now=LATER)
    assert signature.on_behalf_of_name == "Alice Ames"


def test_naming_a_delegate_is_checked_with_clear_messages(session, world):
    council, police, principal, delegate, _ = world
    outsider = make_user(session, roles=("practitioner",), agency=police)
    disabled = make_user(session, roles=("practitioner",), agency=council, active=False)

    def refused(**changes) -> dict[str, str]:
        values = {
            "delegate_id": delegate.id,
            "starts_on": TODAY,
            "ends_on": TODAY + timedelta(days=7),
            **changes,
        }
        with pytest.raises(ValidationFailed) as caught:
            delegations.create(session, principal.actor(), now=FIXED_NOW, **values)
        return caught.value.fields

    assert refused(delegate_id=principal.id) == {
        "delegate_id": "Choose someone other than yourself"
    }
    assert refused(delegate_id=outsider.id) == {"delegate_id": "Choose a user of your own agency"}
    assert "disabled" in refused(delegate_id=disabled.id)["delegate_id"]
    assert refused(delegate_id=None) == {"delegate_id": "Choose who will sign on your behalf"}
    assert "today" in refused(starts_on=TODAY - timedelta(days=1))["starts_on"]
    assert refused(ends_on=TODAY - timedelta(days=1)) == {
        "ends_on": "The end date must be the same as or after the start date"
    }
    assert "at most a year" in refused(ends_on=TODAY + timedelta(days=366))["ends_on"]
    assert set(refused(starts_on=None, ends_on=None)) == {"starts_on", "ends_on"}
    # A year to the day is allowed; one day is too.
    name(session, principal, delegate, days=365)
    with pytest.raises(Conflict):  # the same delegate for overlapping dates
        name(session, principal, delegate, start=TODAY + timedelta(days=3), days=0)
    # Only a signatory names a delegate.
    with pytest.raises(Forbidden):
        delegations.create(
            session,
            delegate.actor(),
            delegate_id=principal.id,
            starts_on=TODAY,
            ends_on=TODAY,
            now=FIXED_NOW,
        )


def test_who_may_end_a_delegation(session, world):
    council, police, principal, delegate, _ = world
    delegation = name(session, principal, delegate)
    police_lead = make_user(session, roles=("ig_lead",), agency=police)
    with pytest.raises(Forbidden):  # the delegate cannot
        delegations.end(session, delegate.actor(), delegation.id, now=FIXED_NOW)
    with pytest.raises(Forbidden):  # nor another agency's IG lead
        delegations.end(session, police_lead.actor(), delegation.id, now=FIXED_NOW)
    council_lead = make_user(session, roles=("ig_lead",), agency=council)
    delegations.end(session, council_lead.actor(), delegation.id, now=FIXED_NOW)
    again = name(session, principal, delegate, start=TODAY + timedelta(days=40))
    delegations.end(session, ADMIN, again.id, now=FIXED_NOW)


def test_the_delegate_is_told_and_every_change_is_audited(session, world):
    _, _, principal, delegate, _ = world
    delegation = name(session, principal, delegate)
    delegations.end(session, principal.actor(), delegation.id, now=LATER)
    told = list(
        session.scalars(
            select(Notification)
            .where(Notification.event == NotificationEvent.DELEGATION)
            .order_by(Notification.id)
        )
    )
    assert [n.user_id for n in told] == [delegate.id, delegate.id]
    assert "Alice Ames has named you" in told[0].subject
    assert "15 June 2026 to 15 July 2026" in told[0].body
    assert "“Bob Brown on behalf of Alice Ames”" in told[0].body
    assert "no longer sign on behalf of Alice Ames" in told[1].subject
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_type == "delegation")
    ).all()
    assert actions == ["delegation.create", "delegation.end"]


def test_a_current_delegate_sees_what_awaits_the_agency_s_signature(session, world):
    _, _, principal, delegate, draft = world
    board = dashboard.build(session, delegate.actor(), today=TODAY, settings=StatusSettings())
    assert board.to_sign == []
    name(session, principal, delegate)
    board = dashboard.build(session, delegate.actor(), today=TODAY, settings=StatusSettings())
    assert [a.id for a, _ in board.to_sign] == [draft.id]


def test_who_sees_which_delegations(session, world):
    council, police, principal, delegate, _ = world
    mine = name(session, principal, delegate)
    police_signatory = make_user(session, roles=("signatory",), agency=police)
    theirs = name(session, police_signatory, make_user(session, agency=police))
    filters = delegations.DelegationFilters()

    def seen(actor, **kw):
        found = delegations.list_delegations(
            session, actor, delegations.DelegationFilters(**kw) if kw else filters, today=TODAY
        )
        return {d.id for d in found.items}

    assert seen(ADMIN) == {mine.id, theirs.id}
    assert seen(ADMIN, agency_id=police.id) == {theirs.id}
    assert seen(make_user(session, roles=("ig_lead",), agency=council).actor()) == {mine.id}
    assert seen(delegate.actor()) == {mine.id}
    assert seen(police_signatory.actor()) == {theirs.id}
    delegations.end(session, ADMIN, theirs.id, now=FIXED_NOW)
    assert seen(ADMIN, current_only=True) == {mine.id}


def test_the_same_delegate_named_by_four_requests_at_once_is_named_once(app, session, world):
    """Found by sending eight at once on PostgreSQL: each found no overlap and inserted."""
    _, _, principal, delegate, _ = world
    actor, delegate_id = principal.actor(), delegate.id

    def name_once(_: int) -> None:
        delegations.create(
            db.session,
            actor,
            delegate_id=delegate_id,
            starts_on=TODAY,
            ends_on=TODAY + timedelta(days=7),
            now=FIXED_NOW,
        )

    errors = race(app, name_once, range(4))
    session.rollback()
    assert len(errors) == 3 and all(isinstance(e, Conflict) for e in errors), errors
    assert len(session.scalars(select(Delegation)).all()) == 1
    told = session.scalars(
        select(Notification).where(Notification.event == NotificationEvent.DELEGATION)
    ).all()
    assert len(told) == 1
