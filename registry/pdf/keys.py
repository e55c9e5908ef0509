"""The registry's seal keys: the certificate and private key that seal agreement PDFs and
sign the hash chains' checkpoints, and the CA that verification trusts. Only the
cryptography package: importing this never loads pyHanko.

In development a CA and a seal certificate are made under instance/seal/ on first use;
SEAL_CERT, SEAL_KEY and SEAL_CA point at real ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


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


def sign(keys: SealKeys, message: bytes) -> bytes:
    """An ECDSA (SHA-256) signature of `message` with the seal's private key."""
    key = serialization.load_pem_private_key(keys.key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the seal key is not an elliptic-curve key")
    return key.sign(message, ec.ECDSA(hashes.SHA256()))


def signed_by_seal(keys: SealKeys, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is the seal certificate's key's signature of `message`."""
    from cryptography.exceptions import InvalidSignature

    public = x509.load_pem_x509_certificate(keys.cert.read_bytes()).public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
