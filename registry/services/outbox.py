"""Delivering notifications: the sender that takes rows from the outbox (the
`notifications` table, written by services/notifications.py in the same transaction as
the change each tells of) and hands each to the configured transport.

Exactly once, with any number of senders in any number of processes and servers:

- a sender claims a due row with a conditional update (jobs.claim: pending and due, or
  sending with its lease passed → sending, with the sender's own token and a new lease);
- it delivers the row outside any transaction, then marks it sent with a second
  conditional update on its token: a sender whose claim was taken over marks nothing;
- a failure (the mail server down, a refusal) is counted and tried again later, after
  OUTBOX_RETRY_SECONDS, doubled at each try up to OUTBOX_RETRY_MAX_SECONDS; after
  OUTBOX_ATTEMPTS tries the row is marked failed, logged at ERROR and shown to the
  administrator on the home page and by `send-notifications`;
- each message carries a Message-ID made from the row alone. A sender that dies after the
  mail server accepted a message but before it recorded `sent` leaves the row to be
  taken again once its lease passes, and the message is sent a second time with the same
  Message-ID (the same Notify `reference`): the repeat is recognisable, and mail systems
  that remove duplicates by Message-ID remove it.

Transports (MAIL_TRANSPORT, registry/config.py): `smtp` (smtplib, with STARTTLS or TLS and
a login when set), `notify` (GOV.UK Notify's official client, imported only then: one
email template whose subject is ((subject)) and whose message is ((body))), and `log`
(no mail server: the message is written to the `registry.mail` log and the row marked
sent; the demo's and development's default)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..config import ConfigError
from ..database import begin_write
from ..models import DeliveryState, Notification
from . import jobs

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

# The settings (registry/config.py) and what they are when not given.
DEFAULTS = {
    "OUTBOX_EMBEDDED": True,
    "OUTBOX_POLL_SECONDS": 10,
    "OUTBOX_LEASE_SECONDS": 120,
    "OUTBOX_ATTEMPTS": 12,
    "OUTBOX_RETRY_SECONDS": 60,
    "OUTBOX_RETRY_MAX_SECONDS": 3600,
}

QUEUE = jobs.Queue(
    Notification,
    pending=DeliveryState.PENDING,
    running=DeliveryState.SENDING,
    failed=DeliveryState.FAILED,
)
_wake = jobs.Wake(Notification)


def setting(config: Mapping[str, Any], name: str) -> Any:
    return jobs.setting(config, DEFAULTS, name)


# What is sent --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One message as every transport sends it."""

    notification_id: int
    to: str
    subject: str
    body: str  # the row's body, with the link made absolute
    message_id: str  # <…@host>, the same at every try
    created_at: datetime


def _host(config: Mapping[str, Any]) -> str:
    return urlsplit(config.get("REGISTRY_URL") or "http://localhost").hostname or "localhost"


def message_id(row: Notification, config: Mapping[str, Any]) -> str:
    """The row's own Message-ID: its id and when it was written, at the registry's host.
    The same however often the row is sent, and never another row's."""
    stamp = row.created_at.strftime("%Y%m%d%H%M%S")
    return f"<notification-{row.id}-{stamp}@{_host(config)}>"


def compose(row: Notification, config: Mapping[str, Any]) -> Outgoing:
    body = row.body.rstrip()
    if row.link:
        base = (config.get("REGISTRY_URL") or "").rstrip("/")
        body += f"\n\nOpen it in the registry: {base}{row.link}"
    body += (
        f"\n\nThis message was sent by the {config.get('PARTNERSHIP_NAME') or 'partnership'}"
        " agreement registry. You can also read your notifications when you sign in."
    )
    return Outgoing(row.id, row.email, row.subject, body, message_id(row, config), row.created_at)


# Transports -----------------------------------------------------------------------------


class Refused(Exception):
    """The transport will never take this message (a bad address): not tried again."""


