"""The registry's seal keys: the certificate and private key that seal agreement PDFs and
sign the hash chains' checkpoints, and the CA that verification trusts. Only the
cryptography package: importing this never loads pyHanko.

In development a CA, a seal certificate and a timestamping certificate are made under
instance/seal/ on first use, and the CA keeps its key there to sign its CRL; SEAL_CERT,
SEAL_KEY and SEAL_CA point at real ones. The certificates carry what a validator in ten
years' time looks for: what the key may be used for, and where to fetch the issuer's
certificate and its list of revoked certificates."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

log = logging.getLogger(__name__)

DEFAULT_REGISTRY_URL = "http://127.0.0.1:5000"
# id-kp-documentSigning (RFC 9336): the key seals documents. NSS (poppler's pdfsig, Firefox,
# Thunderbird) checks a PDF signature as an e-mail signer and calls a certificate whose
# purposes leave out e-mail protection "unknown issue" even under a trusted CA; Adobe
# accepts either purpose. So a seal certificate names both, and nothing else.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
SEAL_PURPOSES = (DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION)
# Where the app publishes the CA's certificate and CRL (registry/web/public/views.py).
CA_CERT_PATH = "/pki/ca.crt"
CA_CRL_PATH = "/pki/ca.crl"
# A development seal certificate replaced by a fresh development set is kept here, so the
# PDFs it sealed still verify (as an earlier registry seal).
EARLIER = "earlier"


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
    folder = Path(config["INSTANCE_PATH"]) / "seal"
    keys = development_keys(
        folder,
        config.get("PARTNERSHIP_NAME", "Agreement registry"),
        base_url=config.get("REGISTRY_URL") or DEFAULT_REGISTRY_URL,
    )
    replaced = tuple(sorted((folder / EARLIER).glob("*.pem")))
    return replace(keys, earlier=earlier + replaced)


@dataclass(frozen=True)
class Authority:
    """A certificate authority: its certificate and the key it signs certificates with."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def make_authority(name: str) -> Authority:
    """A new development CA (in memory: development_keys keeps its key under the seal
    folder, to issue the timestamping certificate and sign CRLs)."""
    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(name, "development seal CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(cert, key)


def _name(partnership: str, role: str) -> x509.Name:
    """A certificate's subject: the partnership's name and the certificate's role, within
    X.509's 64 characters (a long partnership name is shortened, never the role)."""
    room = 64 - len(role) - 1
    short = partnership if len(partnership) <= room else partnership[: room - 1].rstrip() + "…"
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{short} {role}")])


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,  # X.509's nonRepudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _end_entity(
    authority: Authority,
    common_name: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    purposes: tuple[x509.ObjectIdentifier, ...],
    *,
    days: int,
    base_url: str,
) -> x509.Certificate:
    """A certificate for `key` from `authority`, for `purposes` alone, saying where
    its issuer's certificate and CRL are published under `base_url`."""
    now = datetime.now(UTC)
    base = base_url.rstrip("/")
    issuer_ski = authority.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    return (
        x509.CertificateBuilder()
        .subject_name(common_name)
        .issuer_name(authority.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        # RFC 3161 wants the timestamping purpose alone and critical; a seal's purposes
        # are critical too, so that no one can present it as a TLS certificate.
        .add_extension(x509.ExtendedKeyUsage(list(purposes)), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski.value),
            critical=False,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(base + CA_CRL_PATH)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(base + CA_CERT_PATH),
                    )
                ]
            ),
            critical=False,
        )
        .sign(authority.key, hashes.SHA256())
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """The private key in PEM, readable by its owner only from the first byte."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    path.chmod(0o600)


def issue_seal_keys(
    folder: Path,
    authority: Authority,
    name: str,
    *,
    base_url: str = DEFAULT_REGISTRY_URL,
    days: int = 1825,
) -> SealKeys:
    """A new seal certificate and key from `authority`, valid until `days` days from now,
    written under `folder` with the CA's certificate."""
    seal_key = ec.generate_private_key(ec.SECP256R1())
    seal_cert = _end_entity(
        authority,
        _name(name, "agreement registry seal"),
        seal_key,
        SEAL_PURPOSES,
        days=days,
        base_url=base_url,
    )
    keys = SealKeys(folder / "seal-cert.pem", folder / "seal-key.pem", folder / "ca-cert.pem")
    folder.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    keys.ca.write_bytes(authority.cert.public_bytes(pem))
    keys.cert.write_bytes(seal_cert.public_bytes(pem))
    _write_key(keys.key, seal_key)
    return keys


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One process at a time makes keys in `folder` (several app servers may start at
    once on a fresh instance folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def development_keys(folder: Path, name: str, *, base_url: str = DEFAULT_REGISTRY_URL) -> SealKeys:
    """A development CA and seal certificate, made once and kept under `folder` with the
    CA's key (ca-key.pem). A folder from before the CA kept its key gets a fresh set; its
    seal certificate moves to earlier/, so what it sealed still verifies."""
    keys = SealKeys(folder / "seal-cert.pem", folder / "seal-key.pem", folder / "ca-cert.pem")
    ca_key = folder / "ca-key.pem"
    if keys.cert.exists() and keys.key.exists() and keys.ca.exists() and ca_key.exists():
        return keys
    with _locked(folder):
        if keys.cert.exists() and keys.key.exists() and keys.ca.exists() and ca_key.exists():
            return keys  # another process made them while this one waited
        if keys.cert.exists():
            old = x509.load_pem_x509_certificate(keys.cert.read_bytes())
            kept = folder / EARLIER / f"seal-cert-{old.serial_number:x}.pem"
            kept.parent.mkdir(exist_ok=True)
            keys.cert.replace(kept)
            log.warning(
                "The development seal folder %s has no CA key (it was made before the CA "
                "kept one): made a new development CA and seal certificate; the old seal "
                "certificate is kept in %s as an earlier registry seal",
                folder,
                kept.parent,
            )
        authority = make_authority(name)
        issued = issue_seal_keys(folder, authority, name, base_url=base_url)
        _write_key(ca_key, authority.key)
        return issued


def development_authority(folder: Path) -> Authority:
    """The development CA kept under `folder` by development_keys."""
    cert = x509.load_pem_x509_certificate((folder / "ca-cert.pem").read_bytes())
    key = serialization.load_pem_private_key((folder / "ca-key.pem").read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"the development CA key in {folder} is not an elliptic-curve key")
    return Authority(cert, key)


@dataclass(frozen=True)
class TimestampKeys:
    cert: Path
    key: Path


def development_tsa_keys(
    folder: Path, authority: Authority, name: str, *, base_url: str = DEFAULT_REGISTRY_URL
) -> TimestampKeys:
    """The development timestamp authority's certificate and key, issued by `authority`
    and kept under `folder`; issued afresh when missing, from another CA, or within a
    year of expiring."""
    keys = TimestampKeys(folder / "tsa-cert.pem", folder / "tsa-key.pem")
    with _locked(folder):
        if keys.cert.exists() and keys.key.exists():
            cert = x509.load_pem_x509_certificate(keys.cert.read_bytes())
            fresh = cert.not_valid_after_utc - datetime.now(UTC) > timedelta(days=365)
            if fresh and cert.issuer == authority.cert.subject:
                try:
                    cert.verify_directly_issued_by(authority.cert)
                    return keys
                except (ValueError, TypeError, InvalidSignature):
                    pass  # issued by an earlier development CA of the same name
        tsa_key = ec.generate_private_key(ec.SECP256R1())
        tsa_cert = _end_entity(
            authority,
            _name(name, "development TSA"),
            tsa_key,
            (ExtendedKeyUsageOID.TIME_STAMPING,),
            days=1825,
            base_url=base_url,
        )
        _write_key(keys.key, tsa_key)
        keys.cert.write_bytes(tsa_cert.public_bytes(serialization.Encoding.PEM))
        return keys


def make_crl(
    authority: Authority,
    *,
    now: datetime,
    valid_for: timedelta = timedelta(days=7),
    revoked: tuple[x509.Certificate, ...] = (),
) -> bytes:
    """The CA's list of revoked certificates (DER), issued at `now`: a validator that finds
    a seal certificate absent from it knows the certificate was good then."""
    issued = now.replace(microsecond=0) - timedelta(minutes=5)  # a little clock skew
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.cert.subject)
        .last_update(issued)
        .next_update(issued + valid_for)
        .add_extension(x509.CRLNumber(int(issued.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
            critical=False,
        )
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(issued)
            .build()
        )
    crl = builder.sign(authority.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def sign(keys: SealKeys, message: bytes) -> bytes:
    """An ECDSA (SHA-256) signature of `message` with the seal's private key."""
    key = serialization.load_pem_private_key(keys.key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the seal key is not an elliptic-curve key")
    return key.sign(message, ec.ECDSA(hashes.SHA256()))


def signed_by_seal(keys: SealKeys, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is the seal certificate's key's signature of `message`."""
    public = x509.load_pem_x509_certificate(keys.cert.read_bytes()).public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
