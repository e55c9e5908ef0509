"""The whole service under load (issue 20, points 6 and 7): two app servers behind one
address, on one PostgreSQL and one Redis, played by practitioners, IG leads, signatories
and anonymous readers of the register at once, with one server stopped and started again
mid-run.

    .venv/bin/python benchmarks/national.py --engine postgresql --size 1000000 --agencies 50000
    .venv/bin/python benchmarks/load.py --size 1000000 --seconds 300 --users 100

What it starts (and stops again, however the run ends), all on this machine:
  two gunicorn servers, A on 127.0.0.1:5602 and B on :5603, each with the checkout's
      gunicorn.conf.py (4 workers of 8 threads) and its own control socket, started by
      benchmarks/_load_gunicorn.py, which adds one response header saying where the
      request's time went (the app, SQL, the password hash);
  nginx on 127.0.0.1:5601, the one address every virtual user sends to: an upstream of
      A and B, round robin, with `proxy_next_upstream error timeout` (a request that
      cannot reach a stopped server goes to the other) and no kept-alive upstream
      connections (a stopped server's idle connection cannot swallow a POST). B is
      taken out of the upstream before it is stopped: a request waiting in a stopped
      server's listening queue is reset, and nginx sends a reset GET on to A but not a
      POST, which B might have acted on (session 14, on a slow machine: three 502s when
      B was stopped while nginx still sent to it). nginx passes
      the client's address in X-Forwarded-For and the app trusts one proxy
      (REGISTRY_TRUSTED_PROXIES=1): each virtual user sends from its own loopback
      address (127.1.x.y), so the per-address sign-in limit applies to each as to a
      person, as behind a real load balancer.
Both servers read the national registry national_bench_<--size> on --pg-url's server and
count rate limits in Redis (--redis-url, a database of this script's own, emptied at the
start). They run in development mode with the stores a production pair shares set (one
SECRET_KEY, REGISTRY_TOTP_KEY, one instance folder and so one seal CA, Redis for the
limits; each its own copies of the register's downloads): production mode would also
want a real timestamp authority and mail server. Two-factor sign-in is not asked for
(TWO_FACTOR_ROLES empty): national.py's users have none set up.

Each IG lead and signatory is a person with an account of their own (signing out ends
every session of the account), made by this script on its first run with national.py's
password: ig-lead-<n>@load.bench, IG lead of agency n % 100 + 1 (the hub and its
partnership, all parties to agreement 1), and signatory-<n>@load.bench, of the hub. The
practitioners use national.py's practitioner, with a bearer token each, issued at the
start through the service as `flask` would.

The virtual users (threads, http.client, a cookie jar and the forms' CSRF tokens each),
with think time between requests, for --warm-up seconds (not measured: each worker's
first pages compile their templates) and then --seconds:
  practitioners (half)   a coverage check through the API (bearer token), and for three
                         in five a decision recorded after it (with an Idempotency-Key)
  register readers (a quarter, anonymous)  the register page, a page further on, its
                         search, and one time in fifteen a download (the tier 1
                         protocols, CSV or JSON, gzipped; a whole-register download at a
                         million is streamed afresh after every audited change, minutes
                         of a core each: see docs/PERFORMANCE.md)
  IG leads (15%)         sign in, then 5 to 12 of: home page, the agreements list (with a
                         search, a filter or a page), an agreement, and one time in six a
                         new draft through the form; then sign out
  signatories (10%)      sign in, home page, sign one or two of the agreements awaiting
                         the hub's signature (national.py --awaiting: the sign page, then
                         the form with the password; the hub's signature is the last,
                         so each activates its agreement and queues its sealed PDF); out
At --restart-at seconds (into the measured part), server B is taken out of nginx's
upstream (a reload), as a rolling restart does, then sent SIGTERM (gunicorn's graceful
stop: it finishes the requests it has), started again --down seconds after it has
stopped, put back into nginx once it answers /healthz, and the run goes on. Each write
the service acknowledged (a decision answered 201, a draft saved, a signature: the page
after it says so) is looked for in the database at the end.

Printed: requests per second; for each kind of request, its count, p50/p95/p99 from the
client, and the app's, SQL's and the password hash's share of it; every error by kind and
status (anything but the answer the step expects, a 429 included, and any connection
error: there must be none); where the time went overall; sign-in against its 500 ms p95
target, split into the hash, the rest of the app and the time outside it; for each phase
of the restart, which server answered and the slowest answer; and "acknowledged writes:
N, missing: M". Exits 1 if there was an error or a write went missing."""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from benchmarks._registry import (  # noqa: E402
    CATEGORIES,
    PURPOSES,
    percentiles,
    wait_until_serving,
)
from benchmarks.national import HUB, PASSWORD, USERS, database_url  # noqa: E402

