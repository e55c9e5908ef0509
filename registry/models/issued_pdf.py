"""Sealed agreement PDFs as issued: rendered once, stored with their SHA-256, served as stored."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from .types import UTCDateTime


class IssuedPdf(db.Model):
    __tablename__ = "issued_pdfs"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    version_number: Mapped[int]
    review_date: Mapped[date]
    sha256: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    __table_args__ = (
        Index("ix_issued_pdfs_agreement_version", "agreement_id", "version_number"),
        # A PDF sent to /verify or verify-pdf is looked up by its hash.
        Index("ix_issued_pdfs_sha256", "sha256"),
    )
