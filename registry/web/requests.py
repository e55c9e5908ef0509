"""The request class: bodies no rule could hold are refused before any view reads them.

Every JSON route reads its body through `request.get_json()`, which parses with `app.json`,
so refusing there covers the API, present and future, in one place:

- a lone UTF-16 surrogate (`"\\ud800"`) is valid JSON syntax but not a character: no
  text column can store it (UTF-8 has no encoding for it, PostgreSQL refuses it);
- JSON nested deeper than any body of the registry could be exhausts the parser's
  recursion (a thousand `[` is 1 KB);
- an object naming one key twice: Python keeps the last, another reader (a gateway, a
  log, an audit tool) the first, so two parties would read two different requests;
- a body not written in UTF-8 (RFC 8259 asks for it: UTF-16, UTF-32, Latin-1 bytes, a
  byte-order mark first, a declared `charset` other than utf-8), and an integer too long
  for Python to read (over 4,300 digits): each is said as what it is, not as "not JSON";
- a body sent without a length (Transfer-Encoding: chunked) over MAX_CONTENT_LENGTH is
  "too large" (413), as one with a length is; Werkzeug would quietly cut it at the limit
  and hand the view a truncated body.

Other media types ending `+json` (`application/merge-patch+json`) are read as JSON, as
Werkzeug does: every PATCH of the API changes only the fields sent, which is what a merge
patch means, and the body is held to the same models.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from flask import Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from ..domain.errors import RegistryError

# The deepest body the API takes is an object holding a list of objects (parties) holding
# scalars: three levels. Far more than that is never a mistake a client makes by accident.
MAX_JSON_DEPTH = 32

_SURROGATE = re.compile("[\ud800-\udfff]")
# A surrogate escaped (`\ud800` to `\udfff`, any case) or written raw as UTF-8 would have it.
_MAY_HOLD_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


class UnreadableBody(RegistryError):
    """A body that is syntactically JSON but cannot be taken in (400, "malformed")."""

    status = 400
    code = "malformed"


class RegistryJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading with the registry's refusals: what `request.get_json()` calls
    (Flask hands each request `app.json`). Raises `UnreadableBody`, not ValueError, so
    even `get_json(silent=True)` refuses rather than answers None."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        raw = s.encode("utf-8", "surrogatepass") if isinstance(s, str) else s
        encoding = json.detect_encoding(raw)
        if encoding == "utf-8-sig" or raw.startswith(b"\xef\xbb\xbf"):
            raise UnreadableBody(
                "The body starts with a byte-order mark: send JSON as UTF-8 without one"
            )
        if encoding != "utf-8":
            raise UnreadableBody(f"{NOT_UTF8}: it reads as {encoding.upper()}")
        try:
            if kwargs:
                if "object_hook" not in kwargs:
                    kwargs = {"object_pairs_hook": _object, **kwargs}
                value = json.loads(s, **{"parse_constant": _not_json, **kwargs})
            else:  # as json.loads reads bytes, with one decoder made once
                text = s if isinstance(s, str) else s.decode("utf-8", "surrogatepass")
                value = _DECODER.decode(text)
        except RecursionError:
            raise _too_deep() from None
        except UnicodeDecodeError as exc:
            raise UnreadableBody(f"{NOT_UTF8}: byte {exc.start + 1} is not UTF-8") from None
        except json.JSONDecodeError:
            raise
        except ValueError as exc:
            if "integer string conversion" in str(exc):  # Python's 4,300-digit limit
                raise UnreadableBody(
                    "A number in the body is too long: send numbers of at most "
                    f"{sys.get_int_max_str_digits()} digits"
                ) from None
            raise
        # Only a body written with a surrogate (escaped, or as raw bytes) can hold one; only
        # one with more brackets than the limit can be too deep. Most bodies skip the walk.
        surrogates = _MAY_HOLD_SURROGATE.search(raw) is not None
        if surrogates or raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
            _check(value, surrogates=surrogates)
        return value


NOT_UTF8 = "The body is not UTF-8 JSON (RFC 8259 asks for UTF-8)"


def _not_json(name: str) -> Any:
    # Python's parser takes NaN and Infinity, which RFC 8259 does not: no field holds one.
    raise UnreadableBody(f"{name} is not a JSON value")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused when it names a key twice (RFC 8259: names SHOULD be unique,
    and readers differ on which one counts)."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                name = _SURROGATE.sub("\N{REPLACEMENT CHARACTER}", key)
                name = name if len(name) <= 64 else name[:64] + "…"
                raise UnreadableBody(
                    f'The key "{name}" appears more than once in one object of the body: '
                    "send each key once",
                    fields={name: "appears more than once"},
                )
            seen.add(key)
    return value


_DECODER = json.JSONDecoder(parse_constant=_not_json, object_pairs_hook=_object)


def _too_deep() -> UnreadableBody:
    return UnreadableBody(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep")


def _check(value: Any, *, surrogates: bool) -> None:
    """Walk the parsed body's containers without recursion: refuse deep nesting and (when
    the body may hold one) lone surrogates, naming the top-level field they sit in."""
    stack: list[tuple[Any, int, str | None]] = [(value, 1, None)]
    if surrogates and isinstance(value, str) and _SURROGATE.search(value):
        _unpaired(None)
    while stack:
        item, depth, field = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(item, dict):
            for key, child in item.items():
                where = field if field is not None or depth > 1 else key
                if surrogates and _SURROGATE.search(key):
                    _unpaired(where)
                _visit(child, depth, where, stack, surrogates)
        elif isinstance(item, list):
            for child in item:
                _visit(child, depth, field, stack, surrogates)


def _visit(child: Any, depth: int, field: str | None, stack: list, surrogates: bool) -> None:
    if isinstance(child, dict | list):
        stack.append((child, depth + 1, field))
    elif surrogates and isinstance(child, str) and _SURROGATE.search(child):
        _unpaired(field)


def _unpaired(field: str | None) -> None:
    message = (
        "The JSON body holds an unpaired UTF-16 surrogate (\\ud800 to \\udfff), which is "
        "not a character: send text as UTF-8, or each surrogate pair complete"
    )
    name = _SURROGATE.sub("\N{REPLACEMENT CHARACTER}", field) if field is not None else None
    raise UnreadableBody(
        message, fields={name: "must not contain unpaired surrogates"} if name else None
    )


class _CappedStream(LimitedStream):
    """A body of unknown length, read up to MAX_CONTENT_LENGTH: reading all of it raises 413
    when more follows the limit, where Werkzeug's LimitedStream would stop silently."""

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise RequestEntityTooLarge()
        return data


class RegistryRequest(Request):
    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """As Werkzeug reads JSON, but a body declared in another character set is refused
        rather than read as UTF-8 regardless (RFC 8259: JSON exchanged is UTF-8)."""
        charset = self.mimetype_params.get("charset")
        declared = (charset or "utf-8").strip().strip('"').lower()
        if declared not in ("utf-8", "utf8") and (force or self.is_json):
            raise UnreadableBody(
                f"The body must be UTF-8 JSON, not charset={declared[:40]}: "
                "send it as UTF-8, with Content-Type: application/json"
            )
        return super().get_json(force=force, silent=silent, cache=cache)

    @cached_property
    def stream(self):  # type: ignore[override]
        limit = self.max_content_length
        if (
            not self.shallow
            and self.content_length is None
            and limit is not None
            and "wsgi.input_terminated" in self.environ
        ):
            # A server that ends the body itself (gunicorn, Werkzeug's for chunked bodies).
            return _CappedStream(self.environ["wsgi.input"], limit, is_max=True)
        return super().stream
