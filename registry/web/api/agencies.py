from flask import jsonify, request

from ...clock import now, today
from ...domain import policy
from ...domain.errors import ValidationFailed
from ...domain.vocab import AgencyKind, Role
from ...extensions import db
from ...services import agencies as service
from ...services import vocabularies
from ..permissions import current_actor, signed_in
from . import bp, serialise
from .body import Body, listing, paging
from .spec import api

WRITE_ERRORS = (400, 401, 403, 404, 409, 422)


def _agency_fields(body: Body, *, creating: bool) -> dict:
    fields = {
        "name": body.string("name", required=creating, max_length=200),
        "kind": body.string("kind", required=creating, max_length=32),
        "ico_registration": body.string("ico_registration", required=creating, max_length=20),
        "ods_code": body.string("ods_code", max_length=20),
        "email": body.string("email", max_length=254),
        "phone": body.string("phone", max_length=40),
        "address": body.string("address", max_length=2000),
    }
    given = {k: v for k, v in fields.items() if body.has(k)}
    body.check(given, service.agency_field_errors)
    return given


@api(
    bp,
    "/agencies",
    "GET",
    "List agencies, with search and kind filter",
    response="AgencyList",
    errors=(401, 422),
    query=[("q", "string"), ("kind", "string"), ("page", "integer"), ("per_page", "integer")],
)
@signed_in()
def list_agencies():
    kind = request.args.get("kind") or None
    if kind is not None and kind not in {k.value for k in AgencyKind}:
        raise ValidationFailed(
            {"kind": "kind must be one of " + ", ".join(k.value for k in AgencyKind)}
        )
    page = service.list_agencies(
        db.session, search=request.args.get("q", ""), kind=kind, **paging()
    )
    return jsonify(listing(page, serialise.agency))


@api(
    bp,
    "/agencies",
    "POST",
    "Add an agency (administrator)",
    body="AgencyInput",
    response="Agency",
    status=201,
    errors=WRITE_ERRORS,
)
@signed_in(Role.ADMIN)
def create_agency():
    agency = service.create_agency(
        db.session, current_actor(), _agency_fields(Body(), creating=True), now=now()
    )
    return jsonify(serialise.agency(agency)), 201


@api(bp, "/agencies/<int:agency_id>", "GET", "One agency", response="Agency", errors=(401, 404))
@signed_in()
def get_agency(agency_id: int):
    return jsonify(serialise.agency(service.get_agency(db.session, agency_id)))


@api(
    bp,
    "/agencies/<int:agency_id>",
    "PATCH",
    "Change an agency (administrator, or the agency's own IG lead)",
    body="AgencyInput",
    response="Agency",
    errors=WRITE_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def update_agency(agency_id: int):
    _require_editor(agency_id)
    agency = service.update_agency(
        db.session, current_actor(), agency_id, _agency_fields(Body(), creating=False), now=now()
    )
    return jsonify(serialise.agency(agency))


@api(
    bp,
    "/agencies/<int:agency_id>/officers",
    "GET",
    "The agency's current officers (ended ones too with include_ended=1)",
    response="OfficerList",
    query=[("include_ended", "integer")],
    errors=(401, 404),
)
@signed_in()
def list_officers(agency_id: int):
    include = request.args.get("include_ended") in ("1", "true")
    officers = service.list_officers(db.session, agency_id, include_ended=include)
    return jsonify(items=[serialise.officer(o) for o in officers], total=len(officers))


def _require_editor(agency_id: int) -> None:
    """404 for an unknown agency, then 403 for someone else's, before reading the body."""
    agency = service.get_agency(db.session, agency_id)
    policy.require(
        policy.may_edit_agency(current_actor(), agency.id),
        f"You cannot change {agency.name}: it is not your agency",
    )


def _officer_fields(body: Body, *, creating: bool) -> dict:
    fields = {
        name: body.string(name, required=creating and name != "phone", max_length=254)
        for name in ("role", "name", "job_title", "email", "phone")
    }
    given = {k: v for k, v in fields.items() if body.has(k)}
    body.check(given, lambda typed: service.officer_field_errors(typed, partial=True))
    return given


@api(
    bp,
    "/agencies/<int:agency_id>/officers",
    "POST",
    "Add an officer",
    body="OfficerInput",
    response="Officer",
    status=201,
    errors=WRITE_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def create_officer(agency_id: int):
    _require_editor(agency_id)
    officer = service.add_officer(
        db.session,
        current_actor(),
        agency_id,
        _officer_fields(Body(), creating=True),
        today=today(),
        now=now(),
    )
    return jsonify(serialise.officer(officer)), 201


@api(
    bp,
    "/agencies/<int:agency_id>/officers/<int:officer_id>",
    "PATCH",
    "Change an officer's details",
    body="OfficerInput",
    response="Officer",
    errors=WRITE_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def update_officer(agency_id: int, officer_id: int):
    service.get_officer(db.session, agency_id, officer_id)
    _require_editor(agency_id)
    officer = service.update_officer(
        db.session,
        current_actor(),
        agency_id,
        officer_id,
        _officer_fields(Body(), creating=False),
        now=now(),
    )
    return jsonify(serialise.officer(officer))


@api(
    bp,
    "/agencies/<int:agency_id>/officers/<int:officer_id>",
    "DELETE",
    "End an officer: ended_on is set and the record kept in history",
    response="Officer",
    errors=(401, 403, 404, 409),
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def end_officer(agency_id: int, officer_id: int):
    officer = service.end_officer(
        db.session, current_actor(), agency_id, officer_id, today=today(), now=now()
    )
    return jsonify(serialise.officer(officer))


@api(
    bp,
    "/vocabularies",
    "GET",
    "Purposes, data categories and lawful bases",
    response="Vocabularies",
    errors=(401,),
)
@signed_in()
def get_vocabularies():
    def entry(e):
        data = {"code": e.code, "label": e.label, "active": e.active}
        if hasattr(e, "special"):
            data.update(special=e.special, criminal=e.criminal)
        if hasattr(e, "kind"):
            data["kind"] = e.kind.value
        return data

    return jsonify({k: [entry(e) for e in v] for k, v in vocabularies.listing(db.session).items()})
