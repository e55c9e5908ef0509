"""Sealing agreement PDFs (PAdES, pyHanko) and checking a seal, in words people understand.

In development a CA and a seal certificate are made under instance/seal/ on first use;
SEAL_CERT, SEAL_KEY and SEAL_CA point at real ones."""

from __future__ import annotations

import io
import warnings

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
from .verdict import ADDED_TO, CHANGED, NOT_OURS, SEALED, UNREADABLE, UNSEALED, Verdict

FIELD = "RegistrySeal"


def seal(pdf: bytes, keys: SealKeys, *, reference: str, version: int, location: str) -> bytes:
    """The PDF with a PAdES seal over all of it, naming the agreement and version for
    anyone reading it in a PDF reader (the registry itself never takes a file's word for
    which agreement it is: see services/pdfs.py)."""
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


def verify(data: bytes, keys: SealKeys) -> Verdict:
    """Is the seal intact, made with one of the registry's own seal certificates (the
    current one or an earlier one), over the whole file? A certificate the same CA issued
    to anyone else is not the registry's.

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
    try:
        return _judge(seals[-1], ours, ValidationContext(trust_roots=anchors))
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 (see above: a hostile file, not our fault)
        return Verdict(False, CHANGED, fault=_fault(error))


def _judge(embedded, ours: list, context: ValidationContext) -> Verdict:
    try:
        status = validate_pdf_signature(embedded, context)
    except (PathBuildingError, ValueError, KeyError):
        status = None
    if status is None or not status.intact or not status.valid:
        return Verdict(False, CHANGED)
    signer = status.signing_cert.dump()
    if not status.trusted or all(cert.dump() != signer for cert in ours):
        return Verdict(False, NOT_OURS)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return Verdict(False, ADDED_TO)
    return Verdict(True, SEALED)


def _fault(error: BaseException) -> str:
    """What defeated the reader, in one short line for the log."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:200]}"
