"""Reading a JSON body: types checked, each bad field named, unknown fields ignored."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request

from ...domain.errors import RegistryError, ValidationFailed


class Malformed(RegistryError):
    status = 400
    code = "malformed"


class Body:
    def __init__(self, *, allow_empty: bool = False) -> None:
        data = request.get_json(silent=True)
        if data is None and allow_empty and not request.get_data():
            data = {}
        if not isinstance(data, dict):
            raise Malformed("Send a JSON object with Content-Type: application/json")
        self.data = data
        self.errors: dict[str, str] = {}
        for name, value in data.items():
            if _has_nul(name) or _has_nul(value):
                self.errors[str(name).replace("\x00", "")] = (
                    "must not contain NUL characters (\\u0000)"
                )

    def has(self, name: str) -> bool:
        return name in self.data

    def _missing(self, name: str, required: bool) -> bool:
        if name not in self.data or self.data[name] is None:
            if required:
                self.errors[name] = f"{name} is required"
            return True
        return False

    def string(self, name: str, *, required: bool = False, max_length: int = 5000) -> str | None:
        if self._missing(name, required):
            return None
        value = self.data[name]
        if not isinstance(value, str):
            self.errors[name] = f"{name} must be a string"
            return None
        if len(value) > max_length:
            self.errors[name] = f"{name} must be {max_length} characters or fewer"
            return None
        return value

    def integer(self, name: str, *, required: bool = False) -> int | None:
        if self._missing(name, required):
            return None
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**31:
            self.errors[name] = f"{name} must be a whole number"
            return None
        return value

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        if self._missing(name, required):
            return None
        value = self.data[name]
        if not isinstance(value, bool):
            self.errors[name] = f"{name} must be true or false"
            return None
        return value

    def date(self, name: str, *, required: bool = False) -> date | None:
        if self._missing(name, required):
            return None
        value = self.data[name]
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.errors[name] = f"{name} must be a date written YYYY-MM-DD"
            return None

    def codes(self, name: str, *, required: bool = False) -> list[str] | None:
        if self._missing(name, required):
            return None
        value = self.data[name]
        if (
            not isinstance(value, list)
            or not all(isinstance(v, str) for v in value)
            or len(value) > 200
        ):
            self.errors[name] = f"{name} must be a list of codes"
            return None
        return value

    def mapping(self, name: str) -> dict[str, str] | None:
        """An object of short strings (the key questions' answers)."""
        if self._missing(name, False):
            return None
        value = self.data[name]
        if (
            not isinstance(value, dict)
            or len(value) > 50
            or not all(
                isinstance(k, str) and isinstance(v, str) and len(v) <= 100
                for k, v in value.items()
            )
        ):
            self.errors[name] = f"{name} must be an object of short text answers"
            return None
        return value

    def parties(self, name: str = "parties", *, required: bool = False) -> list[dict] | None:
        if self._missing(name, required):
            return None
        value = self.data[name]
        if not isinstance(value, list) or len(value) > 1000:
            self.errors[name] = f"{name} must be a list of parties"
            return None
        parties = []
        for index, item in enumerate(value):
            ok = (
                isinstance(item, dict)
                and isinstance(item.get("agency_id"), int)
                and not isinstance(item.get("agency_id"), bool)
                and isinstance(item.get("may_disclose", False), bool)
                and isinstance(item.get("may_receive", False), bool)
                and isinstance(item.get("role") or "", str)
            )
            if not ok:
                self.errors[name] = (
                    f"{name}[{index}] must be an object with agency_id, "
                    "may_disclose and may_receive"
                )
                return None
            parties.append(
                {
                    "agency_id": item["agency_id"],
                    "may_disclose": item.get("may_disclose", False),
                    "may_receive": item.get("may_receive", False),
                    "role": (item.get("role") or "")[:200],
                }
            )
        return parties

    def check(self, values: dict[str, Any] | None = None, rules=None) -> None:
        """Raise 422 naming every bad field: wrong types here, and, when `rules` is given,
        what the service's own field rules say of the values that had the right type."""
        errors = dict(self.errors)
        if rules is not None and values is not None:
            typed = {k: v for k, v in values.items() if k not in errors}
            errors.update({k: v for k, v in rules(typed).items() if k not in errors})
        if errors:
            raise ValidationFailed(errors)


def query_int(name: str, default: int, *, low: int = 1, high: int = 10**9) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed({name: f"{name} must be a whole number from {low} to {high}"})
    return int(raw)


def paging() -> dict[str, int]:
    return {"page": query_int("page", 1), "per_page": query_int("per_page", 50, high=500)}


def listing(page, serialise) -> dict[str, Any]:
    return {"items": [serialise(item) for item in page.items], "total": page.total}


def _has_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in a JSON value (PostgreSQL's text cannot
    hold one, and no person means one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
