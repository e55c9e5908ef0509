"""Agencies and their information-governance officers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.agencies import holds_on
from ..domain.vocab import AgencyKind, OfficerRole
from ..extensions import db
from .types import UTCDateTime, enum_column, utcnow


class Agency(db.Model):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(enum_column(AgencyKind, "agency_kind"))
    ico_registration: Mapped[str] = mapped_column(String(8), unique=True)
    ods_code: Mapped[str | None] = mapped_column(String(6))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    # The secret in the agency's calendar feed address (the feed carries no other sign-in).
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    officers: Mapped[list[Officer]] = relationship(
        back_populates="agency", order_by="Officer.started_on"
    )

    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        Index("ix_agencies_kind_name", "kind", "name"),
    )

    def officers_on(self, day: date) -> list[Officer]:
        """The officers holding their role on `day` (domain/agencies.py: from `started_on`
        up to, not including, `ended_on`)."""
        return [o for o in self.officers if o.holds_on(day)]

    def current_officers(self, today: date) -> list[Officer]:
        return self.officers_on(today)


class Officer(db.Model):
    """A named officer; ended (ended_on set) rather than erased, so history stays.

    They hold the role from `started_on` up to, not including, `ended_on` (None: no end
    recorded): a leaver's `ended_on` is their successor's `started_on`. One holder at a
    time for every role but signatory (services/agencies.py checks it)."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    role: Mapped[OfficerRole] = mapped_column(enum_column(OfficerRole, "officer_role"))
    name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="officers")

    def holds_on(self, day: date) -> bool:
        return holds_on(self.started_on, self.ended_on, day)

    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ended_after_start"),
        # Who holds each post on a day, agency by agency, read from the index alone (the
        # administrator's key-post gaps: services/agencies.key_post_gaps).
        Index("ix_officers_role_agency", "role", "agency_id", "started_on", "ended_on"),
    )