FRONT = 5601
SERVERS = {"A": 5602, "B": 5603}
WORKERS = 4
DRAIN_SECONDS = 3
# What sending on a kept-alive connection the other end has closed looks like. nginx closes
# a client's connection only between requests (at a reload, or its keep-alive timeout), so
# such a request was never read, and may be sent again (RFC 9112 section 9.3.1: a client
# that can tell a request was never applied).
STALE_CONNECTION = (
    http.client.RemoteDisconnected,
    BrokenPipeError,
    ConnectionResetError,
)
SIGN_IN_TARGET_MS = 500
# Share of the virtual users of each kind (the rest are practitioners).
MIX = {"reader": 0.25, "ig_lead": 0.15, "signatory": 0.10}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- what the virtual users record ---------------------------------------------------


@dataclass
class Sample:
    kind: str
    client: float  # seconds, request sent to answer read whole
    app: float | None  # the server's X-Bench-Time (None: no answer from the app)
    sql: float
    queries: int
    hash: float
    server: str
    at: float  # seconds into the run, when the answer came


@dataclass
class Record:
    # When the measured window starts (after the warm-up): samples before it are not kept;
    # errors and acknowledged writes are, whenever they come.
    started: float = field(default_factory=time.perf_counter)
    samples: list[Sample] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)  # (kind, status or exception) -> n
    when: list[tuple[float, str, str]] = field(default_factory=list)  # each error's time
    decisions: list[int] = field(default_factory=list)
    drafts: list[int] = field(default_factory=list)
    signed: list[int] = field(default_factory=list)  # agreements the hub signed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        if sample.at < 0:
            return  # the warm-up
        with self.lock:
            self.samples.append(sample)

    def error(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors[(kind, what)] += 1
            self.when.append((time.perf_counter() - self.started, kind, what))

    def acknowledged(self, which: str, ident: int) -> None:
        with self.lock:
            getattr(self, which).append(ident)


def bench_time(header: str | None) -> tuple[float | None, float, int, float, str]:
    """(app, sql, queries, hash, server) from the X-Bench-Time header, in seconds."""
    if not header:
        return None, 0.0, 0, 0.0, "?"
    fields = dict(part.split("=", 1) for part in header.split(";"))
    return (
        int(fields["app"]) / 1e6,
        int(fields["sql"]) / 1e6,
        int(fields["queries"]),
        int(fields["hash"]) / 1e6,
        fields.get("server", "?"),
    )


class Stop(Exception):
    """The run's time is up."""


class Visitor:
    """One virtual user: its own source address, connection and cookies."""

    def __init__(
        self,
        n: int,
        record: Record,
        world: dict,
        deadline: float,
        account: tuple[str, int] = ("", HUB),
    ):
        self.address = f"127.1.{n // 250}.{n % 250 + 1}"
        self.email, self.agency = account  # a person's own account (signing out ends all
        # of its sessions: virtual users sharing one would sign each other out)
        self.record = record
        self.world = world
        self.deadline = deadline
        self.rnd = random.Random(n)
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None
        self.answered = 0  # requests answered on self.conn

    # plumbing

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(
                "127.0.0.1", FRONT, timeout=120, source_address=(self.address, 0)
            )
        return self.conn

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...] = (200,),
        form: list[tuple[str, str]] | None = None,
        json_body: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes] | None:
        """Send one request and record it; None when it failed (recorded as an error)."""
        if time.perf_counter() >= self.deadline:
            raise Stop
        sent = dict(headers or {})
        body: bytes | None = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        for attempt in (1, 2):
            reused = self.conn is not None and self.answered > 0
            try:
                conn = self._connection()
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException) as exc:
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 1 and reused and isinstance(exc, STALE_CONNECTION):
                    # A kept-alive connection the front closed while it was idle (nginx
                    # does at a reload): the request never reached it, and is sent again
                    # on a new connection, as browsers and HTTP libraries do.
                    continue
                self.record.error(kind, type(exc).__name__)
                return None
        self.answered = self.answered + 1 if self.conn is not None else 0
        spent = time.perf_counter() - started
        if response.will_close:
            conn.close()
            self.conn = None
            self.answered = 0
        for raw in response.headers.get_all("Set-Cookie") or []:
            self._keep(raw)
        app, sql, queries, hashed, server = bench_time(response.getheader("X-Bench-Time"))
        self.record.add(
            Sample(
                kind,
                spent,
                app,
                sql,
                queries,
                hashed,
                server,
                time.perf_counter() - self.record.started,
            )
        )
        if response.status not in expect:
            self.record.error(kind, str(response.status))
            return None
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def _keep(self, raw: str) -> None:
        cookie = SimpleCookie()
        cookie.load(raw)
        for name, morsel in cookie.items():
            gone = morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"])
            if gone or morsel.value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def think(self, low: float, high: float) -> None:
        pause = self.rnd.uniform(low, high)
        if time.perf_counter() + pause >= self.deadline:
            raise Stop
        time.sleep(pause)

    def run(self) -> None:
        try:
            self.think(0, 3)  # not every user at the same instant
            while True:
                try:
                    self.visit()
                except Stop:
                    raise
                except Exception as exc:  # an answer the step cannot read: an error too
                    self.record.error(type(self).__name__, f"{type(exc).__name__}: {exc}")
                    self.think(1, 3)
        except Stop:
            pass
        finally:
            if self.conn is not None:
                self.conn.close()

    def visit(self) -> None:
        raise NotImplementedError

    # steps people of several kinds take

    def sign_in(self) -> bool:
        self.cookies.clear()
        page = self.request("sign-in page", "GET", "/sign-in")
        if page is None:
            return False
        token = csrf(page[2])
        answer = self.request(
            "sign-in",
            "POST",
            "/sign-in",
            expect=(302,),
            form=[("csrf_token", token), ("email", self.email), ("password", PASSWORD)],
        )
        if answer is None:
            return False
        return self.request("home", "GET", "/") is not None

    def sign_out(self, token: str) -> None:
        self.request("sign-out", "POST", "/sign-out", expect=(302,), form=[("csrf_token", token)])
        self.cookies.clear()


