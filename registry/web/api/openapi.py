"""`GET /api/v1/openapi.json`, built from the declared operations and their models."""

from __future__ import annotations

import copy
import json
import re
from functools import cache, lru_cache
from typing import Any

from flask import current_app
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from sqlalchemy import select

from ...extensions import db
from ...services import vocabularies
from ..permissions import public
from . import bp, contract
from .spec import OPERATIONS, Operation, api

ERROR_TEXT = {
    400: "Malformed request: the body is not a JSON object",
    401: "Not signed in: no bearer token, or one that has expired or been revoked",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "State conflict",
    413: "The request is too large",
    422: "Validation failed: `fields` names each bad field",
    429: "Too many requests: wait for Retry-After seconds",
    503: "Not ready: the sealed PDF is being made (`being_sealed`: try again after "
    "Retry-After seconds) or could not be made (`sealing_failed`)",
}
REF = "#/components/schemas/{model}"
PDF = {"type": "string", "format": "binary"}


def _header(description: str, schema: dict | None = None) -> dict[str, Any]:
    return {"description": description, "schema": schema or {"type": "string"}}


# Response headers, by status, on every operation that may answer it.
_RETRY_AFTER = {
    "Retry-After": _header(
        "Seconds to wait before trying again", {"type": "string", "pattern": "^[0-9]+$"}
    )
}
ERROR_HEADERS = {
    401: {"WWW-Authenticate": _header('How to authenticate: `Bearer realm="registry"`')},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}
# A download that revalidates (web/http.py's `revalidating`): its validators, and the
# conditional request headers that get a 304 when the client's copy is current.
VALIDATORS = {
    "ETag": _header("The file's SHA-256, quoted: send it back as If-None-Match"),
    "Last-Modified": _header("When the file was issued: send it back as If-Modified-Since"),
    "Cache-Control": _header("`private, no-cache`: a browser may keep it, and asks again"),
}
CONDITIONS = (
    {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "The ETag of the copy you have: 304 if it is still current",
        "schema": {"type": "string"},
    },
    {
        "name": "If-Modified-Since",
        "in": "header",
        "required": False,
        "description": "The Last-Modified of the copy you have (an HTTP date): 304 if the "
        "file has not changed since",
        "schema": {"type": "string"},
    },
)


class _Schema(GenerateJsonSchema):
    """Pydantic's JSON Schema without a title on every property, and without the
    `default: null` of an optional field that may not be null: a PATCH field left out
    is left as it is, but one sent as null is refused, so null is no default of it."""

    def field_title_should_be_set(self, schema) -> bool:
        return False

    def default_schema(self, schema):
        json_schema = super().default_schema(schema)
        if json_schema.get("default", 0) is None and not _takes_null(json_schema):
            del json_schema["default"]
        return json_schema


def _takes_null(schema: dict) -> bool:
    kinds = schema.get("type")
    return (
        kinds == "null"
        or (isinstance(kinds, list) and "null" in kinds)
        or any(_takes_null(option) for option in schema.get("anyOf", ()))
    )


def model_of(value: type[BaseModel] | str) -> type[BaseModel]:
    """A declared model, or one named by a route declared before models were used."""
    return getattr(contract, value) if isinstance(value, str) else value


def _path_params(op: Operation) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": contract.MAX_ID},
        }
        for name in re.findall(r"{([a-z_]+)}", op.path)
    ]


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(schema_generator=_Schema, ref_template=REF)
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        prop.pop("default", None)
        description = prop.pop("description", None)
        options = [o for o in prop.pop("anyOf", []) if o.get("type") != "null"]
        if options:
            prop.update(options[0])
        param: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


def _content(model: type[BaseModel] | str | None, content_type: str) -> dict[str, Any]:
    if model is None:
        return {}
    if model == "Pdf" or content_type == "application/pdf":
        return {"content": {content_type: {"schema": PDF}}}
    name = model_of(model).__name__
    return {"content": {content_type: {"schema": {"$ref": REF.format(model=name)}}}}


