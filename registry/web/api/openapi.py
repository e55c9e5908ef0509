"""`GET /api/v1/openapi.json`, built from the declared operations."""

import re

from flask import jsonify

from ..permissions import public
from . import bp
from .schemas import SCHEMAS, ref
from .spec import OPERATIONS, api

ERROR_TEXT = {
    400: "Malformed request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "State conflict",
    422: "Validation failed",
    429: "Too many requests",
}


def document() -> dict:
    paths: dict = {}
    for op in OPERATIONS:
        entry: dict = {
            "summary": op.summary,
            "operationId": f"{op.method}_{op.path}",
            "responses": {},
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
            for name in _path_params(op.path)
        ]
        params += [
            {"name": name, "in": "query", "required": False, "schema": {"type": kind}}
            for name, kind in op.query
        ]
        if params:
            entry["parameters"] = params
        if op.body:
            entry["requestBody"] = {
                "required": op.body != "Empty",
                "content": {"application/json": {"schema": ref(op.body)}},
            }
        ok: dict = {"description": "Success"}
        if op.response:
            ok["content"] = {op.content_type: {"schema": ref(op.response)}}
        entry["responses"][str(op.status)] = ok
        for status in op.errors:
            entry["responses"][str(status)] = {
                "description": ERROR_TEXT.get(status, "Error"),
                "content": {"application/json": {"schema": ref("Error")}},
            }
        if not op.public:
            entry["security"] = [{"bearer": []}]
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Information-sharing-agreement registry API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _path_params(path: str) -> list[str]:
    return re.findall(r"{([a-z_]+)}", path)


@api(bp, "/openapi.json", "GET", "This document", public=True, errors=())
@public
def openapi_document():
    return jsonify(document())
