"""Seals: made under the registry's certificate, checked by page and command. Only the
registry's own seal certificates are trusted, and which agreement a file is comes from the
registry's record of what it issued, never from the file."""

import hashlib
import io
import re
import shutil
import subprocess

import pytest
from weasyprint import HTML

from registry.models import IssuedPdf
from registry.pdf import keys, seal
from registry.pdf.trust import trust_from_config
from registry.pdf.verdict import SEALED
from registry.services import pdfs

from ..factories import FIXED_NOW, activate, make_agency, make_draft, party
from ..services.test_cli import run


def sealed_pdf(app) -> bytes:
    keys_ = seal.keys_from_config(app.config)
    pdf = HTML(string="<h1>Agreement</h1><p>Text</p>").write_pdf()
    return seal.seal(
        pdf, keys_, reference="ISA-2026-0007", version=2, location="Northshire", trust=trust(app)
    )


def trust(app):
    """The timestamp authority and CRLs sealing uses: in the tests, the registry's
    development TSA over HTTP on loopback (pdf/trust.py)."""
    return trust_from_config(app.config)


def verify(app, pdf: bytes, **kwargs):
    """seal.verify as the registry calls it: its seal keys, its TSA's roots and the CA's
    current CRL."""
    trust_ = trust(app)
    return seal.verify(
        pdf, seal.keys_from_config(app.config), trust_.tsa_roots, trust_.crls, **kwargs
    )


def issued_copy(app, session) -> tuple[str, IssuedPdf]:
    """An agreement brought into force, so that the registry issues its sealed PDF: its
    reference and the copy as issued."""
    app.config["SEAL_ON_ACTIVATION"] = True
    council, police = make_agency(session, name="Council"), make_agency(session, name="Police")
    protocol = activate(
        session, make_draft(session, tier=1, owner=council, parties=[party(council), party(police)])
    )
    copy = session.query(IssuedPdf).filter_by(agreement_id=protocol.id).one_or_none()
    if copy is None:  # sealed in the background by a job: sealed here instead, as it would
        copy = pdfs.issue_sealed(session, protocol, protocol.latest, now=FIXED_NOW)
        assert copy is not None
        session.commit()
    return protocol.reference, copy


def one_byte_changed(data: bytes, at: int | None = None) -> bytes:
    """`data` with one byte changed: by default inside the first stream of the document
    (its page's content), where the change leaves the file readable and the seal present;
    elsewhere, a change can also break the file or the seal's own dictionary."""
    if at is None:
        at = data.index(b"stream", data.index(b"/Length")) + len(b"stream") + 8
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def check_page(client, pdf: bytes):
    response = client.post(
        "/verify",
        data={"csrf_token": client.csrf_token("/verify"), "pdf": (io.BytesIO(pdf), "a.pdf")},
        content_type="multipart/form-data",
    )
    return response, " ".join(response.get_data(as_text=True).split())


