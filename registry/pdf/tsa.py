"""The registry's development timestamp authority: RFC 3161 over HTTP on loopback.

A long-term seal (PAdES B-LTA) needs a timestamp authority to say when the seal was made
and, later, that the file with its validation data existed. Production names a real one
(TSA_URL). In development and in the tests this one answers instead, over real HTTP on
127.0.0.1, so that sealing speaks to a TSA exactly as it would to a qualified one. Its
certificate comes from the development CA (keys.py). asn1crypto and cryptography only:
no pyHanko."""

from __future__ import annotations

import hashlib
import logging
import secrets
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import algos, cms, core, tsp, x509
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

log = logging.getLogger(__name__)

QUERY = "application/timestamp-query"
REPLY = "application/timestamp-reply"
# A request is a hash and a few small fields; anything much bigger is not one.
MAX_REQUEST = 16 * 1024
# The development TSA's policy: an OID under 2.25 (ITU-T X.667), made from a UUID, so it
# is ours without registering an arc. It promises nothing beyond the clock of this machine.
POLICY = "2.25.162006313622245452232981011004394066841"
# The digests a request may carry, and their lengths.
DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}


class Rejected(Exception):
    """A request the TSA will not stamp, with the RFC 3161 failure reason."""

    def __init__(self, reason: str, words: str) -> None:
        super().__init__(words)
        self.reason = reason


@dataclass(frozen=True)
class Responder:
    """Answers timestamp requests with tokens signed by the TSA's key."""

    # The certificate, and the attribute naming it, as DER: each token reads its own
    # copies. asn1crypto copies a value it built or parsed field by field when it goes
    # into another: built afresh each time, the attribute alone took 11 ms a token.
    cert_der: bytes
    key: ec.EllipticCurvePrivateKey
    certificate_id: bytes

    @classmethod
    def load(cls, cert: Path, key: Path) -> Responder:
        private = serialization.load_pem_private_key(key.read_bytes(), password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise ValueError(f"the timestamping key {key} is not an elliptic-curve key")
        der = pyca_x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
        return cls(der, private, _certificate_id(x509.Certificate.load(der)).dump())

    def answer(self, body: bytes, *, now: datetime) -> bytes:
        """The DER TimeStampResp for the DER TimeStampReq `body`: a token, or a rejection
        naming why (RFC 3161 § 2.4.2). Never raises for what the request holds."""
        try:
            request = _parse(body)
            token = self._token(request, now)
        except Rejected as why:
            return rejection(why.reason, str(why))
        return tsp.TimeStampResp(
            {"status": {"status": "granted"}, "time_stamp_token": token}
        ).dump()

    def _token(self, request: tsp.TimeStampReq, now: datetime) -> cms.ContentInfo:
        cert = x509.Certificate.load(self.cert_der)
        imprint = request["message_imprint"]
        # To the millisecond, which is as well as this clock can be trusted.
        generated = now.astimezone(UTC).replace(microsecond=now.microsecond // 1000 * 1000)
        info = {
            "version": "v1",
            "policy": POLICY,
            "message_imprint": imprint,
            # Unique per token (RFC 3161: up to 160 bits).
            "serial_number": secrets.randbits(127),
            "gen_time": generated,
            "accuracy": {"seconds": 1},
            "tsa": x509.GeneralName({"directory_name": cert.subject}),
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"]
        content = tsp.TSTInfo(info).dump()
        signed_attrs = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
                {
                    "type": "signing_certificate_v2",
                    "values": [tsp.SigningCertificateV2.load(self.certificate_id)],
                },
            ]
        )
        signature = self.key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": {
                            "issuer": cert.issuer,
                            "serial_number": cert.serial_number,
                        }
                    }
                ),
                "digest_algorithm": {"algorithm": "sha256"},
                "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": "sha256_ecdsa"},
                "signature": signature,
            }
        )
        signed = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": cms.ParsableOctetString(content),
            },
            "signer_infos": [signer],
        }
        if request["cert_req"].native:
            signed["certificates"] = [x509.Certificate.load(self.cert_der)]
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed)})


