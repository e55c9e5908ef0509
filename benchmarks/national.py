"""A national registry, loaded once and kept for the other benchmarks to read.

    .venv/bin/python benchmarks/national.py --engine sqlite --size 100000
    .venv/bin/python benchmarks/national.py --engine postgresql --size 1000000 --agencies 50000

SQLite: a file, /tmp/national_bench/national-<size>.db unless --path says otherwise.
PostgreSQL: a database national_bench_<size> (dropped and made afresh) on --pg-admin-url's
server. Either is printed at the end; benchmarks/pages.py --engine … --size … finds it.

The shape (issue 20): --agencies agencies in partnerships of 100, each with a tier-1
protocol signed by its 100 agencies (so agreement 1 has 100 parties); tier-2 agreements of
six parties, half of them drawn from one partnership and half from every agency in the
country (--spread), and tier-3 agreements of two or three of a tier-2's parties, all
active and signed; agency 1 (the hub) is a party to about --hub-agreements tier-2
agreements, and to --awaiting more (tier-2 under agreement 1, with two other agencies of
its partnership) that every party has signed but the hub: they await its signature, for
benchmarks/load.py's signatories (made through the services, so their content hash is
real and the hub's signature makes each one active and sealed). Beside them: --decisions
share/no-share decisions (a fifth of them recorded by the hub's practitioner), --audit
audit entries, and one user of each role, all with the password "national benchmark" and
no two-factor set up:

    admin@national.bench        administrator
    lead@national.bench         IG lead of the hub (and signatory)
    signatory@national.bench    signatory of the hub
    practitioner@national.bench practitioner of the hub

The decisions' and audit entries' chain hashes are not real (each is a hash of its
sequence): the pages only verify a chain of up to audit.CHECK_ON_PAGE entries, and these
are longer; `flask verify-audit` would report them broken. Rows go in by COPY on
PostgreSQL, by executemany in batches of 5,000 on SQLite. Each part's time is printed."""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, text  # noqa: E402

from benchmarks._registry import (  # noqa: E402
    CATEGORIES,
    NOW,
    PURPOSES,
    Loader,
    _insert,
    make_app,
    settle,
)
from registry.clock import system_now  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.models import AuditEntry, DecisionRecord, Signature, User  # noqa: E402
from registry.services import agreement_lifecycle  # noqa: E402
from registry.services.agreements import create_draft  # noqa: E402
from registry.services.users import create_user  # noqa: E402

PASSWORD = "national benchmark"
HUB = 1
USERS = {
    "admin": ("admin@national.bench", ["admin"], None),
    "ig_lead": ("lead@national.bench", ["ig_lead", "signatory"], HUB),
    "signatory": ("signatory@national.bench", ["signatory"], HUB),
    "practitioner": ("practitioner@national.bench", ["practitioner"], HUB),
}
DEFAULT_DIR = "/tmp/national_bench"
STEP = 100_000  # agreements generated and inserted at a time (memory stays bounded)


def database_url(engine: str, size: int, path: str | None, pg_admin_url: str) -> str:
    """Where national.py puts (and pages.py finds) the registry of this engine and size."""
    if engine == "sqlite":
        return f"sqlite:///{path or os.path.join(DEFAULT_DIR, f'national-{size}.db')}"
    return pg_admin_url.rsplit("/", 1)[0] + f"/national_bench_{size}"


def _fresh(url: str, pg_admin_url: str) -> None:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    name = url.rsplit("/", 1)[1]
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


class Clock:
    def __init__(self) -> None:
        self.parts: list[tuple[str, float]] = []

    def part(self, label: str, work) -> None:
        started = time.perf_counter()
        work()
        self.parts.append((label, time.perf_counter() - started))
        print(f"  {label}: {self.parts[-1][1]:.1f} s", file=sys.stderr)


def _fake_hash(kind: str, sequence: int) -> str:
    return hashlib.sha256(f"{kind}{sequence}".encode()).hexdigest()


def load_users() -> dict[str, int]:
    ids = {}
    for role, (email, roles, agency) in USERS.items():
        user = create_user(
            db.session,
            None,
            email=email,
            name=f"Bench {role.replace('_', ' ')}",
            password=PASSWORD,
            roles=roles,
            agency_id=agency,
            now=system_now(),
        )
        db.session.commit()
        ids[role] = user.id
    return ids


def _insert_all(table, rows, count: int, label: str, batch: int = 50_000) -> None:
    """`rows` (count of them, made as they are needed) into `table`, `batch` at a time,
    with a progress bar, and committed."""
    with click.progressbar(length=count, label=label, file=sys.stderr) as bar:
        held: list[dict] = []
        for row in rows:
            held.append(row)
            if len(held) == batch:
                _insert(table, held, bar)
                held = []
        if held:
            _insert(table, held, bar)
    db.session.commit()


