"""Sealed PDFs made in the background. Rendering, sealing and timestamping take seconds;
the last signature (or a review that moves the review date) records a seal job in its own
transaction instead and answers at once. A runner then makes the PDF
(`pdfs.issue_sealed`) and stores it.

Exactly once, with any number of runners in any number of processes and servers:

- a runner takes a job with a conditional update (pending, or running with its lease
  passed → running, with the runner's own claim token and a new lease);
- it makes the PDF outside any write transaction (SQLite allows one writer at a time,
  and sealing takes a second), then completes the job with a second conditional update
  on its token, in the same transaction as the IssuedPdf and the audit entry: if the
  claim was lost meanwhile (its lease passed and another runner took the job), that
  transaction is rolled back and nothing is stored;
- a failure is recorded with its error and the job is tried again after a delay, a few
  times, then marked failed (logged at ERROR and shown on the agreement page).

Each serving process runs one runner thread (`Runner`), woken at once by a job recorded
in the same process and otherwise polling; `run_pending` runs the jobs in the caller's
thread (seed-demo, the tests, a separate command)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..database import begin_write
from ..domain.actor import Actor
from ..models import Agreement, AgreementVersion, SealJob, SealJobState, SealReason
from . import audit, jobs, pdfs
from .agreement_reads import get_version

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

# The settings (registry/config.py) and what they are when not given.
DEFAULTS = {
    "SEAL_JOBS_EMBEDDED": True,  # each serving process runs a runner thread
    "SEAL_JOBS_POLL_SECONDS": 1.0,  # how often an idle runner looks for jobs
    "SEAL_JOBS_LEASE_SECONDS": 60,  # a running job not completed by then is taken again
    "SEAL_JOBS_ATTEMPTS": 5,  # tries before a job is marked failed
    "SEAL_JOBS_RETRY_SECONDS": 30,  # wait before the next try, times the tries so far
}

# Who the audit trail names for what a runner does.
RUNNER = Actor(user_id=None, name="registry sealing")

# Set when a job is committed in this process: the runner thread takes it at once.
_wake = jobs.Wake(SealJob)
QUEUE = jobs.Queue(
    SealJob, pending=SealJobState.PENDING, running=SealJobState.RUNNING, failed=SealJobState.FAILED
)


def setting(config: Mapping[str, Any], name: str) -> Any:
    return jobs.setting(config, DEFAULTS, name)


def enqueue(
    session: Session,
    agreement: Agreement,
    version: AgreementVersion,
    reason: SealReason,
    *,
    now: datetime,
    config: Mapping[str, Any] | None = None,
) -> SealJob | None:
    """Record, in the caller's transaction, that the version's sealed PDF is to be made.
    None when SEAL_ON_ACTIVATION is off (a setting for test suites that do not look at
    PDFs). The runner in this process is woken once the caller commits."""
    if config is None:
        from flask import current_app

        config = current_app.config
    if not config.get("SEAL_ON_ACTIVATION", True):
        return None
    job = SealJob(
        agreement_id=agreement.id,
        version_number=version.number,
        reason=reason,
        state=SealJobState.PENDING,
        created_at=now,
        run_after=now,
        attempts=0,
    )
    session.add(job)
    session.flush()
    return job


# What the pages and the API say ---------------------------------------------------------


@dataclass(frozen=True)
class SealProgress:
    """Where a version's sealed copy stands when it is not simply ready."""

    version_number: int
    failed: bool
    error: str | None


def outstanding(session: Session, agreement_id: int) -> dict[int, SealProgress]:
    """The agreement's versions whose sealed copy is still being made, or whose sealing
    failed, by version number (a version's latest job decides)."""
    rows = session.execute(
        select(SealJob.version_number, SealJob.state, SealJob.last_error)
        .where(SealJob.agreement_id == agreement_id)
        .order_by(SealJob.id)
    ).all()
    latest = {row.version_number: row for row in rows}
    return {
        number: SealProgress(number, row.state == SealJobState.FAILED, row.last_error)
        for number, row in latest.items()
        if row.state != SealJobState.DONE
    }


