"""The only access decorators. Every route declares who may use it; a test checks that.

`public` routes need nobody; `signed_in(*roles)` needs a signed-in user holding one of the
roles (any role when none are named). Agency scoping is decided by the services, from the
actor, so the API and the pages share one rule."""

from __future__ import annotations

from functools import wraps

from flask import g, jsonify, redirect, request, url_for
from flask_login import current_user

from ..domain.actor import Actor
from ..domain.errors import Forbidden
from ..domain.vocab import Role


def is_api_request() -> bool:
    return request.blueprint == "api"


def current_account():
    """The signed-in User: by bearer token on the API, by session cookie on pages."""
    if is_api_request():
        return g.get("api_user")
    return current_user if current_user.is_authenticated else None


def current_actor() -> Actor:
    account = current_account()
    if account is None:
        return Actor(user_id=None, name="anonymous")
    return account.actor()


def public(view):
    view._permission = "public"
    return view


def signed_in(*roles: Role):
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            account = current_account()
            if account is None:
                if is_api_request():
                    return jsonify(
                        error={
                            "code": "unauthenticated",
                            "message": "Send a valid bearer token",
                            "fields": {},
                        }
                    ), 401
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if roles and not (account.roles & set(roles)):
                names = " or ".join(r.value for r in roles)
                raise Forbidden(f"This needs the {names} role")
            return view(*args, **kwargs)

        wrapper._permission = ("signed_in", tuple(roles))
        return wrapper

    return decorate
