"""The demo (`make run`: seed-demo, no mail server) shows notifications in the registry:
the demo's own submissions and signatures write them, the embedded sender delivers them
to the log, and a demo user sees theirs on the home page and the notifications page."""

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
    signatory = session.query(User).filter_by(email="signatory.council@northshire.example").one()
    waiting = (
        session.query(Notification)
        .filter_by(user_id=signatory.id, event=NotificationEvent.SUBMITTED)
        .all()
    )
    assert waiting, "the demo's submitted agreements told the council's signatory"
    # No mail server: the sender (here run as the embedded thread would) logs them.
    report = outbox.send_pending(session, clock=lambda: FIXED_NOW, config=app.config)
    assert report.sent and not report.retrying and not report.failed
    assert {n.state for n in session.query(Notification)} == {DeliveryState.SENT}

    client.sign_in(signatory, password=DEMO_PASSWORD)
    home = client.page("/")
    panel = home.select_one("#unread-notifications")
    unread = session.query(Notification).filter_by(user_id=signatory.id, read_at=None).count()
    assert panel.find("h2").get_text(strip=True).startswith(f"{unread} unread notification")
    newest = (
        session.query(Notification)
        .filter_by(user_id=signatory.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .first()
    )
    first = client.page("/notifications").select_one("#notifications tbody tr a")
    assert first.get_text(strip=True) == newest.subject
