"""The request class: bodies no rule could hold are refused before any view reads them.

Every JSON route reads its body through `request.get_json()`, which parses with `app.json`,
so refusing there covers the API, present and future, in one place:

- a lone UTF-16 surrogate (`"\\ud800"`) is valid JSON syntax but not a character: no
  text column can store it (UTF-8 has no encoding for it, PostgreSQL refuses it);
- JSON nested deeper than any body of the registry could be exhausts the parser's
  recursion (a thousand `[` is 1 KB);
- a body sent without a length (Transfer-Encoding: chunked) over MAX_CONTENT_LENGTH is
  "too large" (413), as one with a length is; Werkzeug would quietly cut it at the limit
  and hand the view a truncated body.
"""

from __future__ import annotations

import json
import re
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
        try:
            if kwargs:
                value = json.loads(s, **{"parse_constant": _not_json, **kwargs})
            else:  # as json.loads reads bytes, with one decoder made once
                text = s if isinstance(s, str) else s.decode(encoding, "surrogatepass")
                if text.startswith("\ufeff"):
                    raise ValueError("Unexpected UTF-8 BOM (decode using utf-8-sig)")
                value = _DECODER.decode(text)
        except RecursionError:
            raise _too_deep() from None
        # Only a body written with a surrogate (escaped, or as raw bytes) can hold one; only
        # one with more brackets than the limit can be too deep. Most bodies skip the walk.
        surrogates = (
            encoding not in ("utf-8", "utf-8-sig")  # UTF-16 or UTF-32: look at every string
            or _MAY_HOLD_SURROGATE.search(raw) is not None
        )
        if surrogates or raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
            _check(value, surrogates=surrogates)
        return value


def _not_json(name: str) -> Any:
    # Python's parser takes NaN and Infinity, which RFC 8259 does not: no field holds one.
    raise UnreadableBody(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(parse_constant=_not_json)


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