def csrf(page: bytes) -> str:
    found = CSRF.search(page.decode("utf-8", "replace"))
    return found.group(1) if found else ""


class Practitioner(Visitor):
    """Checks whether a share is covered, and records most decisions after the check."""

    def visit(self) -> None:
        auth = {"Authorization": f"Bearer {self.rnd.choice(self.world['tokens'])}"}
        partners = self.world["partners"]
        if partners and self.rnd.random() < 0.8:
            to, purpose = self.rnd.choice(partners)
        else:
            to, purpose = self.rnd.randint(2, self.world["agencies"]), self.rnd.choice(PURPOSES)
        question = {
            "from_agency_id": HUB,
            "to_agency_id": to,
            "purpose": purpose,
            "data_categories": self.rnd.sample(CATEGORIES, 2),
        }
        answer = self.request(
            "coverage check", "POST", "/api/v1/coverage", json_body=question, headers=auth
        )
        self.think(1, 4)
        if answer is not None and self.rnd.random() < 0.6:
            check = json.loads(answer[2])
            share = check.get("outcome") in ("covered", "covered_with_warnings")
            decision = {
                **question,
                "check_id": check.get("check_id"),
                "decision": "share" if share else "not_share",
                "consent": "given" if share else "refused",
                "reasons": "Load test decision",
                "case_reference": f"LOAD-{self.rnd.randrange(10**6):06d}",
            }
            recorded = self.request(
                "record decision",
                "POST",
                "/api/v1/decisions",
                expect=(201,),
                json_body=decision,
                headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
            )
            if recorded is not None:
                self.record.acknowledged("decisions", json.loads(recorded[2])["id"])
        self.think(3, 10)


class Reader(Visitor):
    """Someone reading the public register, signed in as no one."""

    def visit(self) -> None:
        roll = self.rnd.random()
        if roll < 0.4:
            self.request("register page", "GET", "/register")
        elif roll < 0.6:
            self.request("register page", "GET", f"/register?page={self.rnd.randint(2, 200)}")
        elif roll < 0.93:
            term = f"agreement {self.rnd.randint(1, self.world['size'])}"
            self.request("register search", "GET", "/register?" + urlencode({"q": term}))
        else:
            name = self.rnd.choice(("register.csv", "register.json"))
            got = self.request(
                "register download",
                "GET",
                f"/{name}?tier=1",
                headers={"Accept-Encoding": "gzip"},
            )
            if got is not None and got[1].get("content-encoding") == "gzip":
                gzip.decompress(got[2])  # read whole, as a reader's program would
        self.think(3, 10)


class Lead(Visitor):
    """An IG lead of the hub: reads its agreements, and drafts now and then."""

    def visit(self) -> None:
        if not self.sign_in():
            self.think(5, 10)
            return
        token = ""
        for _ in range(self.rnd.randint(5, 12)):
            self.think(3, 10)
            roll = self.rnd.random()
            if roll < 0.15:
                got = self.request("home", "GET", "/")
            elif roll < 0.45:
                got = self.request("agreements list", "GET", "/agreements?" + self.filters())
            elif roll < 0.83:
                got = self.request("agreement page", "GET", f"/agreements/{self.agreement()}")
            else:
                got = self.draft()
            if got is not None:
                token = csrf(got[2]) or token
        self.think(2, 5)
        self.sign_out(token)

    def filters(self) -> str:
        return urlencode(
            self.rnd.choice(
                [
                    {},
                    {"q": f"Agreement {self.rnd.randint(1, self.world['size'])}"},
                    {"agency": self.agency},
                    {"status": "active", "page": self.rnd.randint(1, 100)},
                    {"tier": self.rnd.choice((1, 2, 3))},
                    {"purpose": self.rnd.choice(PURPOSES)},
                ]
            )
        )

    def agreement(self) -> int:
        if self.rnd.random() < 0.7 and self.world["hub_agreements"]:
            return self.rnd.choice(self.world["hub_agreements"])
        return self.rnd.randint(1, self.world["size"])

    def draft(self):
        where = f"/agreements/new?tier=2&parent_id=1&owner_agency_id={self.agency}"
        form = self.request("draft form", "GET", where)
        if form is None:
            return None
        self.think(5, 15)  # filling it in
        starts = self.world["today"] + timedelta(days=self.rnd.randint(30, 90))
        other = str(
            self.rnd.choice(
                [a for a in range(1, self.world["partnership"] + 1) if a != self.agency]
            )
        )
        saved = self.request(
            "save draft",
            "POST",
            where,
            expect=(302,),
            form=[
                ("csrf_token", csrf(form[2])),
                ("title", f"Load test draft {uuid.uuid4().hex[:8]}"),
                ("disclosers", str(self.agency)),
                ("disclosers", other),
                ("receivers", str(self.agency)),
                ("receivers", other),
                ("purposes", self.rnd.choice(PURPOSES)),
                ("data_categories", "identity_contact"),
                ("lawful_bases", "art6_1_e"),
                ("effective_from", str(starts.day)),
                ("effective_from", str(starts.month)),
                ("effective_from", str(starts.year)),
                ("review_period_months", "12"),
            ],
        )
        if saved is None:
            return None
        target = urlsplit(saved[1]["location"]).path
        page = self.request("agreement page", "GET", target)
        found = re.fullmatch(r"/agreements/(\d+)", target)
        if page is not None and found and b"saved" in page[2]:
            self.record.acknowledged("drafts", int(found.group(1)))
        elif page is not None:
            self.record.error("save draft", "no draft in the answer")
        return page


