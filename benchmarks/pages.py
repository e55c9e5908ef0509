"""Every page a person opens, timed whole on a national registry (issue 20 point 3).

    .venv/bin/python benchmarks/national.py --engine sqlite --size 100000   # once
    .venv/bin/python benchmarks/pages.py --engine sqlite --size 100000
    .venv/bin/python benchmarks/pages.py --engine postgresql --size 1000000 --repeat 10
    .venv/bin/python benchmarks/pages.py --database sqlite:////tmp/x.db --only audit

Reads the registry benchmarks/national.py loaded (it is not changed, but for the rows a
page writes itself, such as a review calendar's feed token), signs a Flask test client in
as each of national.py's users (the session made as the sign-in page makes it), and gets
each page --repeat times after one unmeasured request, in turns (page 1, page 2, …, then
again), so that a drift of this shared machine's speed falls on every page alike. For
each page it prints the p50 and p95 of the whole request as the server spends it (routing,
queries, templates; no network), the number of SQL statements one request sends (counted
by an SQLAlchemy before_cursor_execute event), and the size of the HTML. Target (issue
20): p95 <= 300 ms for each."""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select  # noqa: E402

from benchmarks._registry import percentile  # noqa: E402
from benchmarks.national import DEFAULT_DIR, HUB, USERS, database_url  # noqa: E402
from registry import create_app  # noqa: E402
from registry.clock import system_now  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.models import User  # noqa: E402

TARGET_MS = 300

# (who, label, url): who is a key of national.USERS, or None for a visitor.
PAGES = [
    ("admin", "home, administrator", "/"),
    ("ig_lead", "home, IG lead", "/"),
    ("signatory", "home, signatory", "/"),
    ("practitioner", "home, practitioner", "/"),
    ("ig_lead", "agreements, no filter", "/agreements"),
    ("ig_lead", "agreements, page 1000", "/agreements?page=1000"),
    ("ig_lead", "agreements, search 'Agreement 4242'", "/agreements?q=Agreement+4242"),
    ("ig_lead", "agreements, tier 1", "/agreements?tier=1"),
    ("ig_lead", "agreements, tier 3", "/agreements?tier=3"),
    ("ig_lead", "agreements, status active", "/agreements?status=active"),
    ("ig_lead", "agreements, status review due", "/agreements?status=review_due"),
    ("ig_lead", "agreements, status draft (none)", "/agreements?status=draft"),
    ("ig_lead", "agreements, agency = the hub", f"/agreements?agency={HUB}"),
    ("ig_lead", "agreements, purpose MASH triage", "/agreements?purpose=mash_triage"),
    ("ig_lead", "agreements, review due soon", "/agreements?review_due=1"),
    ("ig_lead", "agreements, exceeds its parent", "/agreements?exceeds_parent=1"),
    ("ig_lead", "agreements, signatures late", "/agreements?signatures_late=1"),
    (
        "ig_lead",
        "agreements, hub + tier 2 + active + MASH",
        f"/agreements?agency={HUB}&tier=2&status=active&purpose=mash_triage",
    ),
    ("ig_lead", "agreement with 100 parties (1)", "/agreements/1"),
    ("admin", "agency with thousands (hub), admin", f"/agencies/{HUB}"),
    ("ig_lead", "agency with thousands (hub), its lead", f"/agencies/{HUB}"),
    ("ig_lead", "review calendar, the hub's lead", "/agreements/reviews"),
    ("admin", "review calendar, administrator", "/agreements/reviews"),
    ("ig_lead", "coverage map, MASH triage", "/coverage/map?purpose=mash_triage"),
    (
        "ig_lead",
        "coverage map, MASH, search 'Agency 01'",
        "/coverage/map?purpose=mash_triage&q=Agency+01",
    ),
    (
        # About 100 agencies' names contain it: few enough that their partners are read.
        "ig_lead",
        "coverage map, MASH, search 'Agency 123'",
        "/coverage/map?purpose=mash_triage&q=Agency+123",
    ),
    (None, "public register, page 1", "/register"),
    ("practitioner", "decisions, the hub's practitioner", "/decisions"),
    ("admin", "decisions, administrator (all)", "/decisions"),
    ("admin", "decisions, administrator, page 2000", "/decisions?page=2000"),
    ("admin", "audit trail, no filter", "/admin/audit"),
    ("admin", "audit trail, page 20000", "/admin/audit?page=20000"),
    ("admin", "audit trail, agency = the hub", f"/admin/audit?agency={HUB}"),
    ("admin", "audit trail, who 'Officer 7'", "/admin/audit?q=Officer+7"),
    ("admin", "audit trail, action agreement.sign", "/admin/audit?action=agreement.sign"),
]


def signed_in_client(app, email: str | None):
    client = app.test_client()
    if email is None:
        return client
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            raise SystemExit(f"no user {email}: load the registry with benchmarks/national.py")
        user_id = user.get_id()
    stamp = system_now().timestamp()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
        session["sid"] = "benchmark"
        session["signed_in_at"] = stamp
        session["seen_at"] = stamp
    return client


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--size", type=int, default=100_000, help="which national.py load")
    parser.add_argument("--database", help="a database URL instead of --engine and --size")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="pages whose label contains this")
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    url = args.database or database_url(args.engine, args.size, None, args.pg_admin_url)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": f"{DEFAULT_DIR}/instance",
            "SECRET_KEY": "benchmark",
            "TWO_FACTOR_ROLES": [],
            "RATELIMIT_ENABLED": False,
        }
    )
    statements = [0]
    with app.app_context():
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda *a, **k: statements.__setitem__(0, statements[0] + 1),
        )
    clients = {
        who: signed_in_client(app, USERS[who][0] if who else None)
        for who in {w for w, _, _ in PAGES}
    }
    pages = [p for p in PAGES if args.only.lower() in p[1].lower()]
    times: dict[str, list[float]] = {label: [] for _, label, _ in pages}
    counts: dict[str, tuple[int, int, int]] = {}
    for turn in range(args.repeat + 1):
        for who, label, path in pages:
            statements[0] = 0
            started = time.perf_counter()
            response = clients[who].get(path)
            spent = time.perf_counter() - started
            if turn == 0:  # warms the caches a running server would have warm
                if response.status_code != 200:
                    print(f"{label}: {path} answered {response.status_code}", file=sys.stderr)
                counts[label] = (statements[0], len(response.data), response.status_code)
            else:
                times[label].append(spent)
        if turn == 0:
            # As gunicorn.conf.py has each worker do once the app is loaded.
            gc.collect()
            gc.freeze()
        print(f"turn {turn} of {args.repeat}", file=sys.stderr, end="\r")
    print(f"{url}: {args.repeat} requests of each page, after one unmeasured")
    print(f"{'page':46} {'p50 ms':>7} {'p95 ms':>7} {'SQL':>5} {'KB':>6}")
    over = []
    for _who, label, _path in pages:
        p50, p95 = percentile(times[label], 50) * 1000, percentile(times[label], 95) * 1000
        sql, size, status = counts[label]
        flag = "" if p95 <= TARGET_MS else "  over"
        if status != 200:
            flag += f"  HTTP {status}"
        if flag:
            over.append(label)
        print(f"{label:46} {p50:7.0f} {p95:7.0f} {sql:5d} {size / 1024:6.0f}{flag}")
    print(f"{len(pages) - len(over)} of {len(pages)} pages within p95 <= {TARGET_MS} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
