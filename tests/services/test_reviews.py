from datetime import date, timedelta

from registry.domain.lifecycle import StatusSettings
from registry.domain.vocab import OfficerRole
from registry.models import DeliveryState, Notification, NotificationEvent, Officer, ReminderSent
from registry.services import reviews

from ..factories import FIXED_NOW, TODAY, activate, make_agency, make_draft, make_user, party
from .test_cli import run

SETTINGS = StatusSettings()


def due_soon(session, days=30):
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    lead = make_user(session, roles=("ig_lead",), agency=council, email="lead@council.example")
    protocol = activate(
        session,
        make_draft(
            session,
            tier=1,
            owner=council,
            parties=[party(council), party(police)],
            title="Protocol",
            effective_from=TODAY - timedelta(days=300),
            review_date=TODAY + timedelta(days=days),
        ),
    )
    return council, lead, protocol


def reminders(session):
    """The review reminders in the outbox (making the agreement told of other events)."""
    return session.query(Notification).filter_by(event=NotificationEvent.REVIEW_REMINDER).all()


def test_a_review_due_is_reminded_once_per_stage(session):
    council, lead, protocol = due_soon(session)
    pending = reviews.pending(session, today=TODAY, settings=SETTINGS)
    assert [(r.agreement.id, r.stage.value, r.recipients) for r in pending] == [
        (protocol.id, "review_due", ("lead@council.example",))
    ]
    assert "Review due by 15 July 2026" in pending[0].subject
    assert reviews.send(session, pending, now=FIXED_NOW) == 1
    [told] = reminders(session)
    assert (told.user_id, told.email, told.event) == (
        lead.id,
        "lead@council.example",
        NotificationEvent.REVIEW_REMINDER,
    )
    assert (told.subject, told.link) == (pending[0].subject, f"/agreements/{protocol.id}")
    assert told.state == DeliveryState.PENDING and told.agreement_id == protocol.id
    assert reviews.pending(session, today=TODAY, settings=SETTINGS) == []
    later = TODAY + timedelta(days=40)  # past the review date: a new stage, a new reminder
    overdue = reviews.pending(session, today=later, settings=SETTINGS)
    assert [r.stage.value for r in overdue] == ["review_overdue"]
    lapsed = reviews.pending(session, today=TODAY + timedelta(days=200), settings=SETTINGS)
    assert [r.stage.value for r in lapsed] == ["lapsed"]
    assert "no longer covers any share" in lapsed[0].body


def test_days_narrows_or_widens_the_window(session):
    due_soon(session, days=60)
    assert reviews.pending(session, today=TODAY, settings=SETTINGS, days=30) == []
    assert len(reviews.pending(session, today=TODAY, settings=SETTINGS, days=61)) == 1


def test_with_no_ig_lead_the_lead_information_officer_is_told_by_mail_only(session):
    council, lead, protocol = due_soon(session)
    lead.active = False
    session.add(
        Officer(
            agency_id=council.id,
            role=OfficerRole.LEAD_INFORMATION_OFFICER,
            name="Lee Officer",
            job_title="Head of information governance",
            email="lio@council.example",
            started_on=TODAY - timedelta(days=400),
        )
    )
    session.add(  # the one before, who has left: not told
        Officer(
            agency_id=council.id,
            role=OfficerRole.LEAD_INFORMATION_OFFICER,
            name="Former Officer",
            job_title="Head of information governance",
            email="former@council.example",
            started_on=TODAY - timedelta(days=900),
            ended_on=TODAY - timedelta(days=400),
        )
    )
    session.commit()
    pending = reviews.pending(session, today=TODAY, settings=SETTINGS)
    assert pending[0].recipients == ("lio@council.example",) and pending[0].users == ()
    assert reviews.send(session, pending, now=FIXED_NOW) == 1
    [told] = reminders(session)
    assert (told.user_id, told.email) == (None, "lio@council.example")


def test_the_command_dry_run_sends_nothing_and_the_real_run_fills_the_outbox(app, session, caplog):
    due_soon(session)
    app.extensions["clock"] = lambda: FIXED_NOW
    dry = run(app, "send-reminders", "--dry-run")
    assert dry.exit_code == 0 and "Would send: Review due by" in dry.stdout
    assert "nothing was sent" in dry.stdout
    assert session.query(ReminderSent).count() == 0
    assert reminders(session) == []
    sent = run(app, "send-reminders")
    assert sent.exit_code == 0
    assert "Put 1 reminder(s) in the notifications outbox" in sent.stdout
    assert "to the log: no mail server is configured" in sent.stdout
    session.expire_all()
    assert [n.email for n in reminders(session)] == ["lead@council.example"]
    again = run(app, "send-reminders")
    assert "Put 0 reminder(s)" in again.stdout
    # The sender (here the command, as cron would run it) delivers it, to the log.
    waiting = session.query(Notification).filter_by(state=DeliveryState.PENDING).count()
    with caplog.at_level("INFO", logger="registry.mail"):
        delivered = run(app, "send-notifications")
    assert delivered.exit_code == 0, delivered.output
    assert f"Sent {waiting} notification(s) (to the log" in delivered.stdout
    assert any("lead@council.example" in r.getMessage() for r in caplog.records)
    session.expire_all()
    assert [n.state for n in reminders(session)] == [DeliveryState.SENT]


def test_the_calendar_feed(client, session):
    council, lead, protocol = due_soon(session)
    token = reviews.calendar_token(session, council.id)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert f"DTSTART;VALUE=DATE:{(TODAY + timedelta(days=30)).strftime('%Y%m%d')}" in body
    assert f"UID:{protocol.reference}-" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert client.get("/calendar/not-the-token.ics").status_code == 404
    renewed = reviews.calendar_token(session, council.id, renew=True)
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{renewed}.ics").status_code == 200


def test_the_review_calendar_page(client, session):
    council, lead, protocol = due_soon(session)
    client.sign_in(lead)
    page = client.page("/agreements/reviews")
    assert page.find("h2").get_text() == (TODAY + timedelta(days=30)).strftime("%B %Y")
    assert "/calendar/" in page.select_one(".registry-hash").get_text()
    assert date(2026, 7, 15).strftime("%B") in page.get_text()
