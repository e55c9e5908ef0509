"""The audit trail: every change to agencies, officers, users and agreements, chained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(unique=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    previous_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        Index("ix_audit_entries_entity", "entity_type", "entity_id"),
        # The entries made by an agency's people (the trail filtered by agency).
        Index("ix_audit_entries_actor", "actor_user_id"),
    )


class ChainCheckpoint(db.Model):
    """A hash chain's head (its last sequence and entry hash) at a moment, signed with the
    seal key, which is kept outside the database: removing the chain's last entries, or
    rewriting one and re-hashing every later one, no longer matches a signed checkpoint
    (verify-audit). Append-only, like the chains."""

    __tablename__ = "chain_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(20))  # "audit", "decisions" or "follow_ups"
    sequence: Mapped[int]
    entry_hash: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(String(200))  # base64 ECDSA over `signed_text`

    __table_args__ = (
        CheckConstraint("chain IN ('audit', 'decisions', 'follow_ups')", name="chain_known"),
        Index("ix_chain_checkpoints_chain_sequence", "chain", "sequence"),
    )