class Signatory(Visitor):
    """A signatory of the hub, signing what awaits the hub's signature."""

    def visit(self) -> None:
        if not self.sign_in():
            self.think(5, 10)
            return
        token = ""
        for _ in range(self.rnd.randint(1, 2)):
            self.think(3, 8)
            try:
                agreement = self.world["awaiting"].get_nowait()
            except queue.Empty:
                got = self.request("home", "GET", "/")  # nothing left to sign: reads
            else:
                got = self.sign(agreement)
            if got is not None:
                token = csrf(got[2]) or token
        self.think(2, 5)
        self.sign_out(token)

    def sign(self, agreement: int):
        where = f"/agreements/{agreement}/sign"
        page = self.request("sign page", "GET", where)
        if page is None:
            return None
        self.think(5, 12)  # reading what is to be signed
        signed = self.request(
            "sign",
            "POST",
            where,
            expect=(302,),
            form=[
                ("csrf_token", csrf(page[2])),
                ("declaration", "y"),
                ("password", PASSWORD),
            ],
        )
        if signed is None:
            return None
        after = self.request("agreement page", "GET", urlsplit(signed[1]["location"]).path)
        if after is not None and b"You have signed" in after[2]:
            self.record.acknowledged("signed", agreement)
        elif after is not None:
            self.record.error("sign", "not signed (the page after it)")
        return after


# --- the servers -------------------------------------------------------------------------


NGINX = """\
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client-body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_timeout 300s;
    client_max_body_size 3m;
    upstream registry {{
        server 127.0.0.1:{a};
        server 127.0.0.1:{b}{b_down};
    }}
    server {{
        listen 127.0.0.1:{front};
        location / {{
            proxy_pass http://registry;
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            proxy_read_timeout 120s;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
        }}
    }}
}}
"""


