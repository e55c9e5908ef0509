"""Renewing timestamps (issue 17, point 4): `renew-timestamps` adds the validation data for
each latest issued copy's last document timestamp and a fresh document timestamp, stored
as a new issued copy; the copy handed out before still verifies by its hash."""

from __future__ import annotations

import hashlib
import io

from pyhanko.pdf_utils.reader import PdfFileReader

from registry.models import Agreement, IssuedPdf
from registry.services import pdfs

from ..services.test_cli import run
from .test_seal import check_page, issued_copy, one_byte_changed, verify

DECADE = "3650"  # the development TSA's certificate expires within ten years


def _stamps(pdf: bytes) -> int:
    return len(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_timestamp_signatures)


def test_renewal_adds_a_document_timestamp_and_both_copies_verify(app, session, client):
    reference, first = issued_copy(app, session)
    name = f"{reference} version 1"

    nothing = run(app, "renew-timestamps")  # nothing expires within a year
    assert nothing.exit_code == 0 and "Nothing to renew" in nothing.output
    dry = run(app, "renew-timestamps", "--within-days", DECADE, "--dry-run")
    assert dry.exit_code == 0 and f"Would renew: {name}" in dry.output
    assert session.query(IssuedPdf).count() == 1

    done = run(app, "renew-timestamps", "--within-days", DECADE)
    assert done.exit_code == 0, done.output
    assert f"Renewing {name}" in done.output and "Renewed 1 of 1" in done.output
    session.expire_all()
    old, new = session.query(IssuedPdf).order_by(IssuedPdf.id).all()
    assert old.sha256 == first.sha256  # the copy handed out before stays on record
    assert (new.agreement_id, new.version_number, new.review_date) == (
        old.agreement_id,
        old.version_number,
        old.review_date,
    )
    assert new.sha256 == hashlib.sha256(new.pdf).hexdigest() != old.sha256
    assert new.pdf.startswith(old.pdf)  # an incremental update: the seal is untouched
    assert _stamps(old.pdf) == 1 and _stamps(new.pdf) == 2
    renewed = verify(app, new.pdf)
    assert renewed.ok and renewed.level == "B-LTA"
    assert renewed.signed_at == verify(app, old.pdf).signed_at  # the seal's own time

    for copy in (old, new):
        _, page = check_page(client, copy.pdf)
        assert "Genuine and in force" in page and name in page
    # Downloads serve the renewed copy.
    assert pdfs.pdf_for(session, session.get(Agreement, old.agreement_id), 1) == new.pdf

    again = run(app, "renew-timestamps")
    assert again.exit_code == 0 and "Nothing to renew" in again.output
    assert session.query(IssuedPdf).count() == 2


def test_a_copy_that_cannot_be_renewed_is_named_and_the_command_fails(app, session):
    """The latest copy of a version is damaged (its document timestamp no longer matches):
    the command names it, stores nothing for it, and exits non-zero."""
    reference, first = issued_copy(app, session)
    damaged = one_byte_changed(first.pdf)
    assert not verify(app, damaged).ok
    session.add(
        IssuedPdf(
            agreement_id=first.agreement_id,
            version_number=1,
            review_date=first.review_date,
            sha256=hashlib.sha256(damaged).hexdigest(),
            issued_at=first.issued_at,
            pdf=damaged,
        )
    )
    session.commit()
    failed = run(app, "renew-timestamps", "--within-days", DECADE)
    assert failed.exit_code == 1
    assert "Renewed 0 of 1" in failed.output
    assert f"These could not be renewed:\n  {reference} version 1:" in failed.output
    assert "Traceback" not in failed.output
    assert session.query(IssuedPdf).count() == 2
