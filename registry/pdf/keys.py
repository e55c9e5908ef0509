"""The registry's seal keys: the certificate and private key that seal agreement PDFs and
sign the hash chains' checkpoints, and the CA that verification trusts. Only the
cryptography package: importing this never loads pyHanko.

In development a CA and a seal certificate are made under instance/seal/ on first use;
SEAL_CERT, SEAL_KEY and SEAL_CA point at real ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
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
    # Seal certificates the registry used before `cert` (after a renewal): the PDFs it
    # sealed with them still verify. Only these and `cert` are trusted, never any other
    # certificate the CA has issued.
    earlier: tuple[Path, ...] = ()

    @property
    def seal_certs(self) -> tuple[Path, ...]:
        return (self.cert, *self.earlier)


def keys_from_config(config: Mapping[str, Any]) -> SealKeys:
    """The seal keys named by the settings (SEAL_CERT, SEAL_KEY, SEAL_CA and the earlier
    certificates in SEAL_EARLIER_CERTS), or else the development ones under INSTANCE_PATH."""
    earlier = tuple(Path(p) for p in config.get("SEAL_EARLIER_CERTS") or ())
    if config.get("SEAL_CERT") and config.get("SEAL_KEY"):
        return SealKeys(
            Path(config["SEAL_CERT"]),
            Path(config["SEAL_KEY"]),
            Path(config.get("SEAL_CA") or config["SEAL_CERT"]),
            earlier,
        )
    keys = development_keys(
        Path(config["INSTANCE_PATH"]) / "seal", config.get("PARTNERSHIP_NAME", "Agreement registry")
    )
    return replace(keys, earlier=earlier)


@dataclass(frozen=True)
class Authority:
    """A certificate authority: its certificate and the key it signs certificates with."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def make_authority(name: str) -> Authority:
    """A new development CA (kept in memory: development_keys keeps only its certificate)."""
    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} development seal CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Authority(cert, key)


def issue_seal_keys(folder: Path, authority: Authority, name: str) -> SealKeys:
    """A new seal certificate and key from `authority`, written under `folder` with the
    CA's certificate."""
    now = datetime.now(UTC)
    seal_key = ec.generate_private_key(ec.SECP256R1())
    seal_cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} agreement registry seal")])
        )
        .issuer_name(authority.cert.subject)
        .public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(authority.key, hashes.SHA256())
    )
    keys = SealKeys(folder / "seal-cert.pem", folder / "seal-key.pem", folder / "ca-cert.pem")
    folder.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    keys.ca.write_bytes(authority.cert.public_bytes(pem))
    keys.cert.write_bytes(seal_cert.public_bytes(pem))
    keys.key.write_bytes(
        seal_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    keys.key.chmod(0o600)
    return keys


def development_keys(folder: Path, name: str) -> SealKeys:
    """A development CA and seal certificate, made once and kept under `folder`."""
    keys = SealKeys(folder / "seal-cert.pem", folder / "seal-key.pem", folder / "ca-cert.pem")
    if keys.cert.exists() and keys.key.exists() and keys.ca.exists():
        return keys
    return issue_seal_keys(folder, make_authority(name), name)


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
