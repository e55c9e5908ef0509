"""Review reminders already sent, so each goes once per agreement per stage."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class ReminderSent(db.Model):
    __tablename__ = "reminders_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    review_date: Mapped[date]
    stage: Mapped[str] = mapped_column(String(16))  # review_due, review_overdue or lapsed
    recipients: Mapped[str] = mapped_column(String(2000))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("agreement_id", "review_date", "stage"),)
