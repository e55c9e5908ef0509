"""Load and faults against gunicorn (4 workers) on loopback, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/reliability.py                       # everything, 60 s phases
    .venv/bin/python benchmarks/reliability.py --seconds 10 --engines sqlite

Phases, each printed with requests per second, p95, errors, decisions acknowledged but
missing from the database afterwards (must be 0) and audit-chain breaks (must be 0):
  read          coverage checks
  write         decision records (each with an Idempotency-Key; a client retries a
                request that got no answer with the same key, as a real client would)
  write+kill    the same while a gunicorn worker is killed (SIGKILL) every 3 seconds
  write+restart the same while PostgreSQL is restarted every 15 seconds (PostgreSQL only)
Then two app servers on two ports share one PostgreSQL and one Redis: wrong passwords
sent to both in turn still lock the account after 10, and the rate limit counts across
both.

PostgreSQL runs as a throwaway cluster this script starts (initdb in a temporary
directory), so it can be restarted without touching any other database; Redis likewise."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._registry import make_app, percentile, wait_until_serving  # noqa: E402
from registry.clock import system_now  # noqa: E402
from registry.extensions import db  # noqa: E402

PG_BIN = (
    next(
        (
            p
            for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
            if (p / "initdb").exists()
        ),
        None,
    )
    if Path("/usr/lib/postgresql").exists()
    else None
)
PASSWORD = "lantern orchard velvet quarry"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL cluster on its own port."""

    def __init__(self, workdir: Path):
        if PG_BIN is None:
            raise SystemExit("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.dir = workdir / "pg"
        self.port = free_port()
        user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.user = user
        self.dir.mkdir()
        if user:
            shutil.chown(self.dir, "postgres")
            shutil.chown(workdir, "postgres")
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        )
        self.start()
        self._run(
            str(PG_BIN / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "registry",
        )
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/registry"

    def _run(self, *command: str) -> None:
        subprocess.run([*self.user, *command], check=True, capture_output=True)

    def start(self) -> None:
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.dir),
            "-w",
            "-l",
            str(self.dir / "log"),
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200",
            "start",
        )

    def restart(self) -> None:
        # With -l, the new server does not hold this process's pipes open.
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.dir),
            "-w",
            "-m",
            "fast",
            "-l",
            str(self.dir / "log"),
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200",
            "restart",
        )

    def stop(self) -> None:
        subprocess.run(
            [*self.user, str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )


class Server:
    """gunicorn serving the registry on a port of its own."""

    def __init__(self, url: str, instance: str, workers: int = 4, **env: str):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                # Not the checkout's gunicorn.conf.py (threads): sync workers, as every
                # figure in docs/RELIABILITY.md was measured, so they stay comparable.
                "-c",
                "/dev/null",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "error",
                "--graceful-timeout",
                "2",
                "wsgi:app",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "REGISTRY_DATABASE_URL": url,
                "REGISTRY_INSTANCE_PATH": instance,
                "SECRET_KEY": "benchmark",
                **env,
            },
        )
        wait_until_serving(self.port)

    def workers(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        return [int(p) for p in found]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def prepare(url: str, instance: str, practitioners: int) -> dict:
    """Agencies, an agreement chain, practitioners with tokens, and a user to attack."""
    from registry.services.users import create_user, issue_token
    from tests.factories import chain, make_agency

    app = make_app(url, instance)
    with app.app_context():
        council, police = (
            make_agency(db.session, name="Council"),
            make_agency(db.session, name="Police"),
        )
        chain(db.session, council, police)
        tokens = []
        for n in range(practitioners):
            user = create_user(
                db.session,
                None,
                email=f"p{n}@example.org",
                name=f"P {n}",
                password=PASSWORD,
                roles=["practitioner"],
                agency_id=council.id,
                now=system_now(),
            )
            tokens.append(issue_token(db.session, user, now=system_now()))
        create_user(
            db.session,
            None,
            email="target@example.org",
            name="Target",
            password=PASSWORD,
            roles=["practitioner"],
            agency_id=council.id,
            now=system_now(),
        )
        world = {"from": council.id, "to": police.id, "tokens": tokens}
        db.engine.dispose()
    return world


def _post(port: int, path: str, body: dict, headers: dict) -> tuple[int, dict]:
    conn = HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", **headers},
        )
        response = conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else {})
    finally:
        conn.close()


