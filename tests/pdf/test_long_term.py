"""Long-term seals (issue 17): each issued PDF is PAdES B-LTA, PDF/A-3 and tagged, with its
terms inside, and tools the registry did not write say so: pyHanko's validator with the
registry's CA as its only trust root, poppler's pdfsig, and a reading of the file's own
metadata. The development TSA answers over real HTTP on loopback (pdf/trust.py)."""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
from datetime import UTC, datetime, timedelta

from asn1crypto.crl import CertificateList
from asn1crypto.x509 import Certificate
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    ades,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel
from weasyprint import HTML

from registry.clock import LONDON
from registry.domain.dates import long_date
from registry.models import Agreement
from registry.pdf import keys, seal
from registry.pdf.verdict import ADDED_TO, LEVELS, SEALED, UNPROVEN

from ..services.test_cli import run
from .test_seal import check_page, issued_copy, sealed_pdf, trust, verify

LTA = "Long-term seal (PAdES B-LTA): checkable after the seal certificate expires"


def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(io.BytesIO(pdf), strict=False)


def _the_seal(reader: PdfFileReader):
    [found] = [s for s in reader.embedded_signatures if s.field_name == seal.FIELD]
    return found


def _context(app, reader: PdfFileReader, **kwargs):
    """What a partner's validator knows: the registry's CA (from /pki/ca.crt) as its only
    trust root, and what the file carries; nothing fetched."""
    ca = load_cert_from_pemder(str(seal.keys_from_config(app.config).ca))
    settings = {"trust_roots": [ca], "allow_fetching": False, **kwargs}
    return DocumentSecurityStore.read_dss(reader).as_validation_context(settings)


def test_pyhankos_validator_finds_the_seal_valid_timestamped_and_stamped_again(app, session):
    _, copy = issued_copy(app, session)
    reader = _reader(copy.pdf)
    status = validate_pdf_signature(_the_seal(reader), _context(app, reader))
    assert status.intact and status.valid and status.trusted
    # All that follows the seal is validation data and a document timestamp.
    assert status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert status.modification_level == ModificationLevel.LTA_UPDATES
    stamp = status.timestamp_validity
    assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted
    assert abs(stamp.timestamp - datetime.now(UTC)) < timedelta(minutes=10)
    assert stamp.signing_cert.extended_key_usage_value.native == ["time_stamping"]

    [document_stamp] = reader.embedded_timestamp_signatures
    checked = validate_pdf_timestamp(document_stamp, _context(app, reader))
    assert checked.intact and checked.valid and checked.trusted
    # The document timestamp is the file's last word: it covers every byte.
    assert checked.coverage == SignatureCoverageLevel.ENTIRE_FILE

    # The validation data: the certificates and the CA's CRL, in the DSS.
    dss = DocumentSecurityStore.read_dss(reader)
    ca = load_cert_from_pemder(str(seal.keys_from_config(app.config).ca))
    crls = [CertificateList.load(ref.get_object().data) for ref in dss.crls]
    assert crls and all(crl.issuer == ca.subject for crl in crls)
    names = {
        Certificate.load(ref.get_object().data).subject.human_friendly for ref in dss.certs.values()
    }
    assert any("registry seal" in name for name in names)
    assert any("TSA" in name for name in names)


