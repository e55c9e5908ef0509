"""Sealing in the background (issue 17 point 6): the last signature records a seal job and
answers; runners make each sealed PDF exactly once, however many race for the jobs; a
runner that died leaves its job to be taken again; a failing job is retried, then marked
failed and shown; the pages and the API say the PDF is being made until it is ready."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

from registry import create_app
from registry.extensions import db
from registry.models import AuditEntry, IssuedPdf, SealJob, SealJobState
from registry.services import agreement_lifecycle, outbox, pdfs, sealing, signing
from registry.services.users import issue_token

from ..factories import (
    FIXED_NOW,
    activate,
    make_agency,
    make_draft,
    make_user,
    party,
    signatory_for,
)
from ..seal_jobs import seal_pending

ROOT = Path(__file__).resolve().parents[2]


def _in_force(session, *, signed_last: bool = True):
    """A two-party protocol; with `signed_last`, brought into force (its last signature
    given); else awaiting the police's signature."""
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol = make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    activate(session, protocol, skip=() if signed_last else (police,))
    return council, police, protocol


def _fake_seal(session, agreement, version, *, now, config=None, static_folder=None):
    """Stands in for rendering and sealing where only who stores what is tested: a
    distinct small file per call, stored as issue_sealed stores it."""
    body = f"%PDF-fake {agreement.id} {version.number} {time.perf_counter_ns()}".encode()
    row = IssuedPdf(
        agreement_id=agreement.id,
        version_number=version.number,
        review_date=version.review_date,
        sha256=hashlib.sha256(body).hexdigest(),
        issued_at=now,
        pdf=body,
    )
    session.add(row)
    return row


def _jobs(session) -> list[SealJob]:
    session.commit()
    return session.query(SealJob).order_by(SealJob.id).all()


def test_the_last_signature_records_a_job_and_the_job_issues_the_pdf(app, client, session):
    app.config["SEAL_ON_ACTIVATION"] = True
    council, police, protocol = _in_force(session, signed_last=False)
    signing.sign(
        session,
        signatory_for(session, police).actor(),
        protocol.id,
        proof="password",
        now=FIXED_NOW,
    )
    assert session.query(IssuedPdf).count() == 0
    [job] = _jobs(session)
    assert (job.state, job.reason.value, job.version_number) == (
        SealJobState.PENDING,
        "activation",
        1,
    )
    activated = session.query(AuditEntry).filter_by(action="agreement.activate").one()
    assert activated.after["seal_job"] == job.id

    reader = make_user(session, roles=("ig_lead",), agency=council)
    client.sign_in(reader)
    page = client.page(f"/agreements/{protocol.id}")
    assert "The PDF of version 1 is being sealed" in page.select_one("#being-sealed").text
    assert not page.find("a", string="Download version 1 as a PDF")
    waiting = client.get(f"/agreements/{protocol.id}/pdf?version=1")
    assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "5"
    assert not waiting.data.startswith(b"%PDF")  # never an unsealed render in its place
    assert "is being sealed" in waiting.get_data(as_text=True)

    assert seal_pending(app) == 1
    stored = session.query(IssuedPdf).one()
    assert _jobs(session)[0].state == SealJobState.DONE
    assert _jobs(session)[0].issued_pdf_id == stored.id
    sealed = session.query(AuditEntry).filter_by(action="agreement.seal").one()
    assert sealed.after["sealed_pdf_sha256"] == stored.sha256
    assert sealed.after["seal_job"] == job.id and sealed.sequence > activated.sequence
    page = client.page(f"/agreements/{protocol.id}")
    assert page.select_one("#being-sealed") is None
    assert page.find("a", string="Download version 1 as a PDF")
    assert client.get(f"/agreements/{protocol.id}/pdf?version=1").data == stored.pdf
    assert seal_pending(app) == 0  # done once, not again


def test_the_api_answers_503_with_retry_after_until_the_pdf_is_sealed(app, client, session):
    app.config["SEAL_ON_ACTIVATION"] = True
    council, _, protocol = _in_force(session)
    token = issue_token(session, make_user(session, agency=council), now=FIXED_NOW)
    headers = {"Authorization": f"Bearer {token}"}
    waiting = client.get(f"/api/v1/agreements/{protocol.id}/pdf", headers=headers)
    assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "5"
    error = waiting.get_json()["error"]
    assert error["code"] == "being_sealed" and error["fields"] == {}
    assert f"{protocol.reference} version 1 is being sealed" in error["message"]
    answer = client.get(f"/api/v1/agreements/{protocol.id}", headers=headers).get_json()
    assert answer["sealing"] == [{"version": 1, "state": "being_sealed"}]

    seal_pending(app)
    ready = client.get(f"/api/v1/agreements/{protocol.id}/pdf", headers=headers)
    assert ready.status_code == 200 and ready.data == session.query(IssuedPdf).one().pdf
    answer = client.get(f"/api/v1/agreements/{protocol.id}", headers=headers).get_json()
    assert answer["sealing"] == []


