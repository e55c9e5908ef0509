from flask import jsonify

from ...clock import now
from ...domain.errors import ValidationFailed
from ...domain.vocab import Role
from ...extensions import db
from ...services import users as service
from ..permissions import current_actor, signed_in
from . import bp, contract, serialise
from .body import given, listing, parse, query
from .spec import api

ADMIN_ERRORS = (400, 401, 403, 404, 409, 422)


def _user_fields(*, creating: bool) -> dict:
    model = contract.UserCreate if creating else contract.UserUpdate
    fields = given(parse(model, rules=service.user_field_errors))
    if errors := service.user_field_errors(fields):
        raise ValidationFailed(errors)
    return fields


@api(
    bp,
    "/users",
    "GET",
    "List users (administrator)",
    response=contract.UserList,
    query=contract.UserQuery,
    errors=(401, 403, 422),
)
@signed_in(Role.ADMIN)
def list_users():
    asked = query(contract.UserQuery)
    page = service.list_users(
        db.session, current_actor(), search=asked.q, page=asked.page, per_page=asked.per_page
    )
    return jsonify(listing(page, serialise.user))


@api(
    bp,
    "/users",
    "POST",
    "Create a user (administrator)",
    body=contract.UserCreate,
    response=contract.User,
    status=201,
    errors=ADMIN_ERRORS,
)
@signed_in(Role.ADMIN)
def create_user():
    fields = _user_fields(creating=True)
    user = service.create_user(db.session, current_actor(), now=now(), **fields)
    return jsonify(serialise.user(user)), 201


@api(
    bp,
    "/users/<int:user_id>",
    "GET",
    "One user (administrator)",
    response=contract.User,
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
    body=contract.UserUpdate,
    response=contract.User,
    errors=ADMIN_ERRORS,
)
@signed_in(Role.ADMIN)
def update_user(user_id: int):
    fields = _user_fields(creating=False)
    user = service.update_user(db.session, current_actor(), user_id, now=now(), **fields)
    return jsonify(serialise.user(user))
