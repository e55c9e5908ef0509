from flask import jsonify, request

from ...clock import now
from ...domain.vocab import Role
from ...extensions import db
from ...services import users as service
from ..permissions import current_actor, signed_in
from . import bp, serialise
from .body import Body, listing, paging
from .spec import api

ADMIN_ERRORS = (400, 401, 403, 404, 409, 422)


def _user_fields(body: Body, *, creating: bool) -> dict:
    fields = {
        "email": body.string("email", required=creating, max_length=254),
        "name": body.string("name", required=creating, max_length=200),
        "job_title": body.string("job_title", max_length=200),
        "password": body.string("password", required=creating, max_length=1024),
        "agency_id": body.integer("agency_id"),
        "roles": body.codes("roles", required=creating),
        "active": body.boolean("active"),
    }
    given = {k: v for k, v in fields.items() if body.has(k) and (v is not None or k == "agency_id")}
    body.check(given, service.user_field_errors)
    return given


@api(
    bp,
    "/users",
    "GET",
    "List users (administrator)",
    response="UserList",
    query=[("q", "string"), ("page", "integer"), ("per_page", "integer")],
    errors=(401, 403, 422),
)
@signed_in(Role.ADMIN)
def list_users():
    page = service.list_users(
        db.session, current_actor(), search=request.args.get("q", ""), **paging()
    )
    return jsonify(listing(page, serialise.user))


@api(
    bp,
    "/users",
    "POST",
    "Create a user (administrator)",
    body="UserInput",
    response="User",
    status=201,
    errors=ADMIN_ERRORS,
)
@signed_in(Role.ADMIN)
def create_user():
    fields = _user_fields(Body(), creating=True)
    user = service.create_user(db.session, current_actor(), now=now(), **fields)
    return jsonify(serialise.user(user)), 201


@api(
    bp,
    "/users/<int:user_id>",
    "GET",
    "One user (administrator)",
    response="User",
    errors=(401, 403, 404),
)
@signed_in(Role.ADMIN)
def get_user(user_id: int):
    return jsonify(serialise.user(service.get_user(db.session, user_id)))


@api(
    bp,
    "/users/<int:user_id>",
    "PATCH",
    'Change a user; {"active": false} disables it and ends its sessions and tokens',
    body="UserInput",
    response="User",
    errors=ADMIN_ERRORS,
)
@signed_in(Role.ADMIN)
def update_user(user_id: int):
    fields = _user_fields(Body(), creating=False)
    user = service.update_user(db.session, current_actor(), user_id, now=now(), **fields)
    return jsonify(serialise.user(user))
