"""Backups taken while the registry runs, and restoring them into an empty database.

SQLite: the library's online backup, page by page, a consistent copy even while others
write. PostgreSQL: pg_dump's custom format (one consistent snapshot) and pg_restore. The
append-only triggers come back with the schema; restoring needs an empty database, so a
restore can never overwrite records by mistake."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from ..domain.errors import Conflict, ValidationFailed


@dataclass(frozen=True)
class Summary:
    path: Path
    size: int
    agreements: int
    decisions: int


def _libpq_url(engine: Engine) -> str:
    """The database URL as pg_dump reads it (no SQLAlchemy driver name)."""
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _sqlite_path(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:":
        raise ValidationFailed({"database": "An in-memory database cannot be backed up"})
    return path


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        agreements = connection.execute(text("SELECT count(*) FROM agreements")).scalar_one()
        decisions = connection.execute(text("SELECT count(*) FROM decisions")).scalar_one()
    return agreements, decisions


def backup(engine: Engine, target: Path) -> Summary:
    """Write a consistent copy of the database to `target` (which must not exist)."""
    if target.exists():
        raise Conflict(f"{target} already exists: choose a new file name", code="file_exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        if engine.dialect.name == "sqlite":
            source = sqlite3.connect(_sqlite_path(engine))
            copy = sqlite3.connect(partial)
            try:
                # One step: a single read snapshot (WAL lets writers carry on meanwhile).
                # Copying in slices would restart each time another connection wrote.
                source.backup(copy, pages=-1)
                if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise RuntimeError("the copy failed SQLite's integrity check")
            finally:
                copy.close()
                source.close()
        else:
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(partial),
                    _libpq_url(engine),
                ]
            )
            _run(["pg_restore", "--list", str(partial)])  # readable from end to end
        os.replace(partial, target)
    finally:
        if partial.exists():
            partial.unlink()
    agreements, decisions = _counts(engine)
    return Summary(target, target.stat().st_size, agreements, decisions)


def restore(engine: Engine, source: Path) -> Summary:
    """Load a backup into the configured database, which must be empty (no tables)."""
    if not source.is_file():
        raise ValidationFailed({"file": f"There is no backup file at {source}"})
    if inspect(engine).get_table_names():
        raise Conflict(
            "The database already has tables. Restore only into a new, empty "
            "database, then point REGISTRY_DATABASE_URL at it.",
            code="database_not_empty",
        )
    if engine.dialect.name == "sqlite":
        backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if backup_file.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise ValidationFailed({"file": f"{source} is not a sound SQLite backup"})
            target = sqlite3.connect(_sqlite_path(engine))
            try:
                backup_file.backup(target)
            finally:
                target.close()
        except sqlite3.DatabaseError as exc:
            raise ValidationFailed({"file": f"{source} is not an SQLite backup ({exc})"}) from exc
        finally:
            backup_file.close()
    else:
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                _libpq_url(engine),
                str(source),
            ]
        )
    engine.dispose()
    agreements, decisions = _counts(engine)
    return Summary(source, source.stat().st_size, agreements, decisions)


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise RuntimeError(
            f"{command[0]} is not installed (it comes with PostgreSQL's client tools)"
        )
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")
