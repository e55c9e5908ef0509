"""Reading a request with its model from web/api/contract.py: a body that is not a JSON
object is a 400; each bad field is named in one 422 (SPEC section 9), with what the
service's own rules say of the fields that had the right shape."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from ...domain.errors import RegistryError, ValidationFailed
from ...domain.fields import blank, text_error
from .contract import DATE_RANGE, Empty, Query, Request

M = TypeVar("M", bound=Request)
Q = TypeVar("Q", bound=Query)
Rules = Callable[[dict[str, Any]], dict[str, str]]

NOT_AN_OBJECT = "Send a JSON object with Content-Type: application/json"


class Malformed(RegistryError):
    status = 400
    code = "malformed"


def parse(model: type[M], *, rules: Rules | None = None) -> M:
    """The request's body as `model`. On a fault, one 422 names every bad field; `rules`
    (given the raw values of the fields that had the right shape) adds what the service
    would say of those, so that one answer names them all."""
    # Read first as every JSON body is (web/requests.py refuses what no field can hold);
    # then the model reads the same text, in JSON's own types (a date is a string there).
    data = request.get_json(silent=True)
    if data is None and model is Empty and not request.get_data(cache=True).strip():
        return model()
    if not isinstance(data, dict):
        raise Malformed(NOT_AN_OBJECT)
    try:
        return model.model_validate_json(request.get_data(cache=True))
    except ValidationError as exc:
        fields = _fields(model, exc)
    if rules is not None:
        good = {k: v for k, v in data.items() if k in model.model_fields and k not in fields}
        fields.update({k: v for k, v in rules(good).items() if k not in fields})
    raise ValidationFailed(fields)


def given(instance: BaseModel) -> dict[str, Any]:
    """The fields the client sent (a PATCH changes only these)."""
    return {name: getattr(instance, name) for name in instance.model_fields_set}


def _fields(model: type[BaseModel], exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_context=True):
        loc = error["loc"]
        if not loc:  # the body as a whole: not JSON, or not an object
            raise Malformed(NOT_AN_OBJECT) from None
        name = str(loc[0])
        if name not in fields:
            fields[name] = message(model, loc, error)
    return fields


def message(model: type[BaseModel], loc: tuple, error: dict) -> str:
    """A plain sentence naming the field."""
    name = str(loc[0])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing" and len(loc) == 1:
        return f"{name} is required"
    own = getattr(model, "messages", {}).get(name)
    if own:
        return own
    where = name + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc[1:] if part != "[key]"
    )
    value = error.get("input")
    if kind == "missing":
        return f"{where} is required"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{where} must be a whole number"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(model, name)
        return f"{where} must be a whole number from {low} to {high}"
    if kind == "bool_type" or kind == "bool_parsing":
        return f"{where} must be true or false"
    if kind == "date_out_of_range":
        return f"{where} must be {DATE_RANGE}"
    if kind.startswith("date"):
        return f"{where} must be a date written YYYY-MM-DD"
    if kind == "string_type":
        return f"{where} must be a string"
    if kind == "string_too_long":
        return f"{where} must be {ctx.get('max_length')} characters or fewer"
    if kind in ("string_too_short", "string_pattern_mismatch"):
        return _text_fault(where, value)
    if kind in ("enum", "literal_error"):
        return f"{where} must be one of {ctx.get('expected', '')}".replace("'", "")
    if kind in ("list_type", "too_long", "too_short"):
        return f"{where} must be a list of at most {_max_items(model, name)} items" + (
            ", at least one" if kind == "too_short" else ""
        )
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where} must be an object"
    return f"{where} is not valid"


def _text_fault(where: str, value: Any) -> str:
    """Why text failed its field's pattern, in the services' own words (domain/fields.py):
    what any field refuses first, then what only a single-line field refuses."""
    if not isinstance(value, str) or blank(value):
        return f"{where} must not be empty"
    return (
        text_error(value, where, multiline=True)
        or text_error(value, where)
        or f"{where} is not in the form the API document gives"
    )


@cache
def _field_schema(model: type[BaseModel], name: str) -> dict:
    schema = model.model_json_schema()
    field = schema.get("properties", {}).get(name, {})
    for option in field.get("anyOf", [field]):
        if option.get("type") != "null":
            return option
    return field


def _bounds(model: type[BaseModel], name: str) -> tuple[Any, Any]:
    field = _field_schema(model, name)
    return field.get("minimum", "?"), field.get("maximum", "?")


def _max_items(model: type[BaseModel], name: str) -> Any:
    return _field_schema(model, name).get("maxItems", "?")


_FLAGS = {"true": True, "1": True, "false": False, "0": False}


def query(model: type[Q]) -> Q:
    """The query string as `model`: a whole number in ASCII digits, a flag as true or
    false (or 1 or 0, as SPEC §9 writes `?include_ended=1`), anything else as the model
    says, each given once; parameters not declared are ignored."""
    values: dict[str, Any] = {}
    fields: dict[str, str] = {}
    for name in model.model_fields:
        if name not in request.args:
            continue
        raw = request.args[name]
        kind = _field_schema(model, name).get("type")
        if len(request.args.getlist(name)) > 1:
            # Which one was meant? Refused rather than guessed (each is one value).
            fields[name] = f"Give {name} once"
        elif kind == "integer" and not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
            low, high = _bounds(model, name)
            fields[name] = f"{name} must be a whole number from {low} to {high}"
        elif kind == "boolean" and raw not in _FLAGS:
            fields[name] = f"{name} must be true or false (or 1 or 0)"
        elif kind == "integer":
            values[name] = int(raw)
        else:
            values[name] = _FLAGS[raw] if kind == "boolean" else raw
    try:
        instance = model.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            name = str(error["loc"][0])
            fields.setdefault(name, message(model, error["loc"], error))
        raise ValidationFailed(fields) from None
    if fields:
        raise ValidationFailed(fields)
    return instance


def listing(page, serialise) -> dict[str, Any]:
    return {"items": [serialise(item) for item in page.items], "total": page.total}
