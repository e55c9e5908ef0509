from ..factories import make_user


def test_sign_in_and_out(client, session):
    user = make_user(session, name="Pat Practitioner")
    soup = client.page("/sign-in")
    assert soup.find("input", attrs={"name": "email"}) is not None
    client.sign_in(user)
    home = client.page("/")
    assert "Hello, Pat Practitioner" in home.find("h1").get_text()
    response = client.submit("/sign-out", token_from="/")
    assert response.status_code == 302
    assert client.get("/agreements").status_code == 302  # back to signing in


def test_a_wrong_password_gives_one_generic_message(client, session):
    user = make_user(session)
    token = client.csrf_token("/sign-in")
    response = client.post(
        "/sign-in", data={"email": user.email, "password": "not the one!!", "csrf_token": token}
    )
    assert response.status_code == 422
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(response.data, "html.parser")
    summary = soup.select_one(".govuk-error-summary").get_text()
    assert "The email address or password is not right" in summary
    assert soup.find("input", attrs={"name": "email"})["value"] == user.email  # kept
    unknown = client.post(
        "/sign-in",
        data={"email": "nobody@example.org", "password": "not the one!!", "csrf_token": token},
    )
    assert b"The email address or password is not right" in unknown.data


def test_next_is_followed_only_to_a_path_on_this_site(client, session):
    user = make_user(session)
    for target, expected in [
        ("/agencies", "/agencies"),
        ("https://evil.example/x", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
    ]:
        token = client.csrf_token("/sign-in")
        response = client.post(
            "/sign-in",
            query_string={"next": target},
            data={"email": user.email, "password": client.password, "csrf_token": token},
        )
        assert response.headers["Location"] == expected, target
        client.submit("/sign-out", token_from="/")


def test_a_form_without_its_csrf_token_is_refused(client, session):
    user = make_user(session)
    response = client.post("/sign-in", data={"email": user.email, "password": client.password})
    assert response.status_code == 400
    assert client.get("/agreements").status_code == 302  # not signed in


def test_disabling_a_user_ends_its_session(client, session, now):
    from registry.services.users import update_user

    from ..factories import make_admin

    user = make_user(session)
    client.sign_in(user)
    assert client.get("/agreements").status_code == 200
    update_user(session, make_admin(session).actor(), user.id, active=False, now=now)
    assert client.get("/agreements").status_code == 302


def test_signed_in_pages_are_not_cached_and_carry_security_headers(client, session):
    client.sign_in(make_user(session))
    response = client.get("/agreements")
    assert response.headers["Cache-Control"] == "no-store"
    csp = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/nowhere").headers["Content-Security-Policy"]


def test_every_kind_of_answer_carries_the_browser_protections(client, session):
    """Pages, redirects, errors, signed-in or not: CSP with a fresh nonce, HSTS, nosniff,
    a Referrer-Policy; signed-in pages are never stored."""
    user = make_user(session)
    answers = {
        "page": client.get("/sign-in"),
        "redirect": client.get("/agreements"),
        "not found": client.get("/nowhere"),
        "refused": client.post("/sign-in", data={"email": "x"}),
    }
    client.sign_in(user)
    answers["signed-in page"] = client.get("/agreements")
    answers["signed-in redirect"] = client.get("/sign-in")
    nonces = set()
    for name, response in answers.items():
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp, name
        assert "script-src 'self' 'nonce-" in csp, name
        nonces.add(csp.split("'nonce-")[1].split("'")[0])
        assert headers["Strict-Transport-Security"].startswith("max-age="), name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] == "same-origin", name
        if name.startswith("signed-in"):
            assert headers["Cache-Control"] == "no-store", name
    assert len(nonces) == len(answers)  # a new nonce every time


def test_a_request_too_large_is_refused(client, session):
    response = client.post("/sign-in", data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_a_database_that_is_not_answering_gives_503_not_500(app, client, session, monkeypatch):
    import psycopg

    from registry.services.users import issue_token
    from registry.web.api import coverage as api_coverage

    from ..factories import FIXED_NOW, make_agency

    token = issue_token(session, make_user(session, agency=make_agency(session)), now=FIXED_NOW)
    question = {
        "from_agency_id": 1,
        "to_agency_id": 2,
        "purpose": "mash_triage",
        "data_categories": ["identity_contact"],
    }

    def fails_with(error):
        def run_check(*args, **kwargs):
            raise error

        return run_check

    monkeypatch.setattr(
        api_coverage,
        "run_check",
        fails_with(psycopg.OperationalError("terminating connection due to administrator command")),
    )
    response = client.post(
        "/api/v1/coverage", json=question, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.get_json()["error"]["code"] == "database_unavailable"
    # Every connection of the worker's pool in use past the pool's wait: the same.
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    monkeypatch.setattr(
        api_coverage, "run_check", fails_with(PoolTimeout("QueuePool limit of size 2 reached"))
    )
    response = client.post(
        "/api/v1/coverage", json=question, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"
    # A mistake in a query is not "unavailable": it stays a logged 500.
    monkeypatch.setattr(
        api_coverage, "run_check", fails_with(psycopg.ProgrammingError("a mistake in a query"))
    )
    response = client.post(
        "/api/v1/coverage", json=question, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 500