def load_decisions(count: int, agencies: int, users: dict[str, int], rnd) -> None:
    """`count` decisions over the last two years; a fifth by the hub's practitioner,
    the rest by the same account on behalf of other agencies (the list filters by the
    recording agency, so the hub sees about a fifth)."""
    practitioner = users["practitioner"]

    def rows():
        for n in range(1, count + 1):
            agency = HUB if n % 5 == 0 else rnd.randint(2, agencies)
            to = rnd.randint(1, agencies)
            share = rnd.random() < 0.8
            yield (
                {
                    "sequence": n,
                    "recorded_at": NOW - timedelta(minutes=(count - n) * 7),
                    "user_id": practitioner,
                    "recorded_by": "Bench practitioner",
                    "agency_id": agency,
                    "check_id": None,
                    "from_agency_id": agency,
                    "to_agency_id": to if to != agency else (to % agencies) + 1,
                    "purpose": rnd.choice(PURPOSES),
                    "data_categories": rnd.sample(CATEGORIES, 2),
                    "decision": "share" if share else "not_share",
                    "consent": "given" if share else "refused",
                    "consent_reason": None,
                    "reasons": "Benchmark decision",
                    "case_reference": f"CASE-{n:07d}",
                    "key_questions": None,
                    "method": None,
                    "expected_action": None,
                    "follow_up_on": None,
                    "idempotency_key": None,
                    "previous_hash": _fake_hash("d", n - 1),
                    "entry_hash": _fake_hash("d", n),
                }
            )

    _insert_all(DecisionRecord.__table__, rows(), count, "decisions")


ACTIONS = ("agency.save", "officer.add", "agreement.draft", "agreement.sign", "user.create")


def load_audit(count: int, agencies: int, agreements: int, rnd) -> None:
    """`count` audit entries over the last three years, about agencies and agreements."""
    start = db.session.execute(
        text("SELECT coalesce(max(sequence), 0) FROM audit_entries")
    ).scalar()

    def rows():
        for n in range(start + 1, start + count + 1):
            action = ACTIONS[n % len(ACTIONS)]
            kind = "agreement" if action.startswith("agreement") else "agency"
            entity = rnd.randint(1, agreements if kind == "agreement" else agencies)
            yield (
                {
                    "sequence": n,
                    "recorded_at": NOW - timedelta(seconds=(start + count - n) * 90),
                    "actor_user_id": None,
                    "actor_name": f"Officer {n % 997}",
                    "action": action,
                    "entity_type": kind,
                    "entity_id": entity,
                    "before": None,
                    "after": {"name": f"Agency {entity:05d}"} if kind == "agency" else None,
                    "previous_hash": _fake_hash("a", n - 1),
                    "entry_hash": _fake_hash("a", n),
                }
            )

    _insert_all(AuditEntry.__table__, rows(), count, "audit entries")


def load_awaiting(count: int, agencies: int, users: dict[str, int], rnd) -> None:
    """`count` tier-2 agreements under agreement 1 (the hub's partnership's protocol),
    drafted and submitted by the hub's IG lead through the services (so each version's
    content hash is the real one and its signatories are told), then signed for its two
    other parties: each awaits the hub's signature alone."""
    lead = db.session.get(User, users["ig_lead"])
    assert lead is not None
    actor = lead.actor()
    region = list(range(2, min(agencies, 100) + 1))
    with click.progressbar(range(count), label="awaiting the hub", file=sys.stderr) as bar:
        for n in bar:
            others = rnd.sample(region, 2)
            now = system_now()
            agreement = create_draft(
                db.session,
                actor,
                {
                    "title": f"Awaiting the hub {n + 1}",
                    "tier": 2,
                    "owner_agency_id": HUB,
                    "parent_id": 1,
                    "purposes": [rnd.choice(PURPOSES)],
                    "data_categories": ["identity_contact"],
                    "lawful_bases": ["art6_1_e"],
                    "effective_from": (NOW - timedelta(days=1)).date(),
                    "parties": [
                        {"agency_id": a, "may_disclose": True, "may_receive": True}
                        for a in (HUB, *others)
                    ],
                },
                now=now,
            )
            agreement_lifecycle.submit(db.session, actor, agreement.id, now=now)
            version = agreement.latest
            for agency in others:
                db.session.add(
                    Signature(
                        version_id=version.id,
                        agency_id=agency,
                        user_id=users["admin"],
                        signatory_name="Signer",
                        job_title="Director",
                        agency_name=f"Agency {agency:05d}",
                        content_sha256=version.content_sha256,
                        signed_at=now,
                        proof="password",
                    )
                )
            db.session.commit()


