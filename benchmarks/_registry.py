"""Shared by the benchmarks: a throwaway database, and a synthetic registry loaded fast.

The registry is national in shape: agencies in regions (partnerships) of 100 unless told
otherwise, one tier-1 protocol per region with every agency of the region as a party, and
tier-2 and tier-3 agreements of about six parties each inside a region, all active and
signed. The smaller the regions, the more agreements two agencies of one region share as
the registry grows (at 100,000 agreements: about five in regions of 100, about two in
regions of 500), and a check judges each of them."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sys
from datetime import UTC, date, datetime, timedelta

import click
from flask_migrate import upgrade
from sqlalchemy import JSON, create_engine, insert, text
from sqlalchemy.exc import OperationalError

from registry import create_app
from registry.extensions import db
from registry.models import (
    Agency,
    Agreement,
    AgreementVersion,
    Officer,
    Party,
    Signature,
    VersionCategory,
    VersionPurpose,
)

REGION = 100
NOW = datetime.now(UTC)
TODAY = NOW.date()
PURPOSES = [
    "child_protection_s47",
    "child_in_need_s17",
    "early_help",
    "mash_triage",
    "marac",
    "missing_children",
    "education_attendance",
    "adult_safeguarding_s42",
]
CATEGORIES = [
    "identity_contact",
    "family_household",
    "education",
    "social_care",
    "housing",
    "financial",
]


def fresh_database(engine: str, workdir: str, pg_admin_url: str) -> str:
    """A new, empty database for this run; answers its URL."""
    if engine == "sqlite":
        path = os.path.join(workdir, "registry-bench.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return f"sqlite:///{path}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS registry_bench WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE registry_bench"))
    admin.dispose()
    return pg_admin_url.rsplit("/", 1)[0] + "/registry_bench"


def drop_databases(pg_admin_url: str) -> None:
    """Drop the PostgreSQL databases a run made (registry_bench and its copies), if the
    server answers."""
    try:
        admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            names = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE 'registry\\_bench%'")
            ).scalars()
            for name in list(names):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    except OperationalError:
        pass  # no PostgreSQL here: a SQLite-only run made none


def snapshot(engine, workdir: str, size: int, pg_admin_url: str) -> str:
    """A copy of the benchmark's database as it stands, for measuring this size beside the
    others; answers its URL. SQLite: the file (its log checkpointed into it first);
    PostgreSQL: a new database made from it as a template."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        path = os.path.join(workdir, f"registry-bench-{size}.db")
        for suffix in ("-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        shutil.copyfile(engine.url.database, path)
        return f"sqlite:///{path}"
    engine.dispose()  # a template database must have no other connections
    name = f"registry_bench_{size}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {engine.url.database}"))
    admin.dispose()
    return engine.url.set(database=name).render_as_string(hide_password=False)


def make_app(url: str, instance: str):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "benchmark"}
    )
    with app.app_context():
        upgrade()
    return app