class Transport(Protocol):
    name: str

    def send(self, message: Outgoing) -> None: ...

    def close(self) -> None: ...


def _mail_log() -> logging.Logger:
    """The log that MAIL_TRANSPORT=log writes to, `registry.mail`, at INFO. Where nothing
    has configured logging (gunicorn and `flask run` configure only their own loggers),
    it is given a handler to standard error, so the messages are seen, not dropped."""
    mail = logging.getLogger("registry.mail")
    if mail.level == logging.NOTSET:
        mail.setLevel(logging.INFO)
    if not mail.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s [registry.mail] %(message)s"))
        mail.addHandler(handler)
    return mail


class LogTransport:
    """No mail server: each message, in full, goes to the log (the demo, development)."""

    name = "log"

    def __init__(self) -> None:
        self.log = _mail_log()

    def send(self, message: Outgoing) -> None:
        self.log.info(
            "Notification %s (not mailed: MAIL_TRANSPORT=log)\nTo: %s\nSubject: %s\n"
            "Message-ID: %s\n\n%s",
            message.notification_id,
            message.to,
            message.subject,
            message.message_id,
            message.body,
        )

    def close(self) -> None:
        pass


class SmtpTransport:
    """SMTP, one connection kept for a run of the sender; a failed one is dropped and the
    next message connects afresh."""

    name = "smtp"

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        timeout = float(c.get("MAIL_TIMEOUT_SECONDS") or 30)
        port = int(c.get("MAIL_PORT") or 25)
        smtp: smtplib.SMTP
        # smtplib's own default checks no certificate: the server's is checked, against
        # the system's trusted CAs and for MAIL_SERVER's name.
        tls = ssl.create_default_context()
        if c.get("MAIL_USE_SSL"):
            smtp = smtplib.SMTP_SSL(c["MAIL_SERVER"], port, timeout=timeout, context=tls)
        else:
            smtp = smtplib.SMTP(c["MAIL_SERVER"], port, timeout=timeout)
            if c.get("MAIL_USE_TLS"):
                smtp.starttls(context=tls)
        if c.get("MAIL_USERNAME"):
            smtp.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"] or "")
        return smtp

    def send(self, message: Outgoing) -> None:
        mail = EmailMessage()
        mail["From"] = self.config.get("MAIL_FROM") or "registry@localhost"
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Message-ID"] = message.message_id
        mail["Date"] = format_datetime(message.created_at)
        mail.set_content(message.body)
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise Refused(f"the mail server refused {message.to}: {exc.recipients}") from exc
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except Exception:  # already gone: nothing to close politely
                smtp.close()


class NotifyTransport:
    """GOV.UK Notify, through its official client: one email template whose subject is
    ((subject)) and whose message is ((body)); the Message-ID goes as the `reference`."""

    name = "notify"

    def __init__(self, config: Mapping[str, Any], client: Any = None) -> None:
        self.template_id = config["NOTIFY_TEMPLATE_ID"]
        if client is None:
            from notifications_python_client.notifications import NotificationsAPIClient

            client = NotificationsAPIClient(
                config["NOTIFY_API_KEY"],
                base_url=config.get("NOTIFY_BASE_URL")
                or "https://api.notifications.service.gov.uk",
                timeout=int(config.get("MAIL_TIMEOUT_SECONDS") or 30),
            )
        self.client = client

    def send(self, message: Outgoing) -> None:
        from notifications_python_client.errors import HTTPError

        try:
            self.client.send_email_notification(
                email_address=message.to,
                template_id=self.template_id,
                personalisation={"subject": message.subject, "body": message.body},
                reference=message.message_id,
            )
        except HTTPError as exc:
            if exc.status_code == 400:  # a bad address or template: sending again is no cure
                raise Refused(f"Notify refused it: {exc.message}") from exc
            raise

    def close(self) -> None:
        pass


