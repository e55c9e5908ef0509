"""The API's sign and decline take fresh proof (`totp`, or `password` without two-factor
sign-in); delegations through the API, and a delegate's signature in its answer."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from registry.models import User
from registry.services import two_factor
from registry.web.settings import totp_key

from ..client import RegistryClient
from ..factories import (
    FIXED_NOW,
    TODAY,
    awaiting_signatures,
    make_admin,
    make_user,
)
from .test_api_agencies import assert_error

STEP = int(FIXED_NOW.timestamp()) // 30
PASSWORD = {"password": RegistryClient.password}


def failed(session, user) -> int:
    session.rollback()
    return session.get(User, user.id).failed_sign_ins


def test_signing_through_the_api_needs_the_password_without_two_factor(api_as, session):
    council, _, aid = awaiting_signatures(session)
    user = make_user(session, roles=("signatory",), agency=council, name="Martin Cole")
    signer = api_as(user)
    missing = signer.post(f"/agreements/{aid}/sign", {})
    assert_error(missing, 422, "password")
    assert missing.get_json()["error"]["fields"]["password"] == "Enter your password"
    assert_error(signer.post(f"/agreements/{aid}/sign", {"password": "wrong wrong wrong"}), 422)
    assert failed(session, user) == 1
    done = signer.post(f"/agreements/{aid}/sign", PASSWORD)
    assert done.status_code == 201
    answer = done.get_json()
    assert answer["proof"] == "password" and answer["on_behalf_of"] is None
    assert answer["signatory_name"] == "Martin Cole"


def test_with_two_factor_a_fresh_code_each_used_once(api_as, session):
    council, police, aid = awaiting_signatures(session)
    user = make_user(session, roles=("signatory",), agency=council)
    secret = two_factor.new_secret()
    totp = pyotp.TOTP(secret)
    two_factor.enrol(session, user, secret, totp.at((STEP - 1) * 30), now=FIXED_NOW, key=totp_key())
    signer = api_as(user)
    assert_error(signer.post(f"/agreements/{aid}/sign", PASSWORD), 422, "totp")
    reused = signer.post(f"/agreements/{aid}/sign", {"totp": totp.at((STEP - 1) * 30)})
    assert_error(reused, 422, "totp")
    assert "used already" in reused.get_json()["error"]["fields"]["totp"]
    assert failed(session, user) == 1
    done = signer.post(f"/agreements/{aid}/sign", {"totp": totp.at(STEP * 30)})
    assert done.status_code == 201 and done.get_json()["proof"] == "two_factor"
    # Declining too: the police's signatory, without two-factor, gives the password.
    police_signer = api_as(make_user(session, roles=("signatory",), agency=police))
    assert_error(police_signer.post(f"/agreements/{aid}/decline", {"comment": "No"}), 422)
    declined = police_signer.post(f"/agreements/{aid}/decline", {"comment": "No", **PASSWORD})
    assert declined.status_code == 200 and declined.get_json()["status"] == "draft"


def test_who_may_sign_and_the_state_are_decided_before_the_proof(api_as, session):
    council, _, aid = awaiting_signatures(session)
    practitioner = make_user(session, agency=council)
    # A wrong password from someone who may not sign: 403, and not counted against them.
    refused = api_as(practitioner).post(f"/agreements/{aid}/sign", {"password": "wrong"})
    assert_error(refused, 403)
    assert failed(session, practitioner) == 0
    signer = make_user(session, roles=("signatory",), agency=council)
    api_as(signer).post(f"/agreements/{aid}/sign", PASSWORD)
    again = api_as(signer).post(f"/agreements/{aid}/sign", {"password": "wrong"})
    assert_error(again, 409)
    assert failed(session, signer) == 0


def test_delegations_through_the_api_and_a_delegate_s_signature(api_as, session):
    council, police, aid = awaiting_signatures(session)
    alice = make_user(
        session, roles=("signatory",), agency=council, name="Alice Ames", job_title="Director"
    )
    bob = make_user(session, agency=council, name="Bob Brown", job_title="Deputy")
    principal = api_as(alice)
    week = {"starts_on": TODAY.isoformat(), "ends_on": (TODAY + timedelta(days=7)).isoformat()}
    refused = principal.post("/delegations", {"delegate_id": alice.id, **week})
    assert_error(refused, 422, "delegate_id")
    backwards = principal.post(
        "/delegations",
        {"delegate_id": bob.id, "starts_on": week["ends_on"], "ends_on": week["starts_on"]},
    )
    assert_error(backwards, 422, "ends_on")
    assert_error(api_as(bob).post("/delegations", {"delegate_id": alice.id, **week}), 403)
    made = principal.post("/delegations", {"delegate_id": bob.id, **week})
    assert made.status_code == 201
    delegation = made.get_json()
    assert delegation["status"] == "current"
    assert delegation["principal"]["name"] == "Alice Ames"
    assert delegation["delegate"] == {"id": bob.id, "name": "Bob Brown", "job_title": "Deputy"}

    signed = api_as(bob).post(f"/agreements/{aid}/sign", PASSWORD)
    assert signed.status_code == 201
    assert signed.get_json()["on_behalf_of"] == {"name": "Alice Ames", "job_title": "Director"}
    assert signed.get_json()["signatory_name"] == "Bob Brown"
    # And afterwards, in the agreement's answer: "Bob Brown on behalf of Alice Ames".
    parties = api_as(bob).get(f"/agreements/{aid}").get_json()["parties"]
    kept = next(p["signature"] for p in parties if p["agency_id"] == council.id)
    assert kept["signatory_name"] == "Bob Brown" and kept["proof"] == "password"
    assert kept["on_behalf_of"] == {"name": "Alice Ames", "job_title": "Director"}
    assert next(p["signature"] for p in parties if p["agency_id"] != council.id) is None

    admin = api_as(make_admin(session))
    assert admin.get(f"/delegations?agency_id={police.id}").get_json()["total"] == 0
    assert admin.get("/delegations?current=true").get_json()["total"] == 1
    police_lead = api_as(make_user(session, roles=("ig_lead",), agency=police))
    assert police_lead.get("/delegations").get_json()["total"] == 0
    assert_error(police_lead.post(f"/delegations/{delegation['id']}/end"), 403)
    ended = principal.post(f"/delegations/{delegation['id']}/end")
    assert ended.status_code == 200 and ended.get_json()["status"] == "ended"
    # Ended early: the delegate may no longer decline (nor sign) for the council.
    no_longer = api_as(bob).post(f"/agreements/{aid}/decline", {"comment": "No", **PASSWORD})
    assert_error(no_longer, 403)
    assert_error(admin.post(f"/delegations/{delegation['id']}/end"), 409)
    assert_error(admin.post("/delegations/999999/end"), 404)


def test_a_party_that_has_signed_cannot_then_decline(api_as, session):
    """Its signature would have stood, and counted when the unchanged content was signed
    by the rest, beside its own decline (found by trying it)."""
    council, police, aid = awaiting_signatures(session)
    signer = api_as(make_user(session, roles=("signatory",), agency=police))
    assert signer.post(f"/agreements/{aid}/sign", PASSWORD).status_code == 201
    refused = signer.post(f"/agreements/{aid}/decline", {"comment": "Changed my mind", **PASSWORD})
    assert assert_error(refused, 409)["code"] == "already_signed"
    agreement = signer.get(f"/agreements/{aid}").get_json()
    assert agreement["status"] == "awaiting_signatures"
    assert {p["agency_id"]: p["signed"] for p in agreement["parties"]}[police.id] is True