class Servers:
    """nginx and the two gunicorn servers, started and always stopped again."""

    def __init__(self, workdir: Path, url: str, redis_url: str, pool: int):
        self.dir = workdir
        self.url = url
        self.redis_url = redis_url
        self.pool = pool
        self.gunicorn: dict[str, subprocess.Popen] = {}
        self.nginx: subprocess.Popen | None = None
        self.secret = uuid.uuid4().hex
        self.totp_key = uuid.uuid4().hex

    def env(self, name: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GUNICORN_", "REGISTRY_", "RATELIMIT_", "SEAL_", "TSA_"))
        }
        env.update(
            {
                "REGISTRY_DATABASE_URL": self.url,
                "REGISTRY_INSTANCE_PATH": str(self.dir / "instance"),
                "REGISTER_COPIES": str(self.dir / f"register-copies-{name}"),
                "SECRET_KEY": self.secret,
                "REGISTRY_TOTP_KEY": self.totp_key,
                "RATELIMIT_STORAGE_URI": self.redis_url,
                "REGISTRY_TRUSTED_PROXIES": "1",
                "REGISTRY_URL": f"http://127.0.0.1:{FRONT}",
                "TWO_FACTOR_ROLES": "",
                "GUNICORN_WORKERS": str(WORKERS),
                "REGISTRY_DB_POOL_SIZE": str(self.pool),
                "BENCH_SERVER": name,
            }
        )
        return env

    def start(self, name: str) -> None:
        port = SERVERS[name]
        with open(self.dir / f"gunicorn-{name}.log", "ab") as log:
            self.gunicorn[name] = self._gunicorn(name, port, log)
        wait_until_serving(port, seconds=90)

    def _gunicorn(self, name: str, port: int, log) -> subprocess.Popen:
        return subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "-c",
                str(ROOT / "benchmarks" / "_load_gunicorn.py"),
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{port}",
                "--control-socket",
                str(self.dir / f"gunicorn-{name}.ctl"),
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=self.env(name),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self, name: str) -> float:
        """SIGTERM (gunicorn's graceful stop); answers the seconds it took to exit."""
        process = self.gunicorn.pop(name)
        started = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        return time.perf_counter() - started

    def _write_front(self, b_down: bool) -> Path:
        conf = self.dir / "nginx.conf"
        conf.write_text(
            NGINX.format(
                dir=self.dir,
                a=SERVERS["A"],
                b=SERVERS["B"],
                b_down=" down" if b_down else "",
                front=FRONT,
            ),
            encoding="utf-8",
        )
        return conf

    def send_to_b(self, sending: bool) -> None:
        """Take B out of nginx's upstream (or put it back), as a rolling restart does
        before it stops a server: nginx reloads its configuration (SIGHUP), its old worker
        finishing the requests it has. Stopping a server nginx still sends to resets the
        connections waiting in its listening socket's queue, and nginx cannot send a
        reset POST elsewhere (the server might have acted on it): a 502 each."""
        self._write_front(b_down=not sending)
        assert self.nginx is not None
        self.nginx.send_signal(signal.SIGHUP)
        time.sleep(DRAIN_SECONDS)  # the reload, and the requests B has, finish

    def start_front(self, nginx: str) -> None:
        conf = self._write_front(b_down=False)
        with open(self.dir / "nginx-stderr.log", "ab") as log:
            self.nginx = subprocess.Popen(
                [nginx, "-p", str(self.dir), "-c", str(conf), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        wait_until_serving(FRONT, seconds=30)

    def close(self) -> None:
        for name in list(self.gunicorn):
            process = self.gunicorn.pop(name)
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.nginx is not None:
            self.nginx.terminate()
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
            self.nginx = None


def logged(path: Path) -> list[str]:
    """A server's log lines that say something went wrong: nginx's errors and warnings,
    gunicorn's (a worker timed out or died) and the app's tracebacks; not the
    notifications the outbox writes to the log (MAIL_TRANSPORT=log)."""
    if not path.exists():
        return []
    wrong = re.compile(r"\[(error|warn|crit|alert|emerg)\]|\[(ERROR|WARNING|CRITICAL)\]|Traceback")
    said, fault = [], 0
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("Fatal Python error"):
            fault = 200  # faulthandler's stacks of every thread follow
        elif line.startswith("Traceback"):
            fault = 60  # the traceback's lines follow, up to the next log record
        elif fault and line.startswith("[20"):
            fault = 0
        if fault or wrong.search(line):
            said.append(line)
            fault = max(0, fault - 1)
    return said


def find_nginx() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        raise SystemExit(
            "nginx is not installed; it is the front address of the two servers. "
            "Install it with: apt-get install -y nginx (the script runs its own, with its "
            "own configuration, and never the system's)"
        )
    return found


def empty_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


# --- the registry's side ----------------------------------------------------------------


def world_of(url: str, size: int, counts: dict[str, int]) -> dict:
    """What the virtual users draw on: tokens for the practitioners, an account for each
    IG lead and signatory, the hub's partners and agreements, the agreements awaiting the
    hub's signature."""
    from registry import create_app
    from registry.clock import system_now, today
    from registry.extensions import db
    from registry.models import User
    from registry.services.users import create_user, issue_token

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "load",
            "INSTANCE_PATH": tempfile.gettempdir(),
        }
    )
    with app.app_context():
        practitioner = db.session.scalar(
            db.select(User).where(User.email == USERS["practitioner"][0])
        )
        if practitioner is None:
            raise SystemExit(f"no {USERS['practitioner'][0]} in {url}: load it with national.py")
        tokens = [
            issue_token(db.session, practitioner, now=system_now(), name=f"load test {n}")
            for n in range(counts["practitioner"])
        ]
        agencies = db.session.scalar(text("SELECT count(*) FROM agencies"))
        partnership = min(100, agencies)  # agreement 1's parties: national.py's partnership
        accounts: dict[str, list[tuple[str, int]]] = {}
        for kind, role in (("ig_lead", "ig_lead"), ("signatory", "signatory")):
            accounts[kind] = []
            for n in range(counts[kind]):
                # IG leads of the hub and of its partners (each may draft under agreement
                # 1); signatories of the hub (which the awaiting agreements wait for).
                agency = n % partnership + 1 if kind == "ig_lead" else HUB
                email = f"{kind.replace('_', '-')}-{n}@load.bench"
                if db.session.scalar(db.select(User.id).where(User.email == email)) is None:
                    create_user(
                        db.session,
                        None,
                        email=email,
                        name=f"Load {kind.replace('_', ' ')} {n}",
                        password=PASSWORD,
                        roles=[role],
                        agency_id=agency,
                        now=system_now(),
                    )
                    db.session.commit()
                accounts[kind].append((email, agency))
        partners = [
            (row[0], row[1])
            for row in db.session.execute(
                text(
                    "SELECT p.agency_id, ap.purpose_code FROM agreement_parties h "
                    "JOIN agreement_parties p ON p.version_id = h.version_id "
                    "AND p.agency_id <> h.agency_id "
                    "JOIN agreement_purposes ap ON ap.version_id = h.version_id "
                    "JOIN agreement_versions v ON v.id = h.version_id AND v.status = 'active' "
                    "WHERE h.agency_id = :hub LIMIT 20000"
                ),
                {"hub": HUB},
            )
        ]
        hub_agreements = list(
            db.session.scalars(
                text(
                    "SELECT DISTINCT v.agreement_id FROM agreement_parties p "
                    "JOIN agreement_versions v ON v.id = p.version_id "
                    "WHERE p.agency_id = :hub LIMIT 5000"
                ),
                {"hub": HUB},
            )
        )
        awaiting: queue.Queue[int] = queue.Queue()
        for agreement in db.session.scalars(
            text(
                "SELECT v.agreement_id FROM agreement_versions v "
                "JOIN agreement_parties p ON p.version_id = v.id AND p.agency_id = :hub "
                "WHERE v.status = 'awaiting_signatures' AND NOT EXISTS (SELECT 1 FROM "
                "signatures s WHERE s.version_id = v.id AND s.agency_id = :hub) "
                "ORDER BY v.agreement_id"
            ),
            {"hub": HUB},
        ):
            awaiting.put(agreement)
        world = {
            "accounts": accounts,
            "partnership": partnership,
            "tokens": tokens,
            "partners": partners,
            "hub_agreements": hub_agreements,
            "awaiting": awaiting,
            "agencies": agencies,
            "size": size,
            "today": today(),
        }
        db.session.remove()
        db.engine.dispose()
    return world


