"""Seal key rotation (issue 17, point 5): a new seal certificate is configured (SEAL_CERT,
SEAL_KEY) and the one before it listed in SEAL_EARLIER_CERTS. New agreements are sealed
with the new key; copies sealed before still verify, by page and command, and can still
have their timestamps renewed."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.reader import PdfFileReader

from registry.clock import now
from registry.models import IssuedPdf
from registry.pdf import keys, seal
from registry.services import pdfs

from ..factories import FIXED_NOW, activate, make_agency, make_draft, party
from ..services.test_cli import run
from .test_renew import _copy_sealed_under, _short_lived_tsa
from .test_seal import check_page


def _sealed_by(pdf: bytes) -> bytes:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    [found] = [s for s in reader.embedded_signatures if s.field_name == seal.FIELD]
    return found.signer_cert.dump()


def _cert(path) -> bytes:
    return seal.load_cert_from_pemder(str(path)).dump()


def test_after_rotation_new_pdfs_use_the_new_key_and_old_ones_still_verify(
    app, session, client, tmp_path
):
    # Sealed under a timestamp authority whose certificate expires sooner than the one
    # answering now, so that renewing it later extends its proof.
    reference, old_copy = _copy_sealed_under(app, session, _short_lived_tsa(app, tmp_path))
    before = seal.keys_from_config(app.config)
    assert _sealed_by(old_copy.pdf) == _cert(before.cert)

    # The partnership's CA issues the new seal certificate; the old one is listed.
    authority = keys.development_authority(before.ca.parent)
    after = keys.issue_seal_keys(tmp_path / "2031", authority, "Northshire")
    app.config.update(
        SEAL_CERT=str(after.cert),
        SEAL_KEY=str(after.key),
        SEAL_CA=str(after.ca),
        SEAL_EARLIER_CERTS=[str(before.cert)],
    )

    school, health = make_agency(session, name="School"), make_agency(session, name="Health")
    protocol = activate(
        session, make_draft(session, tier=1, owner=school, parties=[party(school), party(health)])
    )
    new_copy = session.query(IssuedPdf).filter_by(agreement_id=protocol.id).one_or_none()
    if new_copy is None:  # sealed in the background by a job: sealed here instead
        new_copy = pdfs.issue_sealed(session, protocol, protocol.latest, now=FIXED_NOW)
        session.commit()
    assert new_copy is not None
    assert _sealed_by(new_copy.pdf) == _cert(after.cert) != _cert(before.cert)

    for copy, name in ((old_copy, reference), (new_copy, protocol.reference)):
        _, page = check_page(client, copy.pdf)
        assert "Genuine and in force" in page and f"{name} version 1" in page
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(copy.pdf)
        command = run(app, "verify-pdf", str(path))
        assert command.exit_code == 0 and "(PAdES B-LTA)" in command.output

    # The copy sealed under the earlier certificate still has its timestamps renewed (it
    # alone is due in the window asked for), and the renewed copy checks.
    expires = seal.last_timestamp_expires(old_copy.pdf)
    assert expires is not None
    with app.app_context():
        window = (expires - now()).days + 1
    renewed = run(app, "renew-timestamps", "--within-days", str(window))
    assert renewed.exit_code == 0 and "Renewed 1 of 1" in renewed.output, renewed.output
    latest = pdfs.latest_for(session, old_copy.agreement_id, 1)
    assert latest is not None and latest.id != old_copy.id
    _, page = check_page(client, latest.pdf)
    assert "Genuine and in force" in page

    # Without the earlier certificate listed, the old copy is not the registry's.
    app.config["SEAL_EARLIER_CERTS"] = []
    _, page = check_page(client, old_copy.pdf)
    assert "not made by this registry" in page and "Genuine" not in page
