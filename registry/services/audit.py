"""Append to the audit trail; appends are serialised so the chain never forks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..domain.actor import Actor
from ..domain.chain import GENESIS, entry_hash
from ..models import AuditEntry
from . import chains, checkpoints
from .paging import Page, containing, paginate

AUDIT_LOCK_KEY = 7_301_001  # any constant shared by every writer of the audit chain


def audit_content(entry: AuditEntry) -> dict[str, Any]:
    return {
        "sequence": entry.sequence,
        "recorded_at": entry.recorded_at.isoformat(),
        "actor_user_id": entry.actor_user_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
    }


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> AuditEntry:
    """Add one audit entry in the caller's transaction (the caller commits)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    last = session.execute(
        select(AuditEntry.sequence, AuditEntry.entry_hash)
        .order_by(AuditEntry.sequence.desc())
        .limit(1)
    ).first()
    sequence, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
    entry = AuditEntry(
        sequence=sequence,
        # Hashed as the database gives it back: in UTC, whatever zone the caller's time
        # was in (a time in London's zone hashed as +01:00 read back as +00:00).
        recorded_at=now.astimezone(UTC),
        actor_user_id=actor.user_id,
        actor_name=actor.name,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        previous_hash=previous,
        entry_hash="",
    )
    entry.entry_hash = entry_hash(audit_content(entry), previous)
    session.add(entry)
    checkpoints.every(session, "audit", sequence, entry.entry_hash, now)
    return entry


# What the admin's audit page checks while its reader waits (about a second); a longer
# chain is checked by `verify-audit` (with a progress bar).
CHECK_ON_PAGE = 20_000


def verify(session: Session, progress: Callable[[int], None] | None = None) -> int | None:
    """The sequence of the first entry whose chain is broken, or None when all hold."""
    return chains.first_break_in(session, AuditEntry, audit_content, progress)


def length(session: Session) -> int:
    return chains.length(session, AuditEntry)


def history(session: Session, entity_type: str, entity_id: int) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.sequence)
        )
    )


ENTITY_TYPES = ("agency", "officer", "user", "agreement", "vocabulary")


def entries(
    session: Session, *, entity: str = "", search: str = "", page: int = 1, per_page: int = 50
) -> Page:
    """The trail, newest first: of one kind of thing, and/or whose actor or action
    contains `search` (any case)."""
    query = select(AuditEntry).order_by(AuditEntry.sequence.desc())
    if entity in ENTITY_TYPES:
        query = query.where(AuditEntry.entity_type == entity)
    if search.strip():
        query = query.where(containing(search, AuditEntry.actor_name, AuditEntry.action))
    return paginate(session, query, page=page, per_page=per_page)