def _certificate_id(cert: x509.Certificate) -> tsp.SigningCertificateV2:
    """ESS signing-certificate-v2: binds the token to the TSA's certificate."""
    return tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "cert_hash": hashlib.sha256(cert.dump()).digest(),
                    "issuer_serial": {
                        "issuer": [x509.GeneralName({"directory_name": cert.issuer})],
                        "serial_number": cert.serial_number,
                    },
                }
            ]
        }
    )


class _Refusal(core.Sequence):
    """A TimeStampResp without a token (asn1crypto's own class requires one, though
    RFC 3161 leaves it out of every answer that is not granted)."""

    _fields = [("status", tsp.PKIStatusInfo)]


def rejection(reason: str, words: str) -> bytes:
    """The DER TimeStampResp refusing a request for `reason` (a PKIFailureInfo name)."""
    status = {
        "status": "rejection",
        "status_string": [words],
        "fail_info": tsp.PKIFailureInfo({reason}),
    }
    return _Refusal({"status": status}).dump()


def _parse(body: bytes) -> tsp.TimeStampReq:
    """The request, checked field by field, or Rejected saying what is wrong with it."""
    try:
        request = tsp.TimeStampReq.load(body, strict=True)
        version = request["version"].native
        algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
        digest = request["message_imprint"]["hashed_message"].native
        policy = request["req_policy"].native
        extensions = request["extensions"].native
        request["nonce"].native  # noqa: B018 (parse it now, while a fault is the request's)
        request["cert_req"].native  # noqa: B018
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        raise Rejected("bad_data_format", "not a DER-encoded RFC 3161 request") from error
    if version != "v1":
        raise Rejected("bad_request", "only version 1 requests are answered")
    if algorithm not in DIGESTS:
        raise Rejected("bad_alg", f"the digest must be one of {', '.join(DIGESTS)}")
    if not isinstance(digest, bytes) or len(digest) != DIGESTS[algorithm]:
        raise Rejected("bad_data_format", f"a {algorithm} digest has {DIGESTS[algorithm]} bytes")
    if policy is not None and policy != POLICY:
        raise Rejected("unaccepted_policy", f"this TSA stamps under policy {POLICY} only")
    if extensions:
        raise Rejected("unaccepted_extensions", "this TSA accepts no request extensions")
    return request


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # A client that stops sending mid-request is dropped after this many seconds.
    timeout = 10
    # The headers and the body go out as two writes: without this, Nagle's algorithm and
    # the client's delayed ACK hold the body back 40 ms.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if not 0 < length <= MAX_REQUEST:
            self._plain(400, f"Send one RFC 3161 request of at most {MAX_REQUEST} bytes.")
            return
        body = self.rfile.read(length)
        if kind != QUERY:
            self._plain(415, f"Send the request as {QUERY}.")
            return
        try:
            reply = self.server.responder.answer(body, now=datetime.now(UTC))
        except Exception:  # the TSA's own fault (its key, its clock): say so, once
            log.exception("the development timestamp authority could not answer")
            reply = rejection("system_failure", "the timestamp authority failed; try again")
        self.send_response(200)
        self.send_header("Content-Type", REPLY)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def do_GET(self) -> None:  # noqa: N802
        self._plain(405, f"POST an RFC 3161 request as {QUERY}.", allow="POST")

    def _plain(self, code: int, words: str, allow: str | None = None) -> None:
        body = (words + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if allow:
            self.send_header("Allow", allow)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
        log.debug("development TSA: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, responder: Responder) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.responder = responder

    def handle_error(self, request: object, client_address: object) -> None:
        # A client gone or too slow: one line in the log, not socketserver's traceback.
        error = sys.exc_info()[1]
        log.warning("development TSA: dropped %s: %r", client_address, error)


def serve(responder: Responder) -> str:
    """Start answering on an ephemeral loopback port in a daemon thread; the TSA's URL.
    It lives as long as the process."""
    server = _Server(responder)
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, name="development-tsa", daemon=True)
    thread.start()
    log.info("development timestamp authority at http://%s:%d/", host, port)
    return f"http://{host}:{port}/"
