"""Sealing agreement PDFs (PAdES B-LTA, pyHanko) and checking a seal, in words people
understand.

An agreement is read for years after it is sealed, long after the seal certificate has
expired, so the seal is made to outlast it: a timestamp from an independent timestamp
authority (TSA) says when the seal was made, the file carries what is needed to check the
certificates then (the certificates and the CA's CRL, in its document security store), and
a document timestamp over all of that proves it was all there at that time. Before the
TSA's own certificate expires, `renew` adds a fresh document timestamp over the lot
(`flask --app registry renew-timestamps`).

In development a CA and a seal certificate are made under instance/seal/ on first use;
SEAL_CERT, SEAL_KEY and SEAL_CA point at real ones (keys.py), TSA_URL and its CA at a real
timestamp authority (trust.py)."""

from __future__ import annotations

import asyncio
import io
import logging
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.utils import CryptographyDeprecationWarning

# cryptography 51 deprecates DSA and warns when pyHanko's CMS signer imports its DSA key
# class. The registry never makes or accepts DSA keys (its seals are ECDSA), so operators
# need not see it (the tests name the same narrow ignore in pyproject.toml). Remove when a
# pyHanko release stops importing DSA.
warnings.filterwarnings(
    "ignore",
    message="DSA is deprecated",
    category=CryptographyDeprecationWarning,
    module="pyhanko.sign.signers.pdf_cms",
)

from asn1crypto import core as asn1_core
from asn1crypto import crl as asn1_crl
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.signers import constants
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, TimestampDSSContentSettings
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.sign.validation import DocumentSecurityStore, ades, validate_pdf_timestamp
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

# The keys live in keys.py (no pyHanko there: the chain checkpoints sign with them too).
from .keys import SealKeys, development_keys, keys_from_config  # noqa: F401
from .verdict import (
    ADDED_TO,
    CHANGED,
    NOT_OURS,
    SEALED,
    UNPROVEN,
    UNREADABLE,
    UNSEALED,
    Verdict,
)

if TYPE_CHECKING:
    from .trust import Trust


def _encode_once(encode):
    def encoded(self, force=False):
        encode(self, force)
        self._mutated = False  # the encoding now matches the children

    return encoded


# asn1crypto 1.5.1 keeps a sequence "mutated" once it was changed, even after encoding it
# again, so each level above re-encodes it on every read: twice as much work per level.
# A signing-certificate attribute whose default hash algorithm has been read in (pyHanko
# reads the seal's and the timestamp token's) is such a sequence, twenty levels down: one
# seal in three took 8 s to write (issue 17's benchmark), against 0.05 s. Encoding once
# is what the library means to do; the flag clears only once the bytes are current.
for _kind in (asn1_core.Sequence, asn1_core.SequenceOf, asn1_core.Set, asn1_core.SetOf):
    _kind._set_contents = _encode_once(vars(_kind)["_set_contents"])  # type: ignore[method-assign]


