from flask import current_app, jsonify

from ...clock import now
from ...extensions import db, limiter
from ...services.users import authenticate, issue_token, record_success, second_factor_ok
from ..errors import api_error
from ..permissions import public
from ..sessions import two_factor_exempt, two_factor_needed
from ..settings import totp_key
from . import bp
from .body import Body
from .spec import api

GENERIC_FAILURE = "The email address, password or code is not right"


def _limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


@api(
    bp,
    "/auth/token",
    "POST",
    "Exchange an email and password (and, once two-factor "
    "sign-in is set up, a current code) for a bearer token",
    body="TokenRequest",
    response="Token",
    public=True,
    errors=(400, 401, 403, 422, 429),
)
@limiter.limit(_limit)
@public
def create_token():
    body = Body()
    email = body.string("email", required=True, max_length=254)
    password = body.string("password", required=True, max_length=1024)
    code = body.string("totp", max_length=20)
    body.check()
    user = authenticate(db.session, email, password, now=now())
    if user is None:
        return api_error(401, "invalid_credentials", GENERIC_FAILURE)
    if user.totp_secret and not two_factor_exempt(user):
        if not second_factor_ok(db.session, user, code, now=now(), key=totp_key()):
            return api_error(
                401,
                "invalid_credentials",
                GENERIC_FAILURE,
                {"totp": "Send the current code from your authenticator app"} if not code else None,
            )
    elif two_factor_needed(user):
        return api_error(
            403,
            "two_factor_setup_needed",
            "Your role needs two-factor sign-in: sign in on the website once "
            "to set it up, then ask for a token with its code",
        )
    record_success(db.session, user)
    return jsonify(token=issue_token(db.session, user, now=now()))
