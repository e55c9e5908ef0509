"""The sign and decline pages ask for fresh proof (issue 18); delegation pages, and a
delegate's signature as the agreement page shows it."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from bs4 import BeautifulSoup
from sqlalchemy import select

from registry.extensions import db
from registry.models import Delegation, Signature, User
from registry.services import agreement_lifecycle, delegations
from registry.services.two_factor import unseal
from registry.web.settings import totp_key

from ..factories import (
    FIXED_NOW,
    TODAY,
    awaiting_signatures,
    chain,
    ig_lead_actor,
    make_admin,
    make_agency,
    make_draft,
    make_user,
    party,
)
from .test_agreement_pages import errors

STEP = int(FIXED_NOW.timestamp()) // 30


def signatures(session, agreement_id) -> list[Signature]:
    session.rollback()  # see what the requests wrote
    return list(session.scalars(select(Signature).where(Signature.agency_id.is_not(None))))


def failed_sign_ins(session, user) -> int:
    session.rollback()
    return session.get(User, user.id).failed_sign_ins


def test_signing_needs_a_fresh_two_factor_code(client, session):
    council, _, agreement_id = awaiting_signatures(session)
    signer = make_user(session, roles=("signatory",), agency=council, name="Sam Signer")
    client.sign_in(signer)  # sets up two-factor sign-in with the code of the step before now
    before = len(signatures(session, agreement_id))
    path = f"/agreements/{agreement_id}/sign"
    page = client.page(path)
    assert page.select_one("input[name=code]") is not None
    assert page.select_one("input[name=password]") is None
    assert "the code you signed in with will not work here" in page.get_text(" ", strip=True)

    missing = client.submit(path, {"declaration": "y"})
    assert missing.status_code == 422
    assert "Enter the 6-digit code" in errors(missing)
    # What was ticked stays ticked.
    soup = BeautifulSoup(missing.data, "html.parser")
    assert soup.select_one("input[name=declaration]").has_attr("checked")
    with client.application.app_context():
        stored = db.session.get(User, signer.id).totp_secret
        secret = unseal(stored, signer.id, totp_key())
    reused = client.submit(
        path, {"declaration": "y", "code": pyotp.TOTP(secret).at((STEP - 1) * 30)}
    )
    assert reused.status_code == 422 and "used already" in errors(reused)
    assert failed_sign_ins(session, signer) == 1  # counted as a failed sign-in
    assert len(signatures(session, agreement_id)) == before  # nothing signed

    done = client.submit(path, {"declaration": "y", **client.proof(signer)})
    assert done.status_code == 302
    [signature] = [s for s in signatures(session, agreement_id) if s.user_id == signer.id]
    assert signature.proof == "two_factor"
    shown = client.page(f"/agreements/{agreement_id}").get_text(" ", strip=True)
    assert "Signed by Sam Signer" in shown and "Confirmed with a two-factor code" in shown


def test_without_two_factor_the_page_asks_for_the_password(app, client, session):
    app.config["TWO_FACTOR_ROLES"] = []  # as in development: nobody has a code
    council, _, agreement_id = awaiting_signatures(session)
    signer = make_user(session, roles=("signatory",), agency=council)
    client.sign_in(signer)
    path = f"/agreements/{agreement_id}/sign"
    page = client.page(path)
    assert page.select_one("input[name=password]") is not None
    assert page.select_one("input[name=code]") is None
    wrong = client.submit(path, {"declaration": "y", "password": "not the right one at all"})
    assert wrong.status_code == 422 and "Your password is not right" in errors(wrong)
    assert failed_sign_ins(session, signer) == 1
    assert client.submit(path, {"declaration": "y", **client.proof(signer)}).status_code == 302
    [signature] = [s for s in signatures(session, agreement_id) if s.user_id == signer.id]
    assert signature.proof == "password"


def test_a_decline_without_proof_keeps_the_comment(client, session):
    _, police, agreement_id = awaiting_signatures(session)
    signer = make_user(session, roles=("signatory",), agency=police)
    client.sign_in(signer)
    path = f"/agreements/{agreement_id}/decline"
    refused = client.submit(path, {"comment": "Retention is far too long"})
    assert refused.status_code == 422 and "Enter the 6-digit code" in errors(refused)
    soup = BeautifulSoup(refused.data, "html.parser")
    assert soup.select_one("textarea[name=comment]").get_text() == "Retention is far too long"
    done = client.submit(path, {"comment": "Retention is far too long", **client.proof(signer)})
    assert done.status_code == 302
    shown = client.page(f"/agreements/{agreement_id}").get_text(" ", strip=True)
    assert "declined to sign" in shown and "Retention is far too long" in shown


def test_a_signatory_names_a_delegate_who_signs_on_their_behalf(app, client, session):
    council, _, agreement_id = awaiting_signatures(session)
    alice = make_user(
        session, roles=("signatory",), agency=council, name="Alice Ames", job_title="Director"
    )
    bob = make_user(session, agency=council, name="Bob Brown", job_title="Deputy")
    make_user(session, agency=make_agency(session, name="Elsewhere"), name="Eve Else")
    client.sign_in(alice)
    form = client.page("/delegations/new")
    people = [o.get_text() for o in form.select("select[name=delegate_id] option")]
    # Her agency's other users, not herself, nobody from elsewhere.
    assert people[0] == "Choose a person" and "Bob Brown, Deputy" in people
    assert not any(p.startswith(("Alice Ames", "Eve Else")) for p in people)
    # The date boxes left out of the post altogether: a message, not a server error.
    missing = client.submit("/delegations/new", {"delegate_id": str(bob.id)})
    assert missing.status_code == 422
    assert "Enter the date the delegation starts" in errors(missing)
    start, end = TODAY, TODAY + timedelta(days=14)
    named = client.submit(
        "/delegations/new",
        {
            "delegate_id": str(bob.id),
            "starts_on": [str(start.day), str(start.month), str(start.year)],
            "ends_on": [str(end.day), str(end.month), str(end.year)],
        },
    )
    assert named.status_code == 302, errors(named)
    listed = client.page("/delegations").get_text(" ", strip=True)
    assert "Bob Brown" in listed and "Current" in listed
    client.submit("/sign-out", token_from="/")

    client.sign_in(bob)  # a practitioner: no two-factor, so his password is the proof
    home = client.page("/").get_text(" ", strip=True)
    assert "Waiting for your signature" in home
    page = client.page(f"/agreements/{agreement_id}/sign").get_text(" ", strip=True)
    assert "on behalf of Alice Ames" in page
    done = client.submit(
        f"/agreements/{agreement_id}/sign", {"declaration": "y", **client.proof(bob)}
    )
    assert done.status_code == 302
    shown = client.page(f"/agreements/{agreement_id}").get_text(" ", strip=True)
    assert "Signed by Bob Brown, Deputy on behalf of Alice Ames, Director" in shown


def test_ending_a_delegation_asks_first_and_the_administrator_sees_them_all(client, session):
    council, police, agreement_id = awaiting_signatures(session)
    alice = make_user(session, roles=("signatory",), agency=council, name="Alice Ames")
    bob = make_user(session, agency=council, name="Bob Brown")
    delegation = delegations.create(
        session,
        alice.actor(),
        delegate_id=bob.id,
        starts_on=TODAY,
        ends_on=TODAY + timedelta(days=7),
        now=FIXED_NOW,
    )
    client.sign_in(make_admin(session))
    admin_page = client.page("/admin/users")
    assert admin_page.select_one("a[href='/delegations']") is not None
    everything = client.page(f"/delegations?agency_id={council.id}&current=1")
    assert "Bob Brown" in everything.get_text(" ", strip=True)
    others = client.page(f"/delegations?agency_id={police.id}").get_text(" ", strip=True)
    assert "Bob Brown" not in others and "No delegation matches" in others
    path = f"/delegations/{delegation.id}/end"
    confirm = client.page(path).get_text(" ", strip=True)
    assert "End this delegation?" in confirm and "will not be able to sign" in confirm
    assert client.submit(path).status_code == 302
    session.rollback()
    assert session.get(Delegation, delegation.id).ended_at == FIXED_NOW
    listed = client.page("/delegations").get_text(" ", strip=True)
    assert "Ended early" in listed
    client.submit("/sign-out", token_from="/")
    client.sign_in(bob)  # no longer a delegate: the sign page is not his
    assert client.get(f"/agreements/{agreement_id}/sign").status_code == 403


def test_a_page_missing_several_answers_says_them_all_at_once(client, session):
    """Found by trying it: with the box unticked and no code, only the box was mentioned,
    and the code's error came on the next try."""
    council, police, agreement_id = awaiting_signatures(session)
    client.sign_in(make_user(session, roles=("signatory",), agency=council))
    nothing = client.submit(f"/agreements/{agreement_id}/sign", {})
    assert nothing.status_code == 422
    said = errors(nothing)
    assert "Confirm that you are authorised" in said and "Enter the 6-digit code" in said
    client.submit("/sign-out", token_from="/")
    client.sign_in(make_user(session, roles=("signatory",), agency=police))
    said = errors(client.submit(f"/agreements/{agreement_id}/decline", {}))
    assert "Say why you are declining" in said and "Enter the 6-digit code" in said


def test_the_last_signature_of_an_agreement_starting_later_says_when(client, session):
    """Found by trying it: the banner said 'It is now in force' above 'Scheduled'."""
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol, _ = chain(session, council, police)
    later = make_draft(
        session,
        owner=council,
        parent=protocol,
        parties=[party(council), party(police)],
        effective_from=TODAY + timedelta(days=3),
    )
    agreement_lifecycle.submit(session, ig_lead_actor(council), later.id, now=FIXED_NOW)
    for agency in (council, police):
        signer = make_user(session, roles=("signatory",), agency=agency)
        client.sign_in(signer)
        done = client.submit(
            f"/agreements/{later.id}/sign",
            {"declaration": "y", **client.proof(signer)},
            follow_redirects=True,
        )
        client.submit("/sign-out", token_from="/")
    shown = done.get_data(as_text=True)
    assert "It is now in force" not in shown
    assert "Every party has signed: it comes into force on" in shown
