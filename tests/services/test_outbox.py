"""The notifications outbox delivered to a real SMTP server (aiosmtpd on loopback): who
gets what, a server that goes down mid-run and comes back (nothing lost, nothing sent
twice), senders at once, a sender that died, giving up, and GOV.UK Notify."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from registry.extensions import db
from registry.models import DeliveryState, Notification, NotificationEvent
from registry.services import outbox
from registry.services.notifications import notify

from ..factories import FIXED_NOW, make_admin, make_agency, make_user
from ..mail_server import MailServer
from .test_cli import run

ROOT = Path(__file__).resolve().parents[2]
LEASE = timedelta(seconds=outbox.DEFAULTS["OUTBOX_LEASE_SECONDS"])


@pytest.fixture
def mail(app):
    server = MailServer().start()
    app.config.update(server.config(), REGISTRY_URL="https://registry.partnership.example")
    yield server
    server.stop()


def _told(session, count: int, *, agency=None) -> list[Notification]:
    """`count` users each told of one event (subject and body naming them)."""
    agency = agency or make_agency(session, name="Council")
    rows = []
    for n in range(count):
        user = make_user(
            session, roles=("ig_lead",), agency=agency, email=f"lead{n}@council.example"
        )
        rows += notify(
            session,
            NotificationEvent.DECLINED,
            [user],
            subject=f"Declined: ISA-{n} Protocol",
            body=f"Police declined ISA-{n} Protocol. Their comment: not yet.\n\nLead {n}",
            now=FIXED_NOW,
            link=f"/agreements/{n + 1}",
        )
    session.commit()
    return rows


def _rows(session) -> list[Notification]:
    session.expire_all()
    return session.query(Notification).order_by(Notification.id).all()


def _send(app, session, at=FIXED_NOW, **kwargs) -> outbox.Report:
    return outbox.send_pending(session, clock=lambda: at, config=app.config, **kwargs)


def test_each_recipient_gets_their_own_message_with_a_stable_message_id(app, session, mail):
    rows = _told(session, 2)
    user_ids = [r.user_id for r in rows]
    notify(
        session,
        NotificationEvent.REVIEW_REMINDER,
        ["lio@police.example"],
        subject="Review due by 15 July 2026: ISA-9 Protocol",
        body="ISA-9 Protocol is due for review.",
        now=FIXED_NOW,
    )
    session.commit()
    report = _send(app, session)
    assert len(report.sent) == 3 and not report.retrying and not report.failed
    by_to = {m["To"]: m for m in mail.messages()}
    assert sorted(by_to) == ["lead0@council.example", "lead1@council.example", "lio@police.example"]
    first = by_to["lead0@council.example"]
    assert first["Subject"] == "Declined: ISA-0 Protocol"
    assert first["From"] == "registry@partnership.example"
    text = first.get_content()
    assert "Police declined ISA-0 Protocol. Their comment: not yet." in text
    assert "Lead 0" in text and "Lead 1" not in text  # each their own
    assert "Open it in the registry: https://registry.partnership.example/agreements/1" in text
    assert "Open it in the registry" not in by_to["lio@police.example"].get_content()
    saved = _rows(session)
    assert first["Message-ID"] == outbox.message_id(saved[0], app.config)
    assert first["Message-ID"].endswith("@registry.partnership.example>")
    assert len(set(mail.by_message_id())) == 3
    assert [(r.state, r.sent_at, r.attempts) for r in saved] == [
        (DeliveryState.SENT, FIXED_NOW, 1)
    ] * 3
    assert [r.user_id for r in saved[:2]] == user_ids
    # Sent rows are not sent again.
    assert _send(app, session).sent == []
    assert len(mail.messages()) == 3


class _StopsTheServerAfter(outbox.SmtpTransport):
    """SMTP whose server goes down once `count` messages have been accepted."""

    def __init__(self, config, server: MailServer, count: int) -> None:
        super().__init__(config)
        self.server, self.count = server, count

    def send(self, message):
        if len(self.server.messages()) >= self.count and self.server.running:
            self.server.stop()
        super().send(message)


def test_a_mail_server_down_mid_run_loses_nothing_and_sends_nothing_twice(
    app, session, mail, caplog
):
    _told(session, 5)
    with caplog.at_level(logging.WARNING, logger="registry.services.outbox"):
        report = _send(app, session, transport=_StopsTheServerAfter(app.config, mail, 2))
    assert (len(report.sent), len(report.retrying), report.failed) == (2, 3, [])
    rows = _rows(session)
    assert [r.state for r in rows] == [DeliveryState.SENT] * 2 + [DeliveryState.PENDING] * 3
    for row in rows[2:]:
        assert row.attempts == 1 and row.last_error and row.sent_at is None
        assert row.run_after == FIXED_NOW + timedelta(seconds=60)  # OUTBOX_RETRY_SECONDS
    assert any("could not be sent (attempt 1)" in r.getMessage() for r in caplog.records)
    # Still down a minute later: tried again, and the wait doubles.
    minute = FIXED_NOW + timedelta(seconds=61)
    assert _send(app, session, at=minute).sent == []
    assert {r.run_after for r in _rows(session)[2:]} == {minute + timedelta(seconds=120)}
    # Not before its time, even with the server back.
    mail.start()
    assert _send(app, session, at=minute).sent == []
    later = minute + timedelta(seconds=121)
    assert len(_send(app, session, at=later).sent) == 3
    rows = _rows(session)
    assert {r.state for r in rows} == {DeliveryState.SENT}
    counts = mail.by_message_id()
    assert sorted(counts) == sorted(outbox.message_id(r, app.config) for r in rows)
    assert set(counts.values()) == {1}  # each exactly once
    assert [r.attempts for r in rows] == [1, 1, 3, 3, 3]


class _Slow(outbox.SmtpTransport):
    """Each message takes a moment, so two senders overlap throughout."""

    def send(self, message):
        time.sleep(0.02)
        super().send(message)


def test_two_senders_at_once_take_each_row_once(app, session, mail):
    """Two senders in two threads, each with its own session and connection (on
    PostgreSQL, two connections to the server; on SQLite, two to the file)."""
    _told(session, 16)
    session.commit()
    reports: list[outbox.Report] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sender() -> None:
        try:
            with app.app_context():
                try:
                    start.wait()
                    reports.append(_send(app, db.session(), transport=_Slow(app.config)))
                finally:
                    db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    sent = [row for report in reports for row in report.sent]
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 16
    assert all(report.sent for report in reports)  # both took a share
    counts = mail.by_message_id()
    assert len(counts) == 16 and set(counts.values()) == {1}
    assert {r.state for r in _rows(session)} == {DeliveryState.SENT}


def test_two_send_notifications_commands_at_once_send_each_row_once(app, session, mail):
    """As cron on two app servers would: two `flask send-notifications` processes at once,
    on the same database and mail server."""
    _told(session, 30)
    session.commit()
    mail.delay = 0.03
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "NOTIFY_", "REGISTRY_"))
    }
    env.update(
        REGISTRY_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REGISTRY_INSTANCE_PATH=app.instance_path,
        SECRET_KEY="x",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mail.port),
        REGISTRY_URL="https://registry.partnership.example",
    )
    command = [sys.executable, "-m", "flask", "--app", "registry", "send-notifications"]
    runs = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    sent = [int(re.search(r"Sent (\d+) notification", out).group(1)) for out, _ in outputs]
    assert sum(sent) == 30, outputs
    counts = mail.by_message_id()
    assert len(counts) == 30 and set(counts.values()) == {1}
    assert {r.state for r in _rows(session)} == {DeliveryState.SENT}


def test_a_row_whose_sender_died_is_taken_again_after_its_lease(app, session, mail):
    _told(session, 1)
    dead = outbox.claim(session, now=FIXED_NOW, config=app.config)
    assert dead is not None  # ...and that sender never sends it
    assert _send(app, session).sent == []  # still leased
    later = FIXED_NOW + LEASE + timedelta(seconds=1)
    assert len(_send(app, session, at=later).sent) == 1
    [row] = _rows(session)
    assert row.state == DeliveryState.SENT and row.attempts == 2
    # The first sender coming back to life sends nothing: its claim was taken over.
    report = outbox.Report()
    transport = outbox.SmtpTransport(app.config)
    assert not outbox.deliver_claimed(
        session, dead, transport, report, now=later, config=app.config
    )
    assert len(mail.messages()) == 1


def test_a_row_is_given_up_after_its_last_attempt_and_the_administrator_is_shown(
    app, session, client, mail, caplog
):
    app.config.update(OUTBOX_ATTEMPTS=2)
    _told(session, 1)
    mail.stop()
    assert len(_send(app, session).retrying) == 1
    later = FIXED_NOW + timedelta(minutes=2)
    with caplog.at_level(logging.ERROR, logger="registry.services.outbox"):
        report = _send(app, session, at=later)
    assert len(report.failed) == 1
    [row] = _rows(session)
    assert (row.state, row.attempts) == (DeliveryState.FAILED, 2)
    assert "Connection refused" in row.last_error or "ConnectionRefused" in row.last_error
    assert any(
        r.levelno == logging.ERROR
        and f"Notification {row.id} to lead0@council.example" in r.getMessage()
        for r in caplog.records
    )
    # Not tried again by a later run...
    mail.start()
    assert _send(app, session, at=later + timedelta(days=1)).sent == []
    # ...the command says so and fails...
    failed = run(app, "send-notifications")
    assert failed.exit_code != 0
    assert f"Given up: notification {row.id} to lead0@council.example" in failed.stdout
    assert "1 notification(s) could not be delivered" in failed.output
    # ...the administrator sees it on the home page...
    client.sign_in(make_admin(session))
    page = client.page("/")
    panel = page.select_one("#notifications-failed")
    assert panel is not None and "lead0@council.example" in panel.get_text()
    # ...and once mended, it is put back and sent.
    again = run(app, "send-notifications", "--retry-failed")
    assert again.exit_code == 0, again.output
    assert "1 notification(s) given up before were put back" in again.stdout
    assert len(mail.messages()) == 1
    assert _rows(session)[0].state == DeliveryState.SENT


def test_an_address_the_server_refuses_is_given_up_at_once(app, session, mail):
    _told(session, 2)
    mail.refuse.add("lead0@council.example")
    report = _send(app, session)
    assert (len(report.sent), len(report.failed), report.retrying) == (1, 1, [])
    rows = _rows(session)
    assert rows[0].state == DeliveryState.FAILED and "refused" in rows[0].last_error
    assert rows[1].state == DeliveryState.SENT


def test_a_row_abandoned_on_every_attempt_is_given_up(app, session, mail):
    app.config.update(OUTBOX_ATTEMPTS=1)
    _told(session, 1)
    assert outbox.claim(session, now=FIXED_NOW, config=app.config) is not None
    report = _send(app, session, at=FIXED_NOW + LEASE + timedelta(seconds=1))
    [row] = _rows(session)
    assert report.failed == [row.id] and row.state == DeliveryState.FAILED
    assert "stopped while sending" in row.last_error
    assert mail.messages() == []


# aiosmtpd's own caution, for the test's loopback server only (no certificate to trust).
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_a_server_that_requires_a_login_gets_the_configured_one(app, session):
    server = MailServer(login=("registry", "mail password")).start()
    try:
        app.config.update(server.config())  # no login: refused, kept to try again
        _told(session, 1)
        report = _send(app, session)
        [row] = _rows(session)
        assert report.retrying == [row.id] and "Authentication required" in row.last_error
        assert server.messages() == []
        app.config["MAIL_USERNAME"] = "registry"
        app.config["MAIL_PASSWORD"] = "mail password"
        assert _send(app, session, at=FIXED_NOW + timedelta(minutes=2)).sent == [row.id]
        assert [m["To"] for m in server.messages()] == ["lead0@council.example"]
    finally:
        server.stop()


def test_the_log_transport_marks_rows_sent_with_the_log_as_where_they_went(app, session, caplog):
    app.config.update(MAIL_TRANSPORT="log", MAIL_SERVER=None)
    _told(session, 1)
    with caplog.at_level(logging.INFO, logger="registry.mail"):
        assert len(_send(app, session).sent) == 1
    [row] = _rows(session)
    assert row.state == DeliveryState.SENT
    assert any(
        "lead0@council.example" in r.getMessage() and "MAIL_TRANSPORT=log" in r.getMessage()
        for r in caplog.records
    )


def test_the_command_names_a_missing_setting(app, session):
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER=None)
    result = run(app, "send-notifications")
    assert result.exit_code != 0 and "MAIL_SERVER must be set" in result.output
    app.config.update(MAIL_TRANSPORT="notify", NOTIFY_API_KEY="x", NOTIFY_TEMPLATE_ID=None)
    result = run(app, "send-notifications")
    assert result.exit_code != 0 and "NOTIFY_TEMPLATE_ID must be set" in result.output


def test_the_embedded_sender_is_woken_by_a_notification_committed_in_its_process(
    app, session, mail
):
    app.config.update(OUTBOX_POLL_SECONDS=600, OUTBOX_EMBEDDED=True)
    runner = outbox.start_sender(app)
    assert runner is not None and outbox.start_sender(app) is None  # one per process
    try:
        deadline = time.monotonic() + 30
        while outbox._wake.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)  # its first look, finding nothing
        _told(session, 1)
        deadline = time.monotonic() + 30
        while not mail.messages() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [m["To"] for m in mail.messages()] == ["lead0@council.example"]
    finally:
        outbox.stop_sender(app, timeout=30)
    assert not runner.thread.is_alive() and runner.thread.daemon


class _FakeNotify(BaseHTTPRequestHandler):
    """GOV.UK Notify's POST /v2/notifications/email, as far as the client needs."""

    received: list[tuple[dict, str]] = []
    status = 201

    def do_POST(self):  # noqa: N802 (the handler's name is http.server's)
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        type(self).received.append((body, self.headers.get("Authorization", "")))
        if type(self).status == 201:
            answer = {"id": "740e5834-3a29-46b4-9a6f-16142fde533a", "reference": body["reference"]}
        else:
            answer = {
                "status_code": 400,
                "errors": [
                    {
                        "error": "ValidationError",
                        "message": "email_address Not a valid email address",
                    }
                ],
            }
        data = json.dumps(answer).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args):
        pass