def test_a_continue_review_reissues_in_the_background(app, session):
    app.config["SEAL_ON_ACTIVATION"] = True
    council, _, protocol = _in_force(session)
    seal_pending(app)
    lead = make_user(session, roles=("ig_lead",), agency=council)
    agreement_lifecycle.review(
        session,
        lead.actor(),
        protocol.id,
        outcome="continue",
        notes="Still needed",
        today=FIXED_NOW.date(),
        now=FIXED_NOW,
    )
    review_job = _jobs(session)[-1]
    assert review_job.reason.value == "review" and review_job.state == SealJobState.PENDING
    reviewed = session.query(AuditEntry).filter_by(action="agreement.review").one()
    assert reviewed.after["seal_job"] == review_job.id
    assert sealing.progress(session, protocol.id, 1) is not None
    seal_pending(app)
    copies = session.query(IssuedPdf).order_by(IssuedPdf.id).all()
    assert [c.review_date for c in copies][-1] == protocol.current.review_date
    assert len(copies) == 2 and sealing.progress(session, protocol.id, 1) is None


def _many_jobs(session, count: int) -> None:
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    for n in range(count):
        activate(
            session,
            make_draft(
                session,
                tier=1,
                owner=council,
                parties=[party(council), party(police)],
                title=f"Protocol {n}",
            ),
        )


def test_two_runner_threads_racing_issue_each_pdf_once(app, session, monkeypatch):
    app.config["SEAL_ON_ACTIVATION"] = True
    _many_jobs(session, 12)
    monkeypatch.setattr(pdfs, "issue_sealed", _fake_seal)
    session.commit()
    start = threading.Barrier(2)
    stored: list[int] = []
    failed: list[BaseException] = []

    def runner() -> None:
        try:
            with app.app_context():
                start.wait()
                stored.append(
                    sealing.run_pending(db.session, clock=lambda: FIXED_NOW, config=app.config)
                )
                db.session.remove()
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert sum(stored) == 12
    jobs = _jobs(session)
    assert {j.state for j in jobs} == {SealJobState.DONE}
    copies = session.query(IssuedPdf).all()
    assert len(copies) == 12
    assert sorted(j.issued_pdf_id for j in jobs) == sorted(c.id for c in copies)
    assert len({(c.agreement_id, c.version_number) for c in copies}) == 12
    assert session.query(AuditEntry).filter_by(action="agreement.seal").count() == 12


RUNNER_PROCESS = textwrap.dedent(
    """
    import hashlib, sys, time
    from datetime import UTC, datetime
    sys.path.insert(0, {root!r})
    from registry import create_app
    from registry.extensions import db
    from registry.models import IssuedPdf
    from registry.services import pdfs, sealing

    def fake(session, agreement, version, *, now, config=None, static_folder=None):
        body = f"%PDF-fake {{agreement.id}} {{time.perf_counter_ns()}}".encode()
        row = IssuedPdf(agreement_id=agreement.id, version_number=version.number,
                        review_date=version.review_date, issued_at=now, pdf=body,
                        sha256=hashlib.sha256(body).hexdigest())
        session.add(row)
        return row

    pdfs.issue_sealed = fake
    app = create_app({{"SQLALCHEMY_DATABASE_URI": sys.argv[1], "INSTANCE_PATH": sys.argv[2],
                      "SECRET_KEY": "x", "TESTING": True}})
    with app.app_context():
        print(sealing.run_pending(db.session, clock=lambda: datetime.now(UTC),
                                  config=app.config))
    """
)


