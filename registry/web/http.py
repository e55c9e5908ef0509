"""HTTP as RFC 9110 has it, in one place for every route: the API's own headers
(`Cache-Control: no-store` on its JSON, `WWW-Authenticate` on its 401s), downloads that
revalidate (`ETag`, `Last-Modified`, 304), and gzip for the clients that accept it."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from flask import Flask, Response, current_app, request

from ..domain.fields import digits

# Text that compresses well and is not compressed already (PDFs, images and zips are).
# Not text/html: a page carries the session's CSRF token beside text reflected from the
# request (a search, a form's values), and compressing the two together lets whoever sees
# the sizes of the answers guess the token a character at a time (the BREACH attack).
# The API's JSON is safe to compress: it is sent for a bearer token, which another site
# cannot make a browser send.
COMPRESSIBLE = frozenset(
    {
        "application/javascript",
        "application/json",
        "application/ld+json",
        "application/xml",
        "image/svg+xml",
        "text/calendar",
        "text/css",
        "text/csv",
        "text/javascript",
        "text/plain",
        "text/xml",
    }
)
MIN_SIZE = 1024  # below this gzip's own header and the round trip outweigh the saving
MAX_BUFFERED = 16 * 1024 * 1024  # a known-length body above this is sent as it is


def accepts_gzip() -> bool:
    """Whether the client takes gzip: named with a quality above 0, or by `*`."""
    accepted = request.accept_encodings
    for value, quality in accepted:
        if value.lower() in ("gzip", "x-gzip"):
            return quality > 0
    return accepted["*"] > 0


def _compressible(response: Response) -> bool:
    """Whether this answer is gzipped for a client that accepts it."""
    if response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers:
        return False
    if "no-transform" in response.headers.get("Cache-Control", ""):
        return False
    length = response.headers.get("Content-Length")
    if length is None or not digits(length):
        return True  # streamed: the length is not known, and may be large
    if response.status_code == 304 and length == "0":
        return True  # a register file's 304, which stands for a streamed 200
    # A static file's 304 carries its 200's length: the same choice as that 200's.
    return MIN_SIZE <= int(length) <= MAX_BUFFERED


def _gzip_stream(chunks: Iterable[bytes | str]) -> Iterator[bytes]:
    """A streamed body gzipped as it goes: memory stays at zlib's window, not the file's."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: the gzip format
    try:
        for chunk in chunks:
            data = compressor.compress(chunk.encode() if isinstance(chunk, str) else chunk)
            if data:
                yield data
        yield compressor.flush()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # the register's rows are read on a connection of their own


def _weaken_etag(response: Response) -> None:
    """The gzipped variant is not byte-identical to the one the strong ETag names: it gets
    the weak form of the same tag, which If-None-Match still matches (weak comparison)."""
    tag, weak = response.get_etag()
    if tag and not weak:
        response.set_etag(tag, weak=True)


def compress(response: Response) -> Response:
    """gzip for a client that accepts it (RFC 9110 section 8.4.1), with `Vary` so that
    a cache keeps the two variants apart."""
    if response.status_code not in (200, 304) or not _compressible(response):
        return response
    response.vary.add("Accept-Encoding")
    if not accepts_gzip():
        return response
    _weaken_etag(response)
    if response.status_code == 304:
        return response
    if "Content-Length" in response.headers or response.is_sequence:
        response.direct_passthrough = False  # a static file: read it, then gzip it
        response.set_data(gzip.compress(response.get_data(), compresslevel=6, mtime=0))
    else:
        response.response = _gzip_stream(response.response)
    response.headers["Content-Encoding"] = "gzip"
    return response


def gzipped_already(response: Response, length: int) -> None:
    """A 200 whose body is a file stored gzipped, sent as it is to a client that takes
    gzip: labelled as `compress` labels what it gzips (compress leaves it alone), with its
    length, and passed to the server untouched (gunicorn sends a file with sendfile)."""
    if response.status_code != 200:
        return
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(length)
    response.vary.add("Accept-Encoding")
    _weaken_etag(response)
    response.direct_passthrough = True


def api_headers(response: Response) -> Response:
    """The API's answers: never stored by a cache (decision records, tokens and people's
    details are in them), and every 401 says how to authenticate (RFC 9110 section 11.6.1)."""
    if not request.path.startswith("/api/"):
        return response
    if response.mimetype == "application/json":
        response.headers["Cache-Control"] = "no-store"
    if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        sent = scheme.lower() == "bearer" and token.strip()
        response.headers["WWW-Authenticate"] = (
            'Bearer realm="registry", error="invalid_token"' if sent else 'Bearer realm="registry"'
        )
    return response


def revalidating(
    body: Callable[[], bytes | Iterable[bytes | str]],
    *,
    etag: str,
    last_modified: datetime | None = None,
    mimetype: str,
    headers: dict[str, str] | None = None,
    cache_control: str = "private, no-cache",
) -> Response:
    """A download with its validators, answering 304 when the client's copy is current.
    `body` is called only when the file is sent: a 304 reads nothing more."""
    response = current_app.response_class(mimetype=mimetype, headers=headers)
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    # Kept by the browser, never by a shared cache, and checked with the server each time.
    response.headers["Cache-Control"] = cache_control
    # Decided on the validators alone, before there is a body: Werkzeug would read a
    # streamed body into memory to count its length.
    response.make_conditional(request)
    if response.status_code in (304, 412):
        return response
    content = body()
    if isinstance(content, bytes):
        response.set_data(content)
    else:
        response.response = content
        response.headers.pop("Content-Length", None)  # streamed: not known in advance
    return response


def register_http(app: Flask) -> None:
    # After-request functions run last-registered first: compression runs last, on the
    # headers the others set.
    app.after_request(compress)
    app.after_request(api_headers)
