"""What the background work queues share: the sealing jobs (services/sealing.py) and the
notifications outbox (services/outbox.py) are both tables of rows that a runner takes,
does and completes, exactly once with any number of runners in any number of processes.

- `claim` takes one due row with a conditional update (pending and due, or running with
  its lease passed → running, with the runner's own claim token and a new lease, one more
  attempt counted). Two runners reading the same row both try; the update lets one win.
- `Wake` lets a runner in this process take a row committed here at once, instead of at
  its next poll.
- `Runner` is one daemon thread per serving process that works the queue, then waits
  for a wake-up or the poll interval; `Embedded` starts it once per process (again in a
  forked gunicorn worker), and only when the queue's EMBEDDED setting is on.

What completing or failing a row means stays with each queue."""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session

from ..database import begin_write

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)


def setting(config: Mapping[str, Any], defaults: Mapping[str, Any], name: str) -> Any:
    """A queue's setting, or its default when the app's config does not give it."""
    value = config.get(name)
    return defaults[name] if value is None else value


@dataclass(frozen=True)
class Queue:
    """A table of work: its model has `id`, `state`, `run_after`, `lease_until`,
    `claim_token` and `attempts`; `pending`, `running` and `failed` are its states' values."""

    model: Any
    pending: Any
    running: Any
    failed: Any

    def takeable(self, now: datetime):
        m = self.model
        return or_(
            and_(m.state == self.pending, m.run_after <= now),
            and_(m.state == self.running, m.lease_until < now),
        )


@dataclass(frozen=True)
class Claim:
    job_id: int
    token: str


def claim(
    session: Session,
    queue: Queue,
    *,
    now: datetime,
    lease: timedelta,
    skip: frozenset[int] = frozenset(),
) -> Claim | None:
    """Take one row that may be worked now (the oldest first), or None when there is none.
    Another runner taking the same row first is not an error: the next one is tried."""
    m = queue.model
    while True:
        # A plain read first: an idle runner's poll takes no write lock (on SQLite, one
        # writer at a time for the whole database).
        query = select(m.id).where(queue.takeable(now)).order_by(m.id).limit(1)
        if skip:
            query = query.where(m.id.not_in(skip))
        job_id = session.scalar(query)
        session.rollback()
        if job_id is None:
            return None
        token = secrets.token_hex(16)
        begin_write(session)
        taken = session.execute(
            update(m)
            .where(m.id == job_id, queue.takeable(now))
            .values(
                state=queue.running,
                claim_token=token,
                lease_until=now + lease,
                attempts=m.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return Claim(job_id, token)
        # Another runner took it between the read and the update: look again.


def complete(session: Session, queue: Queue, taken: Claim, **values: Any) -> bool:
    """Set `values` on the claimed row, in a write transaction begun here, only if the
    claim still holds (the row still running under this token); True when it did. The
    caller commits, or rolls back what it added when False (another runner took the row
    over once its lease passed)."""
    m = queue.model
    begin_write(session)
    done = session.execute(
        update(m)
        .where(m.id == taken.job_id, m.claim_token == taken.token, m.state == queue.running)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1  # type: ignore[attr-defined]


def retry_failed(session: Session, queue: Queue, *, now: datetime, **values: Any) -> int:
    """Put every failed row back to be tried again (after its fault is mended), with
    `values` set too; answers how many."""
    m = queue.model
    begin_write(session)
    result = session.execute(
        update(m)
        .where(m.state == queue.failed)
        .values(state=queue.pending, run_after=now, attempts=0, **values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def held(row: Any, queue: Queue, taken: Claim) -> bool:
    """Whether the loaded row is still this runner's to finish."""
    return row is not None and row.claim_token == taken.token and row.state == queue.running


def abandoned(queue: Queue, *, now: datetime, attempts: int) -> tuple[Any, ...]:
    """Rows whose runner died on every attempt (running, lease passed, attempts spent):
    not to be taken for ever, but given up."""
    m = queue.model
    return (m.state == queue.running, m.lease_until < now, m.attempts >= attempts)


class Wake:
    """Set once a session commits a new row of `model` in this process, so the runner
    thread takes it at once. Listening starts with the first runner (a process with no
    runner has no one to wake)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.key = f"registry_wake_{model.__tablename__}"
        self.event = threading.Event()

    def listen(self) -> None:
        if not event.contains(Session, "after_flush", self._after_flush):
            event.listen(Session, "after_flush", self._after_flush)
            event.listen(Session, "after_commit", self._after_commit)
            event.listen(Session, "after_rollback", self._after_rollback)

    def _after_flush(self, session: Session, _context: Any) -> None:
        if any(isinstance(row, self.model) for row in session.new):
            session.info[self.key] = True

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(self.key, False):
            self.event.set()

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(self.key, None)

    def set(self) -> None:
        self.event.set()

    def clear(self) -> None:
        self.event.clear()

    def is_set(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> bool:
        return self.event.wait(seconds)


class Runner:
    """One daemon thread in a serving process: works the queue (`work`), then waits for a
    row committed in this process or for the poll interval. A daemon thread never keeps
    the process from exiting; a row it was working is taken again once its lease passes.
    A queue subclasses it with its `name`, `wake`, `poll_setting` and `work`."""

    name = "registry-runner"
    wake: Wake
    poll_setting: str
    defaults: Mapping[str, Any]

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self.poll = float(setting(app.config, self.defaults, self.poll_setting))
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self.run, name=self.name, daemon=True)

    def start(self) -> Runner:
        self.wake.listen()
        self.thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self.wake.set()
        self.thread.join(timeout)

    def work(self, session: Session) -> None:
        raise NotImplementedError

    def run(self) -> None:
        """Work until stopped: in the runner thread, or in the foreground of a separate
        command (`--watch`, with the queue's EMBEDDED setting off)."""
        from ..extensions import db

        self.wake.listen()
        while not self._stop.is_set():
            self.wake.clear()
            try:
                with self.app.app_context():
                    try:
                        self.work(db.session())  # this app context's own session
                    finally:
                        db.session.remove()
            except Exception:  # the database away for a moment: the next poll tries again
                log.exception("%s could not take its work; trying again shortly", self.name)
            self.wake.wait(self.poll)


class Embedded:
    """Starts a queue's runner thread once per app in this process (None when it runs
    already or the `enabled_setting` is off). After a fork (a gunicorn worker), the child
    starts its own."""

    def __init__(self, runner: type[Runner], enabled_setting: str) -> None:
        self.runner = runner
        self.enabled_setting = enabled_setting
        self.started: dict[int, Runner] = {}  # by id(app), in this process
        self._lock = threading.Lock()

    def running(self, app: Flask) -> bool:
        found = self.started.get(id(app))
        return found is not None and found.pid == os.getpid() and found.thread.is_alive()

    def start(self, app: Flask) -> Runner | None:
        if not setting(app.config, self.runner.defaults, self.enabled_setting):
            return None
        if self.running(app):
            return None
        with self._lock:
            if self.running(app):
                return None
            found = self.started[id(app)] = self.runner(app).start()
            return found
