"""Errors as pages for people and as SPEC §9's shape for the API; never a traceback."""

from __future__ import annotations

import logging
import math
import sqlite3
import time

import psycopg
from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError as SQLAlchemyOperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from ..domain.errors import RegistryError
from .permissions import is_api_request

log = logging.getLogger(__name__)

_TITLES = {
    400: "The request could not be read",
    401: "Sign in to continue",
    403: "You do not have permission",
    404: "Page not found",
    405: "That action is not allowed here",
    409: "That cannot be done now",
    413: "The upload is too large",
    422: "Some of the information is not valid",
    429: "Too many requests",
    503: "The registry is not answering for a moment",
    500: "Sorry, there is a problem with the service",
}


def api_error(status: int, code: str, message: str, fields: dict | None = None):
    return jsonify(error={"code": code, "message": message, "fields": fields or {}}), status


def _answer(status: int, code: str, message: str, fields: dict | None = None):
    if is_api_request() or request.path.startswith("/api/"):
        return api_error(status, code, message, fields)
    return render_template(
        "errors/error.html",
        status=status,
        title=_TITLES.get(status, "Something went wrong"),
        message=message,
    ), status


def _with_headers(answer, exc: HTTPException):
    """The answer with the exception's own headers: `Allow` on a 405 (RFC 9110 says it
    must be there), `Retry-After` on a 429, `WWW-Authenticate` on a 401."""
    response = current_app.make_response(answer)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _retry_after(exc: HTTPException) -> str:
    """Seconds until the limit that was hit lets requests through again."""
    given = dict(exc.get_headers()).get("Retry-After")
    if given:
        return given
    from ..extensions import limiter

    try:
        resets = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    except Exception:  # the limiter's storage is not answering: a minute is the usual window
        resets = []
    if not resets:
        return "60"
    return str(max(1, math.ceil(max(resets) - time.time())))


def _unavailable(exc: Exception) -> bool:
    """A database that cannot be reached or stayed locked, not a mistake in a query."""
    if isinstance(exc, PoolTimeout):
        return True  # every connection of this worker's pool stayed in use (REGISTRY_DB_POOL_SIZE)
    cause = getattr(exc, "orig", None) or exc
    if isinstance(cause, psycopg.OperationalError):
        return True
    return isinstance(cause, sqlite3.OperationalError) and (
        "locked" in str(cause) or "busy" in str(cause)
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(RegistryError)
    def registry_error(exc: RegistryError):
        return _answer(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _answer(
            400,
            "csrf_failed",
            "The form had expired or was not sent by this site. "
            "Go back, reload the page and try again.",
        )

    @app.errorhandler(429)
    def too_many(exc: HTTPException):
        response = _with_headers(
            _answer(
                429,
                "too_many_requests",
                "There have been too many attempts from your network. "
                "Wait a minute, then try again.",
            ),
            exc,
        )
        response.headers["Retry-After"] = _retry_after(exc)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return _with_headers(_answer(exc.code or 500, code, exc.description or exc.name), exc)

    @app.errorhandler(SQLAlchemyOperationalError)
    @app.errorhandler(PoolTimeout)
    @app.errorhandler(psycopg.OperationalError)
    @app.errorhandler(sqlite3.OperationalError)
    def database_unavailable(exc: Exception):
        # The database went away (a restart, a failover) or stayed locked too long: the
        # request changed nothing, and the same request a moment later will work.
        if not _unavailable(exc):
            return unexpected(exc)
        log.warning(
            "Database unavailable on %s %s: %s",
            request.method,
            request.path,
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
        )
        response, status = _answer(
            503,
            "database_unavailable",
            "The registry's database "
            "is not answering for a moment. Nothing was saved: try "
            "again in a few seconds.",
        )
        response = app.make_response((response, status))
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return _answer(
            500,
            "server_error",
            "Something went wrong on our side and it has been "
            "logged. Please try again; if it happens again, contact the registry "
            "team.",
        )
