"""What a long-term seal needs besides the seal key: a timestamp authority to say when,
the certificates to trust for its answers, and the CA's revocation list to put in the
file's validation data (PAdES B-LTA).

Production names a real timestamp authority (TSA_URL, TSA_CA) and the CA's published
CRL (SEAL_CRL). In development and in the tests the registry runs its own: a timestamp
authority on loopback issued by the development CA, started once per process and seal
folder, and a CRL from the same CA, made afresh every hour. Importing this module loads
neither pyHanko nor asn1crypto: the app serves /pki/ from it."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .keys import (
    DEFAULT_REGISTRY_URL,
    development_authority,
    development_tsa_keys,
    keys_from_config,
    make_crl,
)

# A development CRL is made afresh when the cached one is older than this: sealing puts
# it in the file's validation data, and a validator wants one issued near the seal.
CRL_FRESH_FOR = timedelta(hours=1)


@dataclass(frozen=True)
class Trust:
    tsa_url: str  # RFC 3161 endpoint over HTTP
    tsa_roots: tuple[Path, ...]  # PEM certificates to trust for the TSA's chain
    crls: tuple[bytes, ...]  # DER CRLs to embed in validation data
    fetch: bool  # may validation fetch CRLs and OCSP answers online


def trust_from_config(config: Mapping[str, Any]) -> Trust:
    """The timestamp authority, trust roots and CRLs named by the settings, or else the
    registry's development ones (started on first use). Cheap after the first call."""
    production = config.get("ENV_NAME") == "production"
    published = _published_crls(config)
    if config.get("TSA_URL"):
        roots = tuple(Path(p) for p in config.get("TSA_CA") or ())
        return Trust(
            str(config["TSA_URL"]),
            roots or (keys_from_config(config).ca,),
            published,
            fetch=production,
        )
    if production:
        # config.py refuses to start without it; this is for a config built by hand.
        raise RuntimeError("TSA_URL must be set in production (REGISTRY_ENV=production)")
    development = _development(config)
    return Trust(
        development.url,
        (development.ca,),
        (*published, development.crl()),
        fetch=False,
    )


def published_ca(config: Mapping[str, Any]) -> Path:
    """The seal CA's certificate (PEM) that partners fetch as their trust root."""
    return keys_from_config(config).ca


def published_ca_der(config: Mapping[str, Any]) -> bytes:
    """The seal CA's certificate as DER, as RFC 5280 asks over HTTP, whether the file is
    PEM or DER (OSError or ValueError when it cannot be read as a certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    data = published_ca(config).read_bytes()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    return x509.load_der_x509_certificate(data).public_bytes(Encoding.DER)


def published_crl(config: Mapping[str, Any]) -> bytes | None:
    """The seal CA's CRL (DER): the file SEAL_CRL names, else in development a fresh one
    from the development CA, else (production without SEAL_CRL) none."""
    if config.get("SEAL_CRL"):
        return _der_crl(Path(config["SEAL_CRL"]).read_bytes())
    if config.get("ENV_NAME") == "production" or config.get("SEAL_CERT"):
        return None  # a CA the registry does not hold publishes its own
    return _development(config).crl()


def _published_crls(config: Mapping[str, Any]) -> tuple[bytes, ...]:
    if not config.get("SEAL_CRL"):
        return ()
    return (_der_crl(Path(config["SEAL_CRL"]).read_bytes()),)


def _der_crl(data: bytes) -> bytes:
    """A CRL file as DER, whether the CA published it so or in PEM."""
    if b"-----BEGIN" not in data:
        return data
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_pem_x509_crl(data).public_bytes(Encoding.DER)


class _Development:
    """The development CA's timestamp authority and CRL for one seal folder."""

    def __init__(self, folder: Path, name: str, base_url: str) -> None:
        from .tsa import Responder, serve

        self.folder = folder
        self.ca = folder / "ca-cert.pem"
        self.authority = development_authority(folder)
        tsa = development_tsa_keys(folder, self.authority, name, base_url=base_url)
        self.url = serve(Responder.load(tsa.cert, tsa.key))
        self._crl: tuple[datetime, bytes] | None = None
        self._lock = threading.Lock()

    def crl(self) -> bytes:
        now = datetime.now(UTC)
        with self._lock:
            if self._crl is None or now - self._crl[0] > CRL_FRESH_FOR:
                self._crl = (now, make_crl(self.authority, now=now))
            return self._crl[1]


_running: dict[tuple[int, Path], _Development] = {}
_starting = threading.Lock()


def _development(config: Mapping[str, Any]) -> _Development:
    """The development TSA and CRL for the config's seal folder: one per process (a forked
    app server starts its own: a thread does not survive fork) and folder."""
    folder = Path(config["INSTANCE_PATH"]) / "seal"
    key = (os.getpid(), folder)
    running = _running.get(key)
    if running is not None:
        return running
    with _starting:
        if key not in _running:
            # Makes the development CA and its key first, if the folder has none.
            keys_from_config({**config, "SEAL_CERT": None, "SEAL_KEY": None})
            _running[key] = _Development(
                folder,
                config.get("PARTNERSHIP_NAME", "Agreement registry"),
                config.get("REGISTRY_URL") or DEFAULT_REGISTRY_URL,
            )
        return _running[key]
