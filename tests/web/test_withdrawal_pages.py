"""Issue 18 point 6 in the pages: notice of withdrawal with a reason, shown to the
partners, and cancelled from the agreement page before it takes effect."""

from datetime import timedelta

from bs4 import BeautifulSoup

from registry.models import AuditEntry, Withdrawal

from ..conftest import FIXED_NOW
from ..factories import chain, make_agency, make_user

REASON = "Our youth offending team joins the county service"


def errors(response) -> str:
    summary = BeautifulSoup(response.data, "html.parser").select_one(".govuk-error-summary")
    return summary.get_text(" ", strip=True) if summary else ""


def _setting(session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    _, mash = chain(session, council, police, make_agency(session, name="NHS"))
    police_lead = make_user(session, roles=("ig_lead",), agency=police, name="Pat Police")
    council_lead = make_user(session, roles=("ig_lead",), agency=council, name="Cal Council")
    return mash, police_lead, council_lead


def _notices(session) -> int:
    session.rollback()  # end the test's own read: see what the requests committed
    return session.query(Withdrawal).count()


def _cancel_button(page):
    for link in page.select(".govuk-summary-card a.govuk-button"):
        if " ".join(link.get_text().split()).startswith("Cancel withdrawal notice"):
            return link
    return None


def _switch(client, user):
    client.submit("/sign-out", token_from="/")
    client.sign_in(user)


def _give_notice(client, mash, days=30, reason=REASON):
    when = (FIXED_NOW + timedelta(days=days)).date()
    return client.submit(
        f"/agreements/{mash.id}/withdraw",
        {"effective_on": [str(when.day), str(when.month), str(when.year)], "reason": reason},
    )


def test_notice_needs_a_reason_and_keeps_what_was_typed(client, session):
    mash, police_lead, _ = _setting(session)
    client.sign_in(police_lead)
    response = _give_notice(client, mash, reason="  ")
    assert response.status_code == 422
    assert "Give the reason for withdrawing" in errors(response)
    page = BeautifulSoup(response.data, "html.parser")
    assert page.select_one("input[name=effective_on][id$=year]")["value"] == "2026"
    assert _notices(session) == 0


def test_partners_see_who_withdraws_from_when_why_and_who_gave_notice(client, session):
    mash, police_lead, council_lead = _setting(session)
    client.sign_in(police_lead)
    response = _give_notice(client, mash)
    assert response.status_code == 302
    _switch(client, council_lead)
    page = client.page(f"/agreements/{mash.id}")
    card = page.select_one("#withdrawals").find_next(class_="govuk-summary-card")
    text = " ".join(card.get_text(" ").split())
    assert "Police withdraws from 15 July 2026" in text
    assert REASON in text
    assert "Notice given by Pat Police" in text
    # Another party's IG lead sees it but may not cancel it.
    assert _cancel_button(page) is None
    assert (
        client.get(f"/agreements/{mash.id}/withdrawals/{police_lead.agency_id}/cancel").status_code
        == 403
    )


def test_the_withdrawing_agency_cancels_its_notice_after_confirming(client, session):
    mash, police_lead, _ = _setting(session)
    client.sign_in(police_lead)
    _give_notice(client, mash)
    page = client.page(f"/agreements/{mash.id}")
    button = _cancel_button(page)
    assert button is not None and button.get_text(" ", strip=True).endswith("of Police")
    confirm = client.page(button["href"])
    assert confirm.find("h1").get_text(strip=True) == "Cancel withdrawal notice"
    assert REASON in confirm.get_text()
    assert "no longer ends" not in confirm.get_text()  # three parties: it was not ending
    # Without the form's CSRF token nothing happens.
    assert client.post(button["href"]).status_code == 400
    assert _notices(session) == 1
    done = client.submit(button["href"])
    assert done.status_code == 302
    page = client.page(f"/agreements/{mash.id}")
    assert "stays a party" in page.select_one(".govuk-notification-banner").get_text()
    assert page.select_one("#withdrawals") is None
    assert _notices(session) == 0
    entry = session.query(AuditEntry).filter_by(action="agreement.withdrawal_cancelled").one()
    assert entry.before["reason"] == REASON
    # Notice may be given again.
    assert _give_notice(client, mash, days=60).status_code == 302


def test_a_notice_in_effect_cannot_be_cancelled(client, session):
    mash, police_lead, _ = _setting(session)
    client.sign_in(police_lead)
    url = f"/agreements/{mash.id}/withdrawals/{police_lead.agency_id}/cancel"
    assert client.get(url).status_code == 404  # no notice yet
    assert _give_notice(client, mash, days=0).status_code == 302  # from today
    page = client.page(f"/agreements/{mash.id}")
    assert "Police withdrew from 15 June 2026" in page.get_text()
    assert _cancel_button(page) is None
    # Its confirmation page offers no button that can only be refused.
    opened = client.get(url, follow_redirects=True)
    assert "can no longer be cancelled: it took effect on 15 June 2026" in opened.get_data(
        as_text=True
    )
    assert "Cancel the notice" not in opened.get_data(as_text=True)
    token = client.csrf_token(f"/agreements/{mash.id}/withdraw")
    response = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "can no longer be cancelled" in response.get_data(as_text=True)
    assert _notices(session) == 1


def test_the_administrator_may_cancel_and_a_party_without_notice_is_404(client, session):
    mash, police_lead, council_lead = _setting(session)
    client.sign_in(police_lead)
    _give_notice(client, mash)
    _switch(client, make_user(session, roles=("admin",), agency=None, name="Ada Admin"))
    url = f"/agreements/{mash.id}/withdrawals/{police_lead.agency_id}/cancel"
    page = client.page(f"/agreements/{mash.id}")
    assert _cancel_button(page)["href"] == url
    assert (
        client.get(f"/agreements/{mash.id}/withdrawals/{council_lead.agency_id}/cancel").status_code
        == 404
    )
    assert client.submit(url).status_code == 302
    assert _notices(session) == 0


def test_the_confirmation_says_a_scheduled_ending_is_lifted(client, session):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    _, pair = chain(session, council, police)
    lead = make_user(session, roles=("ig_lead",), agency=police)
    client.sign_in(lead)
    _give_notice(client, pair, days=30)
    page = client.page(f"/agreements/{pair.id}")
    assert "It terminates on 15 July 2026." in " ".join(page.get_text().split())
    confirm = client.page(_cancel_button(page)["href"])
    text = " ".join(confirm.get_text().split())
    assert "The agreement was to end on 15 July 2026" in text
    assert "it no longer ends then" in text
    client.submit(_cancel_button(page)["href"])
    page = client.page(f"/agreements/{pair.id}")
    assert "It terminates on" not in page.get_text()


def test_a_date_in_the_past_and_no_reason_are_both_said_at_once(client, session):
    mash, police_lead, _ = _setting(session)
    client.sign_in(police_lead)
    response = _give_notice(client, mash, days=-1, reason="")
    assert response.status_code == 422
    summary = errors(response)
    assert "Give the reason for withdrawing" in summary
    assert "The date must be today (15 June 2026) or later" in summary
    assert _notices(session) == 0


def test_the_owner_is_not_offered_a_notice_and_is_told_how_to_leave(client, session):
    """An owner that withdrew would be dropped from every amendment of its own agreement
    and could then save none of them (the lifecycle machine's finding): it terminates
    instead, and the page says so rather than offering what will be refused."""
    mash, police_lead, council_lead = _setting(session)
    client.sign_in(council_lead)
    page = client.page(f"/agreements/{mash.id}")
    links = [a.get_text(strip=True) for a in page.select(".registry-actions a")]
    assert "Give notice that your agency withdraws" not in links
    assert "Terminate this agreement" in links
    why = " ".join(page.select_one(".registry-actions").get_text(" ").split())
    assert "Your agency owns this agreement, so it cannot give notice of withdrawal" in why
    response = client.get(f"/agreements/{mash.id}/withdraw", follow_redirects=True)
    text = " ".join(BeautifulSoup(response.data, "html.parser").get_text(" ").split())
    assert f"Council owns {mash.reference}, so it cannot withdraw from it" in text
    assert "To end it, terminate it instead" in text
    posted = client.submit(  # a form kept open from before: refused, back to the agreement
        f"/agreements/{mash.id}/withdraw",
        {"effective_on": ["15", "7", "2026"], "reason": REASON},
        token_from=f"/agreements/{mash.id}",
    )
    assert posted.status_code == 302
    assert _notices(session) == 0
    _switch(client, police_lead)  # a party that does not own it is still offered it
    page = client.page(f"/agreements/{mash.id}")
    links = [a.get_text(strip=True) for a in page.select(".registry-actions a")]
    assert "Give notice that your agency withdraws" in links


def test_an_agreement_that_notices_ended_offers_nothing_more(app, client, session):
    """Once the day came on which a notice left one party, the page offered the owner
    Amend and Record a review, each then refused: it now offers neither."""
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    _, pair = chain(session, council, police)
    police_lead = make_user(session, roles=("ig_lead",), agency=police)
    council_lead = make_user(session, roles=("ig_lead",), agency=council)
    client.sign_in(police_lead)
    assert _give_notice(client, pair, days=1).status_code == 302
    _switch(client, council_lead)
    page = client.page(f"/agreements/{pair.id}")
    assert page.find("button", string="Amend") is not None  # before its day
    app.extensions["clock"] = lambda: FIXED_NOW + timedelta(days=3)
    client.get("/")  # three days on, the session has long timed out: it is ended
    client.sign_in(council_lead)
    page = client.page(f"/agreements/{pair.id}")
    assert page.find("button", string="Amend") is None
    assert page.find("a", string="Record a review") is None
    assert "Terminated" in page.select_one("h1 + p").get_text()
