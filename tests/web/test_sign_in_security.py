"""Two-factor sign-in, sessions, lockout, rate limits and passwords (issue 5, points 1-4)."""

from datetime import timedelta

import pyotp
import pytest
from bs4 import BeautifulSoup

from registry import create_app
from registry.extensions import db
from registry.models import User
from registry.services import users as user_service
from registry.services.two_factor import unseal
from registry.web.settings import totp_key

from ..client import RegistryClient
from ..factories import FIXED_NOW, make_admin, make_agency, make_user

GENERIC = b"The email address or password is not right"


def _post_password(client, user, password=None):
    return client.post(
        "/sign-in",
        data={
            "email": user.email,
            "password": password or client.password,
            "csrf_token": client.csrf_token("/sign-in"),
        },
    )


def _client(app) -> RegistryClient:
    app.test_client_class = RegistryClient
    return app.test_client()


def _at(app, moment):
    app.extensions["clock"] = lambda: moment


def _fresh(session, user) -> User:
    session.rollback()
    return session.get(User, user.id)


def _secret(app, user) -> str:
    """The user's two-factor secret, opened as the server opens it."""
    with app.app_context():
        stored = db.session.get(User, user.id).totp_secret
        db.session.remove()
        return unseal(stored, user.id, totp_key())


def test_an_ig_lead_sets_up_two_factor_then_needs_a_code_every_time(client, session, app):
    lead = make_user(session, roles=("ig_lead",), agency=make_agency(session))
    response = _post_password(client, lead)
    assert response.headers["Location"].startswith("/sign-in/two-factor/set-up")
    # Half-way through, nothing is open yet.
    assert client.get("/agreements").status_code == 302
    page = client.page("/sign-in/two-factor/set-up")
    assert page.select_one(".registry-qr svg") is not None
    secret = page.select_one(".registry-secret").get_text().replace(" ", "")
    wrong = client.submit("/sign-in/two-factor/set-up", {"code": "000000"})
    assert wrong.status_code == 422
    assert (
        "not right"
        in BeautifulSoup(wrong.data, "html.parser").select_one(".govuk-error-summary").get_text()
    )
    assert _fresh(session, lead).totp_secret is None
    code = pyotp.TOTP(secret).at(FIXED_NOW)
    done = client.submit("/sign-in/two-factor/set-up", {"code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/agreements").status_code == 200
    # Kept sealed: the database holds neither the secret nor anything it can be read from.
    stored = _fresh(session, lead).totp_secret
    assert secret not in stored and len(stored) == 64
    assert _secret(app, lead) == secret

    other = _client(app)
    response = _post_password(other, lead)
    assert response.headers["Location"].startswith("/sign-in/two-factor")
    again = other.submit("/sign-in/two-factor", {"code": code})  # already used
    assert again.status_code == 422 and b"used already" in again.data
    later = pyotp.TOTP(secret).at(FIXED_NOW + timedelta(seconds=30))
    assert other.submit("/sign-in/two-factor", {"code": later}).status_code == 302
    assert other.get("/agreements").status_code == 200


def test_a_pending_sign_in_expires_and_grants_nothing(client, session, app):
    lead = make_user(session, roles=("signatory",), agency=make_agency(session))
    _post_password(client, lead)
    _at(app, FIXED_NOW + timedelta(minutes=6))
    response = client.get("/sign-in/two-factor/set-up")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    assert client.get("/sign-in/two-factor").status_code == 302


def test_practitioners_need_a_code_only_when_the_setting_says(session, app):
    practitioner = make_user(session, agency=make_agency(session))
    client = _client(app)
    assert _post_password(client, practitioner).headers["Location"] == "/"
    app.config["TWO_FACTOR_ROLES"] = ["admin", "ig_lead", "signatory", "practitioner"]
    client = _client(app)
    assert (
        _post_password(client, practitioner)
        .headers["Location"]
        .startswith("/sign-in/two-factor/set-up")
    )


def test_demo_accounts_skip_the_code_only_under_the_demo_settings(session, app):
    demo = make_user(
        session, roles=("ig_lead",), agency=make_agency(session), email="ig.lead@northshire.example"
    )
    demo.demo_account = True  # as the demo's seeding marks its own accounts
    session.commit()
    client = _client(app)
    assert b"demo settings" not in client.get("/sign-in").data
    assert _post_password(client, demo).headers["Location"].startswith("/sign-in/two-factor")
    app.config["DEMO_MODE"] = True
    client = _client(app)
    assert b"demo settings" in client.get("/sign-in").data
    assert _post_password(client, demo).headers["Location"] == "/"
    # The exemption is for the demo's accounts, not for anyone while the demo runs.
    real = make_user(session, roles=("ig_lead",), agency=make_agency(session))
    assert _post_password(_client(app), real).headers["Location"].startswith("/sign-in/two-factor")


def test_the_token_route_needs_the_code_once_enrolled(client, session, app):
    signatory = make_user(session, roles=("signatory",), agency=make_agency(session))
    body = {"email": signatory.email, "password": client.password}
    refused = client.post("/api/v1/auth/token", json=body)
    assert refused.status_code == 401  # not set up yet: refused as a wrong password is
    assert refused.get_json()["error"]["code"] == "invalid_credentials"
    client.sign_in(signatory)  # sets two-factor up through the pages
    secret = _secret(app, signatory)
    missing = client.post("/api/v1/auth/token", json=body)
    assert missing.status_code == 401  # as a wrong password is (tests/api/test_api_tokens.py)
    code = pyotp.TOTP(secret).at(FIXED_NOW + timedelta(seconds=30))
    token = client.post("/api/v1/auth/token", json={**body, "totp": code})
    assert token.status_code == 200 and token.get_json()["token"]
    reused = client.post("/api/v1/auth/token", json={**body, "totp": code})
    assert reused.status_code == 401


def test_a_new_session_at_sign_in_and_sign_out_ends_every_copy(client, session, app):
    user = make_user(session, agency=make_agency(session))
    client.get("/sign-in")
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    client.sign_in(user)
    with client.session_transaction() as after:
        assert "planted" not in after and after.get("sid")
        copied = dict(after)
    thief = _client(app)
    with thief.session_transaction() as stolen:
        stolen.update(copied)
    assert thief.get("/agreements").status_code == 200
    client.submit("/sign-out", token_from="/")
    assert thief.get("/agreements").status_code == 302


def test_a_password_change_ends_the_other_sessions(client, session, app):
    user = make_user(session, agency=make_agency(session))
    client.sign_in(user)
    other = _client(app)
    other.sign_in(user)
    wrong = client.submit(
        "/account/password",
        {
            "current_password": "not my password",
            "new_password": "password1234",
            "confirm_password": "password1234",
        },
    )
    assert wrong.status_code == 422
    soup = BeautifulSoup(wrong.data, "html.parser")
    summary = soup.select_one(".govuk-error-summary").get_text()
    assert "current password is not right" in summary and "too easy to guess" in summary
    new = "lantern orchard velvet quarry"
    done = client.submit(
        "/account/password",
        {"current_password": client.password, "new_password": new, "confirm_password": new},
    )
    assert done.status_code == 302
    assert client.get("/agreements").status_code == 200  # this browser carries on
    assert other.get("/agreements").status_code == 302  # every other one has ended
    session.rollback()
    assert user_service.authenticate(session, user.email, new, now=FIXED_NOW) is not None


def test_sessions_end_after_30_idle_minutes_and_after_12_hours(client, session, app):
    user = make_user(session, agency=make_agency(session))
    client.sign_in(user)
    _at(app, FIXED_NOW + timedelta(minutes=29))
    assert client.get("/agreements").status_code == 200
    _at(app, FIXED_NOW + timedelta(minutes=29 + 31))
    response = client.get("/agreements")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/agreements")
    assert b"You were signed out" in client.get("/sign-in").data
    # Timed out on the sign-in page itself: the form at once, not a redirect back to it
    # (it was /sign-in?next=/sign-in).
    client.sign_in(user)
    _at(app, FIXED_NOW + timedelta(minutes=29 + 31 + 31))
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert b"You were signed out" in response.data
    assert client.get("/agreements").status_code == 302  # and the session has ended

    _at(app, FIXED_NOW)
    client.sign_in(user)
    moment = FIXED_NOW
    for _ in range(12 * 3):  # busy all day, a page every 20 minutes
        moment += timedelta(minutes=20)
        _at(app, moment)
        status = client.get("/agreements").status_code
        if moment - FIXED_NOW > timedelta(hours=12):
            assert status == 302
            break
        assert status == 200


def test_a_page_being_typed_on_keeps_its_session_open(client, session, app):
    """The page asks /session/alive while its user types (registry.js): someone writing
    a long decision for 50 minutes is not signed out and does not lose it."""
    assert client.get("/session/alive").status_code == 302  # not signed in: sign in
    user = make_user(session, agency=make_agency(session))
    client.sign_in(user)
    page = client.page("/decisions/new")
    warning = page.select_one(".registry-timeout")
    assert warning.has_attr("hidden") and warning["data-idle-seconds"] == "1800"
    assert warning["data-alive-url"] == "/session/alive"
    for minutes in (20, 40):
        _at(app, FIXED_NOW + timedelta(minutes=minutes))
        answer = client.get("/session/alive")
        assert answer.status_code == 204 and answer.data == b""
    _at(app, FIXED_NOW + timedelta(minutes=65))  # 25 minutes after the last ask
    # A page only asking whether the session is open does not keep it open.
    assert client.get("/session/alive?check=1").status_code == 204
    _at(app, FIXED_NOW + timedelta(minutes=71))
    assert client.get("/session/alive?check=1").status_code == 302
    client.sign_in(user)  # at minute 71
    _at(app, FIXED_NOW + timedelta(minutes=71 + 25))
    assert client.get("/decisions/new").status_code == 200
    _at(app, FIXED_NOW + timedelta(minutes=71 + 25 + 31))
    assert client.get("/session/alive").status_code == 302


def test_cookies_in_production_are_host_only_and_secure(tmp_path, monkeypatch, app):
    monkeypatch.setenv("REGISTRY_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a production secret")
    monkeypatch.setenv("SEAL_CERT", str(tmp_path / "seal-cert.pem"))
    monkeypatch.setenv("SEAL_KEY", str(tmp_path / "seal-key.pem"))
    monkeypatch.setenv("REGISTRY_TOTP_KEY", "a production key for two-factor secrets")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://localhost:6379/0")
    monkeypatch.setenv("TSA_URL", "https://tsa.example/rfc3161")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example")  # production needs a mail transport
    production = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    response = production.test_client().get("/sign-in")  # the form's CSRF token: a session
    [cookie] = response.headers.getlist("Set-Cookie")
    assert cookie.startswith("__Host-registry=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    assert "SameSite=Lax" in cookie and "Domain" not in cookie and "Expires" not in cookie
    with production.app_context():
        db.engine.dispose()


def test_ten_failures_lock_the_account_for_15_minutes_in_the_database(client, session, app):
    user = make_user(session, agency=make_agency(session))
    for _ in range(9):
        assert GENERIC in _post_password(client, user, "not the password").data
    assert _fresh(session, user).failed_sign_ins == 9
    # The tenth failure arrives at another app server sharing the database.
    second = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app.config["INSTANCE_PATH"],
            "SECRET_KEY": "test-secret-key",
            "TESTING": True,
            "SERVER_NAME": "localhost",
        }
    )
    second.extensions["clock"] = lambda: FIXED_NOW
    second.test_client_class = RegistryClient
    other = second.test_client()
    assert GENERIC in _post_password(other, user, "not the password").data
    with second.app_context():
        db.engine.dispose()
    locked = _fresh(session, user)
    assert locked.locked_until == FIXED_NOW + timedelta(minutes=15)
    right = _post_password(client, user)
    assert right.status_code == 422 and GENERIC in right.data  # the same message
    api = client.post("/api/v1/auth/token", json={"email": user.email, "password": client.password})
    assert api.status_code == 401
    _at(app, FIXED_NOW + timedelta(minutes=16))
    assert _post_password(client, user).status_code == 302
    assert _fresh(session, user).failed_sign_ins == 0