def test_two_runner_processes_racing_issue_each_pdf_once(app, session, tmp_path):
    app.config["SEAL_ON_ACTIVATION"] = True
    _many_jobs(session, 10)
    session.commit()
    script = tmp_path / "runner.py"
    script.write_text(RUNNER_PROCESS.format(root=str(ROOT)), encoding="utf-8")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    runs = [
        subprocess.Popen(
            [sys.executable, str(script), url, app.instance_path],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sum(int(out.strip().splitlines()[-1]) for out, _ in outputs) == 10
    jobs = _jobs(session)
    assert {j.state for j in jobs} == {SealJobState.DONE}
    copies = session.query(IssuedPdf).all()
    assert len(copies) == 10
    assert sorted(j.issued_pdf_id for j in jobs) == sorted(c.id for c in copies)


def test_a_job_whose_runner_died_is_taken_again_after_its_lease(app, session, monkeypatch):
    app.config["SEAL_ON_ACTIVATION"] = True
    _in_force(session)
    monkeypatch.setattr(pdfs, "issue_sealed", _fake_seal)
    session.commit()
    dead = sealing.claim(session, now=FIXED_NOW, config=app.config)
    assert dead is not None  # ...and that runner never completes it
    assert sealing.run_pending(session, clock=lambda: FIXED_NOW, config=app.config) == 0
    assert session.query(IssuedPdf).count() == 0
    later = FIXED_NOW + timedelta(seconds=sealing.DEFAULTS["SEAL_JOBS_LEASE_SECONDS"] + 1)
    assert sealing.run_pending(session, clock=lambda: later, config=app.config) == 1
    [job] = _jobs(session)
    assert job.state == SealJobState.DONE and job.attempts == 2
    # The first runner coming back to life stores nothing: its claim was taken over.
    assert not sealing.run_claimed(session, dead, now=later, config=app.config)
    assert session.query(IssuedPdf).count() == 1


def test_a_failing_job_is_retried_then_marked_failed_and_shown(
    app, client, session, monkeypatch, caplog
):
    app.config.update(SEAL_ON_ACTIVATION=True, SEAL_JOBS_ATTEMPTS=2, SEAL_JOBS_RETRY_SECONDS=60)
    council, _, protocol = _in_force(session)

    def broken(*_args, **_kwargs):
        raise OSError("the timestamp authority did not answer")

    monkeypatch.setattr(pdfs, "issue_sealed", broken)
    session.commit()
    assert sealing.run_pending(session, clock=lambda: FIXED_NOW, config=app.config) == 0
    [job] = _jobs(session)
    assert (job.state, job.attempts) == (SealJobState.PENDING, 1)
    assert "the timestamp authority did not answer" in job.last_error
    assert job.run_after == FIXED_NOW + timedelta(seconds=60)
    # Not before its delay...
    assert sealing.run_pending(session, clock=lambda: FIXED_NOW, config=app.config) == 0
    assert _jobs(session)[0].attempts == 1
    # ...then once more, and given up.
    later = FIXED_NOW + timedelta(seconds=61)
    with caplog.at_level(logging.ERROR, logger="registry.services.sealing"):
        sealing.run_pending(session, clock=lambda: later, config=app.config)
    [job] = _jobs(session)
    assert (job.state, job.attempts) == (SealJobState.FAILED, 2)
    assert any(
        r.levelno == logging.ERROR and f"Seal job {job.id}" in r.getMessage()
        for r in caplog.records
    )
    given_up = session.query(AuditEntry).filter_by(action="agreement.seal_failed").one()
    assert given_up.after["seal_job"] == job.id

    client.sign_in(make_user(session, roles=("ig_lead",), agency=council))
    page = client.page(f"/agreements/{protocol.id}")
    assert "registry team has been told" in page.select_one("#sealing-failed").text
    download = client.get(f"/agreements/{protocol.id}/pdf")
    assert download.status_code == 503 and "Retry-After" not in download.headers
    assert "could not be made" in download.get_data(as_text=True)
    other = app.test_client()  # a second browser
    other.sign_in(make_user(session, roles=("practitioner",), agency=council))
    page = other.page(f"/agreements/{protocol.id}")
    assert page.select_one("#sealing-failed") is None
    assert "is not ready yet" in page.select_one("#being-sealed").text

    # Once mended, the failed job can be put back and is then made.
    monkeypatch.setattr(pdfs, "issue_sealed", _fake_seal)
    assert sealing.retry_failed(session, now=later) == 1
    assert sealing.run_pending(session, clock=lambda: later, config=app.config) == 1
    assert sealing.progress(session, protocol.id, 1) is None


def _wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_embedded_runner_is_woken_by_a_job_committed_in_its_process(app, session):
    """Polling only every ten minutes, the runner still takes a new job at once."""
    app.config.update(SEAL_ON_ACTIVATION=True, SEAL_JOBS_POLL_SECONDS=600)
    _, police, protocol = _in_force(session, signed_last=False)
    runner = sealing.start_runner(app)
    assert runner is not None and sealing.start_runner(app) is None  # one per process
    try:
        # Let the runner finish its first look (finding nothing) and start waiting.
        assert _wait_for(lambda: not sealing._wake.is_set())
        signing.sign(
            session,
            signatory_for(session, police).actor(),
            protocol.id,
            proof="password",
            now=FIXED_NOW,
        )

        def sealed() -> bool:
            session.commit()
            return session.query(IssuedPdf).count() == 1

        assert _wait_for(sealed)
    finally:
        runner.stop(timeout=60)
    assert not runner.thread.is_alive()
    assert runner.thread.daemon  # never keeps the process from exiting


def test_the_runner_starts_under_a_real_server_only(app, instance_dir):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance_dir),
        "SECRET_KEY": "x",
        "SEAL_JOBS_POLL_SECONDS": 600,
    }
    served = create_app(config)
    served.test_client().get("/healthz")  # Werkzeug's test client: no server named
    assert not sealing._running(served)
    served.test_client().get("/healthz", environ_base={"SERVER_SOFTWARE": "gunicorn/23"})
    assert sealing._running(served) and outbox.running(served)
    # Both stopped: a sender left running would deliver later tests' notifications.
    sealing._started[id(served)].stop(timeout=60)
    outbox.stop_sender(served, timeout=60)
    turned_off = create_app({**config, "SEAL_JOBS_EMBEDDED": False, "OUTBOX_EMBEDDED": False})
    turned_off.test_client().get("/healthz", environ_base={"SERVER_SOFTWARE": "gunicorn/23"})
    assert not sealing._running(turned_off) and not outbox.running(turned_off)
    testing = create_app({**config, "TESTING": True})
    testing.test_client().get("/healthz", environ_base={"SERVER_SOFTWARE": "gunicorn/23"})
    assert not sealing._running(testing) and not outbox.running(testing)
    for made in (served, turned_off, testing):
        with made.app_context():
            db.engine.dispose()