def pool_size_for(url: str) -> int:
    """Connections each pool of a worker may hold, so that both servers together stay
    within PostgreSQL's max_connections (beyond it, PostgreSQL refuses a connection and a
    request answers 503: session 14's first run at SQLAlchemy's default pools, 5 with 10
    more at need, had 44 such errors on a slow machine)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            allowed = int(conn.execute(text("SHOW max_connections")).scalar_one())
    finally:
        engine.dispose()
    return max(1, (allowed - 10) // (2 * WORKERS * 2))


def missing_writes(url: str, record: Record) -> dict[str, int]:
    """Each acknowledged write not found in the database, by kind."""
    engine = create_engine(url)
    with engine.connect() as conn:

        def absent(sql: str, ids: list[int]) -> int:
            if not ids:
                return 0
            found = set(conn.execute(text(sql), {"ids": ids, "hub": HUB}).scalars())
            return len(set(ids) - found)

        missing = {
            "decisions": absent("SELECT id FROM decisions WHERE id = ANY(:ids)", record.decisions),
            "drafts": absent("SELECT id FROM agreements WHERE id = ANY(:ids)", record.drafts),
            "signatures": absent(
                "SELECT v.agreement_id FROM signatures s JOIN agreement_versions v "
                "ON v.id = s.version_id WHERE s.agency_id = :hub AND v.agreement_id = ANY(:ids)",
                record.signed,
            ),
        }
    engine.dispose()
    return missing


def seal_jobs(url: str, since: datetime) -> str:
    """The sealed PDFs the run's signatures asked for, as the servers left them."""
    engine = create_engine(url)
    with engine.connect() as conn:
        states = dict(
            conn.execute(
                text("SELECT state, count(*) FROM seal_jobs WHERE created_at >= :t GROUP BY state"),
                {"t": since},
            ).all()
        )
        again = conn.execute(
            text("SELECT count(*) FROM seal_jobs WHERE created_at >= :t AND attempts > 1"),
            {"t": since},
        ).scalar()
    engine.dispose()
    return (
        f"sealed PDFs asked for by the run's signatures: {states.get('done', 0)} made, "
        f"{states.get('pending', 0) + states.get('running', 0)} not yet when the servers "
        f"stopped, {states.get('failed', 0)} failed; {again} taken again by another runner "
        "(its first runner's server stopped, or its worker died)"
    )


# --- the report -------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.0f}"


def report(record: Record, seconds: float, users: dict[str, int], restart: dict) -> list[str]:
    samples = record.samples
    lines = [
        f"{len(samples):,} requests in {seconds:.0f} s: {len(samples) / seconds:.1f} per second "
        f"({', '.join(f'{n} {k}' for k, n in users.items())} virtual users)",
        "",
        f"{'kind':20} {'count':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'app p50':>7} {'SQL p50':>7} {'queries':>7} {'hash p50':>8} {'errors':>6}",
    ]
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    errors_by_kind = Counter()
    for (kind, _), n in record.errors.items():
        errors_by_kind[kind] += n
    for kind in sorted(set(by_kind) | set(errors_by_kind), key=lambda k: -len(by_kind.get(k, []))):
        got = by_kind.get(kind, [])
        answered = [s for s in got if s.app is not None]
        p50, p95, p99 = percentiles([s.client for s in got], (50, 95, 99)) if got else (0, 0, 0)
        app50 = percentiles([s.app for s in answered], (50,))[0] if answered else 0
        sql50 = percentiles([s.sql for s in answered], (50,))[0] if answered else 0
        q50 = percentiles([s.queries for s in answered], (50,))[0] if answered else 0
        hash50 = percentiles([s.hash for s in answered], (50,))[0] if answered else 0
        lines.append(
            f"{kind:20} {len(got):6d} {ms(p50)} {ms(p95)} {ms(p99)} {ms(app50)} {ms(sql50)} "
            f"{q50:7.0f} {ms(hash50):>8} {errors_by_kind[kind]:6d}"
        )
    total = sum(record.errors.values())
    lines.append("")
    lines.append(f"errors: {total}" + (" (must be 0)" if total else ""))
    for (kind, what), n in sorted(record.errors.items()):
        lines.append(f"  {kind}: {what} x {n}")
    if record.when:
        lines.append(
            "  at (s into the run): "
            + ", ".join(f"{at:.1f} {kind} {what}" for at, kind, what in record.when[:20])
        )
    lines += ["", *where_the_time_went(samples), "", *sign_in(by_kind.get("sign-in", []))]
    if restart:
        lines += ["", *restart_lines(samples, restart)]
    return lines


