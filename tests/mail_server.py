"""A real SMTP server for the tests (aiosmtpd) on a free loopback port: it keeps every
message it accepts, can refuse chosen addresses, and can be stopped and started again on
the same port mid-test (a mail server that goes down and comes back)."""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        if address in self.server.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server, _session, envelope):
        if self.server.delay:
            await asyncio.sleep(self.server.delay)  # a slow server: senders overlap
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.server.lock:
            self.server.received.append((tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()

    def __call__(self, _server, _session, _envelope, _mechanism, data):
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self.username
            and data.password == self.password
        )
        return AuthResult(success=ok)


class MailServer:
    """`login`: (username, password) the server requires before it takes mail."""

    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.login = login
        self.port = free_port()
        self.received: list[tuple[tuple[str, ...], EmailMessage]] = []
        self.refuse: set[str] = set()
        self.delay = 0.0  # seconds each message takes to be accepted
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> MailServer:
        extra: dict[str, object] = {}
        if self.login:
            # Plain-text login on loopback for the test (no certificate to trust here).
            extra = {
                "authenticator": _Authenticator(*self.login),
                "auth_required": True,
                "auth_require_tls": False,
            }
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **extra)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [message for _, message in self.received]

    def by_message_id(self) -> dict[str, int]:
        """How many times each Message-ID arrived."""
        counts: dict[str, int] = {}
        for message in self.messages():
            counts[message["Message-ID"]] = counts.get(message["Message-ID"], 0) + 1
        return counts

    def config(self) -> dict[str, object]:
        """The app settings that send to this server."""
        return {
            "MAIL_TRANSPORT": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_USE_SSL": False,
            "MAIL_USERNAME": None,
            "MAIL_PASSWORD": None,
            "MAIL_TIMEOUT_SECONDS": 5,
            "MAIL_FROM": "registry@partnership.example",
        }
