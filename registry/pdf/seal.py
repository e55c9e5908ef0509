"""Sealing agreement PDFs (PAdES, pyHanko) and checking a seal, in words people understand.

In development a CA and a seal certificate are made under instance/seal/ on first use;
SEAL_CERT, SEAL_KEY and SEAL_CA point at real ones."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

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

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError

# The keys live in keys.py (no pyHanko there: the chain checkpoints sign with them too).
from .keys import SealKeys, development_keys, keys_from_config  # noqa: F401

FIELD = "RegistrySeal"


def seal(pdf: bytes, keys: SealKeys, *, reference: str, version: int, location: str) -> bytes:
    """The PDF with a PAdES seal over all of it, naming the agreement and version."""
    signer = signers.SimpleSigner.load(
        str(keys.key), str(keys.cert), ca_chain_files=(str(keys.ca),)
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        subfilter=SigSeedSubFilter.PADES,
        reason=f"{reference} version {version}",
        location=location,
    )
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer)
    return out.getvalue()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str
    agreement: str | None = None  # "ISA-2026-0002 version 1"


def verify(data: bytes, keys: SealKeys) -> Verdict:
    """Is the seal intact, made with the registry's certificate, over the whole file?"""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        seals = [s for s in reader.embedded_signatures if s.field_name == FIELD]
    except Exception:  # noqa: BLE001 (any parse failure means the same to the reader)
        return Verdict(
            False,
            "This file could not be read as a sealed PDF: it has been "
            "changed or damaged, or it is not a PDF. Do not rely on it.",
        )
    if not seals:
        return Verdict(
            False,
            "This PDF carries no registry seal, so it is not an issued copy "
            "of an agreement from the registry.",
        )
    embedded = seals[-1]
    reason = embedded.sig_object.get("/Reason")
    agreement = str(reason) if reason else None
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(keys.ca))])
    try:
        status = validate_pdf_signature(embedded, context)
    except (PathBuildingError, ValueError, KeyError):
        status = None
    if status is None or not status.intact or not status.valid:
        return Verdict(
            False,
            "This PDF has been changed since the registry sealed it. Do not "
            "rely on it: download a fresh copy from the registry.",
            agreement,
        )
    if not status.trusted:
        return Verdict(
            False,
            "This PDF's seal is intact, but it was not made by this "
            "registry, so it cannot vouch for the content.",
            agreement,
        )
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return Verdict(
            False,
            "Something was added to this PDF after the registry sealed it. "
            "Do not rely on it: download a fresh copy from the registry.",
            agreement,
        )
    return Verdict(True, f"Sealed by the registry and unchanged since: {agreement}.", agreement)
