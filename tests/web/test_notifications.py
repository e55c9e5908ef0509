"""Each user's own notifications in the registry: the list (newest first, unread marked,
paged), opening one (marked read), mark all as read, the home page's unread ones, and
officer changes that stay on the home page until that user acknowledges them. No user
ever sees another's."""

from __future__ import annotations

from datetime import timedelta

from registry.models import Notification, NotificationEvent
from registry.services.notifications import notify

from ..factories import FIXED_NOW, make_admin, make_agency, make_user


def _tell(session, users, subject, *, minutes=0, link="/agreements/1", ack=False, body=None):
    rows = notify(
        session,
        NotificationEvent.OFFICER_CHANGED if ack else NotificationEvent.DECLINED,
        users,
        subject=subject,
        body=body or f"{subject}.\n\nWhat to do next: look at it.",
        now=FIXED_NOW + timedelta(minutes=minutes),
        link=link,
        needs_acknowledgement=ack,
    )
    session.commit()
    return rows


def _people(session):
    council = make_agency(session, name="Council")
    lead = make_user(session, roles=("ig_lead",), agency=council, email="lead@council.example")
    other = make_user(session, roles=("ig_lead",), agency=council, email="other@council.example")
    return lead, other


def _subjects(page, selector="#notifications tbody tr"):
    return [row.select_one("a").get_text(strip=True) for row in page.select(selector)]


def test_the_list_shows_the_users_own_newest_first_with_unread_marked(client, session):
    lead, other = _people(session)
    _tell(session, [lead], "Declined: ISA-1 Protocol", minutes=1)
    _tell(session, [lead], "Declined: ISA-2 Sharing", minutes=2)
    _tell(session, [other], "Someone else's: ISA-3", minutes=3)
    client.sign_in(lead)
    page = client.page("/notifications")
    assert _subjects(page) == ["Declined: ISA-2 Sharing", "Declined: ISA-1 Protocol"]
    rows = page.select("#notifications tbody tr")
    assert all("Unread" in row.get_text() for row in rows)
    assert "2 unread" in page.select_one("#unread-summary").get_text()
    # The header says how many are unread.
    nav = page.select_one(".govuk-service-navigation").get_text(" ", strip=True)
    assert "Notifications (2 unread)" in nav


def test_opening_one_marks_it_read_and_links_to_what_it_is_about(client, session):
    lead, other = _people(session)
    [mine] = _tell(session, [lead], "Declined: ISA-1 Protocol", link="/agreements/7")
    [theirs] = _tell(session, [other], "Someone else's")
    client.sign_in(lead)
    page = client.page(f"/notifications/{mine.id}")
    assert page.find("h1").get_text(strip=True) == "Declined: ISA-1 Protocol"
    assert "What to do next: look at it." in page.select_one("#notification-body").get_text()
    assert page.select_one("#notification-link")["href"] == "/agreements/7"
    session.rollback()
    assert session.get(Notification, mine.id).read_at is not None
    listing = client.page("/notifications")
    assert "Unread" not in listing.select_one("#notifications tbody tr").get_text()
    assert "You have read them all" in listing.select_one("#unread-summary").get_text()
    # Another user's is not found, and stays unread.
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    session.rollback()
    assert session.get(Notification, theirs.id).read_at is None


def test_mark_all_as_read_marks_the_users_own_only(client, session):
    lead, other = _people(session)
    _tell(session, [lead, other], "Declined: ISA-1 Protocol")
    _tell(session, [lead], "Declined: ISA-2 Sharing")
    client.sign_in(lead)
    response = client.submit("/notifications/read", token_from="/notifications")
    assert response.status_code == 302
    page = client.page("/notifications")
    assert "2 notifications marked as read" in page.get_text()
    session.rollback()
    unread = {n.email for n in session.query(Notification).filter_by(read_at=None)}
    assert unread == {"other@council.example"}
    # Without the form's token, nothing is marked.
    _tell(session, [lead], "Declined: ISA-3 Late")
    refused = client.post("/notifications/read", data={})
    assert refused.status_code == 400
    session.rollback()
    assert session.query(Notification).filter_by(read_at=None, user_id=lead.id).count() == 1