# What a download of a copy still being sealed asks the client to wait (seconds).
RETRY_AFTER = 5


def not_ready_message(reference: str, found: SealProgress) -> str:
    """Why a version's sealed PDF cannot be downloaded yet, in plain words."""
    this = f"{reference} version {found.version_number}"
    if found.failed:
        return (
            f"The sealed PDF of {this} could not be made, and the registry team has been "
            "told. The agreement itself is in force as recorded in the registry."
        )
    return (
        f"The PDF of {this} is being sealed. It is usually ready within a few "
        f"seconds: try again in {RETRY_AFTER} seconds."
    )


def progress(session: Session, agreement_id: int, number: int) -> SealProgress | None:
    """The version's sealed copy still to come (or failed), or None when it is ready or
    was never asked for."""
    return outstanding(session, agreement_id).get(number)


# Running the jobs -----------------------------------------------------------------------


Claim = jobs.Claim


def claim(
    session: Session,
    *,
    now: datetime,
    config: Mapping[str, Any],
    skip: frozenset[int] = frozenset(),
) -> Claim | None:
    """Take one job that may be run now (the oldest first), or None when there is none."""
    lease = timedelta(seconds=float(setting(config, "SEAL_JOBS_LEASE_SECONDS")))
    return jobs.claim(session, QUEUE, now=now, lease=lease, skip=skip)


def run_claimed(
    session: Session,
    taken: Claim,
    *,
    now: datetime,
    config: Mapping[str, Any],
    static_folder: str | None = None,
) -> bool:
    """Make the claimed job's sealed PDF and complete the job; True when this runner
    stored it. A failure is recorded on the job (tried again later, or marked failed)."""
    job = session.get(SealJob, taken.job_id)
    if job is None or job.claim_token != taken.token:
        session.rollback()
        return False
    agreement_id, number, reason = job.agreement_id, job.version_number, job.reason
    try:
        agreement = session.get(Agreement, agreement_id)
        if agreement is None:
            raise LookupError(f"agreement {agreement_id} is not in the database")
        version = get_version(agreement, number)
        # The job is the request to seal: it is made whatever SEAL_ON_ACTIVATION says now.
        row = pdfs.issue_sealed(
            session,
            agreement,
            version,
            now=now,
            config={**config, "SEAL_ON_ACTIVATION": True},
            static_folder=static_folder,
        )
        if row is None:
            raise RuntimeError("no sealed PDF was made")
        # The IssuedPdf, and anything issue_sealed added with it.
        made = [row, *(o for o in session.new if o is not row)]
    except Exception as exc:  # recorded on the job, retried, and logged
        session.rollback()
        _fail(session, taken, exc, now=now, config=config)
        return False
    # End the read (SQLite cannot turn it into a write once another writer has committed
    # since); the rows made are kept, unsaved, and stored below if the claim still holds.
    session.rollback()
    if not jobs.complete(
        session,
        QUEUE,
        taken,
        state=SealJobState.DONE,
        finished_at=now,
        lease_until=None,
        last_error=None,
    ):
        session.rollback()
        log.warning(
            "Seal job %s: another runner took it over (its lease had passed); this "
            "runner's copy was not stored",
            taken.job_id,
        )
        return False
    session.add_all(made)
    session.flush()
    session.execute(
        update(SealJob)
        .where(SealJob.id == taken.job_id)
        .values(issued_pdf_id=row.id)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        actor=RUNNER,
        action="agreement.seal",
        entity_type="agreement",
        entity_id=agreement_id,
        before=None,
        after={
            "version": number,
            "reason": reason.value,
            "seal_job": taken.job_id,
            "issued_pdf": row.id,
            "sealed_pdf_sha256": row.sha256,
        },
        now=now,
    )
    session.commit()
    return True


