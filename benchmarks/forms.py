"""The forms that choose among the agencies, timed whole (request to rendered page) as the
registry grows in agencies, with each page's size.

    .venv/bin/python benchmarks/forms.py                           # 500 and 5,000 agencies
    .venv/bin/python benchmarks/forms.py --agencies 50000          # issue 20: the national size
    .venv/bin/python benchmarks/forms.py --agencies 5000,20000 --engine postgresql

For each number of agencies it loads them (with their officers), signs in a practitioner
and the administrator through the sign-in page (Flask's test client: the whole request,
no network), and times each page --repeat times after one warm-up, printing the median,
the slowest and the page's size. The pages: checking a share, recording a decision,
drafting a tier 1 protocol, the agreements list, and the lookup the agency box asks as
one types. Since issue 20 none of them lists every agency (they carried every one, the
protocol's draft page twice, as ticks: 2.3 MB at 5,000): a box asks /agencies/lookup, so
a page's size should not grow with the agencies."""

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

from benchmarks._registry import Loader, drop_databases, fresh_database, make_app  # noqa: E402
from registry.clock import system_now  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.services.users import create_user  # noqa: E402

PASSWORD = "benchmark password"
PAGES = (
    ("practitioner", "/coverage", "check a share"),
    ("practitioner", "/decisions/new", "record a decision"),
    ("admin", "/agreements/new?tier=1&owner_agency_id=1", "draft a tier 1 protocol"),
    ("admin", "/agreements?agency=1", "agreements list, filtered by a party"),
    ("practitioner", "/agencies/lookup?q=agency%200", "the box's lookup (20 of many)"),
)


def measure(engine: str, agencies: int, repeat: int, pg_admin_url: str) -> None:
    workdir = tempfile.mkdtemp(prefix="registry-forms-")
    try:
        app = make_app(fresh_database(engine, workdir, pg_admin_url), workdir)
        # Forms are sent without their CSRF token, and nobody here has an authenticator.
        app.config.update(WTF_CSRF_ENABLED=False, TWO_FACTOR_ROLES=[])
        with app.app_context():
            Loader(agencies).load_agencies()
            for role in ("practitioner", "admin"):
                create_user(
                    db.session,
                    None,
                    email=f"{role}@example.org",
                    name=role,
                    password=PASSWORD,
                    roles=[role],
                    agency_id=None if role == "admin" else 1,
                    now=system_now(),
                )
        clients = {}
        for role in ("practitioner", "admin"):
            clients[role] = app.test_client()
            answer = clients[role].post(
                "/sign-in", data={"email": f"{role}@example.org", "password": PASSWORD}
            )
            assert answer.status_code == 302, f"{role} could not sign in"
        for role, path, label in PAGES:
            times = []
            for n in range(repeat + 1):
                started = time.perf_counter()
                answer = clients[role].get(path)
                if n:  # the first warms the caches
                    times.append(time.perf_counter() - started)
                assert answer.status_code == 200, (path, answer.status_code)
            print(
                f"{engine:10} {agencies:>7,} agencies | {label:40} | median "
                f"{statistics.median(times) * 1000:6.0f} ms, slowest "
                f"{max(times) * 1000:6.0f} ms | {len(answer.data):>9,} bytes"
            )
        with app.app_context():
            db.engine.dispose()
    finally:
        if engine == "postgresql":
            drop_databases(pg_admin_url)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--agencies", default="500,5000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    for agencies in (int(n) for n in args.agencies.split(",")):
        measure(args.engine, agencies, args.repeat, args.pg_admin_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
