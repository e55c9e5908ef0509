"""Engine set-up per dialect, and the write transaction every service opens."""

from __future__ import annotations

from functools import wraps
from threading import Lock
from typing import Any, TypeGuard
from weakref import WeakKeyDictionary

from sqlalchemy import QueuePool, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

WRITE = {"registry_write": True}

# The largest id an integer column holds on PostgreSQL (SQLite's hold more; ids never
# reach it). A larger number sent as an id names nothing: it is never put to the database,
# which would refuse it as out of range.
MAX_ID = 2**31 - 1


def is_id(value: object) -> TypeGuard[int]:
    """Whether `value` could be a row's id (a whole number the id columns hold)."""
    return type(value) is int and 1 <= value <= MAX_ID


def configure_engine(engine: Engine) -> None:
    """SQLite: foreign keys on, WAL, wait for locks, and BEGIN IMMEDIATE for writers."""
    if engine.dialect.name != "sqlite":
        return
    _sqlite_connections(engine)
    _sqlite_transactions(engine)


def _sqlite_connections(engine: Engine) -> None:

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
            # Read the file through memory mapping and keep more pages per connection:
            # a registry of 100,000 agreements is hundreds of megabytes, and SQLite's
            # default 2 MB cache made every check read pages through system calls.
            cursor.execute("PRAGMA mmap_size=1073741824")
            cursor.execute("PRAGMA cache_size=-32768")
        cursor.close()


def _sqlite_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get("registry_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


_HOT: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()
_HOT_MADE = Lock()  # under gunicorn's threads, two first requests must not make two pools


def hot_engine(engine: Engine) -> Engine:
    """A second pool on the same database for the hot path (services/hotpath.py): its
    connections are in autocommit mode, so a single read needs no BEGIN and COMMIT, and
    on PostgreSQL they are set up once for the check's fixed statements (generic plans,
    and a stored check's commit not waiting for the WAL flush: decisions use the main
    pool and commit durably). Disposed with the main engine."""
    hot = _HOT.get(engine)
    if hot is None:
        with _HOT_MADE:
            hot = _HOT.get(engine)
            if hot is None:
                hot = _HOT[engine] = _make_hot(engine)
    return hot


def _make_hot(engine: Engine) -> Engine:
    options: dict = {"isolation_level": "AUTOCOMMIT"}
    if isinstance(engine.pool, QueuePool):  # sized as the main pool (REGISTRY_DB_POOL_SIZE)
        options.update(pool_size=engine.pool.size(), max_overflow=engine.pool._max_overflow)
    if engine.dialect.name == "postgresql":
        options["connect_args"] = {
            "options": "-c plan_cache_mode=force_generic_plan -c synchronous_commit=off"
        }
    hot = create_engine(engine.url, **options)
    if hot.dialect.name == "sqlite":
        _sqlite_connections(hot)
    event.listen(engine, "engine_disposed", lambda _engine: hot.dispose())
    return hot


def begin_write(session: Session) -> None:
    """Open the session's transaction as a writer: SQLite takes the write lock up front,
    so two writers never deadlock upgrading read locks."""
    real = session() if isinstance(session, scoped_session) else session
    if real.in_transaction():
        connection = real.connection()
        if connection.dialect.name != "sqlite" or connection.get_execution_options().get(
            "registry_write"
        ):
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


class unindexed(FunctionElement):  # noqa: N801 (used as SQL, like func.lower)
    """SQL: the column itself, which SQLite is not to look rows up by (`+column`: SQLite's
    way to keep the planner off that column's index). For a list walked in the order of
    another index: SQLite, holding no statistics of a column's values, reads every row in
    a range of review dates and sorts them, where walking the agreements by reference
    stops after a page (4.4 s against 0.2 ms for the in-force agreements at a million).
    PostgreSQL, which knows the spread of its columns, is left to choose."""

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))
