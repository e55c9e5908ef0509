"""Sealing agreement PDFs (PAdES, pyHanko) and checking a seal, in words people understand.

In development a CA and a seal certificate are made under instance/seal/ on first use;
SEAL_CERT, SEAL_KEY and SEAL_CA point at real ones."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError

FIELD = "RegistrySeal"


@dataclass(frozen=True)
class SealKeys:
    cert: Path
    key: Path
    ca: Path


def keys_from_config(config: Mapping[str, Any]) -> SealKeys:
    """The seal keys named by the settings (SEAL_CERT, SEAL_KEY, SEAL_CA), or else the
    development ones under INSTANCE_PATH."""
    if config.get("SEAL_CERT") and config.get("SEAL_KEY"):
        return SealKeys(
            Path(config["SEAL_CERT"]),
            Path(config["SEAL_KEY"]),
            Path(config.get("SEAL_CA") or config["SEAL_CERT"]),
        )
    return development_keys(
        Path(config["INSTANCE_PATH"]) / "seal", config.get("PARTNERSHIP_NAME", "Agreement registry")
    )


def development_keys(folder: Path, name: str) -> SealKeys:
    """A development CA and seal certificate, made once and kept under `folder`."""
    keys = SealKeys(folder / "seal-cert.pem", folder / "seal-key.pem", folder / "ca-cert.pem")
    if keys.cert.exists() and keys.key.exists() and keys.ca.exists():
        return keys
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} development seal CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    seal_key = ec.generate_private_key(ec.SECP256R1())
    seal_cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} agreement registry seal")])
        )
        .issuer_name(ca_name)
        .public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    keys.ca.write_bytes(ca_cert.public_bytes(pem))
    keys.cert.write_bytes(seal_cert.public_bytes(pem))
    keys.key.write_bytes(
        seal_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    keys.key.chmod(0o600)
    return keys


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
