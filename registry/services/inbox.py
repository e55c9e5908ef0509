"""Each user's own notifications in the registry: listed newest first, read, and (officer
changes) acknowledged. Read from the same rows the outbox delivers (services/outbox.py);
every function takes the user's id and touches that user's rows only, so no one ever
sees or marks another's: another user's notification is simply not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..database import writes
from ..domain.errors import NotFound
from ..models import Notification
from .paging import Page, paginate

# How many unread notifications the home page shows.
LATEST = 5


def _own(user_id: int):
    return select(Notification).where(Notification.user_id == user_id)


def list_for(
    session: Session, user_id: int, *, unread: bool = False, page: int = 1, per_page: int = 20
) -> Page:
    """The user's notifications, newest first (only the unread ones with `unread`)."""
    query = _own(user_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    return paginate(session, query, page=page, per_page=per_page)


def unread_count(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


@dataclass(frozen=True)
class Unread:
    """What the home page shows: how many are unread, and the latest few."""

    count: int
    latest: list[Notification]


def unread(session: Session, user_id: int, *, limit: int = LATEST) -> Unread:
    found = list_for(session, user_id, unread=True, per_page=limit)
    return Unread(found.total, found.items)


def awaiting_acknowledgement(session: Session, user_id: int) -> list[Notification]:
    """Notifications the user must acknowledge (officer changes at partner agencies) and
    has not yet: they stay on that user's home page until then."""
    return list(
        session.scalars(
            _own(user_id)
            .where(
                Notification.needs_acknowledgement.is_(True),
                Notification.acknowledged_at.is_(None),
            )
            .order_by(Notification.created_at.desc(), Notification.id.desc())
        )
    )


def get_own(session: Session, user_id: int, notification_id: int) -> Notification:
    row = session.scalar(_own(user_id).where(Notification.id == notification_id))
    if row is None:
        raise NotFound("No such notification")
    return row


@writes
def open_notification(
    session: Session, user_id: int, notification_id: int, *, now: datetime
) -> Notification:
    """The user's notification, marked read (the first time it is opened)."""
    row = get_own(session, user_id, notification_id)
    if row.read_at is None:
        row.read_at = now
        session.commit()
    return row


@writes
def mark_all_read(session: Session, user_id: int, *, now: datetime) -> int:
    """Mark every unread notification of the user's read; answers how many."""
    done = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(done.rowcount)  # type: ignore[attr-defined]


@writes
def acknowledge(
    session: Session, user_id: int, notification_id: int, *, now: datetime
) -> Notification:
    """The user has taken note of it: it leaves their home page (theirs only: each
    user's notification is their own row). Acknowledging also marks it read."""
    row = get_own(session, user_id, notification_id)
    if row.acknowledged_at is None:
        row.acknowledged_at = now
    if row.read_at is None:
        row.read_at = now
    session.commit()
    return row
