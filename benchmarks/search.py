"""The one search box (issue 19), timed on a national-scale registry.

    .venv/bin/python benchmarks/search.py                        # both engines, 100,000
    .venv/bin/python benchmarks/search.py --engines sqlite --size 10000

Loads the coverage benchmark's synthetic registry (5,000 agencies, three officers each,
--size agreements), gives the agreements varied titles (a few words from a list of 40,
so a word matches from a few hundred to a few thousand agreements, as a partnership's
titles would), adds --decisions decision records with case references, then times, each
--repeat times (median and slowest printed), what GET /search reads for an IG lead: every
group, first ten matches and a count up to 1,000, and the administrator's partnership
figures on the home page (each a count over the whole registry). On PostgreSQL it also
prints the plan of the title match, to show the trigram index answering it.

The PostgreSQL database is --pg-database (made afresh, dropped at the end): not the
coverage benchmark's, so the two can run side by side."""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text, update  # noqa: E402

from benchmarks._registry import NOW, REGION, Loader, make_app  # noqa: E402
from registry.domain.actor import Actor  # noqa: E402
from registry.domain.lifecycle import StatusSettings  # noqa: E402
from registry.domain.vocab import OfficerRole, Role  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.models import AgreementVersion, CoverageCheck, DecisionRecord  # noqa: E402
from registry.services import dashboard, search, text_index  # noqa: E402
from registry.services.users import create_user  # noqa: E402

WORDS = [
    "MASH",
    "triage",
    "early",
    "help",
    "MARAC",
    "missing",
    "children",
    "health",
    "visiting",
    "school",
    "nursing",
    "attendance",
    "youth",
    "offending",
    "housing",
    "adult",
    "safeguarding",
    "domestic",
    "abuse",
    "child",
    "exploitation",
    "probation",
    "liaison",
    "hospital",
    "discharge",
    "mental",
    "health",
    "substance",
    "misuse",
    "looked",
    "after",
    "fostering",
    "adoption",
    "court",
    "welfare",
    "police",
    "notifications",
    "referrals",
    "assessments",
    "conferences",
    "strategy",
]


def fresh(engine: str, workdir: str, pg_admin_url: str, name: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{workdir}/search-bench.db"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return pg_admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop(pg_admin_url: str, name: str) -> None:
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def vary_titles(size: int, rnd: random.Random) -> None:
    rows = [
        {"id": n, "title": " ".join(rnd.sample(WORDS, 3)).capitalize() + " sharing agreement"}
        for n in range(1, size + 1)
    ]
    for start in range(0, len(rows), 5000):
        db.session.execute(update(AgreementVersion), rows[start : start + 5000])
    db.session.commit()


def add_decisions(count: int, agencies: int, user_id: int, rnd: random.Random) -> None:
    """Decision rows straight into the table (not chained: the search reads none of the
    chain), case references like a case system's: CS- and six digits. The first is the
    searching lead's agency's, CS-004242, so the case-reference search finds one."""
    db.session.execute(
        insert(CoverageCheck),
        [
            {
                "id": "0" * 32,
                "checked_at": NOW,
                "user_id": user_id,
                "from_agency_id": 1,
                "to_agency_id": 2,
                "purpose": "mash_triage",
                "data_categories": ["identity_contact"],
                "on_date": NOW.date(),
                "outcome": "covered",
                "answer": {},
            }
        ],
    )
    rows = []
    for n in range(1, count + 1):
        agency = 1 if n == 1 else rnd.randint(1, agencies)
        case = "CS-004242" if n == 1 else f"CS-{rnd.randint(0, 999_999):06d}"
        rows.append(
            {
                "sequence": n,
                "recorded_at": NOW - timedelta(minutes=n),
                "user_id": user_id,
                "recorded_by": "Bench",
                "agency_id": agency,
                "from_agency_id": agency,
                "to_agency_id": agency % agencies + 1,
                "purpose": "mash_triage",
                "data_categories": ["identity_contact"],
                "decision": "share",
                "consent": "given",
                "reasons": "Benchmark",
                "case_reference": case,
                "previous_hash": "0" * 64,
                "entry_hash": "0" * 64,
            }
        )
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(DecisionRecord), rows[start : start + 5000])
    db.session.commit()


