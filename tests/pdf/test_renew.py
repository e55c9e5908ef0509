"""Renewing timestamps (issue 17, point 4): `renew-timestamps` adds the validation data for
each latest issued copy's last document timestamp and a fresh document timestamp, stored
as a new issued copy; the copy handed out before still verifies by its hash."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko.pdf_utils.reader import PdfFileReader

from registry.models import Agreement, IssuedPdf
from registry.pdf import keys, seal, tsa
from registry.pdf.trust import Trust, trust_from_config
from registry.services import pdfs

from ..services.test_cli import run
from .test_seal import check_page, issued_copy, one_byte_changed, verify

DECADE = "3650"  # the development TSA's certificate expires within ten years


def _stamps(pdf: bytes) -> int:
    return len(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_timestamp_signatures)


def _short_lived_tsa(app, tmp_path) -> Trust:
    """The development trust services, but with a timestamp authority whose certificate
    (from the same development CA) expires in 400 days, sooner than the usual one's."""
    usual = trust_from_config(app.config)
    folder = seal.keys_from_config(app.config).ca.parent
    authority = keys.development_authority(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = keys._end_entity(
        authority,
        keys._name("Northshire", "short-lived TSA"),
        key,
        (ExtendedKeyUsageOID.TIME_STAMPING,),
        days=400,
        base_url="http://127.0.0.1:5000",
    )
    (tmp_path / "tsa-cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keys._write_key(tmp_path / "tsa-key.pem", key)
    url = tsa.serve(tsa.Responder.load(tmp_path / "tsa-cert.pem", tmp_path / "tsa-key.pem"))
    return replace(usual, tsa_url=url)


def _copy_sealed_under(app, session, trust: Trust) -> tuple[str, IssuedPdf]:
    """An agreement in force whose issued copy was sealed and timestamped under `trust`."""
    reference, first = issued_copy(app, session)
    agreement = session.get(Agreement, first.agreement_id)
    body = pdfs.render_version(session, agreement, 1)
    sealed = seal.seal(
        body,
        seal.keys_from_config(app.config),
        reference=reference,
        version=1,
        location="Northshire",
        trust=trust,
    )
    first.pdf, first.sha256 = sealed, hashlib.sha256(sealed).hexdigest()
    session.commit()
    return reference, first


def test_renewal_adds_a_document_timestamp_and_both_copies_verify(app, session, client, tmp_path):
    """The copy was timestamped by a TSA whose certificate expires within the window; the
    TSA now answering has a certificate good for longer, so renewing extends the proof."""
    reference, first = _copy_sealed_under(app, session, _short_lived_tsa(app, tmp_path))
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
    assert pdfs.renewal_due(session, now=datetime.now(UTC), within_days=365) == []


def test_renewing_under_a_certificate_that_expires_no_later_adds_nothing(app, session):
    """A TSA whose certificate expires no later than the one the copy's last timestamp
    rests on proves nothing for longer: the command stores no copy, names the cause, and
    fails, rather than adding a useless copy at every scheduled run."""
    reference, first = issued_copy(app, session)
    failed = run(app, "renew-timestamps", "--within-days", DECADE)
    assert failed.exit_code == 1
    assert f"{reference} version 1:" in failed.output
    assert "renewing now adds nothing" in failed.output and "TSA_URL" in failed.output
    assert session.query(IssuedPdf).count() == 1


def test_two_renewals_at_once_store_one_copy(app, session, tmp_path):
    """A scheduled run on each of two servers: the second finds the copy renewed already
    and leaves it (on SQLite the write lock, on PostgreSQL a row lock, orders them)."""
    _, first = _copy_sealed_under(app, session, _short_lived_tsa(app, tmp_path))
    now = datetime.now(UTC)
    # The second run read the same copy as due before the first stored its renewal.
    pdfs.renew_issued(session, first.id, now=now)
    with pytest.raises(pdfs.AlreadyRenewed):
        pdfs.renew_issued(session, first.id, now=now)
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
