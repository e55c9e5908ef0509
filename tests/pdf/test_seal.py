"""Seals: made under the registry's certificate, checked by page and command."""

import io
import re

from weasyprint import HTML

from registry.pdf import seal

from ..services.test_cli import run


def sealed_pdf(app) -> bytes:
    keys = seal.keys_from_config(app.config)
    pdf = HTML(string="<h1>Agreement</h1><p>Text</p>").write_pdf()
    return seal.seal(pdf, keys, reference="ISA-2026-0007", version=2, location="Northshire")


def one_byte_changed(data: bytes, at: int | None = None) -> bytes:
    """`data` with one byte changed: by default inside the first stream of the document
    (its page's content), where the change leaves the file readable and the seal present;
    elsewhere, a change can also break the file or the seal's own dictionary."""
    if at is None:
        at = data.index(b"stream", data.index(b"/Length")) + len(b"stream") + 8
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def test_a_sealed_pdf_verifies_and_a_changed_one_does_not(app):
    keys = seal.keys_from_config(app.config)
    good = sealed_pdf(app)
    verdict = seal.verify(good, keys)
    assert verdict.ok and verdict.agreement == "ISA-2026-0007 version 2"
    changed = seal.verify(one_byte_changed(good), keys)
    assert not changed.ok and "changed since the registry sealed it" in changed.message
    # Wherever else a byte changes, never ok: all but the seal's own value (the gap in its
    # /ByteRange, which the seal cannot cover and whose zero padding means nothing).
    _, gap_start, gap_end, _ = map(
        int, re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", good).groups()
    )
    tried = [
        at for at in range(0, len(good), max(1, len(good) // 60)) if not gap_start <= at < gap_end
    ]
    assert len(tried) >= 20
    for at in tried:
        assert not seal.verify(one_byte_changed(good, at), keys).ok, at
    assert not seal.verify(HTML(string="<p>x</p>").write_pdf(), keys).ok
    assert not seal.verify(b"not a pdf", keys).ok


def test_a_seal_from_another_certificate_is_not_trusted(app, tmp_path):
    other = seal.development_keys(tmp_path / "other", "Elsewhere")
    pdf = HTML(string="<p>x</p>").write_pdf()
    forged = seal.seal(pdf, other, reference="ISA-2026-0001", version=1, location="x")
    verdict = seal.verify(forged, seal.keys_from_config(app.config))
    assert not verdict.ok and "not made by this registry" in verdict.message


def test_verify_pdf_command_exit_status(app, tmp_path):
    good = tmp_path / "good.pdf"
    good.write_bytes(sealed_pdf(app))
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(one_byte_changed(good.read_bytes()))
    ok = run(app, "verify-pdf", str(good))
    assert ok.exit_code == 0 and "ISA-2026-0007 version 2" in ok.output
    failed = run(app, "verify-pdf", str(bad))
    assert failed.exit_code != 0 and "Do not rely on it" in failed.output


def test_the_verify_page(client, app):
    page = client.page("/verify")
    assert page.find("input", attrs={"type": "file"}) is not None
    token = client.csrf_token("/verify")
    response = client.post(
        "/verify",
        data={"csrf_token": token, "pdf": (io.BytesIO(sealed_pdf(app)), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert b"Genuine" in response.data and b"ISA-2026-0007 version 2" in response.data
    response = client.post(
        "/verify",
        data={"csrf_token": token, "pdf": (io.BytesIO(one_byte_changed(sealed_pdf(app))), "b.pdf")},
        content_type="multipart/form-data",
    )
    assert b"Do not rely on this PDF" in response.data
    missing = client.post("/verify", data={"csrf_token": token})
    assert missing.status_code == 422 and b"Choose the PDF to check" in missing.data