class _GivenNotFetched(logging.Filter):
    """pyHanko warns at every seal that embeds validation data without fetching it. Where
    fetching is off (development, tests) the registry gives the CRLs itself (trust.py):
    nothing is missing, so the warning would only teach operators to ignore warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_GivenNotFetched())

FIELD = "RegistrySeal"
# A document timestamp's validation data is written in its own revision, before it.
_UNDER_THE_TIMESTAMP = TimestampDSSContentSettings(include_vri=False, update_before_ts=True)
# What the seal certificate must allow (keys.py gives it both).
KEY_USAGE = {"digital_signature", "non_repudiation"}


class _Signer(signers.PdfSigner):
    """pyHanko's signer, declaring only what PAdES needs. pyHanko marks a file signed
    with an ECDSA P-256 key as PDF 2.0 (ISO 32002); the agreement is PDF/A-3, which is
    PDF 1.7, and an ECDSA seal is PAdES in PDF 1.7 as it stands (ETSI's extension)."""

    def register_extensions(self, pdf_out, *, md_algorithm: str) -> None:
        pdf_out.ensure_output_version(version=(1, 7))
        pdf_out.register_extension(constants.ESIC_EXTENSION_1)


def seal(
    pdf: bytes, keys: SealKeys, *, reference: str, version: int, location: str, trust: Trust
) -> bytes:
    """The PDF with a long-term PAdES seal (B-LTA) over all of it: the seal, timestamped by
    `trust.tsa_url`; then the certificates and CRLs that check the seal and the timestamp
    (a document security store); then a document timestamp over everything. The seal names
    the agreement and version for anyone reading it in a PDF reader (the registry itself
    never takes a file's word for which agreement it is: see services/pdfs.py).

    The file's PDF/A metadata is kept: pyHanko rewrites the XMP at each update, keeping
    what it finds and writing itself as the producer, so the document information
    dictionary's producer is made to say the same (PDF/A wants the two to agree)."""
    signer = signers.SimpleSigner.load(
        str(keys.key), str(keys.cert), ca_chain_files=(str(keys.ca),)
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        subfilter=SigSeedSubFilter.PADES,
        reason=f"{reference} version {version}",
        location=location,
        embed_validation_info=True,
        use_pades_lta=True,
        validation_context=_signing_context(keys, trust),
        signer_key_usage=KEY_USAGE,
        # The validation data goes in with the document timestamp, under it: the file
        # ends with a timestamp over every byte before it.
        dss_settings=DSSContentSettings(include_vri=False, next_ts_settings=_UNDER_THE_TIMESTAMP),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    _drop_producer(writer)
    out = _Signer(meta, signer=signer, timestamper=_timestamper(trust)).sign_pdf(writer)
    return out.getvalue()


def renew(data: bytes, keys: SealKeys, trust: Trust) -> bytes:
    """`data` (a sealed PDF) with the validation data for its last document timestamp (its
    certificates and a fresh CRL) and a new document timestamp over all of it: what keeps
    the seal checkable after that timestamp's certificate expires. The last timestamp
    must still be valid now (ValueError otherwise)."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    stamps = reader.embedded_timestamp_signatures
    if not stamps:
        raise ValueError("the file has no document timestamp to renew")
    context = _signing_context(keys, trust)
    status = validate_pdf_timestamp(stamps[-1], context, skip_diff=True)
    if not (status.intact and status.valid and status.trusted):
        raise ValueError(
            "its last document timestamp is no longer valid (renewal must come before "
            "that timestamp's certificate expires)"
        )
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    DocumentSecurityStore.supply_dss_in_writer(
        writer, None, paths=(status.validation_path,), validation_context=context
    )
    out = signers.PdfTimeStamper(_timestamper(trust)).timestamp_pdf(
        writer, "sha256", context, in_place=True, dss_settings=_UNDER_THE_TIMESTAMP
    )
    return out.getvalue()


def last_timestamp_expires(data: bytes) -> datetime | None:
    """When the certificate of the file's last document timestamp expires (after which a
    fresh timestamp can no longer be added on its strength); None without one."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    stamps = reader.embedded_timestamp_signatures
    if not stamps:
        return None
    return stamps[-1].signer_cert["tbs_certificate"]["validity"]["not_after"].native


def _timestamper(trust: Trust) -> RequestsHTTPTimeStamper:
    return RequestsHTTPTimeStamper(trust.tsa_url, timeout=10)


def _signing_context(keys: SealKeys, trust: Trust) -> ValidationContext:
    """What sealing checks the seal and the TSA's certificates against, and so what goes
    into the document security store: the CA, the TSA's roots and the CRLs given."""
    roots = [load_cert_from_pemder(str(keys.ca)), *_load(trust.tsa_roots)]
    return ValidationContext(
        trust_roots=roots,
        crls=[asn1_crl.CertificateList.load(crl) for crl in trust.crls],
        allow_fetching=trust.fetch,
        # Revocation is checked where a certificate says where to look (keys.py's do),
        # against the CRLs given (and, in production, fetched); one missing is not fatal.
        revocation_mode="soft-fail",
    )


def _drop_producer(writer: IncrementalPdfFileWriter) -> None:
    """Leave the producer for pyHanko to write, once, the same in both places."""
    try:
        reference = writer.trailer.raw_get("/Info")
    except KeyError:
        return
    info = reference.get_object()
    if "/Producer" in info:
        del info["/Producer"]
        writer.mark_update(reference)


def _load(paths: Sequence[Path]) -> list:
    return [cert for path in paths for cert in load_certs_from_pemder([str(path)])]


def verify(
    data: bytes,
    keys: SealKeys,
    tsa_roots: Sequence[Path] = (),
    crls: Sequence[bytes] = (),
    *,
    fetch: bool = False,
    when: datetime | None = None,
) -> Verdict:
    """Is the seal intact, made with one of the registry's own seal certificates (the
    current one or an earlier one) while it was valid, over the whole file (or followed
    only by validation data and document timestamps)? A certificate the same CA issued to
    anyone else is not the registry's. The time of sealing comes from the seal's
    timestamp, checked against `tsa_roots` (by default the seal's own CA), never from the
    signer's claim. Certificates and CRLs come from the file, and `crls` (DER): current
    CRLs, which the last timestamp's certificate is checked against as of now, since the
    file's own expire within days; with `fetch`, pyHanko may fetch them online instead.
    `when`: the moment of the check (now by default; tests look ahead).

    The upload is anyone's: whatever reading or checking it raises (a /ByteRange of
    fractions, references or 20-digit numbers is a TypeError or OverflowError inside
    pyHanko; a page tree thousands deep, a RecursionError) is a verdict on the file, not
    a fault of the registry, and `fault` names it in one line. Only MemoryError passes on:
    the check's memory limit decides that one (isolated.py). The registry's own
    certificates are read outside that, so a fault of the registry stays one."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        seals = [s for s in reader.embedded_signatures if s.field_name == FIELD]
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 (any parse failure means the same to the reader)
        return Verdict(False, UNREADABLE, fault=_fault(error))
    if not seals:
        return Verdict(False, UNSEALED)
    ours = [load_cert_from_pemder(str(path)) for path in keys.seal_certs]
    # The registry's own certificates are the trust anchors (an earlier one may come from
    # an earlier CA); the CA is kept so that the path to it is checked as before.
    anchors = [load_cert_from_pemder(str(keys.ca)), *ours]
    stamps = _load(tsa_roots) or anchors
    try:
        return _judge(reader, seals[-1], ours, anchors, stamps, crls, fetch, when)
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 (see above: a hostile file, not our fault)
        return Verdict(False, CHANGED, fault=_fault(error))


def validate_seal(
    embedded,
    anchors: list,
    stamps: list,
    when: datetime | None = None,
    crls: Sequence[bytes] = (),
    fetch: bool = False,
):
    """pyHanko's PAdES validation (ETSI EN 319 102-1, with long-term availability) of the
    seal as of `when` (now by default): from the file's own validation data and
    timestamps, nothing fetched unless `fetch`. Where the certificates have expired
    since, the document timestamps prove that the validation data was there while they
    were valid. `crls` (DER): CRLs the validator holds besides the file's, such as a
    current one for the last timestamp's certificate, which no file can carry."""
    rules = RevocationCheckingPolicy(
        RevocationCheckingRule.CHECK_IF_DECLARED_SOFT,
        RevocationCheckingRule.CHECK_IF_DECLARED_SOFT,
    )

    def policy(roots: list) -> CertValidationPolicySpec:
        return CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=roots),
            revinfo_policy=CertRevTrustPolicy(rules),
        )

    spec = PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=policy(anchors),
            ts_cert_validation_policy=policy(stamps),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH
                if fetch
                else RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
            key_usage_settings=KeyUsageConstraints(key_usage=KEY_USAGE),
            local_knowledge=LocalKnowledge(
                known_crls=[CRLContainer(asn1_crl.CertificateList.load(c)) for c in crls]
            ),
        )
    )
    moment = when or datetime.now(UTC)
    timing = ValidationTimingInfo(
        validation_time=moment, best_signature_time=moment, point_in_time_validation=False
    )
    return asyncio.run(ades.ades_lta_validation(embedded, spec, timing_info=timing))


