"""Engine set-up per dialect, and the write transaction every service opens."""

from __future__ import annotations

from functools import wraps

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

WRITE = {"registry_write": True}


def configure_engine(engine: Engine) -> None:
    """SQLite: foreign keys on, WAL, wait for locks, and BEGIN IMMEDIATE for writers."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event, not pysqlite, decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get("registry_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def begin_write(session: Session) -> None:
    """Open the session's transaction as a writer: SQLite takes the write lock up front,
    so two writers never deadlock upgrading read locks."""
    real = session() if isinstance(session, scoped_session) else session
    if real.in_transaction():
        connection = real.connection()
        if connection.dialect.name != "sqlite" or \
                connection.get_execution_options().get("registry_write"):
            return  # PostgreSQL needs nothing more; or already the writer (nested service)
        # A read snapshot taken earlier in the request cannot safely become a writer in
        # SQLite (it fails at once if another writer committed meanwhile): end it first.
        real.commit()
    real.connection(execution_options=WRITE)


def writes(service):
    """Run a service as one write transaction: opened as a writer, rolled back on any error
    (the service itself commits on success)."""

    @wraps(service)
    def wrapper(session, *args, **kwargs):
        begin_write(session)
        try:
            return service(session, *args, **kwargs)
        except BaseException:
            session.rollback()
            raise

    return wrapper
