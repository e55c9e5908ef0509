"""The JSON API (SPEC §9): bearer tokens, SPEC's error shape, an OpenAPI document."""

from flask import Blueprint, g, request

from ...clock import now
from ...extensions import csrf, db
from ...services.users import user_for_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies here: a bearer token cannot be sent by another site's form


@bp.before_request
def authenticate_bearer():
    g.api_user = None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        g.api_user = user_for_token(db.session, token.strip(), now=now())


from . import (  # noqa: E402,F401
    agencies,
    agreements,
    audit,
    auth,
    coverage,
    delegations,
    follow_ups,
    notifications,
    openapi,
    partnership,
    search,
    terms,
    tokens,
    users,
)
