"""The command line: exit codes and what it prints."""

from datetime import timedelta
from pathlib import Path

from registry.extensions import db
from registry.models import User
from registry.services import audit

from ..factories import FIXED_NOW, make_agency, make_user
from ..tamper import tamper


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_create_user_prints_the_new_id(app, session):
    agency = make_agency(session)
    result = run(
        app,
        "create-user",
        "--email",
        "Lead@Example.org",
        "--name",
        "Lee Lead",
        "--password",
        "a long password",
        "--role",
        "ig_lead",
        "--role",
        "signatory",
        "--agency-id",
        str(agency.id),
    )
    assert result.exit_code == 0, result.output
    user = session.get(User, int(result.output.strip()))
    assert user.email == "lead@example.org"
    assert {r.value for r in user.roles} == {"ig_lead", "signatory"}


def test_create_user_names_each_bad_field_and_exits_non_zero(app, session):
    result = run(
        app,
        "create-user",
        "--email",
        "nope",
        "--name",
        "X",
        "--password",
        "short",
        "--role",
        "wizard",
    )
    assert result.exit_code != 0
    assert "email:" in result.output and "password:" in result.output
    assert "roles:" in result.output
    assert "Traceback" not in result.output


def test_create_token_prints_the_token_alone(app, session, client):
    user = make_user(session)
    result = run(app, "create-token", "--email", user.email)
    assert result.exit_code == 0
    token = result.output.strip()
    assert "\n" not in token and len(token) > 30
    assert (
        client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    missing = run(app, "create-token", "--email", "nobody@example.org")
    assert missing.exit_code != 0 and "No active user" in missing.output


def test_verify_audit_names_the_first_broken_entry(app, session):
    make_agency(session, name="One")
    make_agency(session, name="Two")
    intact = run(app, "verify-audit")
    assert intact.exit_code == 0 and "(2 entries)" in intact.output
    heard = []
    assert audit.verify(session, progress=heard.append) is None and sum(heard) == 2
    tamper(
        session,
        "audit_entries",
        "UPDATE audit_entries SET actor_name = 'someone else' WHERE sequence = 2",
    )
    result = run(app, "verify-audit")
    assert result.exit_code != 0
    assert "entry 2" in result.output


def test_seed_demo_if_empty_loads_once(app, session):
    first = run(app, "seed-demo", "--if-empty")
    assert first.exit_code == 0 and "Demo partnership loaded" in first.output
    logins = run(app, "demo-logins")
    assert "admin@northshire.example" in logins.output
    # roles in words a new user understands, not their codes
    assert "Information governance lead – Northshire County Council" in logins.output
    assert "ig_lead" not in logins.output
    second = run(app, "seed-demo", "--if-empty")
    assert second.exit_code == 0 and "already holds agencies" in second.output


def test_import_agencies_all_or_nothing_naming_line_and_field(app, session, tmp_path):
    from registry.models import Agency

    make_agency(session, name="Existing", ico="Z7000001")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,kind,ico_registration,ods_code\n"
        "Good Agency,police,Z7000002,\n"
        "Bad Kind,bank,Z7000003,\n"
        "Copy,health,Z7000001,rx1\n"
        "Twice,health,Z7000002,\n",
        encoding="utf-8",
    )
    result = run(app, "import-agencies", str(bad))
    assert result.exit_code != 0
    assert "line 3: kind" in result.output
    assert "line 4: ico_registration: Z7000001 is already registered" in result.output
    assert "line 5: ico_registration: Z7000002 is also on line 2" in result.output
    assert "Traceback" not in result.output
    session.rollback()
    assert session.query(Agency).count() == 1  # nothing half-imported
    good = tmp_path / "good.csv"
    good.write_text(
        "name,kind,ico_registration,ods_code,email\n"
        "Good Agency,police,Z7000002,,info@good.example\n"
        "Riverside Practice,health,za 123456,n81001,\n",
        encoding="utf-8",
    )
    result = run(app, "import-agencies", str(good))
    assert result.exit_code == 0, result.output
    assert "Imported 2 agencies" in result.output
    session.rollback()
    imported = session.query(Agency).filter_by(name="Riverside Practice").one()
    assert (imported.ico_registration, imported.ods_code) == ("ZA123456", "N81001")