def test_the_seal_still_validates_after_its_certificate_has_expired(app, tmp_path):
    """As of a day after the seal certificate expires (a short-lived one here, from the
    development CA), PAdES long-term validation still finds the seal good: its timestamp
    and the validation data under the document timestamp prove it was made while the
    certificate was valid. A seal without them (B-B) does not survive its certificate."""
    folder = seal.keys_from_config(app.config).ca.parent
    authority = keys.development_authority(folder)
    short = keys.issue_seal_keys(tmp_path, authority, "Northshire", days=30)
    cert = x509.load_pem_x509_certificate(short.cert.read_bytes())
    body = HTML(string="<h1>Agreement</h1>").write_pdf()
    long_term = seal.seal(body, short, reference="ISA-1", version=1, location="x", trust=trust(app))
    basic = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(body)),
        signers.PdfSignatureMetadata(field_name=seal.FIELD, subfilter=SigSeedSubFilter.PADES),
        signer=signers.SimpleSigner.load(str(short.key), str(short.cert)),
    ).getvalue()

    ca = load_cert_from_pemder(str(short.ca))
    after = cert.not_valid_after_utc + timedelta(days=1)
    # What a validator then holds besides the file: the CA's CRL of that day (the last
    # timestamp's certificate is checked as of the validation).
    current = keys.make_crl(authority, now=after)
    for pdf, survives in ((long_term, True), (basic, False)):
        result = seal.validate_seal(_the_seal(_reader(pdf)), [ca], [ca], when=after, crls=[current])
        assert isinstance(result.ades_subindic, AdESPassed) is survives, result.ades_subindic
    assert seal.verify(long_term, short, trust(app).tsa_roots).level == "B-LTA"


def test_the_seal_is_maintainable_for_a_decade(app, session):
    """pyHanko's own check that the file holds what an LTA validation in 2036 needs, if
    its document timestamps are renewed in time (renew-timestamps)."""
    _, copy = issued_copy(app, session)
    ca = load_cert_from_pemder(str(seal.keys_from_config(app.config).ca))
    embedded = _the_seal(_reader(copy.pdf))
    from pyhanko.sign.validation.policy_decl import (
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.policy_decl import (
        CertRevTrustPolicy,
        RevocationCheckingPolicy,
        RevocationCheckingRule,
    )
    from pyhanko_certvalidator.registry import SimpleTrustManager

    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build(trust_roots=[ca]),
        revinfo_policy=CertRevTrustPolicy(
            RevocationCheckingPolicy(
                RevocationCheckingRule.CRL_REQUIRED, RevocationCheckingRule.NO_CHECK
            )
        ),
    )
    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
        )
    )
    in_2036 = datetime(2036, 12, 6, tzinfo=UTC)
    result = asyncio.run(
        ades.simulate_future_ades_lta_validation(embedded, spec, future_validation_time=in_2036)
    )
    assert isinstance(result.ades_subindic, AdESPassed), result.failure_msg


