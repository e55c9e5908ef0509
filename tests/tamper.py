"""Changing rows behind the application's back, as someone with database access could."""

from sqlalchemy import text

from registry.extensions import db


def tamper(session, tables: str | tuple[str, ...], *statements: str) -> None:
    """Run `statements` past the append-only triggers (update and delete) on `tables`."""
    if db.engine.dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        for table in (tables,) if isinstance(tables, str) else tables:
            for action in ("update", "delete"):
                session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))
    for sql in statements:
        session.execute(text(sql))
    session.commit()
