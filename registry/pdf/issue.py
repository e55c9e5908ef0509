"""Issuing an agreement's sealed PDF: rendered once, sealed, stored with its SHA-256."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Agreement, AgreementVersion, IssuedPdf
from ..services.agreement_reads import get_version
from . import context, seal
from .render import render_pdf


def issue_sealed(
    session: Session, agreement: Agreement, version: AgreementVersion, *, now: datetime
) -> IssuedPdf | None:
    """Render, seal and store the version's PDF (in the caller's transaction). Answers None
    when SEAL_ON_ACTIVATION is off (a setting for test suites that do not look at PDFs)."""
    config = current_app.config
    if not config.get("SEAL_ON_ACTIVATION", True):
        return None
    session.flush()
    body = render_pdf(context.build(session, agreement, version.number))
    sealed = seal.seal(
        body,
        seal.keys_from_config(config),
        reference=agreement.reference,
        version=version.number,
        location=config["PARTNERSHIP_NAME"],
    )
    row = IssuedPdf(
        agreement_id=agreement.id,
        version_number=version.number,
        review_date=version.review_date,
        sha256=hashlib.sha256(sealed).hexdigest(),
        issued_at=now,
        pdf=sealed,
    )
    session.add(row)
    return row


def issued(session: Session, agreement_id: int) -> list[IssuedPdf]:
    """Every sealed PDF issued for the agreement, newest first (bytes not loaded)."""
    return list(
        session.scalars(
            select(IssuedPdf)
            .where(IssuedPdf.agreement_id == agreement_id)
            .order_by(IssuedPdf.id.desc())
        )
    )


def pdf_for(session: Session, agreement: Agreement, number: int) -> bytes:
    """A version's PDF: the sealed copy as last issued, or (for a version never issued,
    such as a draft) rendered now. An unknown version is NotFound."""
    version = get_version(agreement, number)
    stored = latest_for(session, agreement.id, version.number)
    return stored.pdf if stored else render_pdf(context.build(session, agreement, number))


def latest_for(session: Session, agreement_id: int, number: int) -> IssuedPdf | None:
    return session.scalar(
        select(IssuedPdf)
        .where(IssuedPdf.agreement_id == agreement_id, IssuedPdf.version_number == number)
        .order_by(IssuedPdf.id.desc())
        .limit(1)
    )
