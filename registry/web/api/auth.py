from flask import jsonify

from ...clock import now
from ...extensions import db
from ...services.users import authenticate, issue_token
from ..errors import api_error
from ..permissions import public
from . import bp
from .body import Body
from .spec import api


@api(bp, "/auth/token", "POST", "Exchange an email and password for a bearer token",
     body="TokenRequest", response="Token", public=True, errors=(400, 401, 422))
@public
def create_token():
    body = Body()
    email = body.string("email", required=True, max_length=254)
    password = body.string("password", required=True, max_length=1024)
    body.check()
    user = authenticate(db.session, email, password)
    if user is None:
        return api_error(401, "invalid_credentials", "The email address or password is not right")
    return jsonify(token=issue_token(db.session, user, now=now()))
