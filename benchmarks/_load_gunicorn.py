"""gunicorn's settings for benchmarks/load.py: the checkout's gunicorn.conf.py as it is,
and in each worker one thing more, a wrapper round the app that says in a response
header where the request's time went (read by load.py, never by a person):

    X-Bench-Time: app=<µs>;sql=<µs>;queries=<n>;hash=<µs>;server=<BENCH_SERVER>

app: from the request reaching the app to its status and headers (the whole of a page or
an API answer; only the start of a streamed download); sql: in the database driver
(SQLAlchemy's before/after_cursor_execute), and how many statements; hash: in argon2's
password checks (sign-in, and the password a signatory gives to sign). The rest of `app`
is Python: routing, forms, templates, JSON. And a worker that dies of a signal writes
each thread's stack to the log first (faulthandler).

    gunicorn -c benchmarks/_load_gunicorn.py wsgi:app
"""

import faulthandler
import os
import runpy
import threading
import time
from pathlib import Path

_checkout = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
globals().update({k: v for k, v in _checkout.items() if not k.startswith("__")})
_checkout_post_worker_init = _checkout["post_worker_init"]

_spent = threading.local()  # this request's counts (gthread: one request per thread)


def _add(name: str, seconds: float) -> None:
    counts = getattr(_spent, "counts", None)
    if counts is not None:  # not a request's thread (the sealing runner, the outbox sender)
        counts[name] += seconds
        if name == "sql":
            counts["queries"] += 1


def _timed_hasher() -> None:
    from argon2 import PasswordHasher

    checked = PasswordHasher.verify

    def verify(self, hash, password):
        started = time.perf_counter()
        try:
            return checked(self, hash, password)
        finally:
            _add("hash", time.perf_counter() - started)

    PasswordHasher.verify = verify  # type: ignore[method-assign]


def _timed_sql(app) -> None:
    from sqlalchemy import event

    from registry.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        started = conn.info.get("bench_started")
        if started:
            _add("sql", time.perf_counter() - started.pop())


def _timing(app):
    server = os.environ.get("BENCH_SERVER", "")

    def timed(environ, start_response):
        _spent.counts = {"sql": 0.0, "queries": 0, "hash": 0.0}
        started = time.perf_counter()

        def start(status, headers, exc_info=None):
            c = _spent.counts
            headers.append(
                (
                    "X-Bench-Time",
                    f"app={(time.perf_counter() - started) * 1e6:.0f};"
                    f"sql={c['sql'] * 1e6:.0f};queries={c['queries']};"
                    f"hash={c['hash'] * 1e6:.0f};server={server}",
                )
            )
            return start_response(status, headers, exc_info)

        try:
            return app(environ, start)
        finally:
            _spent.counts = None

    return timed


def post_worker_init(worker):
    # A worker that dies of a signal (SIGSEGV in a C library) writes every thread's stack
    # to its log first.
    faulthandler.enable(all_threads=True)
    _checkout_post_worker_init(worker)  # the sealing runner and the outbox sender
    _timed_hasher()
    _timed_sql(worker.wsgi)
    worker.wsgi = _timing(worker.wsgi)
