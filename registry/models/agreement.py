"""Agreements: one identity (reference, tier, parent, owner) and its kept versions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.lifecycle import ended_by_notices
from ..domain.vocab import (
    ControllerRelationship,
    DpiaOutcome,
    Frequency,
    ReviewOutcome,
    VersionStatus,
)
from ..extensions import db
from .agency import Agency
from .types import UTCDateTime, enum_column, utcnow

_OPEN = "status IN ('draft', 'awaiting_signatures')"
_CURRENT = "status IN ('active', 'suspended')"


class Agreement(db.Model):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    tier: Mapped[int]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    # Set when withdrawals leave fewer than two parties from a future date.
    terminates_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lock_version: Mapped[int] = mapped_column(default=1)
    # What this agreement grants beyond its parent as the parent now stands, or None.
    # A parent may be narrowed below its children at once (SPEC section 2); this flags
    # them to their owners. Display only: the coverage check judges the chain itself.
    # Written with a plain UPDATE, so it never counts as an edit (lock_version).
    exceeds_parent: Mapped[str | None] = mapped_column(Text)

    parent: Mapped[Agreement | None] = relationship(remote_side=[id])
    owner: Mapped[Agency] = relationship()
    versions: Mapped[list[AgreementVersion]] = relationship(
        back_populates="agreement", order_by="AgreementVersion.number"
    )
    withdrawals: Mapped[list[Withdrawal]] = relationship(order_by="Withdrawal.id")
    reviews: Mapped[list[Review]] = relationship(order_by="Review.id")

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (
        CheckConstraint("tier IN (1, 2, 3)", name="tier_known"),
        CheckConstraint(
            "(tier = 1 AND parent_id IS NULL) OR (tier > 1 AND parent_id IS NOT NULL)",
            name="parent_by_tier",
        ),
        CheckConstraint("reference LIKE 'ISA-____-%'", name="reference_format"),
        # The public register's order: its downloads read it in batches from a key.
        Index("ix_agreements_tier_reference", "tier", "reference"),
        # The few agreements beyond their parent (a filter, the administrator's figure),
        # found without reading the others.
        Index(
            "ix_agreements_exceeding_parent",
            "reference",
            sqlite_where=text("exceeds_parent IS NOT NULL"),
            postgresql_where=text("exceeds_parent IS NOT NULL"),
        ),
    )

    @property
    def latest(self) -> AgreementVersion:
        return self.versions[-1]

    @property
    def current(self) -> AgreementVersion | None:
        """The version that is (or was last) in force: active or suspended."""
        for v in reversed(self.versions):
            if v.status in (VersionStatus.ACTIVE, VersionStatus.SUSPENDED):
                return v
        return None

    def withdrawn_by(self, on: date) -> set[int]:
        """The agencies whose withdrawal has taken effect by `on`: one that has given
        notice for a later date is still a party until then (SPEC section 4)."""
        return {w.agency_id for w in self.withdrawals if w.effective_on <= on}

    def ended_by_notices(self, on: date) -> bool:
        return ended_by_notices(self.terminates_on, on)

    @property
    def open_version(self) -> AgreementVersion | None:
        v = self.latest
        if v.status in (VersionStatus.DRAFT, VersionStatus.AWAITING_SIGNATURES):
            return v
        return None


class AgreementVersion(db.Model):
    __tablename__ = "agreement_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    number: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(enum_column(VersionStatus, "version_status"))
    title: Mapped[str] = mapped_column(String(200))
    data_subjects: Mapped[str] = mapped_column(Text, default="")
    retention: Mapped[str] = mapped_column(Text, default="")
    security: Mapped[str] = mapped_column(Text, default="")
    effective_from: Mapped[date]
    review_date: Mapped[date] = mapped_column(index=True)
    review_period_months: Mapped[int] = mapped_column(default=12)
    end_date: Mapped[date | None]
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Tier 3 only (SPEC section 2): how often, how (transfer_method_rows) and which named
    # items of information are shared. The items are short phrases in the order given.
    frequency: Mapped[Frequency | None] = mapped_column(enum_column(Frequency, "frequency"))
    frequency_detail: Mapped[str] = mapped_column(String(200), default="", server_default="")
    data_items: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Any tier: the DPIA the agreement rests on, and whether the parties are separate or
    # joint controllers. Empty / null: not recorded.
    dpia_reference: Mapped[str] = mapped_column(String(100), default="", server_default="")
    dpia_completed_on: Mapped[date | None]
    dpia_outcome: Mapped[DpiaOutcome | None] = mapped_column(
        enum_column(DpiaOutcome, "dpia_outcome")
    )
    dpia_link: Mapped[str] = mapped_column(String(500), default="", server_default="")
    controller_relationship: Mapped[ControllerRelationship | None] = mapped_column(
        enum_column(ControllerRelationship, "controller_relationship")
    )

    agreement: Mapped[Agreement] = relationship(back_populates="versions")
    parties: Mapped[list[Party]] = relationship(
        cascade="all, delete-orphan", order_by="Party.agency_id"
    )
    purpose_rows: Mapped[list[VersionPurpose]] = relationship(cascade="all, delete-orphan")
    category_rows: Mapped[list[VersionCategory]] = relationship(cascade="all, delete-orphan")
    basis_rows: Mapped[list[VersionBasis]] = relationship(cascade="all, delete-orphan")
    transfer_method_rows: Mapped[list[VersionTransferMethod]] = relationship(
        cascade="all, delete-orphan"
    )
    signatures: Mapped[list[Signature]] = relationship(order_by="Signature.signed_at")
    declines: Mapped[list[Decline]] = relationship(order_by="Decline.declined_at")

    __table_args__ = (
        UniqueConstraint("agreement_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("review_date > effective_from", name="review_after_effective"),
        CheckConstraint(
            "end_date IS NULL OR end_date > effective_from", name="end_after_effective"
        ),
        CheckConstraint("review_period_months BETWEEN 1 AND 60", name="review_period_range"),
        CheckConstraint(
            "status = 'draft' OR content_sha256 IS NOT NULL", name="frozen_content_hashed"
        ),
        # At most one version in force (or suspended), and at most one open, per agreement.
        Index(
            "uq_agreement_versions_one_current",
            "agreement_id",
            unique=True,
            sqlite_where=text(_CURRENT),
            postgresql_where=text(_CURRENT),
        ),
        Index(
            "uq_agreement_versions_one_open",
            "agreement_id",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
        # Versions by status (drafts, those awaiting signatures and since when): the few
        # of a status found without reading a national registry's million.
        Index("ix_agreement_versions_status_submitted", "status", "submitted_at"),
        # Versions with an end date (few): the expired found without reading every version.
        Index(
            "ix_agreement_versions_ending",
            "end_date",
            sqlite_where=text("end_date IS NOT NULL"),
            postgresql_where=text("end_date IS NOT NULL"),
        ),
    )

    @property
    def purposes(self) -> list[str]:
        return sorted(r.purpose_code for r in self.purpose_rows)

    @property
    def data_categories(self) -> list[str]:
        return sorted(r.category_code for r in self.category_rows)

    @property
    def lawful_bases(self) -> list[str]:
        return sorted(r.basis_code for r in self.basis_rows)

    @property
    def transfer_methods(self) -> list[str]:
        return sorted(r.method_code for r in self.transfer_method_rows)

    @property
    def dpia_recorded(self) -> bool:
        return bool(self.dpia_reference)

    def signature_for(self, agency_id: int) -> Signature | None:
        """The party's signature of this version's content as it now stands."""
        return next(
            (
                s
                for s in self.signatures
                if s.agency_id == agency_id and s.content_sha256 == self.content_sha256
            ),
            None,
        )

    def all_signed(self) -> bool:
        return all(self.signature_for(p.agency_id) for p in self.parties)


class Party(db.Model):
    __tablename__ = "agreement_parties"

    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    may_disclose: Mapped[bool]
    may_receive: Mapped[bool]
    role: Mapped[str] = mapped_column(String(200), default="")

    agency: Mapped[Agency] = relationship()

    __table_args__ = (
        CheckConstraint("may_disclose OR may_receive", name="discloses_or_receives"),
        # Coverage looks agreements up by agency: this index keeps it from scanning.
        Index("ix_agreement_parties_agency_version", "agency_id", "version_id"),
    )


class VersionPurpose(db.Model):
    __tablename__ = "agreement_purposes"

    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id"), primary_key=True)
    purpose_code: Mapped[str] = mapped_column(ForeignKey("purposes.code"), primary_key=True)


class VersionCategory(db.Model):
    __tablename__ = "agreement_data_categories"

    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id"), primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("data_categories.code"), primary_key=True)


class VersionBasis(db.Model):
    __tablename__ = "agreement_lawful_bases"

    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id"), primary_key=True)
    basis_code: Mapped[str] = mapped_column(ForeignKey("lawful_bases.code"), primary_key=True)


class VersionTransferMethod(db.Model):
    __tablename__ = "agreement_transfer_methods"

    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id"), primary_key=True)
    method_code: Mapped[str] = mapped_column(ForeignKey("transfer_methods.code"), primary_key=True)


class Signature(db.Model):
    """One party's signature of one version's content; it names who signed, as they were."""

    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signatory_name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str] = mapped_column(String(200))
    agency_name: Mapped[str] = mapped_column(String(200))
    content_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The fresh proof of identity given on the confirmation: "two_factor" (a current code)
    # or "password" (when the user has no two-factor sign-in). None for signatures made
    # before the registry asked for one.
    proof: Mapped[str | None] = mapped_column(String(16))
    # Set when a delegate signed: the signatory on whose behalf, as they were then.
    on_behalf_of_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_name: Mapped[str | None] = mapped_column(String(200))
    on_behalf_of_job_title: Mapped[str | None] = mapped_column(String(200))
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegations.id"))

    __table_args__ = (
        # A party signs given content once; a declined and resubmitted version with changed
        # content needs that party's signature again.
        UniqueConstraint("version_id", "agency_id", "content_sha256"),
        # Only a party of the version can sign it.
        ForeignKeyConstraint(
            ["version_id", "agency_id"],
            ["agreement_parties.version_id", "agreement_parties.agency_id"],
            name="fk_signatures_party",
        ),
    )


class Decline(db.Model):
    __tablename__ = "declines"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signatory_name: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text)
    declined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    proof: Mapped[str | None] = mapped_column(String(16))  # as Signature.proof
    on_behalf_of_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_name: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (CheckConstraint("length(comment) > 0", name="comment_given"),)


class Withdrawal(db.Model):
    """A party's notice that from `effective_on` it is no longer covered by the agreement."""

    __tablename__ = "withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    effective_on: Mapped[date]
    given_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Why the agency withdraws: shown to the partners and in the PDF. Empty for notices
    # given before a reason was asked for. A notice cancelled before it takes effect is
    # deleted (the audit trail keeps it and its cancellation).
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    __table_args__ = (UniqueConstraint("agreement_id", "agency_id"),)


class Review(db.Model):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    version_number: Mapped[int]
    outcome: Mapped[ReviewOutcome] = mapped_column(enum_column(ReviewOutcome, "review_outcome"))
    notes: Mapped[str] = mapped_column(Text)
    reviewed_on: Mapped[date]
    previous_review_date: Mapped[date]
    new_review_date: Mapped[date | None]
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewer_name: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
