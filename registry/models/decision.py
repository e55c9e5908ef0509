"""Coverage checks as asked and answered, and the append-only record of decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.coverage import Outcome
from ..domain.decisions import Consent, Decision, InformationOutcome
from ..extensions import db
from .types import UTCDateTime, enum_column

# The rows the partial indexes for the follow-ups due hold (services/follow_ups.py).
_DATED = "follow_up_on IS NOT NULL"
_NEXT_DATED = "next_follow_up_on IS NOT NULL"


class CoverageCheck(db.Model):
    """One check, stored with its whole answer so a decision can cite what was seen."""

    __tablename__ = "coverage_checks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    purpose: Mapped[str] = mapped_column(ForeignKey("purposes.code"))
    data_categories: Mapped[list[str]] = mapped_column(JSON)
    on_date: Mapped[date]
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome, "coverage_outcome"))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    agreement_version: Mapped[int | None]
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_coverage_checks_user_checked", "user_id", "checked_at"),)


class DecisionRecord(db.Model):
    """A share / no-share decision. Append-only: database triggers refuse UPDATE and DELETE,
    and each entry hashes its content and the entry before it."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    check_id: Mapped[str | None] = mapped_column(ForeignKey("coverage_checks.id"))
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    purpose: Mapped[str] = mapped_column(ForeignKey("purposes.code"))
    data_categories: Mapped[list[str]] = mapped_column(JSON)
    decision: Mapped[Decision] = mapped_column(enum_column(Decision, "decision_kind"))
    consent: Mapped[Consent] = mapped_column(enum_column(Consent, "consent_state"))
    consent_reason: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text)
    case_reference: Mapped[str | None] = mapped_column(String(40))
    key_questions: Mapped[dict[str, str] | None] = mapped_column(JSON)
    method: Mapped[str | None] = mapped_column(String(40))
    expected_action: Mapped[str | None] = mapped_column(Text)
    follow_up_on: Mapped[date | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        CheckConstraint("length(reasons) > 0", name="reasons_given"),
        CheckConstraint(
            "NOT (decision = 'share' AND consent IN ('refused', 'not_sought') "
            "AND (consent_reason IS NULL OR length(consent_reason) = 0))",
            name="consent_reason_when_sharing_without_consent",
        ),
        Index("ix_decisions_agency_sequence", "agency_id", "sequence"),
        Index("ix_decisions_user_sequence", "user_id", "sequence"),
        # The follow-ups due on a home page (services/follow_ups.due_follow_ups).
        Index(
            "ix_decisions_user_follow_up",
            "user_id",
            "follow_up_on",
            sqlite_where=text(_DATED),
            postgresql_where=text(_DATED),
        ),
        Index(
            "ix_decisions_agency_follow_up",
            "agency_id",
            "follow_up_on",
            sqlite_where=text(_DATED),
            postgresql_where=text(_DATED),
        ),
    )


class DecisionFollowUp(db.Model):
    """What happened after a decision (consent withdrawn, the share stopped, the information
    returned or deleted, the outcome). Append-only like the decisions, in a chain of its own:
    database triggers refuse UPDATE and DELETE, and each entry hashes its content and the
    entry before it."""

    __tablename__ = "decision_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(unique=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_by: Mapped[str] = mapped_column(String(200))
    consent_withdrawn: Mapped[bool]
    share_stopped: Mapped[bool]
    information: Mapped[InformationOutcome] = mapped_column(
        enum_column(InformationOutcome, "information_outcome")
    )
    outcome: Mapped[str] = mapped_column(Text)
    next_follow_up_on: Mapped[date | None]
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        CheckConstraint("length(outcome) > 0", name="outcome_given"),
        Index("ix_decision_follow_ups_decision_sequence", "decision_id", "sequence"),
        Index(
            "ix_decision_follow_ups_next",
            "next_follow_up_on",
            sqlite_where=text(_NEXT_DATED),
            postgresql_where=text(_NEXT_DATED),
        ),
    )
