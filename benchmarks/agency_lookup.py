"""The agency box's lookup (issue 20 point 5) at a national number of agencies, timed in
process (no HTTP), on either engine.

    .venv/bin/python benchmarks/agency_lookup.py                       # SQLite, 50,000
    .venv/bin/python benchmarks/agency_lookup.py --database-url \\
        postgresql+psycopg://postgres@127.0.0.1:5432/SPARE_DB            # an empty database

SQLite runs in a throwaway file. With --database-url the database is migrated and, if it
has no agencies, loaded with --agencies of them (benchmarks/_registry.Loader): give it an
empty database you can spare; nothing is dropped. Each query is timed --repeat times and
the median printed, with how many matches were answered and whether there were more: a
few letters that match thousands, a code's start, a rare name, and nothing at all."""

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

from sqlalchemy import func, select, text  # noqa: E402

from benchmarks._registry import Loader, fresh_database, make_app  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.models import Agency  # noqa: E402
from registry.services.agencies import lookup_agencies  # noqa: E402

QUERIES = ("a", "agency 0", "z00123", "agency 49999", "nothing like it")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agencies", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="registry-lookup-")
    try:
        url = args.database_url or fresh_database("sqlite", workdir, "")
        app = make_app(url, workdir)
        with app.app_context():
            if not db.session.scalar(select(func.count()).select_from(Agency)):
                Loader(args.agencies).load_agencies()
            if db.engine.dialect.name == "postgresql":
                db.session.execute(text("ANALYZE agencies"))
            count = db.session.scalar(select(func.count()).select_from(Agency))
            for query in QUERIES:
                times = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    found, more = lookup_agencies(db.session, query)
                    times.append(time.perf_counter() - started)
                print(
                    f"{db.engine.dialect.name:10} {count:>7,} agencies | {query!r:18} | "
                    f"median {statistics.median(times) * 1000:5.1f} ms | {len(found)} listed"
                    f"{', more' if more else ''}"
                )
            db.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
