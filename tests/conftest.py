"""Test fixtures. The schema is built from migrations/ (never create_all), once per engine
per run; each test then starts from empty tables and the seeded vocabularies.

Database tests run on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import create_engine, text

from registry import create_app
from registry.extensions import db
from registry.services import users as user_service

from .client import RegistryClient

# Hypothesis profiles: "dev" (the default) is quick enough to run before every commit;
# "ci" (HYPOTHESIS_PROFILE=ci, set by .ci/run) tries ten times as many examples.
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=1000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

FIXED_NOW = datetime(2026, 6, 15, 11, 0, tzinfo=UTC)
ENGINES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
VOCABULARY_TABLES = ("purposes", "data_categories", "lawful_bases", "transfer_methods")

# Argon2id still, with a small cost so that tests creating many users stay quick.
user_service._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
user_service._DUMMY_HASH = user_service._hasher.hash("dummy")


def _config(url: str, instance: Path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key",
        "TESTING": True,
        "SERVER_NAME": "localhost",
        # Sealing a PDF at every activation would slow every test; tests/pdf turn it on.
        "SEAL_ON_ACTIVATION": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    }


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def sqlite_template(instance_dir) -> Path:
    """An SQLite file upgraded from migrations/, copied afresh for every test."""
    path = instance_dir / "template.db"
    app = create_app(_config(f"sqlite:///{path}", instance_dir))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


def _reset_postgres_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(instance_dir) -> str:
    url = os.environ["TEST_DATABASE_URL"]
    _reset_postgres_schema(url)
    app = create_app(_config(url, instance_dir))
    with app.app_context():
        upgrade()
        vocab = {
            t: [dict(r._mapping) for r in db.session.execute(text(f"SELECT * FROM {t}"))]
            for t in VOCABULARY_TABLES
        }
        db.session.remove()
        db.engine.dispose()
    _POSTGRES_VOCAB.update(vocab)
    return url


_POSTGRES_VOCAB: dict[str, list[dict]] = {}


def _empty_postgres(app) -> None:
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        # The append-only triggers refuse TRUNCATE; replica mode skips them for this
        # clean-up only (the tests run as the superuser that may do so).
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        for table, rows in _POSTGRES_VOCAB.items():
            for row in rows:
                columns = ", ".join(row)
                values = ", ".join(f":{c}" for c in row)
                db.session.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)
        db.session.commit()


@pytest.fixture(params=ENGINES)
def app(request, tmp_path, instance_dir):
    if request.param == "sqlite":
        path = tmp_path / "registry.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
    application = create_app(_config(url, instance_dir))
    application.extensions["clock"] = lambda: FIXED_NOW
    # What verify-audit remembers of the checkpoints belongs to this test's database.
    application.config["CHAIN_CHECKPOINT_NOTE"] = str(tmp_path / "chain-checkpoints.json")
    # And so do the copies of the register's files (the instance directory is shared).
    application.config["REGISTER_COPIES"] = str(tmp_path / "register-copies")
    if request.param == "postgresql":
        _empty_postgres(application)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app) -> RegistryClient:
    app.test_client_class = RegistryClient
    return app.test_client()


@pytest.fixture
def now() -> datetime:
    return FIXED_NOW


@pytest.fixture
def today():
    return FIXED_NOW.date()