@pytest.fixture
def fake_notify(app):
    _FakeNotify.received, _FakeNotify.status = [], 201
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeNotify)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(
        MAIL_TRANSPORT="notify",
        MAIL_SERVER=None,
        NOTIFY_API_KEY="registry-test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0",
        NOTIFY_TEMPLATE_ID="f33517ff-2a88-4f6e-b855-c550268ce08a",
        NOTIFY_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}",
        REGISTRY_URL="https://registry.partnership.example",
    )
    yield _FakeNotify
    server.shutdown()
    server.server_close()


def test_gov_uk_notify_gets_the_template_personalisation_and_a_stable_reference(
    app, session, fake_notify
):
    _told(session, 1)
    assert len(_send(app, session).sent) == 1
    [(body, authorization)] = fake_notify.received
    [row] = _rows(session)
    assert body["email_address"] == "lead0@council.example"
    assert body["template_id"] == "f33517ff-2a88-4f6e-b855-c550268ce08a"
    assert body["personalisation"]["subject"] == "Declined: ISA-0 Protocol"
    assert "https://registry.partnership.example/agreements/1" in body["personalisation"]["body"]
    assert body["reference"] == outbox.message_id(row, app.config)
    assert authorization.startswith("Bearer ")  # the client's signed token
    assert row.state == DeliveryState.SENT


def test_gov_uk_notify_refusing_an_address_gives_it_up_at_once(app, session, fake_notify):
    fake_notify.status = 400
    _told(session, 1)
    report = _send(app, session)
    [row] = _rows(session)
    assert report.failed == [row.id] and row.state == DeliveryState.FAILED
    assert "Not a valid email address" in row.last_error
