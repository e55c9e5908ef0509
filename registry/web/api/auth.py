from flask import current_app, jsonify

from ...clock import now
from ...extensions import db
from ...services.users import (
    authenticate,
    make_token,
    record_success,
    second_factor_ok,
)
from ..errors import api_error
from ..permissions import public
from ..sessions import sign_in_attempts, two_factor_exempt, two_factor_needed
from ..settings import totp_key
from . import bp
from .body import parse
from .contract import Token, TokenRequest
from .spec import api
from .tokens import describe

# Every refusal is this one answer, whatever was wrong: a right password without its code
# (or before two-factor sign-in is set up) must not look different from a wrong one.
GENERIC_FAILURE = (
    "The email address, password or code is not right. An account with two-factor "
    "sign-in sends the current code from its authenticator app as `totp`; where your "
    "role needs two-factor sign-in, set it up by signing in on the website first"
)


@api(
    bp,
    "/auth/token",
    "POST",
    "Exchange an email and password (and, once two-factor "
    "sign-in is set up, a current code) for a bearer token that lasts API_TOKEN_DAYS "
    "(90 days unless set). Every refusal is the same 401",
    body=TokenRequest,
    response=Token,
    public=True,
    errors=(400, 401, 422, 429),
)
@sign_in_attempts
@public
def create_token():
    body = parse(TokenRequest)
    user = authenticate(db.session, body.email, body.password, now=now())
    if user is None:
        return _refused()
    if user.totp_secret and not two_factor_exempt(user):
        if not second_factor_ok(db.session, user, body.totp, now=now(), key=totp_key()):
            return _refused()
    elif two_factor_needed(user):
        return _refused()
    record_success(db.session, user)
    token, made = make_token(
        db.session,
        user,
        now=now(),
        days=current_app.config["API_TOKEN_DAYS"],
        name=(body.name or "").strip(),
    )
    label = describe(made)
    del label["current"]  # said of the token a request is made with
    return jsonify(token=token, **label)


def _refused():
    return api_error(401, "invalid_credentials", GENERIC_FAILURE)