def test_wrong_two_factor_codes_count_towards_the_lock(client, session, app):
    lead = make_user(session, roles=("ig_lead",), agency=make_agency(session))
    client.sign_in(lead)
    other = _client(app)
    _post_password(other, lead)
    for _ in range(10):
        other.submit("/sign-in/two-factor", {"code": "123456"})
    assert _fresh(session, lead).locked_until is not None


def test_sign_in_and_token_routes_are_rate_limited(session, app):
    app.config["SIGN_IN_RATE_LIMIT"] = "3 per minute"
    user = make_user(session, agency=make_agency(session))
    client = _client(app)
    statuses = [_post_password(client, user, "not the password").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    page = BeautifulSoup(_post_password(client, user).data, "html.parser")
    assert "too many attempts" in page.get_text().lower()
    body = {"email": user.email, "password": "not the password"}
    other = _client(app)
    other.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    answers = [other.post("/api/v1/auth/token", json=body) for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert answers[-1].get_json()["error"]["code"] == "too_many_requests"


def test_behind_a_trusted_proxy_each_person_has_their_own_limit(session, app):
    """Behind a load balancer every request comes from its address: with
    REGISTRY_TRUSTED_PROXIES=1 the limit counts the address it forwards; without it, a
    forwarded address is ignored (a client cannot pick a new one to dodge the limit)."""
    user = make_user(session, agency=make_agency(session))

    def tries(trusted: int, addresses: list[str]) -> list[int]:
        served = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "INSTANCE_PATH": app.config["INSTANCE_PATH"],
                "SECRET_KEY": "test-secret-key",
                "WTF_CSRF_ENABLED": False,
                "SIGN_IN_RATE_LIMIT": "2 per minute",
                "TRUSTED_PROXIES": trusted,
            }
        )
        client = served.test_client()
        body = {"email": user.email, "password": "not the password"}
        statuses = [
            client.post(
                "/api/v1/auth/token", json=body, headers={"X-Forwarded-For": address}
            ).status_code
            for address in addresses
        ]
        with served.app_context():
            db.engine.dispose()
        return statuses

    people = ["203.0.113.7", "203.0.113.7", "198.51.100.9", "198.51.100.9"]
    assert tries(1, people) == [401, 401, 401, 401]
    assert tries(0, people) == [401, 401, 429, 429]
    forwarded = tries(1, ["203.0.113.7"] * 3)
    assert forwarded == [401, 401, 429]