def _judge(
    reader,
    embedded,
    ours: list,
    anchors: list,
    stamps: list,
    crls: Sequence[bytes],
    fetch: bool,
    when: datetime | None,
) -> Verdict:
    moment = when or datetime.now(UTC)  # one moment for the whole check
    result = validate_seal(embedded, anchors, stamps, moment, crls, fetch)
    status = result.api_status
    if status is None or not status.intact or not status.valid:
        return Verdict(False, CHANGED)
    signer = status.signing_cert.dump()
    if all(cert.dump() != signer for cert in ours):
        return Verdict(False, NOT_OURS)
    if not isinstance(result.ades_subindic, AdESPassed):
        # Ours and intact, but not shown valid when it was made: revoked, or expired with
        # no timestamp from before then, or timestamped by a TSA not trusted (TSA_CA).
        why = " ".join(f"{result.ades_subindic}: {result.failure_msg}".split())
        return Verdict(False, UNPROVEN, fault=why[:300])
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE and not _only_kept_valid(
        reader, embedded, status, stamps
    ):
        return Verdict(False, ADDED_TO)
    stamp = status.timestamp_validity
    timestamped = stamp is not None and stamp.intact and stamp.valid
    expired = status.signing_cert["tbs_certificate"]["validity"]["not_after"].native < moment
    if expired and not timestamped:
        # pyHanko passes a seal whose certificate has expired when the chain of document
        # timestamps has lapsed too (it proceeds "without past proof of existence"), and
        # the seal's own timestamp then no longer checks: nothing shows the seal was made
        # while its certificate was valid. That is what renewal exists to prevent.
        return Verdict(False, UNPROVEN, fault="expired, and no timestamp still checks")
    return Verdict(
        True,
        SEALED,
        signed_at=stamp.timestamp if timestamped else None,
        level=_level(reader, embedded, timestamped),
    )


