"""`flask --app registry …` commands; each calls one service and exits non-zero on failure."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, select

from .clock import LONDON, now
from .domain.errors import RegistryError
from .extensions import db


def _fail(exc: RegistryError) -> None:
    detail = "".join(f"\n  {name}: {message}" for name, message in exc.fields.items())
    raise click.ClickException(f"{exc.message}{detail}")


def _delivery(app: Flask) -> str:
    """Where notifications go, in a few words."""
    transport = app.config.get("MAIL_TRANSPORT") or "log"
    if transport == "smtp":
        return f"by SMTP through {app.config['MAIL_SERVER']}:{app.config['MAIL_PORT']}"
    if transport == "notify":
        return "by GOV.UK Notify"
    return "to the log: no mail server is configured (MAIL_SERVER)"


def _database_copy(name: str, work, path):
    """Run backup or restore, turning a refusal or a failed tool into the command's error."""
    try:
        return work(db.engine, path)
    except RegistryError as exc:
        _fail(exc)
    except RuntimeError as exc:
        raise click.ClickException(f"The {name} failed: {exc}") from exc


def register_cli(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--password", required=True)
    @click.option(
        "--role",
        "roles",
        multiple=True,
        required=True,
        help="admin, ig_lead, signatory or practitioner; repeat for several",
    )
    @click.option("--agency-id", type=int, default=None)
    @click.option("--job-title", default="")
    def create_user_command(email, name, password, roles, agency_id, job_title):
        """Create a user and print its id."""
        from .services.users import create_user

        try:
            user = create_user(
                db.session,
                None,
                email=email,
                name=name,
                password=password,
                roles=roles,
                agency_id=agency_id,
                job_title=job_title,
                now=now(),
            )
        except RegistryError as exc:
            _fail(exc)
        click.echo(user.id)

    @app.cli.command("create-token")
    @click.option("--email", required=True)
    def create_token_command(email):
        """Print a new API bearer token for the user, alone on one line."""
        from .domain.actor import Actor
        from .services.users import find_by_email, issue_token

        user = find_by_email(db.session, email)
        if user is None or not user.active:
            raise click.ClickException(f"No active user has the email {email}")
        made_by = Actor(user_id=None, name="command line")
        days = app.config["API_TOKEN_DAYS"]
        click.echo(issue_token(db.session, user, now=now(), days=days, actor=made_by))

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when agencies already exist")
    def seed_demo_command(if_empty):
        """Load the fictional Northshire partnership and a demo user for each role."""
        from .models import Agency
        from .services.demo import DEMO_PASSWORD, seed_demo

        if if_empty and db.session.scalar(select(func.count(Agency.id))):
            click.echo("The database already holds agencies: demo data not loaded.")
            return
        users = seed_demo(db.session, now=now())
        click.echo("Demo partnership loaded.")
        if not if_empty:  # `make run` prints the logins itself
            click.echo(f"Sign in with any of these (password: {DEMO_PASSWORD}):")
            for email, roles in users:
                click.echo(f"  {email:45} {roles}")

    @app.cli.command("demo-logins")
    def demo_logins_command():
        """Print the demo accounts."""
        from .services.demo import DEMO_PASSWORD, demo_accounts

        accounts = demo_accounts(db.session)
        if not accounts:
            # A database set up before demo accounts were marked as such (or holding
            # real data): its accounts are not the demo's, whatever their addresses.
            click.echo(
                "This database holds no demo accounts. To try the demo, move "
                f"{app.config['SQLALCHEMY_DATABASE_URI'].removeprefix('sqlite:///')} "
                "aside and run `make run` again."
            )
            return
        click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
        for email, roles in accounts:
            click.echo(f"  {email:45} {roles}")

    @app.cli.command("import-agencies")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def import_agencies_command(path):
        """Add agencies from a CSV file (name, kind, ico_registration, ods_code, email, phone,
        address): all rows or none; each bad row is named by line and field."""
        from .domain.actor import Actor
        from .domain.vocab import Role
        from .services.agency_import import import_agencies, read_rows

        actor = Actor(user_id=None, name="command line import", roles=frozenset({Role.ADMIN}))
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                rows = read_rows(handle.read())
            with click.progressbar(
                length=len(rows), label="Checking and importing", file=sys.stderr
            ) as bar:
                count = import_agencies(db.session, actor, rows, now=now(), progress=bar.update)
        except UnicodeDecodeError as exc:
            raise click.ClickException(f"{path} is not UTF-8 text: {exc.reason}") from exc
        except RegistryError as exc:
            _fail(exc)
        click.echo(f"Imported {count} agencies.")

    @app.cli.command("export")
    @click.option(
        "--output",
        type=click.Path(dir_okay=False, writable=True),
        default=None,
        help="Write to this file instead of standard output",
    )
    def export_command(output):
        """Write the public register (agreements in force) as CSV."""
        from .domain.lifecycle import StatusSettings
        from .services import register

        settings = StatusSettings(
            notice_days=app.config["REVIEW_NOTICE_DAYS"], grace_days=app.config["REVIEW_GRACE_DAYS"]
        )
        today = now().astimezone(LONDON).date()
        written = 0

        def counted():
            nonlocal written
            for item in register.every_entry(db.engine, today=today, settings=settings):
                written += 1
                yield item

        lines = register.csv_lines(counted())
        if output:
            # A file is what gets opened in Excel: its byte-order mark makes Excel read
            # UTF-8 (standard output, piped to other programs, goes without one).
            with open(output, "w", encoding="utf-8-sig", newline="") as handle:
                handle.writelines(lines)
            click.echo(f"Wrote {written} agreements to {output}", err=True)
        else:
            for line in lines:
                click.echo(line, nl=False)

    @app.cli.command("send-reminders")
    @click.option(
        "--days",
        type=click.IntRange(0, 3650),
        default=None,
        help="Remind of reviews due within this many days (default: the notice "
        "period, REVIEW_NOTICE_DAYS)",
    )
    @click.option("--dry-run", is_flag=True, help="Say what would be sent; send nothing")
    def send_reminders_command(days, dry_run):
        """Remind the IG leads concerned of reviews due, overdue or lapsed (once per stage)."""
        from .domain.lifecycle import StatusSettings
        from .services import reviews

        settings = StatusSettings(
            notice_days=app.config["REVIEW_NOTICE_DAYS"], grace_days=app.config["REVIEW_GRACE_DAYS"]
        )
        moment = now()
        due = reviews.pending(
            db.session, today=moment.astimezone(LONDON).date(), settings=settings, days=days
        )
        for reminder in due:
            to = ", ".join(reminder.recipients) or "(no one: no IG lead or lead officer)"
            click.echo(f"{'Would send' if dry_run else 'Sending'}: {reminder.subject} -> {to}")
        if dry_run:
            click.echo(f"{len(due)} reminder(s) would be sent; nothing was sent.")
            return
        sent = reviews.send(db.session, due, now=moment)
        click.echo(
            f"Put {sent} reminder(s) in the notifications outbox; the sender delivers them "
            f"({_delivery(app)})."
        )

    @app.cli.command("send-notifications")
    @click.option(
        "--watch",
        is_flag=True,
        help="Keep sending as notifications come (with OUTBOX_EMBEDDED=0), instead of once",
    )
    @click.option("--retry-failed", is_flag=True, help="First put notifications given up back")
    def send_notifications_command(watch, retry_failed):
        """Deliver the notifications waiting in the outbox (by MAIL_TRANSPORT). The app
        servers do this themselves unless OUTBOX_EMBEDDED=0; from cron, run this instead."""
        from .config import ConfigError
        from .services import outbox

        try:
            outbox.transport_for(app.config)
        except ConfigError as exc:
            raise click.ClickException(f"Notifications cannot be sent: {exc}") from None
        if retry_failed:
            back = outbox.retry_failed(db.session, now=now())
            click.echo(f"{back} notification(s) given up before were put back.")
        if watch:
            click.echo(f"Sending notifications as they come ({_delivery(app)}; Ctrl+C to stop).")
            outbox.Runner(app).run()
            return
        report = outbox.send_pending(db.session(), clock=now, config=app.config)
        click.echo(f"Sent {len(report.sent)} notification(s) ({_delivery(app)}).")
        if report.retrying:
            click.echo(
                f"{len(report.retrying)} could not be sent now and will be tried again "
                "later: see the log."
            )
        given_up = outbox.failures(db.session)
        if given_up.count:
            for row in given_up.latest:
                click.echo(f"  Given up: notification {row.id} to {row.email}: {row.last_error}")
            raise click.ClickException(
                f"{given_up.count} notification(s) could not be delivered and were given up: "
                "mend the fault, then run `flask --app registry send-notifications "
                "--retry-failed`."
            )

    @app.cli.command("seal-keys")
    @click.argument("folder", type=click.Path(file_okay=False))
    def seal_keys_command(folder):
        """Make a CA and a seal certificate in FOLDER (for a trial: a real deployment seals
        with the partnership's own certificate). Every app server needs the same three."""
        from datetime import timedelta

        from .pdf.keys import development_authority, development_keys, make_crl

        where = Path(folder).resolve()
        keys = development_keys(
            where, app.config["PARTNERSHIP_NAME"], base_url=app.config["REGISTRY_URL"]
        )
        # The CA's CRL for a trial's /pki/ca.crl and validation data, good for a year;
        # run the command again within the year to make a fresh one.
        crl = where / "ca.crl"
        crl.write_bytes(
            make_crl(development_authority(where), now=now(), valid_for=timedelta(days=365))
        )
        click.echo(f"SEAL_CERT={keys.cert}\nSEAL_KEY={keys.key}\nSEAL_CA={keys.ca}\nSEAL_CRL={crl}")
        click.echo(
            f"Copy only these files to the servers; keep {where / 'ca-key.pem'} (the CA's key) "
            "elsewhere.",
            err=True,
        )

    @app.cli.command("run-seal-jobs")
    @click.option(
        "--watch", is_flag=True, help="Keep taking jobs as they come (with SEAL_JOBS_EMBEDDED=0)"
    )
    @click.option("--retry-failed", is_flag=True, help="First put failed jobs back to be tried")
    def run_seal_jobs_command(watch, retry_failed):
        """Make the sealed PDFs still to be made. The app servers do this themselves unless
        SEAL_JOBS_EMBEDDED=0; this runs them from a separate process instead, or once."""
        from .models import SealJob, SealJobState
        from .services import sealing

        if retry_failed:
            click.echo(f"{sealing.retry_failed(db.session, now=now())} failed job(s) put back.")
        if watch:
            click.echo("Taking seal jobs as they come (Ctrl+C to stop).", err=True)
            sealing.Runner(app).run()
            return
        made = sealing.run_pending(
            db.session(), clock=now, config=app.config, static_folder=app.static_folder
        )
        click.echo(f"{made} sealed PDF(s) made.")
        left = db.session.scalar(
            select(func.count()).select_from(SealJob).where(SealJob.state == SealJobState.FAILED)
        )
        if left:
            raise click.ClickException(
                f"{left} seal job(s) have failed: see the log, mend the fault, then run "
                "`flask --app registry run-seal-jobs --retry-failed`."
            )

    @app.cli.command("verify-pdf")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def verify_pdf_command(path):
        """Check an agreement PDF: exit 0 for a copy the registry sealed and issued,
        unchanged; 1 for anything else; 3 when it was not checked because the check
        needed more than VERIFY_SECONDS seconds or VERIFY_MEMORY_MB megabytes."""
        from .clock import today
        from .services.pdfs import check_pdf
        from .web.settings import status_settings

        with open(path, "rb") as handle:
            data = handle.read()
        check = check_pdf(db.session, data, today=today(), settings=status_settings())
        if not check.checked:
            refused = click.ClickException(
                f"{check.message}\n(A check may take at most {app.config['VERIFY_SECONDS']} "
                f"seconds and {app.config['VERIFY_MEMORY_MB']} MB: VERIFY_SECONDS and "
                "VERIFY_MEMORY_MB.)"
            )
            refused.exit_code = 3
            raise refused
        if not check.ok:
            # Exit 1: the seal is broken, not the registry's, or over a file it never issued.
            raise click.ClickException(check.message)
        click.echo(check.message)
        if check.sealed_on:
            click.echo(f"Sealed on {check.sealed_on} (time from an independent timestamp).")
        if check.level:
            click.echo(f"{check.level}.")
        # Exit 0: a genuine issued copy; whether the version is still in force is said here.
        if check.standing is not None:
            click.echo(f"Standing: {check.standing.message}")

    @app.cli.command("renew-timestamps")
    @click.option(
        "--within-days",
        type=click.IntRange(0, 36500),
        default=365,
        show_default=True,
        help="Renew copies whose last timestamp's certificate expires within this many days",
    )
    @click.option("--dry-run", is_flag=True, help="Say what would be renewed; change nothing")
    def renew_timestamps_command(within_days, dry_run):
        """Add a fresh document timestamp (and the validation data for the last one) to
        each agreement version's latest sealed PDF whose last timestamp's certificate
        expires soon, so that it stays checkable. The renewed PDF is stored as a new issued
        copy; copies handed out before still verify. Run it every few months."""
        from .services import pdfs

        moment = now()
        due = pdfs.renewal_due(db.session, now=moment, within_days=within_days)
        renewable = [d for d in due if d.expires is not None]
        for item in due:
            if item.expires is None:
                click.echo(
                    f"Left as is: {item.name} carries no document timestamp (sealed before "
                    "long-term seals); a review or re-issue seals it afresh."
                )
        if not renewable:
            click.echo(f"Nothing to renew: no timestamp expires within {within_days} days.")
            return
        failures = []
        skipped = 0
        for item in renewable:
            expires = item.expires.astimezone(LONDON).date().isoformat()
            if dry_run:
                click.echo(
                    f"Would renew: {item.name} (its timestamp's certificate expires {expires})"
                )
                continue
            click.echo(f"Renewing {item.name} (its timestamp's certificate expires {expires}) ...")
            try:
                pdfs.renew_issued(db.session, item.copy_id, now=moment)
            except pdfs.AlreadyRenewed:
                click.echo(f"Left as is: {item.name} was renewed meanwhile by another run.")
                skipped += 1
            except Exception as exc:  # noqa: BLE001 (each failure is named; the rest go on)
                db.session.rollback()
                # A refusal the registry words itself (ValueError) is said as it is; anything
                # else is named by its kind, for the operator to look into.
                said = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
                failures.append(f"{item.name}: {said}")
        if dry_run:
            click.echo(f"{len(renewable)} cop(ies) would be renewed; nothing was changed.")
            return
        renewed = len(renewable) - len(failures) - skipped
        click.echo(f"Renewed {renewed} of {len(renewable)} cop(ies).")
        if failures:
            raise click.ClickException(
                "These could not be renewed:\n" + "\n".join(f"  {f}" for f in failures)
            )

    @app.cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False, writable=True))
    def backup_command(file):
        """Write a consistent copy of the database to FILE while the registry runs
        (SQLite's online backup; pg_dump for PostgreSQL)."""
        from pathlib import Path

        from .services import checkpoints
        from .services.backup import backup

        # The copy carries a signed checkpoint of both chains as they stand.
        checkpoints.checkpoint_heads(db.session, now=now(), reason="backup")
        click.echo(f"Backing up to {file} ...", err=True)
        summary = _database_copy("backup", backup, Path(file))
        click.echo(
            f"Backed up to {summary.path} ({summary.size:,} bytes): "
            f"{summary.agreements:,} agreements, {summary.decisions:,} decisions."
        )

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(dir_okay=False))
    def restore_command(file):
        """Load a backup FILE into the configured database, which must be empty; then run
        verify-audit there."""
        from pathlib import Path

        from .services.backup import restore

        summary = _database_copy("restore", restore, Path(file))
        from .services import checkpoints

        checkpoints.forget()  # the restored chains end at the backup's checkpoints
        click.echo(
            f"Restored {summary.path}: {summary.agreements:,} agreements, "
            f"{summary.decisions:,} decisions. Now run verify-audit."
        )

    @app.cli.command("verify-audit")
    def verify_audit_command():
        """Check both hash chains (audit trail, decisions); exit 1 naming the first break."""
        from .models import DecisionRecord
        from .services import audit, chains, checkpoints, decisions, follow_ups

        entries, records = audit.length(db.session), chains.length(db.session, DecisionRecord)
        later = follow_ups.length(db.session)
        with click.progressbar(
            length=entries, label=f"Audit trail ({entries:,} entries)", file=sys.stderr
        ) as bar:
            broken_audit = audit.verify(db.session, progress=bar.update)
        with click.progressbar(
            length=records, label=f"Decision records ({records:,})", file=sys.stderr
        ) as bar:
            broken_decisions = decisions.verify(db.session, progress=bar.update)
        with click.progressbar(
            length=later, label=f"Follow-ups to decisions ({later:,})", file=sys.stderr
        ) as bar:
            broken_follow_ups = follow_ups.verify(db.session, progress=bar.update)
        # Both chains are checked, and against their signed checkpoints; every broken one
        # is named, then exit 1.
        faults = []
        if broken_audit is not None:
            faults.append(f"The audit trail is broken at entry {broken_audit}")
        if broken_decisions is not None:
            faults.append(f"The decision records are broken at decision {broken_decisions}")
        if broken_follow_ups is not None:
            faults.append(
                f"The follow-ups to decisions are broken at follow-up {broken_follow_ups}"
            )
        faults += [
            f.message
            for f in checkpoints.check(db.session)
            if not (f.chain == "audit" and broken_audit)
            and not (f.chain == "decisions" and broken_decisions)
            and not (f.chain == "follow_ups" and broken_follow_ups)
        ]
        if faults:
            raise click.ClickException("\n".join(faults))
        made = checkpoints.checkpoint_heads(db.session, now=now(), reason="verify-audit")
        checkpoints.remember(db.session)
        for row in made:
            click.echo(f"Signed a checkpoint of {row.chain} at {row.sequence}.", err=True)
        click.echo(
            f"The audit trail ({entries:,} entries), the decision records ({records:,}) "
            f"and their follow-ups ({later:,}) are intact."
        )