@pytest.mark.parametrize(
    "password, accepted",
    [
        ("elevenchars", False),
        ("password1234", False),
        ("qwertyuiop12", False),
        ("aaaaaaaaaaaaaaaaaaaa", False),
        ("lantern orchard velvet quarry", True),
        ("x" * 1025, False),
    ],
)
def test_password_rules(session, password, accepted):
    error = user_service.password_error(password, about=("pat@example.org", "Pat Smith"))
    assert (error is None) == accepted, error


def test_a_password_is_never_truncated(session):
    first = (
        "the quiet heron watched seven copper lanterns drift past the old mill "
        "while rain kept falling down A"
    )
    second = first[:-1] + "B"
    assert len(first) == len(second) == 100
    user = make_user(session, agency=make_agency(session), password=first)
    assert user_service.authenticate(session, user.email, first, now=FIXED_NOW) is not None
    assert user_service.authenticate(session, user.email, second, now=FIXED_NOW) is None


def test_the_administrator_resets_a_lost_two_factor(client, session, app):
    lead = make_user(session, roles=("ig_lead",), agency=make_agency(session))
    client.sign_in(lead)
    assert _fresh(session, lead).totp_secret
    admin_client = _client(app)
    admin = make_admin(session)
    admin_client.sign_in(admin)
    response = admin_client.submit(
        f"/admin/users/{lead.id}/reset-two-factor", token_from=f"/admin/users/{lead.id}/edit"
    )
    assert response.status_code == 302
    assert _fresh(session, lead).totp_secret is None
    assert client.get("/agreements").status_code == 302  # their sessions ended too
    assert (
        _post_password(_client(app), lead)
        .headers["Location"]
        .startswith("/sign-in/two-factor/set-up")
    )


