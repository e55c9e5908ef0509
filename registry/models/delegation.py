"""A signatory's delegate: another user of the same agency who may sign (and decline) for
it, on the signatory's behalf, from `starts_on` to `ends_on` inclusive. Ended early by
setting `ended_at` (kept, never erased, so a past signature still shows its authority)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime
from .user import User


class Delegation(db.Model):
    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    # A: the signatory who names the delegate.
    principal_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # B: the delegate, who signs "B on behalf of A".
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    principal: Mapped[User] = relationship(foreign_keys=[principal_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("delegate_id <> principal_id", name="not_self"),
        Index("ix_delegations_delegate", "delegate_id", "starts_on"),
        Index("ix_delegations_agency", "agency_id", "starts_on"),
    )
