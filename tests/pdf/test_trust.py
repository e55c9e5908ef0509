"""The trust services a long-term seal leans on: the development timestamp authority
answers RFC 3161 over real HTTP, its tokens validate against the development CA with the
CA's CRL, the certificates say what their keys are for and where their issuer publishes,
and production takes all of it from the settings."""

import asyncio
import hashlib
import io
import logging
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from asn1crypto import core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext
from weasyprint import HTML

from registry.pdf import keys, trust
from registry.pdf.tsa import POLICY, QUERY, REPLY

DIGEST = hashlib.sha256(b"ISA-2026-0007 version 2").digest()


def _config(folder: Path, **settings) -> dict:
    return {"INSTANCE_PATH": str(folder), "PARTNERSHIP_NAME": "Northshire", **settings}


def _stamp(url: str, digest: bytes = DIGEST):
    return asyncio.run(HTTPTimeStamper(url).async_timestamp(digest, "sha256"))


def _validate(token, found: trust.Trust, digest: bytes = DIGEST) -> TimestampSignatureStatus:
    """pyHanko's own check of a token: the chain to the trusted roots, the CRLs given and
    no others (a certificate without revocation information fails), the imprint."""
    context = ValidationContext(
        trust_roots=[load_cert_from_pemder(str(p)) for p in found.tsa_roots],
        crls=list(found.crls),
        allow_fetching=False,
        revocation_mode="hard-fail",
    )
    found_status = validate_tst_signed_data(token["content"], context, lambda _: digest)
    return TimestampSignatureStatus(**asyncio.run(found_status))


def test_the_development_tsa_stamps_over_http_and_its_token_validates(app):
    found = trust.trust_from_config(app.config)
    assert found.tsa_url.startswith("http://127.0.0.1:") and not found.fetch
    before = datetime.now(UTC)
    token = _stamp(found.tsa_url)
    status = _validate(token, found)
    assert status.intact and status.valid and status.trusted
    assert before - timedelta(seconds=2) <= status.timestamp <= datetime.now(UTC)
    info = token["content"]["encap_content_info"]["content"].parsed
    assert info["policy"].dotted == POLICY
    # Another message's digest does not match the token.
    assert not _validate(token, found, hashlib.sha256(b"something else").digest()).intact


def test_one_tsa_serves_the_process_and_the_crl_is_renewed_hourly(app, monkeypatch):
    first = trust.trust_from_config(app.config)
    again = trust.trust_from_config(app.config)
    assert again.tsa_url == first.tsa_url and again.crls == first.crls
    monkeypatch.setattr(trust, "CRL_FRESH_FOR", timedelta(0))
    renewed = trust.trust_from_config(app.config)
    assert renewed.tsa_url == first.tsa_url and renewed.crls != first.crls
    crl = x509.load_der_x509_crl(renewed.crls[-1])
    assert crl.next_update_utc > datetime.now(UTC) > crl.last_update_utc


def test_a_tsa_certificate_on_the_crl_fails_validation(tmp_path):
    found = trust.trust_from_config(_config(tmp_path))
    token = _stamp(found.tsa_url)
    authority = keys.development_authority(tmp_path / "seal")
    tsa_cert = x509.load_pem_x509_certificate((tmp_path / "seal" / "tsa-cert.pem").read_bytes())
    revoked = keys.make_crl(authority, now=datetime.now(UTC), revoked=(tsa_cert,))
    status = _validate(token, trust.Trust(found.tsa_url, found.tsa_roots, (revoked,), False))
    assert status.revoked and not status.trusted
    # Without any CRL, hard-fail revocation checking refuses the token too: the CRL given
    # with the trust is what made the first test's token valid.
    unchecked = _validate(token, trust.Trust(found.tsa_url, found.tsa_roots, (), False))
    assert not unchecked.revoked and not unchecked.trusted
    assert _validate(token, found).trusted


def _post(url: str, body: bytes, kind: str = QUERY) -> requests.Response:
    return requests.post(url, data=body, headers={"Content-Type": kind}, timeout=5)


def _rejection(response: requests.Response) -> set[str]:
    assert response.status_code == 200 and response.headers["Content-Type"] == REPLY
    answer = _Refusal.load(response.content, strict=True)  # a status, and no token
    assert answer["status"]["status"].native == "rejection"
    return set(answer["status"]["fail_info"].native)


class _Refusal(core.Sequence):
    """RFC 3161's TimeStampResp as a refusal has it: a status and no token."""

    _fields = [("status", tsp.PKIStatusInfo)]


def _request(**fields) -> bytes:
    values = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": DIGEST},
        "cert_req": True,
        **fields,
    }
    return tsp.TimeStampReq(values).dump()


