"""Issue 16: anyone could stall the service through /verify. A 55 KB PDF of 2,000 form
fields in a compressed object stream held a worker 17.5 s; three at once took every
gunicorn worker down. A check now runs in a process of its own within time and memory
limits, a few at a time, and /verify is rate-limited per address."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from registry.config import ConfigError, load_config
from registry.pdf import isolated

from ..services.test_cli import run
from .hostile import hostile_pdf
from .live import multipart, request, serve, verify_form
from .test_seal import check_page, issued_copy

TOO_COSTLY = "This PDF could not be checked: it is built in an unusual way"


def test_a_pdf_too_costly_to_check_is_refused_in_plain_words(app, client, tmp_path):
    app.config["VERIFY_SECONDS"] = 2  # 2,000 fields take about 7 s to read here
    hostile = hostile_pdf(2000)
    assert len(hostile) < 60_000
    response, page = check_page(client, hostile)
    assert response.status_code == 422
    assert "There is a problem" in page and TOO_COSTLY in page
    assert "Do not rely on it" in page
    path = tmp_path / "hostile.pdf"
    path.write_bytes(hostile)
    command = run(app, "verify-pdf", str(path))
    assert command.exit_code == 3
    assert TOO_COSTLY in command.output and "at most 2 seconds" in command.output


def test_a_check_is_refused_when_it_needs_more_memory_than_allowed(app, session, client):
    _, copy = issued_copy(app, session)
    app.config["VERIFY_MEMORY_MB"] = 32  # less than the check itself needs
    response, page = check_page(client, copy.pdf)
    assert response.status_code == 422 and TOO_COSTLY in page and "Genuine" not in page
    app.config["VERIFY_MEMORY_MB"] = 512
    response, page = check_page(client, copy.pdf)
    assert response.status_code == 200 and "Genuine and in force" in page


def test_checks_beyond_the_cap_are_refused_at_once_with_retry_after(app, session, client):
    _, copy = issued_copy(app, session)
    app.config["VERIFY_AT_ONCE"] = 1
    slots = Path(app.instance_path) / "verify-slots"
    with isolated.slot(slots, 1) as held:  # another worker's check, still running
        assert held
        response, page = check_page(client, copy.pdf)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "There is a problem" in page
    assert "The registry is busy checking other PDFs. Wait a few seconds" in page
    response, page = check_page(client, copy.pdf)
    assert response.status_code == 200 and "Genuine and in force" in page


def test_verify_is_rate_limited_per_address(app, client):
    app.config["VERIFY_RATE_LIMIT"] = "2 per minute"
    token = client.csrf_token("/verify")
    answers = [client.post("/verify", data={"csrf_token": token}).status_code for _ in range(3)]
    assert answers == [422, 422, 429]
    refused = client.post("/verify", data={"csrf_token": token})
    assert b"too many attempts from your network" in refused.data
    other = client.post(
        "/verify", data={"csrf_token": token}, environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert other.status_code == 422
    assert client.get("/verify").status_code == 200  # looking at the page is not limited


# Under a real server -------------------------------------------------------------------


def test_three_hostile_uploads_at_once_leave_the_server_answering(tmp_path):
    """gunicorn with three workers, as in the security test: three uploads of 5,000
    fields at once (each would take a worker for minutes), and /healthz answers within a
    second all the while."""
    server, port = serve(tmp_path, "--workers", "3")
    try:
        cookie, token = verify_form(port)
        body, content_type = multipart(token, hostile_pdf(5000))
        answers: list[tuple[int, dict, bytes, float]] = []

        def upload() -> None:
            started = time.monotonic()
            status, got, page = request(
                port,
                "POST",
                "/verify",
                body,
                {"Content-Type": content_type, "Cookie": cookie},
            )
            answers.append((status, got, page, time.monotonic() - started))

        uploads = [threading.Thread(target=upload) for _ in range(3)]
        for thread in uploads:
            thread.start()
        time.sleep(0.1)  # the uploads are in the workers now
        waits = []
        for _ in range(16):
            started = time.monotonic()
            status = request(port, "GET", "/healthz", timeout=10)[0]
            waits.append(time.monotonic() - started)
            assert status == 200
            time.sleep(0.2)
        for thread in uploads:
            thread.join(timeout=30)
        print(f"/healthz waits: {[round(w, 3) for w in waits]}")
        print(f"uploads answered: {[(a[0], round(a[3], 2)) for a in answers]}")
        assert max(waits) < 1.0, waits
        assert len(answers) == 3
        for status, got, page, took in answers:
            text = " ".join(page.decode().split())
            if status == 503:
                assert got["Retry-After"] == "5" and "busy checking other PDFs" in text
            else:
                assert status == 422 and TOO_COSTLY in text
            assert took < 5 + 3  # VERIFY_SECONDS and the child's start
        assert any(status == 422 for status, *_ in answers)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_check_runs_in_a_child_at_low_priority_within_its_limits(app, tmp_path):
    """The limits are the child's own (setrlimit before it reads the upload), and it runs
    at low priority: seen from outside while it works on a hostile file."""
    keys = isolated.SealKeys(tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "a.pem")
    worker = threading.Thread(
        target=isolated.verify, args=(hostile_pdf(5000), keys, isolated.Limits(4, 300))
    )
    worker.start()
    try:
        deadline = time.monotonic() + 3
        child = None
        while child is None and time.monotonic() < deadline:
            found = subprocess.run(
                ["pgrep", "-P", str(os.getpid())], capture_output=True, text=True, check=False
            ).stdout.split()
            for pid in found:
                limits = Path(f"/proc/{pid}/limits").read_text()
                if re.search(r"Max cpu time\s+4\s+5\s+seconds", limits):
                    child = int(pid)
                    assert re.search(r"Max address space\s+314572800\s+314572800", limits)
            time.sleep(0.05)
        assert child is not None, "no child with the limits was seen"
        assert os.getpriority(os.PRIO_PROCESS, child) == 10
    finally:
        worker.join(timeout=10)


def test_the_check_settings(tmp_path):
    settings = load_config({}, tmp_path)
    assert (settings["VERIFY_SECONDS"], settings["VERIFY_MEMORY_MB"]) == (5, 512)
    assert (settings["VERIFY_AT_ONCE"], settings["VERIFY_RATE_LIMIT"]) == (2, "10 per minute")
    assert settings["SEAL_EARLIER_CERTS"] == []
    env = {"SEAL_EARLIER_CERTS": f"/seal/2024.pem{os.pathsep}/seal/2025.pem", "VERIFY_SECONDS": "3"}
    settings = load_config(env, tmp_path)
    assert settings["SEAL_EARLIER_CERTS"] == ["/seal/2024.pem", "/seal/2025.pem"]
    assert settings["VERIFY_SECONDS"] == 3
    wrong = {"VERIFY_AT_ONCE": "0", "VERIFY_SECONDS": "0", "VERIFY_MEMORY_MB": "8"}
    for name, value in wrong.items():
        with pytest.raises(ConfigError, match=name):
            load_config({name: value}, tmp_path)