def test_a_sealed_pdf_verifies_and_a_changed_one_does_not(app):
    keys_ = seal.keys_from_config(app.config)
    good = sealed_pdf(app)
    verdict = seal.verify(good, keys_)
    assert verdict.ok and verdict.message == SEALED
    changed = seal.verify(one_byte_changed(good), keys_)
    assert not changed.ok and "changed since the registry sealed it" in changed.message
    # Wherever else a byte changes, never ok: all but the signatures' own values (the gap
    # in each /ByteRange: the seal's and its document timestamp's, which a signature
    # cannot cover and whose zero padding means nothing).
    gaps = [
        (int(start), int(end))
        for _, start, end, _ in re.findall(
            rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", good
        )
    ]
    assert len(gaps) == 2  # the seal and the document timestamp after it
    tried = [
        at
        for at in range(0, len(good), max(1, len(good) // 60))
        if not any(start <= at < end for start, end in gaps)
    ]
    assert len(tried) >= 20
    for at in tried:
        assert not seal.verify(one_byte_changed(good, at), keys_).ok, at
    assert not seal.verify(HTML(string="<p>x</p>").write_pdf(), keys_).ok
    assert not seal.verify(b"not a pdf", keys_).ok


def test_a_seal_from_another_certificate_is_not_trusted(app, tmp_path):
    other = seal.development_keys(tmp_path / "other", "Elsewhere")
    pdf = HTML(string="<p>x</p>").write_pdf()
    forged = seal.seal(
        pdf, other, reference="ISA-2026-0001", version=1, location="x", trust=trust(app)
    )
    verdict = seal.verify(forged, seal.keys_from_config(app.config))
    assert not verdict.ok and "not made by this registry" in verdict.message


def _our_ca(app, tmp_path) -> keys.Authority:
    """The registry's seal certificate issued by a CA whose key this test holds, as a
    partnership's CA would also issue certificates to others."""
    ca = keys.make_authority("Northshire")
    ours = keys.issue_seal_keys(tmp_path / "registry", ca, "Northshire")
    app.config.update(SEAL_CERT=str(ours.cert), SEAL_KEY=str(ours.key), SEAL_CA=str(ours.ca))
    return ca


def test_a_second_certificate_from_the_registrys_ca_cannot_forge_an_agreement(
    app, session, client, tmp_path
):
    """Issue 16: a second certificate from the same CA sealed a PDF whose /Reason said
    "ISA-2026-0001 version 1"; /verify called it genuine and verify-pdf exited 0."""
    ca = _our_ca(app, tmp_path)
    reference, genuine = issued_copy(app, session)
    forger = keys.issue_seal_keys(tmp_path / "forger", ca, "Someone else")
    body = HTML(string=f"<h1>{reference}</h1><p>Anything may be shared.</p>").write_pdf()
    forged = seal.seal(
        body, forger, reference=reference, version=1, location="Northshire", trust=trust(app)
    )

    response, page = check_page(client, forged)
    assert response.status_code == 200
    assert "Do not rely on this PDF" in page and "not made by this registry" in page
    assert "Genuine" not in page and f"{reference} version 1" not in page
    path = tmp_path / "forged.pdf"
    path.write_bytes(forged)
    command = run(app, "verify-pdf", str(path))
    assert command.exit_code == 1 and "not made by this registry" in command.output
    assert "Sealed by the registry" not in command.output

    # The registry's own copy still verifies, named from the registry's record.
    _, page = check_page(client, genuine.pdf)
    assert "Genuine and in force" in page and f"{reference} version 1" in page


def test_a_genuine_seal_over_a_file_the_registry_never_issued_is_not_an_agreement(
    app, session, client, tmp_path
):
    """Sealed with the registry's own key (a leaked key, a test, a copy sealed by hand)
    but not a file the registry issued: its own words name a real agreement, in vain."""
    _our_ca(app, tmp_path)
    reference, _ = issued_copy(app, session)
    body = HTML(string=f"<h1>{reference}</h1><p>Other terms.</p>").write_pdf()
    unissued = seal.seal(
        body,
        seal.keys_from_config(app.config),
        reference=reference,
        version=1,
        location="x",
        trust=trust(app),
    )
    assert verify(app, unissued).ok  # the seal is ours

    response, page = check_page(client, unissued)
    assert response.status_code == 200
    assert "Do not rely on this PDF" in page
    assert "the registry has no record of issuing this exact file" in page
    assert "Genuine" not in page and f"{reference} version 1" not in page
    path = tmp_path / "unissued.pdf"
    path.write_bytes(unissued)
    command = run(app, "verify-pdf", str(path))
    assert command.exit_code == 1
    assert "no record of issuing this exact file" in command.output


def test_copies_sealed_with_an_earlier_certificate_verify_once_it_is_configured(
    app, session, client, tmp_path
):
    """After the seal certificate is renewed, the copies issued under the earlier one
    verify only if SEAL_EARLIER_CERTS names it."""
    _our_ca(app, tmp_path)
    reference, current = issued_copy(app, session)
    earlier = keys.issue_seal_keys(tmp_path / "earlier", keys.make_authority("Old CA"), "Old")
    body = HTML(string=f"<h1>{reference}</h1>").write_pdf()
    old_copy = seal.seal(
        body, earlier, reference=reference, version=1, location="x", trust=trust(app)
    )
    session.add(
        IssuedPdf(
            agreement_id=current.agreement_id,
            version_number=1,
            review_date=current.review_date,
            sha256=hashlib.sha256(old_copy).hexdigest(),
            issued_at=FIXED_NOW,
            pdf=old_copy,
        )
    )
    session.commit()
    _, page = check_page(client, old_copy)
    assert "not made by this registry" in page
    app.config["SEAL_EARLIER_CERTS"] = [str(earlier.cert)]
    _, page = check_page(client, old_copy)
    assert "Genuine and in force" in page and f"{reference} version 1" in page


def test_verify_pdf_command_exit_status(app, session, tmp_path):
    reference, copy = issued_copy(app, session)
    good = tmp_path / "good.pdf"
    good.write_bytes(copy.pdf)
    ok = run(app, "verify-pdf", str(good))
    assert ok.exit_code == 0 and f"{reference} version 1" in ok.output
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(one_byte_changed(copy.pdf))
    failed = run(app, "verify-pdf", str(bad))
    assert failed.exit_code == 1 and "Do not rely on it" in failed.output


def test_the_verify_page(client, app, session):
    page = client.page("/verify")
    assert page.find("input", attrs={"type": "file"}) is not None
    reference, copy = issued_copy(app, session)
    response, text = check_page(client, copy.pdf)
    assert response.status_code == 200
    assert "Genuine" in text and f"{reference} version 1" in text
    response, text = check_page(client, one_byte_changed(copy.pdf))
    assert "Do not rely on this PDF" in text
    token = client.csrf_token("/verify")
    missing = client.post("/verify", data={"csrf_token": token})
    assert missing.status_code == 422 and b"Choose the PDF to check" in missing.data


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler's pdfsig is not installed")
def test_an_outside_validator_agrees(app, session, tmp_path):
    """poppler's pdfsig, knowing nothing of the registry, finds the issued copy's seal
    valid over the whole file, made with the registry's seal certificate, and a changed
    copy's seal invalid."""
    from cryptography import x509

    _, copy = issued_copy(app, session)
    good = tmp_path / "good.pdf"
    good.write_bytes(copy.pdf)
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(one_byte_changed(copy.pdf))
    seal_cert = x509.load_pem_x509_certificate(seal.keys_from_config(app.config).cert.read_bytes())
    name = seal_cert.subject.rfc4514_string()

    def pdfsig(path) -> str:
        done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
        return done.stdout

    said = pdfsig(good)
    assert "Signature Field Name: RegistrySeal" in said
    assert f"Signer full Distinguished Name: {name}" in said
    assert "Total document signed" in said and "Signature is Valid." in said
    assert "Signature is Valid." not in pdfsig(bad)