def test_import_agencies_refuses_a_file_without_the_columns(app, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("title,type\nA,B\n", encoding="utf-8")
    result = run(app, "import-agencies", str(path))
    assert result.exit_code != 0 and "line 1" in result.output


def test_export_writes_the_register(app, session, tmp_path):
    from ..factories import chain

    a, b = make_agency(session, name="Cyngor Sir Ynys Môn"), make_agency(session, name="B")
    protocol, mash = chain(session, a, b)
    out = tmp_path / "register.csv"
    result = run(app, "export", "--output", str(out))
    assert result.exit_code == 0, result.output
    # The file opens in Excel as UTF-8: it starts with the byte-order mark.
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert any("Cyngor Sir Ynys Môn" in line for line in lines)
    assert lines[0].startswith("reference,title,tier")
    assert any(mash.reference in line for line in lines)
    assert "Wrote 2 agreements" in result.output
    result = run(app, "export")  # to standard output
    assert result.exit_code == 0 and result.output.splitlines() == lines


def _fresh_database_url(app, tmp_path) -> str:
    """An empty database of the same engine as the test's."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("DROP DATABASE IF EXISTS registry_restore_test WITH (FORCE)")
        connection.exec_driver_sql("CREATE DATABASE registry_restore_test")
    admin.dispose()
    return url.set(database="registry_restore_test").render_as_string(hide_password=False)


WRITE_LOAD_SECONDS = 120  # for the writers to write their records (a second or two, usually)
STOP_SECONDS = 30  # for a writer to finish the record it is writing once told to stop


def test_a_backup_taken_under_write_load_restores_with_an_intact_chain(app, session, tmp_path):
    import threading
    import time

    from registry import create_app
    from registry.models import DecisionRecord
    from registry.services.decisions import DecisionInput, record_decision

    from ..factories import TODAY, chain

    council, police = make_agency(session, name="C"), make_agency(session, name="P")
    chain(session, council, police)
    writers = [make_user(session, agency=council).actor() for _ in range(3)]
    stop, written, failures = threading.Event(), [], []
    # Plain ids for the writers: the test's own objects belong to its session, which the
    # backup command uses (and commits) meanwhile; a thread must never load through it.
    council_id, police_id = council.id, police.id

    def write(actor):
        with app.app_context():
            while not stop.is_set():
                try:
                    record, _ = record_decision(
                        db.session,
                        actor,
                        DecisionInput(
                            from_agency_id=council_id,
                            to_agency_id=police_id,
                            purpose="mash_triage",
                            data_categories=["identity_contact"],
                            decision="share",
                            consent="given",
                            reasons="Load",
                        ),
                        idempotency_key=None,
                        today=TODAY,
                        now=FIXED_NOW,
                    )
                    written.append(record.id)
                except Exception as exc:  # noqa: BLE001 (asserted below)
                    failures.append(exc)
                finally:
                    db.session.remove()

    # Every wait is bounded: a writer that fails or hangs must fail the test, not hang it.
    deadline = time.monotonic() + WRITE_LOAD_SECONDS

    def wait_for(count: int) -> None:
        while len(written) < count:
            assert failures == [], failures  # a failing writer would never get there
            assert time.monotonic() < deadline, (
                f"only {len(written)} of {count} decisions written in {WRITE_LOAD_SECONDS}s"
            )
            time.sleep(0.05)

    # Daemon threads: should one never stop, it cannot keep the test run from ending.
    threads = [threading.Thread(target=write, args=(a,), daemon=True) for a in writers]
    target = tmp_path / "registry.backup"
    try:
        for thread in threads:
            thread.start()
        wait_for(20)
        result = run(app, "backup", str(target))
        during = len(written)
        wait_for(during + 20)  # writing carries on after the backup too
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=STOP_SECONDS)
    assert not [t for t in threads if t.is_alive()], f"a writer ran on {STOP_SECONDS}s after stop"
    assert failures == []
    assert result.exit_code == 0, result.output
    assert "Backed up to" in result.output and target.stat().st_size > 0
    assert run(app, "backup", str(target)).exit_code != 0  # never overwrites a file

    url = _fresh_database_url(app, tmp_path)
    restored = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": app.config["INSTANCE_PATH"],
            "SECRET_KEY": "test-secret-key",
        }
    )
    try:
        # (Flask runs a command in the app context already pushed, if any: push this one.)
        with restored.app_context():
            result = run(restored, "restore", str(target))
            assert result.exit_code == 0, result.output
            verified = run(restored, "verify-audit")
            assert verified.exit_code == 0, verified.output
            assert "intact" in verified.output
            count = db.session.query(DecisionRecord).count()
            db.session.remove()
            assert 20 <= count <= len(written)
            again = run(restored, "restore", str(target))  # never over existing records
            assert again.exit_code != 0 and "empty" in again.output
    finally:
        with restored.app_context():
            db.engine.dispose()


def test_seal_keys_makes_a_ca_and_a_seal_certificate_it_signed(app, tmp_path):
    from cryptography import x509

    result = run(app, "seal-keys", str(tmp_path / "seal"))
    assert result.exit_code == 0, result.output
    paths = dict(line.split("=", 1) for line in result.stdout.split())
    assert set(paths) == {"SEAL_CERT", "SEAL_KEY", "SEAL_CA", "SEAL_CRL"}
    cert = x509.load_pem_x509_certificate(Path(paths["SEAL_CERT"]).read_bytes())
    ca = x509.load_pem_x509_certificate(Path(paths["SEAL_CA"]).read_bytes())
    assert cert.issuer == ca.subject and cert.subject != ca.subject
    assert b"PRIVATE KEY" in Path(paths["SEAL_KEY"]).read_bytes()
    # A CRL from the same CA, for the trial's /pki/ca.crl, good for about a year.
    crl = x509.load_der_x509_crl(Path(paths["SEAL_CRL"]).read_bytes())
    assert crl.issuer == ca.subject and crl.is_signature_valid(ca.public_key())
    assert crl.next_update_utc - crl.last_update_utc > timedelta(days=360)
    # The CA's own key stays behind, and the operator is told so.
    assert "ca-key.pem" in result.stderr and "ca-key.pem" not in result.stdout


def test_both_chains_broken_are_both_named_on_screen_and_by_the_command(app, session, client):
    """Issue 15: verify-audit named only the first broken chain; the admin's audit page
    said 'Integrity checked' while the decisions were altered; the decision's own page
    showed the altered record with no warning."""
    from registry.services.decisions import DecisionInput, record_decision

    from ..factories import FIXED_NOW, TODAY, make_admin

    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    practitioner = make_user(session, agency=council)
    records = [
        record_decision(
            session,
            practitioner.actor(),
            DecisionInput(
                from_agency_id=council.id,
                to_agency_id=police.id,
                purpose="mash_triage",
                data_categories=["identity_contact"],
                decision="share",
                consent="given",
                reasons=reason,
            ),
            idempotency_key=None,
            today=TODAY,
            now=FIXED_NOW,
        )[0]
        for reason in ("Risk of harm", "Police asked for it")
    ]
    tamper(session, "decisions", "UPDATE decisions SET reasons = 'Nothing' WHERE sequence = 2")
    tamper(session, "audit_entries", "UPDATE audit_entries SET actor_name = 'x' WHERE sequence = 1")
    result = run(app, "verify-audit")
    assert result.exit_code == 1
    assert "The audit trail is broken at entry 1" in result.output
    assert "The decision records are broken at decision 2" in result.output

    client.sign_in(make_admin(session))
    page = " ".join(client.page("/admin/audit").get_text().split())
    assert "The audit trail are broken at entry 1" not in page  # said in proper English
    assert "The audit trail is broken at entry 1" in page
    assert "The decision records are broken at decision 2" in page
    # (The follow-ups' chain, untouched, is rightly said to be checked: issue 19.)
    assert "Integrity checked for the audit trail" not in page
    assert "Integrity checked for the decision records" not in page
    client.submit("/sign-out", token_from="/")
    client.sign_in(practitioner)
    altered = " ".join(client.page(f"/decisions/{records[1].id}").get_text().split())
    assert "does not match the fingerprint it was given when it was recorded" in altered
    untouched = " ".join(client.page(f"/decisions/{records[0].id}").get_text().split())
    assert "does not match the fingerprint" not in untouched


def test_demo_logins_on_a_database_without_demo_accounts_says_what_to_do(app, session):
    # An account with a demo-looking address that the demo's seeding did not make.
    make_user(session, email="admin@northshire.example", roles=("admin",))
    logins = run(app, "demo-logins")
    assert logins.exit_code == 0
    assert "holds no demo accounts" in logins.output and "make run" in logins.output
    assert "admin@northshire.example" not in logins.output