def test_the_development_tsa_refuses_what_is_not_a_request(app):
    url = trust.trust_from_config(app.config).tsa_url
    assert _rejection(_post(url, b"not a request")) == {"bad_data_format"}
    sha1 = {"hash_algorithm": {"algorithm": "sha1"}, "hashed_message": DIGEST[:20]}
    assert _rejection(_post(url, _request(message_imprint=sha1))) == {"bad_alg"}
    short = {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": DIGEST[:20]}
    assert _rejection(_post(url, _request(message_imprint=short))) == {"bad_data_format"}
    assert _rejection(_post(url, _request(req_policy="1.2.3.4"))) == {"unaccepted_policy"}
    wrong_kind = _post(url, _request(), kind="application/octet-stream")
    assert wrong_kind.status_code == 415 and QUERY in wrong_kind.text
    assert _post(url, b"x" * 20_000).status_code == 400
    assert requests.get(url, timeout=5).status_code == 405
    # And it still answers a good one afterwards.
    good = tsp.TimeStampResp.load(_post(url, _request()).content)
    assert good["status"]["status"].native == "granted"
    assert len(good["time_stamp_token"]["content"]["certificates"]) == 1


def _extension(cert: x509.Certificate, kind):
    return cert.extensions.get_extension_for_class(kind)


def test_the_certificates_say_what_their_keys_are_for_and_where_the_ca_publishes(tmp_path):
    config = _config(tmp_path, REGISTRY_URL="https://isa.northshire.example/")
    found = keys.keys_from_config(config)
    trust.trust_from_config(config)
    ca = x509.load_pem_x509_certificate(found.ca.read_bytes())
    seal_cert = x509.load_pem_x509_certificate(found.cert.read_bytes())
    tsa_cert = x509.load_pem_x509_certificate((tmp_path / "seal" / "tsa-cert.pem").read_bytes())

    ca_usage = _extension(ca, x509.KeyUsage)
    assert ca_usage.critical and ca_usage.value.key_cert_sign and ca_usage.value.crl_sign
    ca_ski = _extension(ca, x509.SubjectKeyIdentifier).value.digest

    for cert, purposes in (
        (seal_cert, [keys.DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
        (tsa_cert, [ExtendedKeyUsageOID.TIME_STAMPING]),
    ):
        usage = _extension(cert, x509.KeyUsage)
        assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
        assert not usage.value.key_cert_sign
        eku = _extension(cert, x509.ExtendedKeyUsage)
        assert eku.critical and list(eku.value) == purposes
        assert _extension(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ca_ski
        assert _extension(cert, x509.SubjectKeyIdentifier)
        points = _extension(cert, x509.CRLDistributionPoints).value
        assert [n.value for p in points for n in p.full_name] == [
            "https://isa.northshire.example/pki/ca.crl"
        ]
        access = _extension(cert, x509.AuthorityInformationAccess).value
        assert [(a.access_method, a.access_location.value) for a in access] == [
            (AuthorityInformationAccessOID.CA_ISSUERS, "https://isa.northshire.example/pki/ca.crt")
        ]
    # The CA's key stays with its owner.
    assert (tmp_path / "seal" / "ca-key.pem").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "seal" / "tsa-key.pem").stat().st_mode & 0o777 == 0o600


def test_a_folder_from_before_the_ca_kept_its_key_gets_a_new_set(tmp_path, caplog):
    folder = tmp_path / "seal"
    old = keys.issue_seal_keys(folder, keys.make_authority("Northshire"), "Northshire")
    old_cert = old.cert.read_bytes()
    with caplog.at_level(logging.WARNING, logger="registry.pdf.keys"):
        new = keys.keys_from_config(_config(tmp_path))
    assert new.cert.read_bytes() != old_cert and (folder / "ca-key.pem").exists()
    assert [p.read_bytes() for p in new.earlier] == [old_cert]
    assert "no CA key" in caplog.text
    # The new set stays: a second look makes nothing new.
    assert keys.keys_from_config(_config(tmp_path)).cert.read_bytes() == new.cert.read_bytes()


def test_production_takes_the_tsa_its_roots_and_the_crl_from_the_settings(tmp_path):
    ca = tmp_path / "tsa-ca.pem"
    ca.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    crl = tmp_path / "seal.crl"
    crl.write_bytes(b"0\x00")
    config = _config(
        tmp_path,
        ENV_NAME="production",
        SEAL_CERT="/etc/registry/seal.pem",
        SEAL_KEY="/etc/registry/seal-key.pem",
        SEAL_CA="/etc/registry/ca.pem",
        TSA_URL="https://tsa.example/rfc3161",
        TSA_CA=[str(ca)],
        SEAL_CRL=str(crl),
    )
    assert trust.trust_from_config(config) == trust.Trust(
        "https://tsa.example/rfc3161", (ca,), (b"0\x00",), fetch=True
    )
    assert trust.published_crl(config) == b"0\x00"
    assert trust.published_ca(config) == Path("/etc/registry/ca.pem")
    # No TSA_CA: the seal CA is trusted for the TSA too. No SEAL_CRL: none published.
    plain = {**config, "TSA_CA": [], "SEAL_CRL": None}
    assert trust.trust_from_config(plain).tsa_roots == (Path("/etc/registry/ca.pem"),)
    assert trust.published_crl(plain) is None
    with pytest.raises(RuntimeError, match="TSA_URL"):
        trust.trust_from_config({**config, "TSA_URL": None})
    assert not (tmp_path / "seal").exists()  # no development keys made in production


def test_the_app_publishes_the_seal_ca_and_its_crl_where_its_certificates_say(app, client):
    seal_cert = x509.load_pem_x509_certificate(keys.keys_from_config(app.config).cert.read_bytes())
    [point] = _extension(seal_cert, x509.CRLDistributionPoints).value
    [issuers] = _extension(seal_cert, x509.AuthorityInformationAccess).value

    ca_response = client.get(urlsplit(issuers.access_location.value).path)
    assert ca_response.status_code == 200
    assert ca_response.mimetype == "application/pkix-cert"
    assert "public" in ca_response.headers["Cache-Control"]
    ca = x509.load_der_x509_certificate(ca_response.data)
    seal_cert.verify_directly_issued_by(ca)

    crl_response = client.get(urlsplit(point.full_name[0].value).path)
    assert crl_response.status_code == 200 and crl_response.mimetype == "application/pkix-crl"
    crl = x509.load_der_x509_crl(crl_response.data)
    assert crl.issuer == ca.subject and crl.is_signature_valid(ca.public_key())
    assert crl.get_revoked_certificate_by_serial_number(seal_cert.serial_number) is None
    # A cache that holds the file asks again, and is told it is unchanged.
    again = client.get("/pki/ca.crl", headers={"If-None-Match": crl_response.headers["ETag"]})
    assert again.status_code == 304


def test_production_publishes_the_configured_ca_and_crl_or_says_there_is_none(
    app, client, tmp_path
):
    theirs = keys.development_keys(tmp_path / "partnership", "Northshire")
    app.config.update(
        ENV_NAME="production",
        SEAL_CERT=str(theirs.cert),
        SEAL_KEY=str(theirs.key),
        SEAL_CA=str(theirs.ca),
    )
    ca = x509.load_der_x509_certificate(client.get("/pki/ca.crt").data)
    assert ca == x509.load_pem_x509_certificate(theirs.ca.read_bytes())
    assert client.get("/pki/ca.crl").status_code == 404  # the CA publishes its own
    # A CRL the CA published in PEM is served, and embedded, as DER.
    authority = keys.development_authority(tmp_path / "partnership")
    der = keys.make_crl(authority, now=datetime.now(UTC))
    pem = x509.load_der_x509_crl(der).public_bytes(serialization.Encoding.PEM)
    (tmp_path / "ca.crl").write_bytes(pem)
    app.config["SEAL_CRL"] = str(tmp_path / "ca.crl")
    assert client.get("/pki/ca.crl").data == der
    (tmp_path / "ca.crl").unlink()
    assert client.get("/pki/ca.crl").status_code == 503


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils is not installed")
def test_poppler_accepts_the_seal_certificates_purposes(tmp_path):
    """NSS, under poppler's pdfsig, judges a PDF signer as an e-mail signer: with document
    signing alone it reports an "unknown issue" with the certificate; with e-mail
    protection beside it, the one remaining complaint is that nobody told it to trust the
    development CA."""
    found = keys.keys_from_config(_config(tmp_path))
    signer = signers.SimpleSigner.load(
        str(found.key), str(found.cert), ca_chain_files=(str(found.ca),)
    )
    meta = signers.PdfSignatureMetadata(field_name="Seal", subfilter=SigSeedSubFilter.PADES)
    sealed = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(HTML(string="<p>Agreement</p>").write_pdf())),
        meta,
        signer=signer,
    )
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed.getvalue())
    report = subprocess.run(
        ["pdfsig", str(path)], capture_output=True, text=True, timeout=60, check=False
    ).stdout
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate issuer isn't Trusted." in report


def test_a_seal_certificate_can_be_issued_for_a_short_life(tmp_path):
    """For trying what happens when one expires (tests/pdf/test_long_term.py)."""
    authority = keys.make_authority("Northshire")
    issued = keys.issue_seal_keys(tmp_path, authority, "Northshire", days=2)
    cert = x509.load_pem_x509_certificate(issued.cert.read_bytes())
    assert timedelta(days=1) < cert.not_valid_after_utc - datetime.now(UTC) <= timedelta(days=2)
    cert.verify_directly_issued_by(authority.cert)
