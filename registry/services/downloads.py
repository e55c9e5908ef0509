"""Agreement PDFs as downloads: the file with what validates it (ETag, Last-Modified), so
that a client holding the same copy is answered 304 without the file being read."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ..models import Agreement
from .agreement_reads import get_version
from .pdfs import latest_for, render_version


@dataclass(frozen=True)
class PdfFile:
    sha256: str
    issued_at: datetime | None  # None: never issued (a draft, say), rendered for this request
    read: Callable[[], bytes]


def pdf_file(
    session: Session, agreement: Agreement, number: int, *, static_folder: str | None = None
) -> PdfFile:
    """pdfs.pdf_for's PDF with its validators: a sealed copy's stored SHA-256 and time of
    issue (its bytes loaded only when read), or the hash of one rendered now. An unknown
    version is NotFound."""
    version = get_version(agreement, number)
    stored = latest_for(session, agreement.id, version.number)
    if stored:
        return PdfFile(stored.sha256, stored.issued_at, lambda: stored.pdf)
    body = render_version(session, agreement, number, static_folder=static_folder)
    return PdfFile(hashlib.sha256(body).hexdigest(), None, lambda: body)
