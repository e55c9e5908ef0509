from datetime import date, timedelta

from registry.domain.lifecycle import StatusSettings
from registry.models import ReminderSent
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


def test_a_review_due_is_reminded_once_per_stage(session):
    council, lead, protocol = due_soon(session)
    pending = reviews.pending(session, today=TODAY, settings=SETTINGS)
    assert [(r.agreement.id, r.stage.value, r.recipients) for r in pending] == [
        (protocol.id, "review_due", ("lead@council.example",))
    ]
    assert "Review due by 15 July 2026" in pending[0].subject
    assert reviews.send(session, pending, now=FIXED_NOW, mail={}) == 1
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


def test_the_command_dry_run_sends_nothing_and_the_real_run_logs(app, session, caplog):
    due_soon(session)
    app.extensions["clock"] = lambda: FIXED_NOW
    dry = run(app, "send-reminders", "--dry-run")
    assert dry.exit_code == 0 and "Would send: Review due by" in dry.output
    assert "nothing was sent" in dry.output
    assert session.query(ReminderSent).count() == 0
    with caplog.at_level("INFO", logger="registry.mail"):
        sent = run(app, "send-reminders")
    assert sent.exit_code == 0 and "Sent 1 reminder(s) to the log" in sent.output
    assert any("lead@council.example" in r.getMessage() for r in caplog.records)
    again = run(app, "send-reminders")
    assert "Sent 0 reminder(s)" in again.output


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
