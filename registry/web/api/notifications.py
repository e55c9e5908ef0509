"""Your own notifications: list them (newest first), mark one read, acknowledge one.
Another user's notification is not found (404), whoever asks."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ...clock import now
from ...extensions import db
from ...models import Notification
from ...services import inbox
from ..permissions import current_account, signed_in
from . import bp, contract
from .body import listing, query
from .spec import api


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def describe(row: Notification) -> dict[str, Any]:
    return {
        "id": row.id,
        "event": row.event.value,
        "subject": row.subject,
        "body": row.body,
        "link": row.link,
        "agreement_id": row.agreement_id,
        "agency_id": row.agency_id,
        "created_at": row.created_at.isoformat(),
        "read_at": _iso(row.read_at),
        "needs_acknowledgement": row.needs_acknowledgement,
        "acknowledged_at": _iso(row.acknowledged_at),
        "delivery": row.state.value,
    }


@api(
    bp,
    "/notifications",
    "GET",
    "Your own notifications, newest first (only unread ones with unread=true)",
    response=contract.NotificationList,
    query=contract.NotificationQuery,
    errors=(401, 422),
)
@signed_in()
def list_notifications():
    asked = query(contract.NotificationQuery)
    page = inbox.list_for(
        db.session,
        current_account().id,
        unread=asked.unread,
        page=asked.page,
        per_page=asked.per_page,
    )
    return jsonify(listing(page, describe))


@api(
    bp,
    "/notifications/<int:notification_id>/read",
    "POST",
    "Mark one of your notifications read",
    response=contract.Notification,
    errors=(401, 404),
)
@signed_in()
def read_notification(notification_id: int):
    row = inbox.open_notification(db.session, current_account().id, notification_id, now=now())
    return jsonify(describe(row))


@api(
    bp,
    "/notifications/<int:notification_id>/acknowledge",
    "POST",
    "Acknowledge one of your notifications (an officer change leaves your home page); "
    "it is marked read too",
    response=contract.Notification,
    errors=(401, 404),
)
@signed_in()
def acknowledge_notification(notification_id: int):
    row = inbox.acknowledge(db.session, current_account().id, notification_id, now=now())
    return jsonify(describe(row))
