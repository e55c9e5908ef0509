"""The demo (`make run`: seed-demo, no mail server) shows notifications in the registry:
the demo's own submissions, signatures, officer changes and delegation write them, and a
demo user sees theirs on the home page and the notifications page. The story tells of
work done before today, so none of it is mailed or logged as news, and what no longer
asks anything of its reader (an agreement long in force, a request already signed) is
read."""

from __future__ import annotations

from registry.models import DeliveryState, Notification, NotificationEvent, User
from registry.services import outbox
from registry.services.demo import DEMO_PASSWORD

from ..factories import FIXED_NOW
from ..services.test_cli import run


def test_the_demo_shows_notifications_without_a_mail_server(app, client, session):
    app.config.update(DEMO_MODE=True, MAIL_TRANSPORT="log", MAIL_SERVER=None)
    seeded = run(app, "seed-demo")
    assert seeded.exit_code == 0, seeded.output
    session.rollback()
    rows = session.query(Notification).all()
    assert {r.event for r in rows} >= {
        NotificationEvent.SUBMITTED,
        NotificationEvent.ACTIVATED,
        NotificationEvent.OFFICER_CHANGED,
        NotificationEvent.DELEGATION,
    }
    # Nothing waits to be mailed (or logged) when the registry starts serving.
    assert {r.state for r in rows} == {DeliveryState.SENT}
    assert not outbox.send_pending(session, clock=lambda: FIXED_NOW, config=app.config).sent
    # Long-past news is read; no one is still asked to sign what their agency signed.
    assert all(r.read_at for r in rows if r.event == NotificationEvent.ACTIVATED)
    signatory = session.query(User).filter_by(email="signatory.council@northshire.example").one()
    asked = [r for r in rows if r.user_id == signatory.id]
    assert asked and all(r.read_at for r in asked)

    lead = session.query(User).filter_by(email="ig.lead.council@northshire.example").one()
    unread = session.query(Notification).filter_by(user_id=lead.id, read_at=None).all()
    assert {n.event for n in unread} == {
        NotificationEvent.OFFICER_CHANGED,
        NotificationEvent.DELEGATION,
    }
    client.sign_in(lead, password=DEMO_PASSWORD)
    home = client.page("/")
    panel = home.select_one("#unread-notifications")
    assert panel.find("h2").get_text(strip=True).startswith(f"{len(unread)} unread notification")
    newest = (
        session.query(Notification)
        .filter_by(user_id=lead.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .first()
    )
    first = client.page("/notifications").select_one("#notifications tbody tr a")
    assert first.get_text(strip=True) == newest.subject
