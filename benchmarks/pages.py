"""The pages that look across the registry, timed on a national-scale registry.

    .venv/bin/python benchmarks/pages.py                         # SQLite, 100,000 agreements
    .venv/bin/python benchmarks/pages.py --engine postgresql --size 10000

Loads the coverage benchmark's synthetic registry (5,000 agencies in partnerships of 100,
tier-2 and tier-3 agreements of a few parties each, all active and signed), appends an
audit trail of --audit entries, then times, each --repeat times (the median and the
slowest are printed), the reads behind the pages that are not about one agreement: the
coverage map, the review calendar, an agency's home page, the parents offered when
drafting, the audit page's chain check, the public register's pages, and the whole
public register as CSV (what register.csv, register.json and `flask export` read). Each
read but the last must depend on what the page shows, not on how large the registry is
(issue 3's rule for the coverage check, applied to them)."""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._registry import (  # noqa: E402
    NOW,
    REGION,
    Loader,
    drop_databases,
    fresh_database,
    make_app,
    today,
)
from registry.clock import system_now  # noqa: E402
from registry.domain.actor import Actor  # noqa: E402
from registry.domain.lifecycle import StatusSettings  # noqa: E402
from registry.domain.vocab import Role  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.services import (  # noqa: E402
    audit,
    coverage_map,
    dashboard,
    register,
    reviews,
)
from registry.services.agreement_reads import parents_for  # noqa: E402
from registry.services.users import create_user  # noqa: E402


def append_audit(entries: int) -> None:
    actor = Actor(user_id=None, name="Benchmark")
    for n in range(entries):
        audit.record(
            db.session,
            actor=actor,
            action="agency.save",
            entity_type="agency",
            entity_id=n % 5000 + 1,
            before={"name": f"Agency {n}"},
            after={"name": f"Agency {n}", "ico_registration": "Z1234567"},
            now=NOW,
        )
        if n % 1000 == 999:
            db.session.commit()
    db.session.commit()


def whole_register(settings: StatusSettings) -> str:
    lines = register.csv_lines(register.every_entry(db.engine, today=today(), settings=settings))
    rows, size = -1, 0  # the header is not an agreement
    for line in lines:
        rows += line.count("\n")
        size += len(line)
    return f"{rows:,} agreements, {size / 2**20:.1f} MiB"


def timed(label: str, read, repeat: int) -> None:
    times, shown = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        shown = read()
        times.append(time.perf_counter() - started)
        db.session.remove()
    print(
        f"{label:58} median {statistics.median(times) * 1000:7.0f} ms   "
        f"slowest {max(times) * 1000:7.0f} ms   ({shown})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--size", type=int, default=100_000, help="agreements")
    parser.add_argument("--agencies", type=int, default=5000)
    parser.add_argument("--region", type=int, default=REGION)
    parser.add_argument("--audit", type=int, default=20_000, help="audit entries")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="registry-pages-")
    try:
        app = make_app(fresh_database(args.engine, workdir, args.pg_admin_url), workdir)
        loader = Loader(args.agencies, region=args.region)
        settings = StatusSettings()
        with app.app_context():
            loader.load_agencies()
            create_user(
                db.session,
                None,
                email="bench@example.org",
                name="Bench",  # signs
                password="benchmark password",
                roles=["signatory"],
                agency_id=1,
                now=system_now(),
            )
            loader.top_up(args.size)
            append_audit(args.audit)
            agency = loader.pairs[0][0]
            lead = Actor(
                user_id=None,
                name="IG lead",
                agency_id=agency,
                roles=frozenset({Role.IG_LEAD, Role.SIGNATORY}),
            )
            print(
                f"{args.engine}: {args.agencies:,} agencies, {args.size:,} agreements, "
                f"{args.audit:,} audit entries; agency {agency} is a party to "
                f"{len(reviews.upcoming(db.session, agency, today=today(), settings=settings))}"
            )
            reads = [
                (
                    "coverage map, one purpose, first 60 agencies",
                    lambda: (
                        coverage_map.build(
                            db.session, "mash_triage", today=today(), settings=settings
                        ).total
                    ),
                ),
                (
                    "coverage map, agencies named 'Agency 01…' and partners",
                    lambda: (
                        coverage_map.build(
                            db.session,
                            "mash_triage",
                            today=today(),
                            settings=settings,
                            search="Agency 01",
                        ).total
                    ),
                ),
                (
                    "review calendar, administrator, first page",
                    lambda: (
                        reviews.upcoming_page(
                            db.session, None, today=today(), settings=settings
                        ).total
                    ),
                ),
                (
                    "review calendar, one agency, first page",
                    lambda: (
                        reviews.upcoming_page(
                            db.session, agency, today=today(), settings=settings
                        ).total
                    ),
                ),
                (
                    "home page of one agency's IG lead",
                    lambda: len(
                        dashboard.build(
                            db.session, lead, today=today(), settings=settings
                        ).agreements
                    ),
                ),
                (
                    "parents offered to that IG lead for a tier 3",
                    lambda: len(parents_for(db.session, 3, today(), settings, agency)),
                ),
                (
                    f"audit chain check ({args.audit:,} entries)",
                    lambda: audit.verify(db.session) or "intact",
                ),
                (
                    "public register, first page of 50",
                    lambda: register.in_force(db.session, today=today(), settings=settings).total,
                ),
                (
                    "public register, page 150",
                    lambda: (
                        register.in_force(
                            db.session, today=today(), settings=settings, page=150
                        ).total
                    ),
                ),
                (
                    "the whole public register as CSV (register.csv, flask export)",
                    lambda: whole_register(settings),
                ),
            ]
            for label, read in reads:
                timed(label, read, args.repeat)
            db.engine.dispose()
    finally:
        if args.engine == "postgresql":
            drop_databases(args.pg_admin_url)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
