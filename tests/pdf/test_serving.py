"""Issue 16's retest: three connections that sent `POST /verify` headers with
`Content-Length: 1000000` and then nothing held all three sync workers; /healthz waited
33 s, then gunicorn killed the workers and answered 500s. The project's gunicorn.conf.py
serves with threads and bounds how long a body may stall."""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import socket
import threading
import time

import pytest
from sqlalchemy import create_engine

from registry.database import hot_engine

from .hostile import hostile_pdf
from .live import multipart, request, serve, verify_form, worker_pids


def _stalled_upload(port: int) -> socket.socket:
    """A connection that sends the headers of a 1 MB upload to /verify and then nothing."""
    stalled = socket.create_connection(("127.0.0.1", port))
    stalled.sendall(
        b"POST /verify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000000\r\n\r\n"
    )
    return stalled


def test_stalled_and_costly_uploads_at_once_leave_the_server_answering(tmp_path):
    """The project's configuration with 3 workers, as in the retest: three uploads that
    stall after their headers and three costly PDFs (5,000 fields) at once, and /healthz
    answers within a second all the while; each stalled upload is then ended (a 400,
    its thread freed) once it has sent nothing for BODY_IDLE_SECONDS."""
    server, port = serve(tmp_path, "--workers", "3")
    stalled: list[socket.socket] = []
    try:
        cookie, token = verify_form(port)
        body, content_type = multipart(token, hostile_pdf(5000))
        answers: list[int] = []

        def upload() -> None:
            status, *_rest = request(
                port, "POST", "/verify", body, {"Content-Type": content_type, "Cookie": cookie}
            )
            answers.append(status)

        started = time.monotonic()
        stalled = [_stalled_upload(port) for _ in range(3)]
        uploads = [threading.Thread(target=upload) for _ in range(3)]
        for thread in uploads:
            thread.start()
        time.sleep(0.1)
        waits = []
        for _ in range(16):
            begun = time.monotonic()
            status = request(port, "GET", "/healthz", timeout=10)[0]
            waits.append(time.monotonic() - begun)
            assert status == 200
            time.sleep(0.2)
        for thread in uploads:
            thread.join(timeout=30)
        print(f"/healthz waits: {[round(w, 3) for w in waits]}; uploads: {answers}")
        assert max(waits) < 1.0, waits
        assert sorted(answers) and set(answers) <= {422, 503} and 422 in answers
        for connection in stalled:
            connection.settimeout(20)
            answer = connection.recv(200)
            ended = time.monotonic() - started
            assert answer.startswith(b"HTTP/1.1 400"), answer
            assert 9 < ended < 15, ended  # BODY_IDLE_SECONDS is 10
        assert request(port, "GET", "/healthz", timeout=2)[0] == 200
    finally:
        for connection in stalled:
            connection.close()
        server.terminate()
        server.wait(timeout=30)


def test_clients_that_keep_their_end_open_after_connection_close_do_not_stall_it(tmp_path):
    """gunicorn 27 lingers up to 2 s on its main loop when it closes a connection the
    client keeps open: ten such clients held /healthz 8 s on two workers. Each still gets
    its whole answer, and its connection is closed by the server soon after."""
    server, port = serve(tmp_path, "--workers", "2", "--threads", "4")
    held: list[socket.socket] = []
    try:
        for _ in range(4):
            request(port, "GET", "/healthz")
        for _ in range(10):
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            held.append(client)
        time.sleep(0.05)
        waits = []
        for _ in range(10):
            begun = time.monotonic()
            assert request(port, "GET", "/healthz", timeout=10)[0] == 200
            waits.append(time.monotonic() - begun)
        assert max(waits) < 1.0, waits
        for client in held:
            client.settimeout(10)
            answer = b""
            while chunk := client.recv(4096):  # b"" once the server has closed it
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'"status":"ok"}\n')
    finally:
        for client in held:
            client.close()
        server.terminate()
        server.wait(timeout=30)


def test_a_worker_stopping_gracefully_still_delivers_its_last_answer_whole(tmp_path):
    """A restart (SIGTERM to a worker) while a kept-alive client sends one more request
    with a body the app does not read: its answer arrives whole, not cut off by a reset
    (the lingering close is waited for before the worker exits)."""
    server, port = serve(tmp_path, "--workers", "1")
    try:
        (pid,) = worker_pids(server)
        client = socket.create_connection(("127.0.0.1", port), timeout=10)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while not first.endswith(b"}\n"):
            first += client.recv(4096)
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.2)
        body = b"x" * 60_000
        client.sendall(
            b"GET /static/govuk/govuk-frontend.min.css HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body
        )
        time.sleep(0.5)
        answer = b""
        while chunk := client.recv(4096):
            answer += chunk
        head, _, content = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
        assert len(content) == length
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs util-linux's prlimit")
def test_more_idle_clients_than_open_files_leave_the_worker_alive(tmp_path):
    """Under systemd's default of 1,024 open files, 1,200 clients that keep their end open
    after a `Connection: close` answer: every one is answered and the worker lives (it
    died of EMFILE on its next accept before worker_connections was kept within the
    limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1400:
        pytest.skip(f"this process may open {hard} files, and the test holds 1,200 sockets")
    if soft != resource.RLIM_INFINITY and soft < 1400:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1400, hard))
    server, port = serve(tmp_path, "--workers", "1", prefix=("prlimit", "--nofile=1024:1024"))
    held: list[socket.socket] = []
    try:
        before = worker_pids(server)
        for _ in range(1200):
            client = socket.create_connection(("127.0.0.1", port), timeout=30)
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            held.append(client)
        answered = 0
        for client in held:
            if client.recv(200).startswith(b"HTTP/1.1 200"):
                answered += 1
        assert answered == 1200
        assert worker_pids(server) == before
    finally:
        for client in held:
            client.close()
        server.terminate()
        server.wait(timeout=30)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_threads_of_one_worker_share_one_hot_pool(tmp_path, monkeypatch):
    """gthread serves a worker's first requests at once: they must not each make (and
    leak) a pool of their own on the hot path (making one is slowed here, so that the
    threads overlap as they would on a busy machine)."""
    from registry import database

    engine = create_engine(f"sqlite:///{tmp_path / 'race.db'}")

    def slow_create_engine(*args, **kwargs):
        time.sleep(0.05)
        return create_engine(*args, **kwargs)

    monkeypatch.setattr(database, "create_engine", slow_create_engine)
    start = threading.Barrier(8)
    made: list[object] = []

    def first_request() -> None:
        start.wait()
        made.append(hot_engine(engine))

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(pool) for pool in made}) == 1
    engine.dispose()