def _only_kept_valid(reader, embedded, status, stamps: list) -> bool:
    """Whether all that follows the seal is what keeps it checkable: validation data and
    document timestamps (pyHanko's judgement of each update), the last of them intact,
    from a trusted TSA, and over the whole file."""
    if status.coverage != SignatureCoverageLevel.ENTIRE_REVISION:
        return False
    if status.modification_level != ModificationLevel.LTA_UPDATES:
        return False
    later = _stamps_after(reader, embedded)
    if not later:
        return False
    last = later[-1]
    info = last.signed_data["encap_content_info"]["content"].parsed
    # Checked as of its own time: a document timestamp whose certificate has expired
    # since still shows what was added, and by whom.
    kwargs = {"trust_roots": stamps, "allow_fetching": False, "moment": info["gen_time"].native}
    if "/DSS" in reader.root:
        context = DocumentSecurityStore.read_dss(reader).as_validation_context(kwargs)
    else:
        context = ValidationContext(**kwargs)
    checked = validate_pdf_timestamp(last, context, skip_diff=True)
    # The registry's files end with their last document timestamp (its validation data
    # goes in before it): a byte after it, even more validation data, is an addition.
    return (
        checked.intact
        and checked.valid
        and checked.trusted
        and checked.coverage == SignatureCoverageLevel.ENTIRE_FILE
    )


def _level(reader, embedded, timestamped: bool) -> str:
    """The PAdES baseline level the file meets: B-B (a seal), B-T (timestamped), B-LT
    (with validation data), B-LTA (and a document timestamp over it)."""
    if not timestamped:
        return "B-B"
    if "/DSS" not in reader.root:
        return "B-T"
    return "B-LTA" if _stamps_after(reader, embedded) else "B-LT"


def _stamps_after(reader, embedded) -> list:
    """The document timestamps added after the seal, oldest first."""
    return [
        stamp
        for stamp in reader.embedded_timestamp_signatures
        if stamp.signed_revision > embedded.signed_revision
    ]


def _fault(error: BaseException) -> str:
    """What defeated the reader, in one short line for the log."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:200]}"
