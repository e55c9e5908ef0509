"""Errors that rules and services raise; the web layer maps each to an HTTP status."""

from __future__ import annotations


class RegistryError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = dict(fields or {})


class ValidationFailed(RegistryError):
    """One or more fields are invalid; `fields` names each with a message."""

    status = 422
    code = "validation_failed"

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message or "Some of the information given is not valid", fields=fields)


class Conflict(RegistryError):
    """The thing exists but is in the wrong state for the request."""

    status = 409
    code = "conflict"


class NotFound(RegistryError):
    status = 404
    code = "not_found"


class Forbidden(RegistryError):
    status = 403
    code = "forbidden"

    def __init__(self, message: str = "You do not have permission to do that", **kw) -> None:
        super().__init__(message, **kw)