def settle(*, checkpoint: bool = False) -> None:
    """After a bulk load: sequences past the loaded ids (PostgreSQL), and what autovacuum
    would do to freshly loaded tables, planner statistics and a visibility map (so the
    party index answers index-only); on SQLite, ANALYZE, and with `checkpoint` the log
    written into the file."""
    if db.engine.dialect.name == "postgresql":
        for table in (
            "agencies",
            "officers",
            "agreements",
            "agreement_versions",
            "signatures",
            "users",
        ):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        return
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    if checkpoint:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _batches(rows, size=5000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(table, rows, bar=None):
    """Insert `rows` (dicts with the same keys) into `table`: by COPY on PostgreSQL (about
    four times as fast as batched INSERTs), else executemany in batches."""
    if db.session.get_bind().dialect.name == "postgresql" and rows:
        _copy(table, rows, bar)
        return
    for chunk in _batches(rows):
        db.session.execute(insert(table), chunk)
        if bar is not None:
            bar.update(len(chunk))


def _copy(table, rows, bar=None):
    columns = list(rows[0])
    as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for n, row in enumerate(rows, 1):
            copy.write_row(
                [
                    json.dumps(row[c]) if c in as_json and row[c] is not None else row[c]
                    for c in columns
                ]
            )
            if bar is not None and n % 5000 == 0:
                bar.update(5000)
    if bar is not None:
        bar.update(len(rows) % 5000)


class Loader:
    """Loads agencies once, then tops the agreements up to each size asked for."""

    def __init__(
        self,
        agencies: int,
        seed: int = 7,
        region: int = REGION,
        spread: float = 0.0,
        hub: int | None = None,
        hub_agreements: int = 0,
    ):
        self.agencies = agencies
        self.region = region  # agencies per partnership: tier-2 and -3 parties come from one
        # The share of tier-2 agreements whose six parties are drawn from every agency
        # rather than from one partnership (the national shape beside the partnerships).
        self.spread = spread
        # One agency made a party to about `hub_agreements` tier-2 agreements of the first
        # top-up (a county council that signs with everyone): its pages list thousands.
        self.hub = hub
        self.hub_agreements = hub_agreements
        self.rnd = random.Random(seed)
        self.next_id = 1
        self.regional: dict[int, int] = {}  # region → protocol id
        self.tier2: dict[int, list[tuple[int, list[int]]]] = {}  # region → [(id, parties)]
        self.pairs: list[tuple[int, int]] = []  # agencies that share an agreement

    def load_agencies(self) -> None:
        rows = [
            {
                "id": i,
                "name": f"Agency {i:05d}",
                "kind": "local_authority",
                "ico_registration": f"Z{i:07d}",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(1, self.agencies + 1)
        ]
        officers = [
            {
                "agency_id": i,
                "role": role,
                "name": f"{role} {i}",
                "job_title": "Officer",
                "email": f"{role}@agency{i}.example",
                "started_on": TODAY - timedelta(365),
                "created_at": NOW,
            }
            for i in range(1, self.agencies + 1)
            for role in ("lead_information_officer", "caldicott_guardian", "dpo")
        ]
        with click.progressbar(
            length=len(rows) + len(officers), label="agencies and officers", file=sys.stderr
        ) as bar:
            _insert(Agency.__table__, rows, bar)
            _insert(Officer.__table__, officers, bar)
        db.session.commit()

    def _agreement(
        self, tier: int, parent: int | None, owner: int, parties: list[int], rows: dict[str, list]
    ) -> int:
        n = self.next_id
        self.next_id += 1
        digest = hashlib.sha256(str(n).encode()).hexdigest()
        effective = TODAY - timedelta(days=self.rnd.randint(30, 600))
        review = TODAY + timedelta(days=self.rnd.randint(-60, 400))
        if review <= effective:
            review = effective + timedelta(days=400)
        rows["agreements"].append(
            {
                "id": n,
                "reference": f"ISA-2026-{n:06d}",
                "tier": tier,
                "parent_id": parent,
                "owner_agency_id": owner,
                "created_at": NOW,
                "lock_version": 1,
            }
        )
        rows["versions"].append(
            {
                "id": n,
                "agreement_id": n,
                "number": 1,
                "status": "active",
                "title": f"Agreement {n}",
                "data_subjects": "",
                "retention": "",
                "security": "",
                "effective_from": effective,
                "review_date": review,
                "review_period_months": 12,
                "content_sha256": digest,
                "status_reason": "",
                "created_at": NOW,
            }
        )
        for agency in parties:
            rows["parties"].append(
                {
                    "version_id": n,
                    "agency_id": agency,
                    "may_disclose": True,
                    "may_receive": True,
                    "role": "",
                }
            )
            rows["signatures"].append(
                {
                    "version_id": n,
                    "agency_id": agency,
                    "user_id": 1,
                    "signatory_name": "Signer",
                    "job_title": "Director",
                    "agency_name": f"Agency {agency:05d}",
                    "content_sha256": digest,
                    "signed_at": NOW,
                }
            )
        if tier > 1:
            for code in self.rnd.sample(PURPOSES, self.rnd.randint(1, 3)):
                rows["purposes"].append({"version_id": n, "purpose_code": code})
            for code in self.rnd.sample(CATEGORIES, self.rnd.randint(2, 4)):
                rows["categories"].append({"version_id": n, "category_code": code})
        return n

    def top_up(self, total: int, analyse: bool = True, final_total: int | None = None) -> None:
        """Add tier-2 and tier-3 agreements until the registry holds `total` agreements.
        `analyse` False leaves the statistics and sequences to a later top-up (a load in
        steps); `final_total` is the size the steps lead to (for the hub's share)."""
        rows: dict[str, list] = {
            k: []
            for k in ("agreements", "versions", "parties", "signatures", "purposes", "categories")
        }
        size = self.region
        regions = max(1, self.agencies // size)
        for region in range(regions):
            if region not in self.regional:
                members = list(
                    range(region * size + 1, min((region + 1) * size, self.agencies) + 1)
                )
                self.regional[region] = self._agreement(1, None, members[0], members, rows)
                self.tier2[region] = []
        while self.next_id <= total:
            region = self.rnd.randrange(regions)
            base = region * size
            if self.tier2[region] and self.rnd.random() < 0.3:
                parent, parent_parties = self.rnd.choice(self.tier2[region])
                parties = self.rnd.sample(parent_parties, self.rnd.randint(2, 3))
                self._agreement(3, parent, parties[0], parties, rows)
            else:
                if self.spread and self.rnd.random() < self.spread:
                    parties = self.rnd.sample(range(1, self.agencies + 1), 6)
                    region = min((parties[0] - 1) // size, regions - 1)
                else:
                    parties = self.rnd.sample(range(base + 1, base + size + 1), 6)
                if (
                    self.hub
                    and self.hub not in parties
                    and self.rnd.random() < self.hub_agreements / (0.7 * (final_total or total))
                ):
                    parties[-1] = self.hub
                n = self._agreement(2, self.regional[region], parties[0], parties, rows)
                self.tier2[region].append((n, parties))
                self.pairs.append((parties[0], parties[1]))
        count = sum(len(v) for v in rows.values())
        with click.progressbar(
            length=count, label=f"agreements up to {total:,}", file=sys.stderr
        ) as bar:
            _insert(Agreement.__table__, rows["agreements"], bar)
            _insert(AgreementVersion.__table__, rows["versions"], bar)
            _insert(Party.__table__, rows["parties"], bar)
            _insert(Signature.__table__, rows["signatures"], bar)
            _insert(VersionPurpose.__table__, rows["purposes"], bar)
            _insert(VersionCategory.__table__, rows["categories"], bar)
        db.session.commit()
        if not analyse:
            return
        settle()

    def sample_questions(self, count: int) -> list[dict]:
        """Mostly pairs that share an agreement (so the check has work to do), some not."""
        questions = []
        for _ in range(count):
            if self.pairs and self.rnd.random() < 0.8:
                a, b = self.rnd.choice(self.pairs)
            else:
                a, b = self.rnd.sample(range(1, self.agencies + 1), 2)
            questions.append(
                {
                    "from_agency_id": a,
                    "to_agency_id": b,
                    "purpose": self.rnd.choice(PURPOSES),
                    "data_categories": self.rnd.sample(CATEGORIES, 2),
                }
            )
        return questions


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def percentiles(values: list[float], pcts: tuple[float, ...]) -> tuple[float, ...]:
    """Several percentiles of `values` (as percentile: the nearest rank on the sorted
    values, none made up between two), sorting once."""
    ordered = sorted(values)
    last = len(ordered) - 1
    return tuple(ordered[min(last, int(round(p / 100 * last)))] for p in pcts)


def today() -> date:
    return TODAY


def wait_until_serving(port: int, seconds: float = 30) -> None:
    """Wait for the app on `port` to answer /healthz; stop the benchmark if it never does."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the app on port {port} did not start")