def test_the_list_is_paged_and_filters_unread(client, session):
    lead, _ = _people(session)
    for n in range(30):
        _tell(session, [lead], f"Declined: ISA-{n}", minutes=n)
    client.sign_in(lead)
    first = client.page("/notifications")
    assert len(first.select("#notifications tbody tr")) == 25
    assert _subjects(first)[0] == "Declined: ISA-29"
    second = client.page("/notifications?page=2")
    assert _subjects(second) == [f"Declined: ISA-{n}" for n in range(4, -1, -1)]
    client.get(f"/notifications/{session.query(Notification).first().id}")
    unread = client.page("/notifications?unread=1&page=2")
    assert len(unread.select("#notifications tbody tr")) == 4


def test_the_home_page_shows_unread_ones_for_every_role(client, session):
    council = make_agency(session, name="Council")
    for roles in (("practitioner",), ("signatory",), ("ig_lead",), ("admin",)):
        user = (
            make_admin(session)
            if roles == ("admin",)
            else make_user(session, roles=roles, agency=council)
        )
        _tell(session, [user], f"For the {roles[0]}: ISA-1", minutes=1)
        _tell(session, [user], f"Also for the {roles[0]}: ISA-2", minutes=2)
        browser = client.application.test_client()
        browser.sign_in(user)
        panel = browser.page("/").select_one("#unread-notifications")
        assert panel.find("h2").get_text(strip=True) == "2 unread notifications", roles
        assert [a.get_text() for a in panel.select("li a")] == [
            f"Also for the {roles[0]}: ISA-2",
            f"For the {roles[0]}: ISA-1",
        ]


def test_an_officer_change_stays_on_the_home_page_until_that_user_acknowledges_it(client, session):
    lead, other = _people(session)
    [mine, theirs] = _tell(
        session, [lead, other], "Police: new Caldicott Guardian, Cal Guard", ack=True
    )
    client.sign_in(lead)
    home = client.page("/")
    panel = home.select_one("#officer-changes")
    assert "Police: new Caldicott Guardian, Cal Guard" in panel.get_text()
    # Reading it is not acknowledging it.
    client.get(f"/notifications/{mine.id}")
    assert client.page("/").select_one("#officer-changes") is not None
    # Another user cannot acknowledge it for them.
    someone = client.application.test_client()
    someone.sign_in(other)
    refused = someone.submit(f"/notifications/{mine.id}/acknowledge", token_from="/")
    assert refused.status_code == 404
    # The user acknowledges it: it leaves their home page, and only theirs.
    done = client.submit(f"/notifications/{mine.id}/acknowledge", token_from="/")
    assert done.status_code == 302
    assert client.page("/").select_one("#officer-changes") is None
    assert "Cal Guard" in someone.page("/").select_one("#officer-changes").get_text()
    session.rollback()
    assert session.get(Notification, mine.id).acknowledged_at is not None
    assert session.get(Notification, theirs.id).acknowledged_at is None
    # The notification itself stays in the user's list.
    assert "Cal Guard" in client.page("/notifications").get_text()


def test_acknowledging_needs_the_forms_token(client, session):
    lead, _ = _people(session)
    [mine] = _tell(session, [lead], "Police: new SIRO", ack=True)
    client.sign_in(lead)
    assert client.post(f"/notifications/{mine.id}/acknowledge", data={}).status_code == 400
    assert client.page("/").select_one("#officer-changes") is not None


def test_signed_out_the_pages_ask_for_sign_in(client, session):
    lead, _ = _people(session)
    [mine] = _tell(session, [lead], "Declined: ISA-1")
    for url in ("/notifications", f"/notifications/{mine.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
