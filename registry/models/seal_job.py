"""Sealed PDFs still to be made: the last signature (or a review that moves the review
date) records a job in its own transaction and answers at once; a runner takes the job
and stores the IssuedPdf (services/sealing.py). Kept in the database, so a job survives a
restart and is taken by exactly one of several app servers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, enum_column


class SealJobState(enum.StrEnum):
    PENDING = "pending"  # waiting to be taken (again, after a failure, from `run_after`)
    RUNNING = "running"  # taken by the runner holding `claim_token` until `lease_until`
    DONE = "done"  # the sealed PDF is stored (`issued_pdf_id`)
    FAILED = "failed"  # given up after its attempts; `last_error` says why


class SealReason(enum.StrEnum):
    ACTIVATION = "activation"  # the last signature brought the version into force
    REVIEW = "review"  # a review moved the review date printed on every page
    WITHDRAWAL = "withdrawal"  # a notice of withdrawal, or its cancellation, is printed on it


class SealJob(db.Model):
    __tablename__ = "seal_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    version_number: Mapped[int]
    reason: Mapped[SealReason] = mapped_column(enum_column(SealReason, "seal_reason"))
    state: Mapped[SealJobState] = mapped_column(enum_column(SealJobState, "seal_job_state"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Not taken before this moment: the job's creation, or a retry's delay after a failure.
    run_after: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    # A running job whose lease has passed was left by a runner that died: taken again.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_pdf_id: Mapped[int | None] = mapped_column(ForeignKey("issued_pdfs.id"))

    __table_args__ = (
        # The runners' question: what may be taken now.
        Index("ix_seal_jobs_state_run_after", "state", "run_after"),
        # The agreement page's: is this version's sealed copy still to come.
        Index("ix_seal_jobs_agreement_version", "agreement_id", "version_number"),
    )