def test_a_server_with_the_wrong_two_factor_key_says_so_and_counts_no_failure(client, session, app):
    lead = make_user(session, roles=("ig_lead",), agency=make_agency(session))
    client.sign_in(lead)  # sets two-factor up, sealed with this server's key
    secret = _secret(app, lead)
    other = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "INSTANCE_PATH": app.config["INSTANCE_PATH"],
            "SECRET_KEY": "test-secret-key",
            "TESTING": True,
            "SERVER_NAME": "localhost",
            "TOTP_KEY": "another server's key " * 2,
        }
    )
    other.extensions["clock"] = lambda: FIXED_NOW
    browser = _client(other)
    assert _post_password(browser, lead).headers["Location"].startswith("/sign-in/two-factor")
    code = pyotp.TOTP(secret).at(FIXED_NOW + timedelta(seconds=30))
    page = browser.submit("/sign-in/two-factor", {"code": code})
    assert page.status_code == 503
    assert b"tell your registry administrator" in page.data
    api = other.test_client().post(
        "/api/v1/auth/token", json={"email": lead.email, "password": client.password, "totp": code}
    )
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "two_factor_unavailable"
    assert _fresh(session, lead).failed_sign_ins == 0  # not the user's fault
    with other.app_context():
        db.engine.dispose()


def test_a_user_s_sealed_secret_does_not_open_as_another_user_s(app):
    with app.app_context():
        sealed = totp_key()
    from registry.services.two_factor import SecretUnreadable, seal

    stored = seal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 7, sealed)
    assert unseal(stored, 7, sealed) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with pytest.raises(SecretUnreadable):
        unseal(stored, 8, sealed)  # copied onto another user's row
    with pytest.raises(SecretUnreadable):
        unseal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", 7, sealed)  # never sealed
