"""Notifications: what a user is told, written in the same transaction as the change it
tells of (an outbox), so none is lost when the mail server is down or a worker dies.

Each row is one message to one recipient. It is both the user's own notice in the registry
(`read_at`, `acknowledged_at`) and the outbox entry that a sender delivers
(services/outbox.py): a sender claims a pending row (`claim_token`, `lease_until`),
delivers it, and marks it sent; a failure is retried from `run_after`, and given up
after a number of attempts, with `last_error` saying why."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, enum_column


class NotificationEvent(enum.StrEnum):
    SUBMITTED = "submitted"  # to each unsigned party's signatories
    DECLINED = "declined"  # to the owner's IG leads, with the comment
    ACTIVATED = "activated"  # to every party's IG leads, with a link to the sealed PDF
    WITHDRAWAL_NOTICE = "withdrawal_notice"  # to every party's IG leads, with the reason
    WITHDRAWAL_CANCELLED = "withdrawal_cancelled"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    TERMINATED = "terminated"
    PARENT_NARROWED = "parent_narrowed"  # to a child agreement's owner's IG leads
    OFFICER_CHANGED = "officer_changed"  # to IG leads of agencies sharing an agreement
    REVIEW_REMINDER = "review_reminder"  # send-reminders
    DELEGATION = "delegation"  # to a delegate, when named and when ended early


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # to be sent (again, after a failure, from `run_after`)
    SENDING = "sending"  # claimed by the sender holding `claim_token` until `lease_until`
    SENT = "sent"  # the mail server (or Notify) accepted it at `sent_at`
    FAILED = "failed"  # given up after its attempts; `last_error` says why


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The registry user told; None for a recipient who is not a user (a lead information
    # officer named on the agency's page, told of a review when it has no IG lead).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    email: Mapped[str] = mapped_column(String(254))
    event: Mapped[NotificationEvent] = mapped_column(
        enum_column(NotificationEvent, "notification_event")
    )
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # A path within the registry (e.g. /agreements/7); mail makes it absolute with
    # REGISTRY_URL.
    link: Mapped[str | None] = mapped_column(String(500))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Officer changes stay on the user's dashboard until that user acknowledges them.
    needs_acknowledgement: Mapped[bool] = mapped_column(default=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    state: Mapped[DeliveryState] = mapped_column(enum_column(DeliveryState, "delivery_state"))
    run_after: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        # The sender's question: what may be taken now.
        Index("ix_notifications_state_run_after", "state", "run_after"),
        # A user's own list, newest first, and its unread count.
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )
