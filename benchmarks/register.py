"""The public register at national scale, through gunicorn: its downloads and its page.

    .venv/bin/python benchmarks/register.py                       # SQLite, 100,000 agreements
    .venv/bin/python benchmarks/register.py --engine postgresql \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/h3 --size 1000000 \\
        --agencies 50000

Loads the coverage benchmark's synthetic registry (agencies in partnerships of 100, tier-2
and tier-3 agreements of about six parties, every one in force), a hundred thousand
agreements at a time so that the loader's memory stays bounded, then serves it with the
checkout's own gunicorn.conf.py (gthread: a streamed download holds a thread, not a
worker) and times each request --repeat times from the client's side: the time to the
first byte of the body and to the last, median and slowest. The downloads are read whole,
plain and gzipped; the register page is read at its first page, a page deep in, each
tier, and a search.

--database-url on PostgreSQL is a database of your own: its public schema is dropped and
made again. Without it, a throwaway SQLite file."""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from benchmarks._registry import REGION, Loader, make_app, wait_until_serving  # noqa: E402
from registry.clock import system_now  # noqa: E402
from registry.extensions import db  # noqa: E402
from registry.services.users import create_user  # noqa: E402

STEP = 100_000  # agreements loaded at a time
FIRST_64K: list[float | None] = []


def empty_database(engine: str, url: str | None, workdir: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{os.path.join(workdir, 'register-bench.db')}"
    if not url:
        raise SystemExit("--database-url is needed on PostgreSQL (a database of your own)")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    admin.dispose()
    return url


def load(url: str, workdir: str, size: int, agencies: int, region: int) -> None:
    app = make_app(url, workdir)
    started = time.perf_counter()
    with app.app_context():
        loader = Loader(agencies, region=region)
        loader.load_agencies()
        create_user(  # the synthetic signatures name user 1
            db.session,
            None,
            email="bench@example.org",
            name="Bench",
            password="benchmark password",
            roles=["signatory"],
            agency_id=1,
            now=system_now(),
        )
        for total in range(min(STEP, size), size + STEP, STEP):
            loader.top_up(min(total, size))
            if total >= size:
                break
        db.engine.dispose()
    print(
        f"loaded {agencies:,} agencies and {size:,} agreements in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[float, float, int, int, str]:
    """(seconds to the first byte of the body, seconds to the last, status, bytes, ETag).
    The first 64 KiB's time is printed too: a streamed download's first byte is its
    header, written before any row is read; its first rows come with its first 64 KiB."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    first = response.read(1)
    first_byte = time.perf_counter() - started
    size, first_64k = len(first), None
    while chunk := response.read(1 << 16):
        size += len(chunk)
        if first_64k is None and size >= 1 << 16:
            first_64k = time.perf_counter() - started
    total = time.perf_counter() - started
    conn.close()
    if not first:
        first_byte = total
    FIRST_64K.append(first_64k)
    return first_byte, total, response.status, size, response.getheader("ETag") or ""


def timed(
    port: int, label: str, path: str, repeat: int, headers: dict[str, str], before=None
) -> str:
    firsts, totals, etag, status, size = [], [], "", 0, 0
    for _ in range(repeat):
        if before is not None:
            before()
        first, total, status, size, etag = fetch(port, path, headers)
        firsts.append(first)
        totals.append(total)
    sixty_four = [t for t in FIRST_64K[-repeat:] if t is not None]
    head = f"{statistics.median(sixty_four) * 1000:6.0f} ms" if sixty_four else "        "
    print(
        f"{label:44} first byte {statistics.median(firsts) * 1000:7.0f} ms "
        f"({max(firsts) * 1000:6.0f})   64 KiB {head}   "
        f"whole {statistics.median(totals) * 1000:8.0f} ms "
        f"({max(totals) * 1000:6.0f})   {status} {size / 2**20:7.1f} MiB",
        flush=True,
    )
    return etag


def serve(url: str, workdir: str, port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "REGISTRY_DATABASE_URL": url,
            "REGISTRY_INSTANCE_PATH": workdir,
            "SECRET_KEY": "benchmark",
        },
    )
    wait_until_serving(port, seconds=60)
    return server


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--database-url", help="PostgreSQL: a database of your own, emptied")
    parser.add_argument("--size", type=int, default=100_000, help="agreements")
    parser.add_argument("--agencies", type=int, default=5000)
    parser.add_argument("--region", type=int, default=REGION)
    parser.add_argument("--repeat", type=int, default=3, help="reads of each download")
    parser.add_argument("--page-repeat", type=int, default=20, help="reads of each page")
    parser.add_argument("--port", type=int, default=5300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="registry-register-")
    server = None
    try:
        url = empty_database(args.engine, args.database_url, workdir)
        load(url, workdir, args.size, args.agencies, args.region)
        server = serve(url, workdir, args.port, args.workers)
        print(
            f"{args.engine}, gunicorn.conf.py with {args.workers} workers, "
            f"{os.cpu_count()} cores; median (slowest) of {args.repeat} downloads, "
            f"{args.page_repeat} pages"
        )
        port, plain, gz = args.port, {}, {"Accept-Encoding": "gzip"}
        timed(port, "/register (warm-up)", "/register", 2, plain)
        page = http.client.HTTPConnection("127.0.0.1", port)
        page.request("GET", "/register")
        html = page.getresponse().read().decode()
        nexts = re.findall(r'href="(/register\?[^"]*)"[^>]*rel="next"', html)
        pages = [
            ("register page, first", "/register"),
            ("register page, next from the first", nexts[0].replace("&amp;", "&"))
            if nexts
            else ("register page, 2", "/register?page=2"),
            ("register page, tier 1", "/register?tier=1"),
            ("register page, tier 3", "/register?tier=3"),
            ("register page, search 'agreement 12345'", "/register?q=agreement+12345"),
            ("register page, search 'no such title'", "/register?q=no+such+title"),
            ("register page, 200 pages in (page=200)", "/register?page=200"),
        ]
        for label, path in pages:
            timed(port, label, path, args.page_repeat, plain)
        copies = Path(workdir) / "register-copies"

        def no_copy():  # as after a change to the register: the next download streams
            shutil.rmtree(copies, ignore_errors=True)

        for name in ("register.csv", "register.json"):
            for accept, headers in (("", plain), (", gzip", gz)):
                label = f"/{name}{accept}"
                timed(port, f"{label}, streamed", f"/{name}", args.repeat, headers, no_copy)
                etag = timed(port, f"{label}, from the copy", f"/{name}", args.repeat, headers)
                timed(
                    port,
                    f"{label}, If-None-Match",
                    f"/{name}",
                    1,
                    {**headers, "If-None-Match": etag},
                )
        timed(
            port,
            "/register.csv?tier=1, streamed",
            "/register.csv?tier=1",
            args.repeat,
            plain,
            no_copy,
        )
        timed(
            port, "/register.csv?q=agreement+1, streamed", "/register.csv?q=agreement+1", 1, plain
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