def _replica_role(connection, _record) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    connection.commit()


def _drop_search_indexes(tables: tuple[str, ...]) -> list[str]:
    """Drop the tables' trigram indexes (PostgreSQL); answers their definitions."""
    if db.engine.dialect.name != "postgresql":
        return []
    found = db.session.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t) "
            "AND indexdef LIKE '%gin_trgm_ops%'"
        ),
        {"t": list(tables)},
    ).all()
    for name, _ in found:
        db.session.execute(text(f'DROP INDEX "{name}"'))
    db.session.commit()
    return [definition for _, definition in found]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--size", type=int, default=100_000, help="agreements")
    parser.add_argument("--agencies", type=int, default=50_000)
    parser.add_argument("--spread", type=float, default=0.5, help="share drawn nationally")
    parser.add_argument("--hub-agreements", type=int, default=3000)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=1_000_000, help="audit entries")
    parser.add_argument(
        "--awaiting", type=int, default=500, help="agreements awaiting the hub's signature"
    )
    parser.add_argument("--path", help="the SQLite file")
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    import random

    url = database_url(args.engine, args.size, args.path, args.pg_admin_url)
    clock = Clock()
    started = time.perf_counter()
    clock.part("a fresh database", lambda: _fresh(url, args.pg_admin_url))
    instance = os.path.join(DEFAULT_DIR, "instance")
    os.makedirs(instance, exist_ok=True)
    app = None

    def migrate():
        nonlocal app
        app = make_app(url, instance)

    clock.part("schema (alembic upgrade)", migrate)
    loader = Loader(args.agencies, spread=args.spread, hub=HUB, hub_agreements=args.hub_agreements)
    rnd = random.Random(11)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # Foreign keys unchecked while loading (the rows are made consistent): each
            # row's checks were most of PostgreSQL's time. Only this script's connections.
            event.listen(db.engine, "connect", _replica_role)
            db.engine.dispose()
        clock.part(f"{args.agencies:,} agencies and their officers", loader.load_agencies)
        users: dict[str, int] = {}
        clock.part("one user of each role", lambda: users.update(load_users()))

        def agreements():
            # PostgreSQL keeps trigram (GIN) indexes for the search box: one built after
            # the load takes a fraction of the time of one kept up row by row during it.
            search = _drop_search_indexes(("agreements", "agreement_versions"))
            for total in range(STEP, args.size + STEP, STEP):
                loader.top_up(min(total, args.size), analyse=False, final_total=args.size)
            for definition in search:
                db.session.execute(text(definition))
            db.session.commit()

        clock.part(f"{args.size:,} agreements", agreements)
        clock.part(
            f"{args.decisions:,} decisions",
            lambda: load_decisions(args.decisions, args.agencies, users, rnd),
        )
        clock.part(
            f"{args.audit:,} audit entries",
            lambda: load_audit(args.audit, args.agencies, args.size, rnd),
        )
        clock.part("statistics (ANALYZE)", lambda: settle(checkpoint=True))
        if db.engine.dialect.name == "postgresql":
            event.remove(db.engine, "connect", _replica_role)  # the services' checks on
            # As the README's national deployment asks of a database on SSDs: an index
            # look-up costs little more than a sequential read (PostgreSQL's default, 4,
            # is for spinning disks and chose whole-table scans for the coverage map).
            db.session.execute(
                text(
                    "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET random_page_cost = 1.1',"
                    " current_database()); END $$"
                )
            )
            db.session.commit()
            db.engine.dispose()
        clock.part(
            f"{args.awaiting:,} awaiting the hub's signature",
            lambda: load_awaiting(args.awaiting, args.agencies, users, rnd),
        )
        hub = db.session.execute(
            text("SELECT count(DISTINCT version_id) FROM agreement_parties WHERE agency_id = :a"),
            {"a": HUB},
        ).scalar()
        assert db.session.get(User, users["admin"]) is not None
        db.engine.dispose()
    print(
        f"{args.engine}: {args.agencies:,} agencies, {args.size:,} agreements "
        f"(agency {HUB} a party to {hub:,}; agreement 1 has 100 parties), "
        f"{args.awaiting:,} awaiting the hub's signature, "
        f"{args.decisions:,} decisions, {args.audit:,} audit entries "
        f"in {time.perf_counter() - started:.0f} s"
    )
    for label, seconds in clock.parts:
        print(f"  {label:40} {seconds:7.1f} s")
    print(f"database: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
