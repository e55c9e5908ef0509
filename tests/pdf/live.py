"""The registry under a real gunicorn, started from the checkout (so reading its
gunicorn.conf.py) on a fresh SQLite database, and plain HTTP to it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

from flask_migrate import upgrade

from registry import create_app
from registry.extensions import db

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes = b"", headers=None, timeout=30):
    conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def multipart(token: str, pdf: bytes) -> tuple[bytes, str]:
    """A /verify form's body: its CSRF token and the PDF."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            'name="pdf"; filename="hostile.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + pdf
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def serve(
    tmp_path: Path, *flags: str, prefix: tuple[str, ...] = ()
) -> tuple[subprocess.Popen, int]:
    """gunicorn serving a migrated, empty database, once it answers /healthz (started
    through `prefix`, such as prlimit, when given). Stop it with
    `server.terminate(); server.wait()`."""
    instance = tmp_path / "instance"
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    prepared = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "x"}
    )
    with prepared.app_context():
        upgrade()
        db.engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_INSTANCE_PATH": str(instance),
        "SECRET_KEY": "gunicorn-test",
    }
    for name in ("REGISTRY_ENV", "VERIFY_SECONDS", "VERIFY_AT_ONCE", "VERIFY_RATE_LIMIT"):
        env.pop(name, None)  # the defaults are what is tested
    for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_CMD_ARGS"):
        env.pop(name, None)
    server = subprocess.Popen(
        [
            *prefix,
            str(Path(sys.executable).parent / "gunicorn"),
            *flags,
            "--bind",
            f"127.0.0.1:{port}",
            "--control-socket",
            str(tmp_path / "gunicorn.ctl"),
            "--log-level",
            "error",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if request(port, "GET", "/healthz", timeout=2)[0] == 200:
                return server, port
        except OSError:
            pass
        assert time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.2)


def verify_form(port: int) -> tuple[str, str]:
    """The session cookie and CSRF token of the /verify form, from a server whose workers
    have each rendered the page (a cold worker's first render, compiling the templates,
    can take half a second)."""
    for _ in range(12):
        request(port, "GET", "/verify")
    _, headers, page = request(port, "GET", "/verify")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return headers["Set-Cookie"].split(";")[0], token.group(1).decode()


def worker_pids(server: subprocess.Popen) -> list[int]:
    """The pids of a gunicorn server's workers (its master's children)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[1] == str(server.pid):
                found.append(int(entry))
    return found
