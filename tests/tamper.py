"""Changing rows behind the application's back, as someone with database access could."""

from sqlalchemy import text

from registry.extensions import db


def tamper(session, table: str, sql: str) -> None:
    """Run `sql` past the append-only triggers on `table`."""
    if db.engine.dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
    session.execute(text(sql))
    session.commit()
