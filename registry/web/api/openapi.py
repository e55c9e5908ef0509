"""`GET /api/v1/openapi.json`, built from the declared operations and their models."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from flask import current_app
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

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
}
REF = "#/components/schemas/{model}"
PDF = {"type": "string", "format": "binary"}


class _Schema(GenerateJsonSchema):
    """Pydantic's JSON Schema without a title on every property."""

    def field_title_should_be_set(self, schema) -> bool:
        return False


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


@cache
def document() -> dict:
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
        entry["responses"][str(op.status)] = ok
        for status, when in op.also.items():
            entry["responses"][str(status)] = {
                "description": when,
                **_content(op.response, op.content_type),
            }
        for status in op.errors:
            entry["responses"][str(status)] = {
                "description": ERROR_TEXT.get(status, "Error"),
                "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
            }
        if not op.public:
            entry["security"] = [{"bearer": []}]
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


@cache
def _document_text() -> str:
    return json.dumps(document(), separators=(",", ":"))


@api(bp, "/openapi.json", "GET", "This document", public=True, errors=())
@public
def openapi_document():
    return current_app.response_class(_document_text() + "\n", mimetype="application/json")