def where_the_time_went(samples: list[Sample]) -> list[str]:
    """The requests' time added up: in the app (SQL, the password hash, the rest: Python)
    and outside it (nginx, waiting for a free gunicorn thread, loopback, the client)."""
    answered = [s for s in samples if s.app is not None]
    client = sum(s.client for s in answered) or 1e-9
    app = sum(min(s.app, s.client) for s in answered if s.app is not None)
    sql = sum(s.sql for s in answered)
    hashed = sum(s.hash for s in answered)

    def share(x: float) -> str:
        return f"{x:8.1f} s {100 * x / client:5.1f}%"

    return [
        "where the time went (all answered requests, added up; client-side time = 100%):",
        f"  in the app                                  {share(app)}",
        f"    SQL (in the database driver)              {share(sql)}",
        f"    password hashes (argon2)                  {share(hashed)}",
        f"    the rest: Python (routes, forms, HTML)    {share(app - sql - hashed)}",
        "  outside the app: nginx, waiting for a free",
        f"    gunicorn thread, loopback, the generator  {share(client - app)}",
    ]


def sign_in(samples: list[Sample]) -> list[str]:
    if not samples:
        return ["sign-in: none measured"]
    client = [s.client for s in samples]
    hashed = [s.hash for s in samples]
    rest_app = [max(0.0, (s.app or 0) - s.hash) for s in samples]
    outside = [max(0.0, s.client - (s.app or 0)) for s in samples]
    p50, p95 = percentiles(client, (50, 95))
    verdict = "met" if p95 * 1000 <= SIGN_IN_TARGET_MS else "NOT met"
    h50, h95 = percentiles(hashed, (50, 95))
    r50, r95 = percentiles(rest_app, (50, 95))
    o50, o95 = percentiles(outside, (50, 95))
    return [
        f"sign-in (POST /sign-in, {len(samples)}): p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} "
        f"ms (target p95 <= {SIGN_IN_TARGET_MS} ms: {verdict})",
        f"  the password hash            p50 {h50 * 1000:6.0f} ms  p95 {h95 * 1000:6.0f} ms",
        f"  the rest of the app          p50 {r50 * 1000:6.0f} ms  p95 {r95 * 1000:6.0f} ms",
        f"  outside the app (queue etc.) p50 {o50 * 1000:6.0f} ms  p95 {o95 * 1000:6.0f} ms",
    ]


def restart_lines(samples: list[Sample], restart: dict) -> list[str]:
    """Which server answered, and the slowest answer, in each phase of B's restart (by
    when the answer came)."""
    end = float("inf")
    drained = restart.get("drained_at", restart["sent_at"])
    marks = [
        ("before", float("-inf"), drained),
        ("B out of nginx, running", drained, restart["sent_at"]),
        ("B stopping (SIGTERM sent)", restart["sent_at"], restart["stopped_at"]),
        ("B stopped", restart["stopped_at"], restart["start_at"]),
        ("B starting", restart["start_at"], restart.get("serving_at", end)),
        ("B serving again", restart.get("serving_at", end), end),
    ]
    lines = [
        f"restart of server B: SIGTERM at {restart['sent_at']:.1f} s, stopped "
        f"{restart['stop_seconds']:.1f} s later; started at {restart['start_at']:.1f} s, "
        + (
            f"answering /healthz at {restart['serving_at']:.1f} s"
            if "serving_at" in restart
            else "NOT serving again"
        ),
        f"  {'phase':28} {'answers by A':>12} {'by B':>6} {'slowest ms':>10}",
    ]
    for label, start, stop in marks:
        got = [s for s in samples if start <= s.at < stop]
        servers = Counter(s.server for s in got)
        slowest = max((s.client for s in got), default=0)
        lines.append(f"  {label:28} {servers['A']:12d} {servers['B']:6d} {slowest * 1000:10.0f}")
    return lines