def transport_for(config: Mapping[str, Any], *, notify_client: Any = None) -> Transport:
    """The transport MAIL_TRANSPORT names; ConfigError naming the setting that is missing."""
    name = config.get("MAIL_TRANSPORT") or ("smtp" if config.get("MAIL_SERVER") else "log")
    if name == "log":
        return LogTransport()
    if name == "smtp":
        if not config.get("MAIL_SERVER"):
            raise ConfigError("MAIL_SERVER must be set when MAIL_TRANSPORT=smtp")
        return SmtpTransport(config)
    if name == "notify":
        for needed in ("NOTIFY_API_KEY", "NOTIFY_TEMPLATE_ID"):
            if not config.get(needed):
                raise ConfigError(f"{needed} must be set when MAIL_TRANSPORT=notify")
        try:
            return NotifyTransport(config, notify_client)
        except (AssertionError, IndexError) as exc:  # the client's own check of the key
            raise ConfigError(
                "NOTIFY_API_KEY is not a GOV.UK Notify API key (name-service id-secret)"
            ) from exc
    raise ConfigError(f"MAIL_TRANSPORT must be smtp, notify or log, not {name!r}")


# Sending --------------------------------------------------------------------------------


@dataclass
class Report:
    """What one run of the sender did."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)  # failed this time, tried again later
    failed: list[int] = field(default_factory=list)  # given up this run


def claim(
    session: Session,
    *,
    now: datetime,
    config: Mapping[str, Any],
    skip: frozenset[int] = frozenset(),
) -> jobs.Claim | None:
    lease = timedelta(seconds=float(setting(config, "OUTBOX_LEASE_SECONDS")))
    return jobs.claim(session, QUEUE, now=now, lease=lease, skip=skip)


def deliver_claimed(
    session: Session,
    taken: jobs.Claim,
    transport: Transport,
    report: Report,
    *,
    now: datetime,
    config: Mapping[str, Any],
) -> bool:
    """Send the claimed row and mark it sent if the claim still holds; a failure is
    recorded on the row (tried again later, or given up). True when marked sent."""
    row = session.get(Notification, taken.job_id)
    if row is None or row.claim_token != taken.token:
        session.rollback()
        return False
    message = compose(row, config)
    session.rollback()  # no transaction is held while the mail server is talked to
    try:
        transport.send(message)
    except Exception as exc:  # recorded on the row, retried, and logged
        _fail(session, taken, exc, now=now, config=config, report=report)
        return False
    held = jobs.complete(
        session,
        QUEUE,
        taken,
        state=DeliveryState.SENT,
        sent_at=now,
        claim_token=None,
        lease_until=None,
    )
    session.commit()
    if not held:
        log.warning(
            "Notification %s: sent, but another sender had taken it over (its lease had "
            "passed); it may arrive twice, with the same Message-ID %s",
            taken.job_id,
            message.message_id,
        )
        return False
    report.sent.append(taken.job_id)
    return True


def _delay(config: Mapping[str, Any], attempts: int) -> timedelta:
    base = float(setting(config, "OUTBOX_RETRY_SECONDS"))
    cap = float(setting(config, "OUTBOX_RETRY_MAX_SECONDS"))
    return timedelta(seconds=min(cap, base * 2 ** max(0, min(attempts - 1, 30))))


def _fail(
    session: Session,
    taken: jobs.Claim,
    exc: BaseException,
    *,
    now: datetime,
    config: Mapping[str, Any],
    report: Report,
) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    begin_write(session)
    row = session.get(Notification, taken.job_id)
    if row is None or not jobs.held(row, QUEUE, taken):
        session.rollback()  # taken over meanwhile: the other sender decides
        return
    row.last_error, row.claim_token, row.lease_until = error, None, None
    attempts = row.attempts
    if isinstance(exc, Refused) or attempts >= int(setting(config, "OUTBOX_ATTEMPTS")):
        row.state = DeliveryState.FAILED
        session.commit()
        report.failed.append(taken.job_id)
        log.error(
            "Notification %s to %s was given up after %s attempt(s): %s",
            taken.job_id,
            row.email,
            attempts,
            error,
        )
        return
    delay = _delay(config, attempts)
    row.state, row.run_after = DeliveryState.PENDING, now + delay
    session.commit()
    report.retrying.append(taken.job_id)
    log.warning(
        "Notification %s could not be sent (attempt %s), tried again in %.0f s: %s",
        taken.job_id,
        attempts,
        delay.total_seconds(),
        error,
    )


def _give_up_abandoned(
    session: Session, *, now: datetime, config: Mapping[str, Any], report: Report
) -> None:
    """A row whose sender died on every attempt (its lease passed each time) is not taken
    for ever: once its attempts are spent it is marked failed."""
    spent = int(setting(config, "OUTBOX_ATTEMPTS"))
    abandoned = jobs.abandoned(QUEUE, now=now, attempts=spent)
    found = session.scalars(select(Notification.id).where(*abandoned)).all()
    session.rollback()
    if not found:
        return  # the usual case: no write lock taken
    begin_write(session)
    session.execute(
        update(Notification)
        .where(Notification.id.in_(found), *abandoned)
        .values(
            state=DeliveryState.FAILED,
            claim_token=None,
            last_error=func.coalesce(
                Notification.last_error, "the sender stopped while sending, every time"
            ),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    report.failed.extend(found)
    log.error("Notifications %s were given up: their sender stopped every time", found)


def send_pending(
    session: Session,
    *,
    clock: Callable[[], datetime],
    config: Mapping[str, Any],
    transport: Transport | None = None,
) -> Report:
    """Send every row that may be sent now, in this thread, until none is left. A row
    that fails is not tried again in this run (its retry is later). ConfigError when the
    transport is not configured."""
    transport = transport or transport_for(config)
    report = Report()
    tried: set[int] = set()
    try:
        _give_up_abandoned(session, now=clock(), config=config, report=report)
        while (
            taken := claim(session, now=clock(), config=config, skip=frozenset(tried))
        ) is not None:
            tried.add(taken.job_id)
            deliver_claimed(session, taken, transport, report, now=clock(), config=config)
    finally:
        transport.close()
    return report


def retry_failed(session: Session, *, now: datetime) -> int:
    """Put every failed row back to be sent again (after its fault is mended); answers
    how many."""
    return jobs.retry_failed(session, QUEUE, now=now)


@dataclass(frozen=True)
class Failures:
    """What the administrator is shown of notifications given up."""

    count: int
    latest: list[Notification]


def failures(session: Session, *, limit: int = 5) -> Failures:
    failed = Notification.state == DeliveryState.FAILED
    count = session.scalar(select(func.count()).select_from(Notification).where(failed)) or 0
    latest = list(
        session.scalars(
            select(Notification).where(failed).order_by(Notification.id.desc()).limit(limit)
        )
    )
    return Failures(count, latest)


# The embedded sender ----------------------------------------------------------------------


class Runner(jobs.Runner):
    """The sender thread of a serving process (jobs.Runner); `run` also serves
    `send-notifications --watch`."""

    name = "registry-outbox-sender"
    wake = _wake
    poll_setting = "OUTBOX_POLL_SECONDS"
    defaults = DEFAULTS

    def work(self, session: Session) -> None:
        from ..clock import now

        send_pending(session, clock=now, config=self.app.config)


_embedded = jobs.Embedded(Runner, "OUTBOX_EMBEDDED")


def running(app: Flask) -> bool:
    return _embedded.running(app)


def start_sender(app: Flask) -> jobs.Runner | None:
    """Start the app's sender thread in this process, once (None when it runs already or
    OUTBOX_EMBEDDED is off)."""
    return _embedded.start(app)


def stop_sender(app: Flask, timeout: float | None = None) -> None:
    found = _embedded.started.pop(id(app), None)
    if found is not None:
        found.stop(timeout)
