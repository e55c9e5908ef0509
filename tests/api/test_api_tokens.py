"""API tokens (issue 16, defects 4 and 7): they expire, record their last use, end with
a password change or reset, are listed and revoked by their owner alone; the token route
answers every refusal alike; one sign-in budget per address covers every sign-in step."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.models import ApiToken, AuditEntry
from registry.services import users as user_service
from registry.web.api.openapi import document

from ..client import RegistryClient
from ..factories import FIXED_NOW, make_admin, make_agency, make_user

PASSWORD = RegistryClient.password


def _at(app, moment):
    app.extensions["clock"] = lambda: moment


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _token(client, user, **extra):
    answer = client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD, **extra}
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _row(session, token_id) -> ApiToken:
    session.rollback()
    return session.get(ApiToken, token_id)


def test_a_token_lasts_the_configured_days_then_is_refused_like_an_unknown_one(
    client, session, app
):
    app.config["API_TOKEN_DAYS"] = 30
    user = make_user(session, agency=make_agency(session))
    made = _token(client, user, name="Nightly export")
    assert made["expires_at"] == (FIXED_NOW + timedelta(days=30)).isoformat()
    assert made["name"] == "Nightly export" and made["token"].startswith(made["hint"])
    assert len(made["hint"]) == 6 and made["last_used_at"] is None
    unknown = client.get("/api/v1/agreements", headers=_bearer("no-such-token"))
    assert client.get("/api/v1/agreements", headers=_bearer(made["token"])).status_code == 200
    _at(app, FIXED_NOW + timedelta(days=30, seconds=-1))
    assert client.get("/api/v1/agreements", headers=_bearer(made["token"])).status_code == 200
    _at(app, FIXED_NOW + timedelta(days=30))
    expired = client.get("/api/v1/agreements", headers=_bearer(made["token"]))
    assert expired.status_code == unknown.status_code == 401
    assert expired.get_json() == unknown.get_json()


def test_the_default_lifetime_is_90_days(client, session):
    user = make_user(session, agency=make_agency(session))
    assert _token(client, user)["expires_at"] == (FIXED_NOW + timedelta(days=90)).isoformat()
    token = user_service.issue_token(session, user, now=FIXED_NOW)  # the command line's way
    [row] = [
        t
        for t in user_service.live_tokens(session, user.id, now=FIXED_NOW)
        if token.startswith(t.hint)
    ]
    assert row.expires_at == FIXED_NOW + timedelta(days=90)


def test_last_use_is_written_at_most_once_a_minute(client, session, app):
    user = make_user(session, agency=make_agency(session))
    made = _token(client, user)
    headers = _bearer(made["token"])
    assert _row(session, made["id"]).last_used_at is None
    client.get("/api/v1/agreements", headers=headers)
    assert _row(session, made["id"]).last_used_at == FIXED_NOW
    for seconds in (10, 30, 59):  # calls within the minute write nothing
        _at(app, FIXED_NOW + timedelta(seconds=seconds))
        client.get("/api/v1/agreements", headers=headers)
        assert _row(session, made["id"]).last_used_at == FIXED_NOW
    _at(app, FIXED_NOW + timedelta(seconds=61))
    client.get("/api/v1/agreements", headers=headers)
    assert _row(session, made["id"]).last_used_at == FIXED_NOW + timedelta(seconds=61)
    listed = client.get("/api/v1/tokens", headers=headers).get_json()["items"]
    assert listed[0]["last_used_at"] == (FIXED_NOW + timedelta(seconds=61)).isoformat()


def test_owners_list_and_revoke_their_own_tokens_and_no_one_else_s(client, session, app):
    agency = make_agency(session)
    owner, other = make_user(session, agency=agency), make_user(session, agency=agency)
    first = _token(client, owner, name="Laptop")
    _at(app, FIXED_NOW + timedelta(minutes=5))
    second = _token(client, owner)
    theirs = _token(client, other)
    mine = _bearer(second["token"])

    listed = client.get("/api/v1/tokens", headers=mine)
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["total"] == 2
    assert [t["id"] for t in body["items"]] == [second["id"], first["id"]]  # newest first
    assert [t["current"] for t in body["items"]] == [True, False]
    assert body["items"][1]["name"] == "Laptop" and body["items"][1]["hint"] == first["hint"]
    text = listed.get_data(as_text=True)
    assert first["token"] not in text and second["token"] not in text  # never the secret

    # Someone else's token is not found, and keeps working.
    refused = client.delete(f"/api/v1/tokens/{theirs['id']}", headers=mine)
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/tokens", headers=_bearer(theirs["token"])).status_code == 200
    assert client.delete("/api/v1/tokens/999999", headers=mine).status_code == 404

    revoked = client.delete(f"/api/v1/tokens/{first['id']}", headers=mine)
    assert revoked.status_code == 200
    assert revoked.get_json()["revoked_at"] is not None
    assert client.get("/api/v1/agreements", headers=_bearer(first["token"])).status_code == 401
    assert client.delete(f"/api/v1/tokens/{first['id']}", headers=mine).status_code == 404
    assert client.get("/api/v1/tokens", headers=mine).get_json()["total"] == 1
    assert client.delete("/api/v1/tokens/1").status_code == 401  # no token at all

    session.rollback()
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("api_token.%"))
    ).all()
    assert actions.count("api_token.create") == 3 and actions.count("api_token.revoke") == 1


def test_a_token_may_revoke_itself(client, session):
    user = make_user(session, agency=make_agency(session))
    made = _token(client, user)
    answer = client.delete(f"/api/v1/tokens/{made['id']}", headers=_bearer(made["token"]))
    assert answer.status_code == 200
    assert client.get("/api/v1/tokens", headers=_bearer(made["token"])).status_code == 401


def test_a_password_change_ends_every_token(client, session):
    user = make_user(session, agency=make_agency(session))
    made = _token(client, user)
    client.sign_in(user)
    new = "lantern orchard velvet quarry"
    done = client.submit(
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert done.status_code == 302
    assert client.get("/api/v1/agreements", headers=_bearer(made["token"])).status_code == 401
    session.rollback()
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.revoke_all"))


def test_an_administrator_s_password_reset_ends_every_token(client, session):
    user = make_user(session, agency=make_agency(session))
    made = _token(client, user)
    admin_token = user_service.issue_token(session, make_admin(session), now=FIXED_NOW)
    # Changing anything else leaves the tokens working.
    renamed = client.patch(
        f"/api/v1/users/{user.id}", json={"name": "Renamed"}, headers=_bearer(admin_token)
    )
    assert renamed.status_code == 200
    assert client.get("/api/v1/agreements", headers=_bearer(made["token"])).status_code == 200
    reset = client.patch(
        f"/api/v1/users/{user.id}",
        json={"password": "lantern orchard velvet quarry"},
        headers=_bearer(admin_token),
    )
    assert reset.status_code == 200
    assert client.get("/api/v1/agreements", headers=_bearer(made["token"])).status_code == 401


@pytest.mark.parametrize("role", ["signatory", "ig_lead"])
def test_the_token_route_answers_alike_whatever_the_password(client, session, app, role):
    """A right password without its code, or before two-factor is set up, is refused
    exactly as a wrong password is: the route must not confirm a guessed password."""
    user = make_user(session, roles=(role,), agency=make_agency(session))
    wrong = {"email": user.email, "password": "not the password"}
    right = {"email": user.email, "password": PASSWORD}

    def answer(body):
        response = client.post("/api/v1/auth/token", json=body)
        return response.status_code, response.get_json()

    refusal = answer(wrong)
    assert refusal[0] == 401 and refusal[1]["error"]["fields"] == {}
    assert answer(right) == refusal  # two-factor not yet set up
    client.sign_in(user)  # sets it up through the pages
    assert answer(right) == refusal  # no code
    assert answer({**right, "totp": "000000"}) == refusal  # a wrong code
    assert answer({**wrong, "totp": client.totp_code(user)}) == refusal
    assert answer({**right, "totp": client.totp_code(user)})[0] == 200


def test_one_sign_in_budget_per_address_for_the_form_the_code_and_the_token_route(session, app):
    app.config["SIGN_IN_RATE_LIMIT"] = "3 per minute"
    lead = make_user(session, roles=("ig_lead",), agency=make_agency(session))
    app.test_client_class = RegistryClient
    first = app.test_client()
    first.sign_in(lead)  # the form, then the set-up code: two attempts from this address
    attacker = app.test_client()  # the same address (the test client's)
    token_route = attacker.post(
        "/api/v1/auth/token", json={"email": lead.email, "password": "wrong password"}
    )
    assert token_route.status_code == 401  # the third attempt
    csrf = attacker.csrf_token("/sign-in")
    form = attacker.post(
        "/sign-in", data={"email": lead.email, "password": PASSWORD, "csrf_token": csrf}
    )
    assert form.status_code == 429
    again = attacker.post("/api/v1/auth/token", json={"email": lead.email, "password": "x"})
    assert again.status_code == 429
    code_step = attacker.post("/sign-in/two-factor", data={"code": "123456", "csrf_token": csrf})
    assert code_step.status_code == 429
    # Another address has its own budget.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.30"
    body = {"email": lead.email, "password": "still not the password"}
    assert elsewhere.post("/api/v1/auth/token", json=body).status_code == 401


def test_the_token_answers_match_the_openapi_document(client, session):
    from .test_openapi import _validate

    doc = document()
    user = make_user(session, agency=make_agency(session))
    made = client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD, "name": "CI"}
    )
    _validate(doc, "/auth/token", "post", made)
    refused = client.post("/api/v1/auth/token", json={"email": user.email, "password": "x"})
    _validate(doc, "/auth/token", "post", refused)
    headers = _bearer(made.get_json()["token"])
    client.get("/api/v1/agreements", headers=headers)  # a last use to show
    _validate(doc, "/tokens", "get", client.get("/api/v1/tokens", headers=headers))
    _validate(
        doc, "/tokens/{token_id}", "delete", client.delete("/api/v1/tokens/9", headers=headers)
    )
    gone = client.delete(f"/api/v1/tokens/{made.get_json()['id']}", headers=headers)
    _validate(doc, "/tokens/{token_id}", "delete", gone)
    _validate(doc, "/tokens", "get", client.get("/api/v1/tokens", headers=headers))  # 401
