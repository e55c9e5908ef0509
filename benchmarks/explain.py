"""Which indexes each page's queries use on a national registry (issue 20 point 8).

    .venv/bin/python benchmarks/national.py --engine postgresql --size 1000000   # once
    .venv/bin/python benchmarks/explain.py --size 1000000 > docs/EXPLAIN.md

Opens each page benchmarks/pages.py times, signed in as the same users, records every SQL
statement the page sends (an SQLAlchemy before_cursor_execute event: the statement and its
parameters), then asks PostgreSQL for each SELECT's plan as it runs (EXPLAIN (ANALYZE,
FORMAT JSON): the statement is executed once more, in a transaction rolled back). It
prints, as Markdown, for each page and statement: the tables it reads and how (which index,
or a sequential scan, with the rows read), and the statement's time. A sequential scan of
a table of more than 10,000 rows is marked: at a million agreements that is a page reading
the registry, not what it shows. Statements a page sends more than once are shown once,
with how many times."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from benchmarks.national import USERS, database_url  # noqa: E402
from benchmarks.pages import PAGES, signed_in_client  # noqa: E402
from registry import create_app  # noqa: E402
from registry.extensions import db  # noqa: E402

BIG = 10_000  # rows: a sequential scan of a larger table is marked


def scans(plan: dict, found: list[str], heap: str | None = None) -> list[str]:
    """How each table is read in `plan` (a node of EXPLAIN's JSON), depth first. A bitmap
    index scan names no table: it is its Bitmap Heap Scan's (`heap`)."""
    kind = plan.get("Node Type", "")
    table = plan.get("Relation Name") if kind != "Bitmap Heap Scan" else None
    table = table or (heap if kind == "Bitmap Index Scan" else None)
    index = plan.get("Index Name")
    rows = plan.get("Actual Rows", 0) * plan.get("Actual Loops", 1)
    if index:
        found.append(f"{table or '?'} by `{index}` ({kind.lower()}, {rows:,} rows)")
    elif kind == "Seq Scan":
        mark = " **(sequential, large)**" if rows > BIG else ""
        found.append(f"{table} sequential ({rows:,} rows){mark}")
    below = plan.get("Relation Name") if kind == "Bitmap Heap Scan" else heap
    for child in plan.get("Plans", []):
        scans(child, found, below)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000, help="which national.py load")
    parser.add_argument("--database", help="a PostgreSQL URL instead of --size")
    parser.add_argument("--only", default="", help="pages whose label contains this")
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    url = args.database or database_url("postgresql", args.size, None, args.pg_admin_url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": "/tmp/national_bench/instance",
            "SECRET_KEY": "benchmark",
            "TWO_FACTOR_ROLES": [],
            "RATELIMIT_ENABLED": False,
        }
    )
    sent: list[tuple[str, object]] = []
    with app.app_context():
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda conn, cursor, statement, parameters, context, many: sent.append(
                (statement, parameters)
            ),
        )
        raw = db.engine.raw_connection()
    clients = {who: signed_in_client(app, USERS[who][0] if who else None) for who, _, _ in PAGES}
    print(f"# Query plans of the pages at {args.size:,} agreements (PostgreSQL)\n")
    print(
        "Made by `.venv/bin/python benchmarks/explain.py --size "
        f"{args.size}` on the registry `benchmarks/national.py` loads. Each statement a page "
        "sends, the tables it reads and how, and its time as EXPLAIN ANALYZE ran it. "
        f"A sequential scan of more than {BIG:,} rows is marked.\n"
    )
    for who, label, path in PAGES:
        if args.only.lower() not in label.lower():
            continue
        clients[who].get(path)  # warm, as a running server would be
        sent.clear()
        status = clients[who].get(path).status_code
        print(f"## {label}: `GET {path}` ({status})\n")
        times = Counter(statement for statement, _ in sent)
        seen: set[str] = set()
        for statement, parameters in list(sent):
            if statement in seen or not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            seen.add(statement)
            cursor = raw.cursor()
            try:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                (result,) = cursor.fetchone()
            finally:
                raw.rollback()
                cursor.close()
            top = (json.loads(result) if isinstance(result, str) else result)[0]
            first_line = " ".join(statement.split())[:90]
            read = scans(top["Plan"], []) or ["no table (constants or functions only)"]
            repeat = f", sent {times[statement]} times" if times[statement] > 1 else ""
            print(f"- `{first_line}…` {top['Execution Time']:.1f} ms{repeat}")
            for line in read:
                print(f"  - {line}")
        print()
    raw.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