# Request fields holding a vocabulary's codes, by their name in every request body. The
# vocabularies are data the administrator edits, so their codes are written into the
# document as it is served (any code the registry knows, retired ones too: the services
# take those, as old agreements name them).
VOCABULARY_FIELDS = {
    "purpose": "purposes",
    "purposes": "purposes",
    "data_categories": "data_categories",
    "lawful_bases": "lawful_bases",
    "transfer_methods": "transfer_methods",
}
Codes = tuple[tuple[str, tuple[str, ...]], ...]


def known_codes() -> Codes:
    """Every code of each vocabulary, as a key for the document built with them."""
    return tuple(
        (kind, tuple(sorted(db.session.scalars(select(model.code)))))
        for kind, model in vocabularies.KINDS.items()
    )


def document(codes: Codes | None = None) -> dict:
    """The document, with the vocabularies' codes (those in the database unless given)
    as the enums of the request fields that take them."""
    return _with_codes(known_codes() if codes is None else codes)


@lru_cache(maxsize=8)
def _with_codes(codes: Codes) -> dict:
    doc = copy.deepcopy(_document())
    by_kind = dict(codes)
    for name, schema in doc["components"]["schemas"].items():
        if not issubclass(getattr(contract, name, object), contract.Request):
            continue  # answers and enums
        for field, prop in schema.get("properties", {}).items():
            known = by_kind.get(VOCABULARY_FIELDS.get(field, ""))
            if not known:  # not a code, or a vocabulary with no entries yet
                continue
            target = prop.get("items", prop)
            target["enum"] = list(known)
            prop["description"] = (
                "A code from GET /vocabularies (`active`: false marks one no longer offered)"
            )
    return doc


@cache
def _document() -> dict:
    models: set[type[BaseModel]] = {contract.Error}
    paths: dict = {}
    for op in OPERATIONS:
        entry: dict = {
            "summary": op.summary,
            "operationId": f"{op.method}_{op.path}",
            "responses": {},
        }
        params = _path_params(op)
        if op.query is not None:
            params += _query_params(model_of(op.query))
        params += list(op.headers)
        downloads = op.content_type == "application/pdf"
        if downloads:
            params += CONDITIONS
        if params:
            entry["parameters"] = params
        if op.body is not None:
            body = model_of(op.body)
            models.add(body)
            entry["requestBody"] = {
                "required": body is not contract.Empty,
                **_content(body, "application/json"),
            }
        if op.response is not None and op.response != "Pdf":
            models.add(model_of(op.response))
        ok = {"description": "Success", **_content(op.response, op.content_type)}
        if downloads:
            ok["headers"] = {
                **VALIDATORS,
                "Content-Disposition": _header(
                    "`attachment` with the file's name: `ISA-2026-0001-v1.pdf`"
                ),
            }
            entry["responses"]["304"] = {
                "description": "Not modified: the copy named by If-None-Match or "
                "If-Modified-Since is current (no body)",
                "headers": VALIDATORS,
            }
        entry["responses"][str(op.status)] = ok
        for status, when in op.also.items():
            entry["responses"][str(status)] = {
                "description": when,
                **_content(op.response, op.content_type),
            }
        # Any body may be too large (MAX_CONTENT_LENGTH).
        errors = sorted({*op.errors, 413} if op.body is not None else set(op.errors))
        for status in errors:
            entry["responses"][str(status)] = {
                "description": ERROR_TEXT.get(status, "Error"),
                **({"headers": ERROR_HEADERS[status]} if status in ERROR_HEADERS else {}),
                "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
            }
        if not op.public:
            entry["security"] = [{"bearer": []}]
        elif 401 in op.errors:
            # Public for some answers, a token for others (the terms of a public agreement
            # in force, and of any other): the token is optional.
            entry["security"] = [{}, {"bearer": []}]
        paths.setdefault(op.path, {})[op.method] = entry
    _, schemas = models_json_schema(
        [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
        ref_template=REF,
        schema_generator=_Schema,
    )
    return {
        "openapi": "3.1.0",
        "info": {"title": "Information-sharing-agreement registry API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@lru_cache(maxsize=8)
def _document_text(codes: Codes) -> str:
    return json.dumps(_with_codes(codes), separators=(",", ":"))


@api(bp, "/openapi.json", "GET", "This document", public=True, errors=())
@public
def openapi_document():
    text = _document_text(known_codes())
    return current_app.response_class(text + "\n", mimetype="application/json")