def _client(args) -> dict:
    """One load process: reads or writes until the time is up."""
    port, kind, world, token, seconds, seed = args
    rnd = random.Random(seed)
    deadline = time.perf_counter() + seconds
    timings, errors, acknowledged, attempts = [], 0, [], 0
    auth = {"Authorization": f"Bearer {token}"}
    question = {
        "from_agency_id": world["from"],
        "to_agency_id": world["to"],
        "purpose": "mash_triage",
        "data_categories": ["identity_contact"],
    }
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        if kind == "read":
            path, body, headers = "/api/v1/coverage", question, auth
        else:
            path = "/api/v1/decisions"
            body = {
                **question,
                "decision": rnd.choice(["share", "not_share"]),
                "consent": "given",
                "reasons": "Reliability benchmark",
            }
            headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
        ok = False
        for attempt in range(8):  # the same request (and key) again after a dropped answer
            attempts += 1
            try:
                status, answer = _post(port, path, body, headers)
            except OSError:
                time.sleep(0.05 * (attempt + 1))
                continue
            if status in (200, 201):
                ok = True
                if kind == "write":
                    acknowledged.append(answer["id"])
                break
            if status < 500 and status != 429:
                errors += 1  # refused outright: counted, not retried
                break
            time.sleep(0.05 * (attempt + 1))
        if ok:
            timings.append((time.perf_counter() - started) * 1000)
        else:
            errors += 1
    return {
        "timings": timings,
        "errors": errors,
        "acknowledged": acknowledged,
        "attempts": attempts,
    }


def load(server: Server, kind: str, world: dict, seconds: float, clients: int, fault=None) -> dict:
    stop = threading.Event()
    faults = {"count": 0}
    if fault is not None:

        def inject():
            while not stop.wait(fault[1]):
                fault[0]()
                faults["count"] += 1

        threading.Thread(target=inject, daemon=True).start()
    jobs = [
        (server.port, kind, world, world["tokens"][n % len(world["tokens"])], seconds, n)
        for n in range(clients)
    ]
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(_client, jobs)
    stop.set()
    timings = [t for r in results for t in r["timings"]]
    return {
        "rps": len(timings) / seconds,
        "p95": percentile(timings, 95) if timings else 0,
        "errors": sum(r["errors"] for r in results),
        "retries": sum(r["attempts"] for r in results)
        - len(timings)
        - sum(r["errors"] for r in results),
        "acknowledged": [i for r in results for i in r["acknowledged"]],
        "faults": faults["count"],
    }


def audit_after(url: str, instance: str, acknowledged: list[int]) -> tuple[int, int]:
    """Decisions acknowledged but not in the database; breaks in the two chains."""
    from sqlalchemy import select

    from registry.models import DecisionRecord
    from registry.services.audit import verify
    from registry.services.decisions import verify as verify_decisions

    app = make_app(url, instance)
    with app.app_context():
        stored = set(db.session.scalars(select(DecisionRecord.id)))
        missing = len(set(acknowledged) - stored)
        breaks = (verify(db.session) is not None) + (verify_decisions(db.session) is not None)
        db.session.remove()
        db.engine.dispose()
    return missing, breaks