def timed(label: str, read, repeat: int) -> None:
    times, shown = [], ""
    for _ in range(repeat):
        started = time.perf_counter()
        shown = read()
        times.append(time.perf_counter() - started)
        db.session.remove()
    print(
        f"  {label:44} median {statistics.median(times) * 1000:6.1f} ms   "
        f"slowest {max(times) * 1000:6.1f} ms   ({shown})"
    )


def run(engine: str, args, workdir: str) -> None:
    app = make_app(fresh(engine, workdir, args.pg_admin_url, args.pg_database), workdir)
    rnd = random.Random(19)
    settings = StatusSettings()
    with app.app_context():
        loader = Loader(args.agencies, region=REGION)
        loader.load_agencies()
        user = create_user(
            db.session,
            None,
            email="bench@example.org",
            name="Bench",
            password="benchmark password",
            roles=["ig_lead", "practitioner"],
            agency_id=1,
            now=NOW,
        )
        loader.top_up(args.size)
        vary_titles(args.size, rnd)
        add_decisions(args.decisions, args.agencies, user.id, rnd)
        if engine == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
            indexes = db.session.scalar(
                text("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'ix_search_%'")
            )
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            indexes = db.session.scalar(
                text(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND sql LIKE "
                    "'CREATE VIRTUAL TABLE fts_%'"
                )
            )
        lead = Actor(
            user_id=user.id,
            name="Bench",
            agency_id=1,
            roles=frozenset({Role.IG_LEAD, Role.PRACTITIONER}),
        )
        print(
            f"{engine}: {args.agencies:,} agencies, {args.agencies * 3:,} officers, "
            f"{args.size:,} agreements, {args.decisions:,} decisions; "
            f"{'trigram' if engine == 'postgresql' else 'FTS5 trigram'} indexes: {indexes}"
        )

        def ask(q: str):
            def read() -> str:
                found = search.search(db.session, lead, q, today=NOW.date(), settings=settings)
                return ", ".join(f"{g.key} {'>' if g.more else ''}{g.total}" for g in found.groups)

            return read

        for label, q in (
            ("a reference, in full", f"isa-2026-{args.size // 2:06d}"),
            ("a reference's last digits", f"{args.size // 3:06d}"[-5:]),
            ("a title word (about 1 in 13 agreements)", "fostering"),
            ("two title words", "domestic abuse"),
            ("a word in every title", "sharing"),
            ("an agency's name", "agency 04321"),
            ("an ODS-like or ICO fragment", "z0004321"),
            ("an officer's email", "dpo@agency123.example"),
            ("a case reference", "cs-004242"),
            ("nothing matches", "zzqqxx"),
        ):
            timed(f"{label} ({q!r})", ask(q), args.repeat)
        timed(
            "the administrator's partnership figures",
            lambda: (
                lambda p: (
                    f"overdue {p.review_overdue}, lapsed {p.lapsed}, "
                    f"late signatures {p.signatures_late}, "
                    f"no SIRO {dict(p.gaps)[OfficerRole.SIRO]}"
                )
            )(dashboard.partnership(db.session, today=NOW.date(), settings=settings)),
            args.repeat,
        )
        if engine == "sqlite":
            condition = text_index.matching(
                db.session, "fostering", AgreementVersion, AgreementVersion.title
            )
            query = select(AgreementVersion.agreement_id).where(condition)
            compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            print("  plan of the title match:")
            for row in plan:
                print(f"    {row[-1]}")
        if engine == "postgresql":
            plan = db.session.execute(
                text(
                    "EXPLAIN SELECT agreement_id FROM agreement_versions "
                    "WHERE lower(title) LIKE '%' || :q || '%'"
                ),
                {"q": "fostering"},
            ).scalars()
            print("  plan of the title match:")
            for line in plan:
                print(f"    {line}")
        db.session.remove()
        db.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--size", type=int, default=100_000, help="agreements")
    parser.add_argument("--agencies", type=int, default=5000)
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--pg-database", default="search_bench")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="registry-search-")
    try:
        for engine in args.engines.split(","):
            run(engine.strip(), args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if "postgresql" in args.engines:
            drop(args.pg_admin_url, args.pg_database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