# --- the run ----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000, help="national_bench_<size>")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--users", type=int, default=100, help="virtual users in all")
    parser.add_argument(
        "--restart-at",
        type=float,
        default=None,
        help="stop server B then (default: halfway; 0: never)",
    )
    parser.add_argument("--down", type=float, default=10, help="seconds B stays stopped")
    parser.add_argument(
        "--warm-up",
        type=float,
        default=20,
        help="seconds of the same load before the measured --seconds (each worker's first "
        "pages compile their templates)",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="the PostgreSQL server national.py loaded (its database is chosen by --size)",
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/9", help="a Redis database of its own"
    )
    args = parser.parse_args()
    restart_at = args.seconds / 2 if args.restart_at is None else args.restart_at
    nginx = find_nginx()
    url = database_url("postgresql", args.size, None, args.pg_url)
    counts = {kind: max(1, round(share * args.users)) for kind, share in MIX.items()}
    counts = {"practitioner": max(1, args.users - sum(counts.values())), **counts}
    print(f"load: {url}, {counts}, {args.seconds:.0f} s", file=sys.stderr, flush=True)
    world = world_of(url, args.size, counts)
    print(
        f"  {len(world['awaiting'].queue)} agreements await the hub's signature; "
        f"{len(world['partners'])} (partner, purpose) pairs",
        file=sys.stderr,
        flush=True,
    )
    empty_redis(args.redis_url)
    workdir = Path(tempfile.mkdtemp(prefix="registry-load-"))
    os.chmod(workdir, 0o755)
    pool = pool_size_for(url)
    print(
        f"  each worker's two database pools hold {pool} connections each "
        f"(REGISTRY_DB_POOL_SIZE: 2 servers x {WORKERS} workers x 2 x {pool} within the "
        "server's max_connections, less 10 for the rest)",
        file=sys.stderr,
        flush=True,
    )
    servers = Servers(workdir, url, args.redis_url, pool)

    def stop_on_sigterm(*_):
        raise KeyboardInterrupt

    # Ctrl-C or SIGTERM: the servers are stopped on the way out (even when this process
    # was started with SIGINT ignored, as a shell's background job is).
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    restart: dict = {}
    record = Record()
    began = datetime.now(UTC)
    interrupted = False
    try:
        servers.start("A")
        servers.start("B")
        servers.start_front(nginx)
        print(f"  serving on 127.0.0.1:{FRONT} (A :5602, B :5603); go", file=sys.stderr, flush=True)
        record = Record(started=time.perf_counter() + args.warm_up)
        deadline = record.started + args.seconds
        kinds = {
            "practitioner": Practitioner,
            "reader": Reader,
            "ig_lead": Lead,
            "signatory": Signatory,
        }
        threads = []
        n = 0
        for kind, count in counts.items():
            for i in range(count):
                account = world["accounts"][kind][i] if kind in world["accounts"] else ("", HUB)
                visitor = kinds[kind](n, record, world, deadline, account)
                threads.append(threading.Thread(target=visitor.run, daemon=True))
                n += 1
        for thread in threads:
            thread.start()
        if 0 < restart_at < args.seconds:
            time.sleep(max(0.0, record.started + restart_at - time.perf_counter()))
            restart["drained_at"] = time.perf_counter() - record.started
            servers.send_to_b(False)
            restart["sent_at"] = time.perf_counter() - record.started
            restart["stop_seconds"] = servers.stop("B")
            restart["stopped_at"] = time.perf_counter() - record.started
            print(f"  B stopped at {restart['stopped_at']:.1f} s", file=sys.stderr, flush=True)
            time.sleep(args.down)
            restart["start_at"] = time.perf_counter() - record.started
            servers.start("B")
            restart["serving_at"] = time.perf_counter() - record.started
            servers.send_to_b(True)
            print(f"  B serving at {restart['serving_at']:.1f} s", file=sys.stderr, flush=True)
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.perf_counter() + 130))
        elapsed = time.perf_counter() - record.started
    except KeyboardInterrupt:
        interrupted = True
    except BaseException:
        for log in sorted(workdir.glob("*.log")):
            print(f"--- {log.name}, its end:", file=sys.stderr)
            print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        servers.close()
        for log in ("nginx-error.log", "gunicorn-A.log", "gunicorn-B.log"):
            said = logged(workdir / log)
            if said:
                print(f"{log}, what it said beyond the ordinary:", file=sys.stderr)
                print("\n".join(said[-300:]), file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    if interrupted:
        print("interrupted: the servers are stopped; nothing reported", file=sys.stderr)
        return 130
    print(
        f"load test: {url}; two gunicorn servers of {WORKERS} workers behind nginx; "
        f"{os.cpu_count()} cores"
    )
    for line in report(record, elapsed, counts, restart):
        print(line)
    missing = missing_writes(url, record)
    acknowledged = len(record.decisions) + len(record.drafts) + len(record.signed)
    print(
        f"acknowledged writes: {acknowledged} ({len(record.decisions)} decisions, "
        f"{len(record.drafts)} drafts, {len(record.signed)} signatures), "
        f"missing: {sum(missing.values())}" + (f" {missing}" if sum(missing.values()) else "")
    )
    print(seal_jobs(url, began))
    failed = bool(record.errors) or sum(missing.values()) > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