def test_a_job_abandoned_on_every_attempt_is_given_up(app, session):
    app.config.update(SEAL_ON_ACTIVATION=True, SEAL_JOBS_ATTEMPTS=1)
    _in_force(session)
    session.commit()
    assert sealing.claim(session, now=FIXED_NOW, config=app.config) is not None
    later = FIXED_NOW + timedelta(seconds=sealing.DEFAULTS["SEAL_JOBS_LEASE_SECONDS"] + 1)
    assert sealing.run_pending(session, clock=lambda: later, config=app.config) == 0
    [job] = _jobs(session)
    assert job.state == SealJobState.FAILED and "stopped while sealing" in job.last_error


def test_run_seal_jobs_makes_the_pdfs_left_to_make_and_fails_naming_failed_jobs(
    app, session, monkeypatch
):
    """For a deployment that runs jobs from a separate process (SEAL_JOBS_EMBEDDED=0), or
    an operator mending a fault: the command seals for real, and says when jobs failed."""
    app.config.update(SEAL_ON_ACTIVATION=True, SEAL_JOBS_ATTEMPTS=1)
    council, police, protocol = _in_force(session)
    session.commit()
    made = app.test_cli_runner().invoke(args=["run-seal-jobs"])
    assert made.exit_code == 0, made.output
    assert "1 sealed PDF(s) made." in made.output
    stored = session.query(IssuedPdf).filter_by(agreement_id=protocol.id).one()
    assert stored.pdf.startswith(b"%PDF-") and sealing.progress(session, protocol.id, 1) is None

    def broken(*_args, **_kwargs):
        raise OSError("the timestamp authority did not answer")

    monkeypatch.setattr(pdfs, "issue_sealed", broken)
    second = make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    activate(session, second)
    session.commit()
    failed = app.test_cli_runner().invoke(args=["run-seal-jobs"])
    assert failed.exit_code == 1
    assert "1 seal job(s) have failed" in failed.output and "--retry-failed" in failed.output

    monkeypatch.setattr(pdfs, "issue_sealed", _fake_seal)
    again = app.test_cli_runner().invoke(args=["run-seal-jobs", "--retry-failed"])
    assert again.exit_code == 0, again.output
    assert "1 failed job(s) put back." in again.output and "1 sealed PDF(s) made." in again.output
    assert sealing.progress(session, second.id, 1) is None