def _pdfsig(path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout


def test_pdfsig_finds_the_seal_valid_and_openssl_the_document_timestamp(app, session, tmp_path):
    """poppler's pdfsig checks the seal (it lists the document timestamp over the whole
    file but does not check RFC 3161 timestamps); OpenSSL checks the document timestamp's
    token against the bytes it covers, with the registry's CA as the only trust root."""
    _, copy = issued_copy(app, session)
    path = tmp_path / "issued.pdf"
    path.write_bytes(copy.pdf)
    said = _pdfsig(path)
    seal_part, stamp_part = said.split("Signature #2:")
    assert "Signature Field Name: RegistrySeal" in seal_part
    assert "Signature Type: ETSI.CAdES.detached" in seal_part
    assert "Signature Validation: Signature is Valid." in seal_part
    assert "Signer Certificate Common Name: Northshire" in stamp_part and "TSA" in stamp_part
    assert "Total document signed" in stamp_part

    [stamp] = _reader(copy.pdf).embedded_timestamp_signatures
    start, first, second, length = (int(n) for n in stamp.sig_object["/ByteRange"])
    covered = tmp_path / "covered.bin"
    covered.write_bytes(copy.pdf[start : start + first] + copy.pdf[second : second + length])
    token = tmp_path / "token.der"
    token.write_bytes(_token(stamp))
    ca = seal.keys_from_config(app.config).ca

    def openssl_verify(data_path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                "openssl",
                "ts",
                "-verify",
                "-data",
                str(data_path),
                "-in",
                str(token),
                "-token_in",
                "-CAfile",
                str(ca),
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    done = openssl_verify(covered)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    changed = tmp_path / "changed.bin"
    changed.write_bytes(covered.read_bytes()[:-1] + b"X")
    assert openssl_verify(changed).returncode != 0


def _token(stamp) -> bytes:
    """The document timestamp's RFC 3161 token (a CMS ContentInfo), DER."""
    from asn1crypto import cms

    return cms.ContentInfo({"content_type": "signed_data", "content": stamp.signed_data}).dump()


def test_the_sealed_file_is_still_pdfa3_tagged_with_its_terms(app, session):
    """pyHanko rewrites the XMP at each update: the sealed file's (the last the catalog
    points at) still declares PDF/A-3, keeps the output intent, says PDF 1.7 throughout,
    and its producer is the same in the XMP and the document information. The structure
    tree and language are there, and the terms inside match the version's content hash."""
    reference, copy = issued_copy(app, session)
    reader = _reader(copy.pdf)
    xmp = reader.root["/Metadata"].data.decode("utf-8")
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="A"' in xmp
    [intent] = reader.root["/OutputIntents"]
    assert intent["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    assert copy.pdf.startswith(b"%PDF-1.7") and reader.root.get("/Version") in (None, "/1.7")
    producer = re.search(r'pdf:Producer="([^"]+)"', xmp)
    assert producer and str(reader.trailer["/Info"]["/Producer"]) == producer.group(1)
    assert "/StructTreeRoot" in reader.root and str(reader.root["/Lang"]) == "en-GB"
    assert reader.root["/MarkInfo"]["/Marked"]

    [listed] = reader.root["/AF"]
    attached = listed.get_object()
    assert str(attached["/F"]) == "terms.jsonld"
    terms = json.loads(attached["/EF"]["/F"].data)
    agreement = session.query(Agreement).filter_by(reference=reference).one()
    assert terms["schema:sha256"] == agreement.latest.content_sha256
    assert terms["dct:identifier"] == reference and terms["schema:version"] == 1


def test_verify_page_and_command_say_when_and_how_long(app, session, client, tmp_path):
    reference, copy = issued_copy(app, session)
    when = seal.verify(copy.pdf, seal.keys_from_config(app.config), trust(app).tsa_roots)
    assert when.ok and when.level == "B-LTA" and when.signed_at is not None
    local = when.signed_at.astimezone(LONDON)
    sealed_on = f"Sealed on {long_date(local.date())} at {local.strftime('%H:%M')}"
    _, page = check_page(client, copy.pdf)
    assert "Genuine and in force" in page
    moment = f"{long_date(local.date())} at {local.strftime('%H:%M')}"
    assert "Sealed on" in page
    assert f"{moment} (time from an independent timestamp)" in page
    assert LTA in page
    path = tmp_path / "issued.pdf"
    path.write_bytes(copy.pdf)
    command = run(app, "verify-pdf", str(path))
    assert command.exit_code == 0
    assert f"{sealed_on} (time from an independent timestamp)." in command.output
    assert f"{LTA}." in command.output
    assert LEVELS["B-LTA"] == LTA


def test_anything_but_validation_data_added_after_the_timestamp_is_added_to(app, session):
    """A document timestamp after the seal is expected; a change appended after it (here
    the document's title, in an update of its own) is not."""
    _, copy = issued_copy(app, session)
    writer = IncrementalPdfFileWriter(io.BytesIO(copy.pdf))
    info = writer.trailer.raw_get("/Info")
    info.get_object()["/Title"] = generic.TextStringObject("Anything may be shared")
    writer.mark_update(info)
    out = io.BytesIO()
    writer.write(out)
    assert len(out.getvalue()) > len(copy.pdf)
    verdict = verify(app, out.getvalue())
    assert not verdict.ok and verdict.message == ADDED_TO
    assert verify(app, copy.pdf).message == SEALED


def test_a_seal_the_file_cannot_show_was_made_in_time_is_unproven(app, tmp_path):
    """A basic seal (no timestamp) under a certificate that has expired since: intact and
    ours, but nothing shows it was made while the certificate was valid."""
    folder = seal.keys_from_config(app.config).ca.parent
    authority = keys.development_authority(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    from cryptography.hazmat.primitives import hashes, serialization

    now = datetime.now(UTC)
    expired = (
        x509.CertificateBuilder()
        .subject_name(keys._name("Northshire", "agreement registry seal"))
        .issuer_name(authority.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=60))
        .not_valid_after(now - timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(authority.key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "old-cert.pem", tmp_path / "old-key.pem"
    cert_path.write_bytes(expired.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    basic = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(HTML(string="<p>x</p>").write_pdf())),
        signers.PdfSignatureMetadata(field_name=seal.FIELD, subfilter=SigSeedSubFilter.PADES),
        signer=signers.SimpleSigner.load(str(key_path), str(cert_path)),
    ).getvalue()
    app.config["SEAL_EARLIER_CERTS"] = [str(cert_path)]
    verdict = verify(app, basic)
    assert not verdict.ok and verdict.message == UNPROVEN


def test_one_registry_seal_and_one_document_timestamp(app, session):
    _, copy = issued_copy(app, session)
    reader = _reader(copy.pdf)
    assert [s.field_name for s in reader.embedded_regular_signatures] == [seal.FIELD]
    assert len(reader.embedded_timestamp_signatures) == 1


def test_a_seal_timestamped_by_a_tsa_not_trusted_is_unproven_not_someone_elses(app, tmp_path):
    """The seal is the registry's; only its timestamps come from a TSA whose root the
    check does not hold (TSA_CA missing it): the answer says the file cannot show when it
    was made, never that another registry made it, and the log says why."""
    pdf = sealed_pdf(app)
    elsewhere = seal.development_keys(tmp_path / "elsewhere", "Elsewhere")
    verdict = seal.verify(pdf, seal.keys_from_config(app.config), (elsewhere.ca,))
    assert not verdict.ok and verdict.message == UNPROVEN
    assert verdict.fault and "\n" not in verdict.fault
    assert verify(app, pdf).ok


def test_the_registrys_check_holds_beyond_the_files_own_crl(app, tmp_path):
    """The CRL inside the file is current for a week; a month on, the check still finds
    the seal good with the CA's CRL of that day (the registry's own, as trust.py keeps it
    fresh), and so it does a year on."""
    pdf = sealed_pdf(app)
    month = datetime.now(UTC) + timedelta(days=30)
    authority = keys.development_authority(seal.keys_from_config(app.config).ca.parent)
    then = keys.make_crl(authority, now=month)
    keys_ = seal.keys_from_config(app.config)
    roots = trust(app).tsa_roots
    assert seal.verify(pdf, keys_, roots, (then,), when=month).level == "B-LTA"
    year = datetime.now(UTC) + timedelta(days=365)
    current = keys.make_crl(authority, now=year)
    assert seal.verify(pdf, keys_, roots, (current,), when=year).level == "B-LTA"


def test_once_every_certificate_has_expired_unrenewed_the_seal_is_unproven(app):
    """A day after the timestamp authority's certificate has expired as well as the seal's
    (with the CA's CRL of that day), with no renewal in between: nothing still proves when
    the seal was made. The check once said 'sealed, basic seal with no timestamp' here
    (pyHanko passes it "without past proof of existence")."""
    pdf = sealed_pdf(app)
    keys_ = seal.keys_from_config(app.config)
    roots = trust(app).tsa_roots
    today = seal.verify(pdf, keys_, roots, trust(app).crls)
    assert today.ok and today.level == "B-LTA" and today.signed_at is not None
    expired = seal.last_timestamp_expires(pdf) + timedelta(days=1)
    authority = keys.development_authority(keys_.ca.parent)
    later = seal.verify(pdf, keys_, roots, (keys.make_crl(authority, now=expired),), when=expired)
    assert not later.ok and later.message == UNPROVEN and later.checked
