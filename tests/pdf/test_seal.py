"""Seals: made under the registry's certificate, checked by page and command."""

import io

from weasyprint import HTML

from registry.pdf import seal

from ..services.test_cli import run


def sealed_pdf(app) -> bytes:
    keys = seal.keys_from_config(app.config)
    pdf = HTML(string="<h1>Agreement</h1><p>Text</p>").write_pdf()
    return seal.seal(pdf, keys, reference="ISA-2026-0007", version=2, location="Northshire")


def one_byte_changed(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[len(data) // 2] ^= 0x20
    return bytes(changed)


def test_a_sealed_pdf_verifies_and_a_changed_one_does_not(app):
    keys = seal.keys_from_config(app.config)
    good = sealed_pdf(app)
    verdict = seal.verify(good, keys)
    assert verdict.ok and verdict.agreement == "ISA-2026-0007 version 2"
    changed = seal.verify(one_byte_changed(good), keys)
    assert not changed.ok and "changed" in changed.message
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
    response = client.post("/verify", data={"csrf_token": token,
                                            "pdf": (io.BytesIO(sealed_pdf(app)), "a.pdf")},
                           content_type="multipart/form-data")
    assert b"Genuine" in response.data and b"ISA-2026-0007 version 2" in response.data
    response = client.post("/verify", data={
        "csrf_token": token, "pdf": (io.BytesIO(one_byte_changed(sealed_pdf(app))), "b.pdf")},
        content_type="multipart/form-data")
    assert b"Do not rely on this PDF" in response.data
    missing = client.post("/verify", data={"csrf_token": token})
    assert missing.status_code == 422 and b"Choose the PDF to check" in missing.data