def _fail(
    session: Session, taken: Claim, exc: BaseException, *, now: datetime, config: Mapping[str, Any]
) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    begin_write(session)
    job = session.get(SealJob, taken.job_id)
    if job is None or not jobs.held(job, QUEUE, taken):
        session.rollback()  # taken over meanwhile: the other runner decides
        return
    job.last_error = error
    job.claim_token, job.lease_until = None, None
    if job.attempts >= int(setting(config, "SEAL_JOBS_ATTEMPTS")):
        _give_up(session, job, now=now)
        session.commit()
        log.error(
            "Seal job %s (agreement %s version %s) failed %s times and was given up: %s",
            job.id,
            job.agreement_id,
            job.version_number,
            job.attempts,
            error,
            exc_info=exc,
        )
        return
    delay = float(setting(config, "SEAL_JOBS_RETRY_SECONDS")) * job.attempts
    job.state, job.run_after = SealJobState.PENDING, now + timedelta(seconds=delay)
    attempts = job.attempts
    session.commit()
    log.warning(
        "Seal job %s failed (attempt %s), tried again in %.0f s: %s",
        taken.job_id,
        attempts,
        delay,
        error,
    )


def _give_up(session: Session, job: SealJob, *, now: datetime) -> None:
    """Mark the job failed, its error already recorded on it, and say so in the audit
    trail (in the caller's transaction)."""
    job.state, job.finished_at, job.claim_token = SealJobState.FAILED, now, None
    audit.record(
        session,
        actor=RUNNER,
        action="agreement.seal_failed",
        entity_type="agreement",
        entity_id=job.agreement_id,
        before=None,
        after={"version": job.version_number, "seal_job": job.id, "error": job.last_error},
        now=now,
    )


def _give_up_abandoned(session: Session, *, now: datetime, config: Mapping[str, Any]) -> None:
    """A job whose runner died on every attempt (its lease passed each time) is not taken
    for ever: once its attempts are spent it is marked failed."""
    spent = int(setting(config, "SEAL_JOBS_ATTEMPTS"))
    abandoned = select(SealJob).where(*jobs.abandoned(QUEUE, now=now, attempts=spent))
    found = session.scalar(abandoned.with_only_columns(SealJob.id).limit(1))
    session.rollback()
    if found is None:
        return  # the usual case: no write lock taken
    begin_write(session)
    for job in session.scalars(abandoned).all():
        job.last_error = job.last_error or "the runner stopped while sealing, every time"
        _give_up(session, job, now=now)
        log.error(
            "Seal job %s (agreement %s version %s) was given up: %s",
            job.id,
            job.agreement_id,
            job.version_number,
            job.last_error,
        )
    session.commit()


def run_pending(
    session: Session,
    *,
    clock: Callable[[], datetime],
    config: Mapping[str, Any],
    static_folder: str | None = None,
) -> int:
    """Run every job that may be run now, in this thread, until none is left; answers how
    many sealed PDFs this call stored. A failed try is not run again here (its retry is
    later). `clock` gives the time for each job."""
    stored = 0
    tried: set[int] = set()
    _give_up_abandoned(session, now=clock(), config=config)
    while (taken := claim(session, now=clock(), config=config, skip=frozenset(tried))) is not None:
        tried.add(taken.job_id)
        if run_claimed(session, taken, now=clock(), config=config, static_folder=static_folder):
            stored += 1
    return stored


def retry_failed(session: Session, *, now: datetime) -> int:
    """Put every failed job back to be tried again (after its fault is mended); answers
    how many."""
    return jobs.retry_failed(session, QUEUE, now=now, finished_at=None)


class Runner(jobs.Runner):
    """The seal runner thread of a serving process (jobs.Runner); `run` also serves
    `run-seal-jobs --watch`."""

    name = "registry-seal-runner"
    wake = _wake
    poll_setting = "SEAL_JOBS_POLL_SECONDS"
    defaults = DEFAULTS

    def work(self, session: Session) -> None:
        from ..clock import now

        run_pending(
            session, clock=now, config=self.app.config, static_folder=self.app.static_folder
        )


_embedded = jobs.Embedded(Runner, "SEAL_JOBS_EMBEDDED")
_started = _embedded.started  # by id(app), in this process


def _running(app: Flask) -> bool:
    return _embedded.running(app)


def start_runner(app: Flask) -> jobs.Runner | None:
    """Start the app's seal runner thread in this process, once (None when it runs already
    or SEAL_JOBS_EMBEDDED is off)."""
    return _embedded.start(app)