def brute_force(pg_url: str, instance: str, redis_url: str) -> list[str]:
    lines = []
    first = Server(
        pg_url,
        instance,
        workers=2,
        RATELIMIT_STORAGE_URI=redis_url,
        SIGN_IN_RATE_LIMIT="1000 per minute",
    )
    second = Server(
        pg_url,
        instance,
        workers=2,
        RATELIMIT_STORAGE_URI=redis_url,
        SIGN_IN_RATE_LIMIT="1000 per minute",
    )
    try:
        statuses = []
        for n in range(14):
            port = (first, second)[n % 2].port
            statuses.append(
                _post(
                    port,
                    "/api/v1/auth/token",
                    {"email": "target@example.org", "password": f"wrong guess {n}"},
                    {},
                )[0]
            )
        right = _post(
            second.port,
            "/api/v1/auth/token",
            {"email": "target@example.org", "password": PASSWORD},
            {},
        )[0]
        from sqlalchemy import create_engine, text

        engine = create_engine(pg_url)
        with engine.connect() as conn:
            locked = conn.execute(
                text(
                    "SELECT locked_until IS NOT NULL FROM users WHERE email = 'target@example.org'"
                )
            ).scalar_one()
        engine.dispose()
        lines.append(
            f"brute force over 2 servers: 14 wrong passwords alternating servers "
            f"-> statuses {statuses}; account locked: {locked}; the right password "
            f"afterwards -> {right} (must be 401: locked)"
        )
    finally:
        first.stop()
        second.stop()
    limited_a = Server(
        pg_url,
        instance,
        workers=2,
        RATELIMIT_STORAGE_URI=redis_url,
        SIGN_IN_RATE_LIMIT="6 per minute",
    )
    limited_b = Server(
        pg_url,
        instance,
        workers=2,
        RATELIMIT_STORAGE_URI=redis_url,
        SIGN_IN_RATE_LIMIT="6 per minute",
    )
    try:
        statuses = [
            _post(
                (limited_a, limited_b)[n % 2].port,
                "/api/v1/auth/token",
                {"email": f"nobody{n}@example.org", "password": "x"},
                {},
            )[0]
            for n in range(10)
        ]
        lines.append(
            f"rate limit 6/minute shared in Redis over 2 servers: 10 attempts "
            f"alternating servers -> {statuses} (429 from the 7th)"
        )
    finally:
        limited_a.stop()
        limited_b.stop()
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="registry-reliability-"))
    os.chmod(workdir, 0o777)
    print(
        f"reliability: gunicorn 4 workers, {args.clients} client processes, "
        f"{args.seconds:.0f} s per phase, {os.cpu_count()} cores"
    )
    failed = False
    pg = redis = None
    try:
        for engine in args.engines.split(","):
            instance = str(workdir / f"instance-{engine}")
            if engine == "postgresql":
                pg = Postgres(workdir)
                url = pg.url
            else:
                url = f"sqlite:///{workdir / 'registry.db'}"
            world = prepare(url, instance, args.clients)
            server = Server(url, instance)
            phases = [
                ("read", "read", None),
                ("write", "write", None),
                (
                    "write+kill",
                    "write",
                    (
                        lambda server=server: os.kill(
                            random.choice(server.workers()), signal.SIGKILL
                        ),
                        3,
                    ),
                ),
            ]
            if pg is not None and engine == "postgresql":
                phases.append(("write+restart", "write", (pg.restart, 15)))
            try:
                for label, kind, fault in phases:
                    result = load(server, kind, world, args.seconds, args.clients, fault)
                    missing, breaks = audit_after(url, instance, result["acknowledged"])
                    failed |= missing > 0 or breaks > 0
                    print(
                        f"{engine:10} {label:13} {result['rps']:7.0f} req/s  p95 "
                        f"{result['p95']:7.1f} ms  errors {result['errors']:3}  retried "
                        f"{result['retries']:4}  faults {result['faults']:2}  acknowledged "
                        f"{len(result['acknowledged']):6}  missing {missing}  "
                        f"chain breaks {breaks}",
                        flush=True,
                    )
            finally:
                server.stop()
            if engine == "postgresql":
                redis_port = free_port()
                redis = subprocess.Popen(
                    ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
                    stdout=subprocess.DEVNULL,
                )
                time.sleep(0.5)
                for line in brute_force(url, instance, f"redis://127.0.0.1:{redis_port}"):
                    print(line, flush=True)
    finally:
        if redis is not None:
            redis.terminate()
        if pg is not None:
            pg.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
