"""The account area's API tokens page (issue 16, defect 4): make a token (shown once),
see each one's label, last use and expiry, and revoke one after being asked."""

from datetime import timedelta

from bs4 import BeautifulSoup

from registry.services import users as user_service

from ..factories import FIXED_NOW, make_admin, make_agency, make_user


def _soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def _works(client, token) -> bool:
    answer = client.get("/api/v1/agreements", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code == 200


def test_a_user_makes_lists_and_revokes_a_token_from_their_account(client, session, app):
    user = make_user(session, agency=make_agency(session))
    client.sign_in(user)
    home = client.page("/")
    assert home.select_one(".registry-account a[href='/account/tokens']").get_text() == (
        "API tokens"
    )
    assert "no tokens" in client.page("/account/tokens").get_text()

    made = client.submit("/account/tokens", {"name": "Nightly export"})
    assert made.status_code == 200
    page = _soup(made)
    token = page.select_one("code.registry-token").get_text()
    assert "shown only once" in page.get_text() and _works(client, token)
    again = client.page("/account/tokens")
    assert again.select_one("code.registry-token") is None  # once only
    [row] = again.select("table.registry-tokens tbody tr")
    cells = [c.get_text(" ", strip=True) for c in row.select("td")]
    assert cells[0] == f"Nightly export Starts {token[:6]}"
    assert cells[2] == "15 June 2026 at 12:00"  # its first use, just now (London time)
    assert cells[3].startswith("13 September 2026")  # 90 days on

    revoke_url = row.select_one("a")["href"]
    confirm = client.page(revoke_url)
    assert "Are you sure" in confirm.select_one("h1").get_text()
    assert _works(client, token)  # asking revokes nothing
    done = client.submit(revoke_url)
    assert done.status_code == 302 and done.headers["Location"] == "/account/tokens"
    after = client.page("/account/tokens")
    banner = after.select_one(".govuk-notification-banner").get_text()
    assert "Nightly export" in banner and "has been revoked" in banner
    assert not after.select("table.registry-tokens") and not _works(client, token)
    assert client.get(revoke_url).status_code == 404  # gone


def test_no_one_sees_or_revokes_someone_else_s_token(client, session):
    agency = make_agency(session)
    owner, other = make_user(session, agency=agency), make_user(session, agency=agency)
    token = user_service.issue_token(session, owner, now=FIXED_NOW, name="Owner's")
    [row] = user_service.live_tokens(session, owner.id, now=FIXED_NOW)
    client.sign_in(other)
    assert "Owner's" not in client.page("/account/tokens").get_text()
    assert client.get(f"/account/tokens/{row.id}/revoke").status_code == 404
    answer = client.post(
        f"/account/tokens/{row.id}/revoke", data={"csrf_token": client.csrf_token("/")}
    )
    assert answer.status_code == 404 and _works(client, token)


def test_an_expired_token_is_not_listed(client, session, app):
    user = make_user(session, agency=make_agency(session))
    user_service.issue_token(session, user, now=FIXED_NOW - timedelta(days=91))
    client.sign_in(user)
    assert "no tokens" in client.page("/account/tokens").get_text()


def test_a_token_name_must_be_one_short_line(client, session):
    user = make_user(session, agency=make_agency(session))
    client.sign_in(user)
    answer = client.submit("/account/tokens", {"name": "x" * 101})
    assert answer.status_code == 422
    summary = _soup(answer).select_one(".govuk-error-summary").get_text()
    assert "100 characters or fewer" in summary
    assert user_service.live_tokens(session, user.id, now=FIXED_NOW) == []


def test_an_administrator_s_password_reset_on_the_page_ends_the_user_s_tokens(client, session):
    agency = make_agency(session)
    user = make_user(session, agency=agency, name="Ria")
    token = user_service.issue_token(session, user, now=FIXED_NOW)
    client.sign_in(make_admin(session))
    fields = {
        "name": "Ria",
        "email": user.email,
        "roles": ["practitioner"],
        "agency_id": agency.id,
        "active": "y",
    }
    client.submit(f"/admin/users/{user.id}/edit", fields)
    assert _works(client, token)  # saved without a new password: the token carries on
    done = client.submit(
        f"/admin/users/{user.id}/edit", {**fields, "password": "lantern orchard velvet quarry"}
    )
    assert done.status_code == 302 and not _works(client, token)
    banner = client.page(done.headers["Location"]).select_one(".govuk-notification-banner")
    assert "sessions and API tokens have ended" in banner.get_text()


def test_a_token_name_that_would_read_backwards_is_refused_and_nothing_is_made(client, session):
    user = make_user(session, agency=make_agency(session))
    client.sign_in(user)
    answer = client.submit("/account/tokens", {"name": "Export \u202egnp.exe"})
    assert answer.status_code == 422
    assert (
        "change the direction of text"
        in _soup(answer).select_one(".govuk-error-summary").get_text()
    )
    assert user_service.live_tokens(session, user.id, now=FIXED_NOW) == []
