"""Signing and declining need fresh proof (issue 18): the user's current two-factor code,
or their password when they have no two-factor sign-in; a wrong one counts as a failed
sign-in. And what a decline and the last signature tell the IG leads."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from registry.domain.errors import ValidationFailed
from registry.domain.vocab import VersionStatus
from registry.models import Notification, NotificationEvent, User
from registry.services import agreement_lifecycle, signing, two_factor
from registry.web.settings import totp_key

from ..client import RegistryClient
from ..factories import (
    FIXED_NOW,
    chain,
    ig_lead_actor,
    make_agency,
    make_draft,
    make_user,
    party,
    signatory_for,
)

STEP = int(FIXED_NOW.timestamp()) // 30


def enrolled(session, user: User) -> str:
    """Give `user` two-factor sign-in, as if they set it up with the code of the step
    before now (the one they signed in with): answers the secret."""
    secret = two_factor.new_secret()
    code = pyotp.TOTP(secret).at((STEP - 1) * 30)
    two_factor.enrol(session, user, secret, code, now=FIXED_NOW, key=totp_key())
    return secret


def check(session, user, *, totp=None, password=None):
    return signing.check_fresh_proof(
        session, user, totp=totp, password=password, now=FIXED_NOW, key=totp_key()
    )


def failures(session, user) -> int:
    session.rollback()
    return session.get(User, user.id).failed_sign_ins


def test_a_user_without_two_factor_gives_their_password(session):
    user = signatory_for(session, make_agency(session))
    with pytest.raises(ValidationFailed) as missing:
        check(session, user)
    assert missing.value.fields == {"password": "Enter your password"}
    assert failures(session, user) == 0  # nothing given is not a wrong guess
    with pytest.raises(ValidationFailed) as wrong:
        check(session, user, password="not my password at all")
    assert wrong.value.fields == {"password": "Your password is not right"}
    assert failures(session, user) == 1
    # A code is no use to a user without two-factor sign-in.
    with pytest.raises(ValidationFailed):
        check(session, user, totp="123456")
    assert check(session, user, password=RegistryClient.password) == "password"


def test_a_user_with_two_factor_gives_a_fresh_code_each_used_once(session):
    user = signatory_for(session, make_agency(session))
    secret = enrolled(session, user)
    totp = pyotp.TOTP(secret)
    with pytest.raises(ValidationFailed) as missing:
        check(session, user, password=RegistryClient.password)  # the password is not enough
    assert "6-digit code" in missing.value.fields["totp"]
    with pytest.raises(ValidationFailed) as reused:
        check(session, user, totp=totp.at((STEP - 1) * 30))  # the code they signed in with
    assert "used already" in reused.value.fields["totp"]
    assert failures(session, user) == 1
    wrong = f"{(int(totp.at(STEP * 30)) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationFailed):
        check(session, user, totp=wrong)
    assert failures(session, user) == 2
    assert check(session, user, totp=totp.at(STEP * 30)) == "two_factor"
    with pytest.raises(ValidationFailed):  # the same code twice: once only
        check(session, user, totp=totp.at(STEP * 30))


def test_ten_wrong_proofs_lock_the_account_and_then_even_the_right_one_is_refused(session):
    user = signatory_for(session, make_agency(session))
    for _ in range(10):
        with pytest.raises(ValidationFailed):
            check(session, user, password="a wrong password, again")
    session.rollback()
    assert session.get(User, user.id).locked_until == FIXED_NOW + timedelta(minutes=15)
    with pytest.raises(ValidationFailed) as locked:
        check(session, user, password=RegistryClient.password)
    assert "locked" in locked.value.fields["password"]


def test_the_proof_given_is_stored_with_the_signature_and_the_decline(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    agreement_lifecycle.submit(session, ig_lead_actor(council), draft.id, now=FIXED_NOW)
    signer = signatory_for(session, council)
    signature = signing.sign(session, signer.actor(), draft.id, proof="two_factor", now=FIXED_NOW)
    assert signature.proof == "two_factor" and signature.on_behalf_of_name is None
    declined = signing.decline(
        session,
        signatory_for(session, police).actor(),
        draft.id,
        "Too broad",
        proof="password",
        now=FIXED_NOW,
    )
    assert declined.proof == "password"
    with pytest.raises(ValueError):  # every caller says which proof was given
        signing.sign(session, signer.actor(), draft.id, proof="", now=FIXED_NOW)


def _told(session, event) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification).where(Notification.event == event).order_by(Notification.email)
        )
    )


def test_a_decline_tells_the_owner_s_ig_leads_who_declined_and_why(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)
    lead = make_user(session, roles=("ig_lead",), agency=council, email="lead@council.example")
    make_user(session, roles=("ig_lead",), agency=police, email="lead@police.example")
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    agreement_lifecycle.submit(session, ig_lead_actor(council), draft.id, now=FIXED_NOW)
    police_signer = make_user(
        session, roles=("signatory",), agency=police, name="Pat Police", job_title="Chief"
    )
    signing.decline(
        session,
        police_signer.actor(),
        draft.id,
        "Retention is too long",
        proof="password",
        now=FIXED_NOW,
    )
    [told] = _told(session, NotificationEvent.DECLINED)
    assert told.user_id == lead.id  # the owner's IG lead, not the police's
    assert told.agreement_id == draft.id and told.link == f"/agreements/{draft.id}"
    assert draft.reference in told.subject and "Police declined" in told.subject
    assert "Pat Police, Chief," in told.body and "“Retention is too long”" in told.body
    assert "gone back to draft" in told.body


def test_the_last_signature_tells_every_party_s_ig_leads_with_the_sealed_pdf(session):
    council, police, school = (
        make_agency(session, name=n) for n in ("Council", "Police", "School")
    )
    protocol, _ = chain(session, council, police, school)
    leads = [
        make_user(session, roles=("ig_lead",), agency=a, email=f"lead@{a.name.lower()}.example")
        for a in (council, police, school)
    ]
    draft = make_draft(
        session, owner=council, parent=protocol, parties=[party(council), party(police)]
    )
    agreement_lifecycle.submit(session, ig_lead_actor(council), draft.id, now=FIXED_NOW)
    signing.sign(
        session, signatory_for(session, council).actor(), draft.id, proof="password", now=FIXED_NOW
    )
    assert _told(session, NotificationEvent.ACTIVATED) == []  # not yet: one party to go
    signing.sign(
        session, signatory_for(session, police).actor(), draft.id, proof="password", now=FIXED_NOW
    )
    assert draft.latest.status == VersionStatus.ACTIVE
    told = _told(session, NotificationEvent.ACTIVATED)
    # Both parties' IG leads; the school is not a party to this one.
    assert {n.user_id for n in told} == {leads[0].id, leads[1].id}
    pdf = f"/agreements/{draft.id}/pdf?version=1"
    for n in told:
        # The mail ends with the link made absolute (services/outbox.py); the body points
        # to it rather than printing a path a reader cannot follow.
        assert n.link == pdf and "The link below opens the sealed PDF" in n.body
        assert draft.reference in n.subject and "(version 1) is now active" in n.subject
        assert "Council, Police" in n.body
