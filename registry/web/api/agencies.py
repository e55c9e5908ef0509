from flask import jsonify

from ...clock import now, today
from ...domain import policy
from ...domain.errors import ValidationFailed
from ...domain.vocab import OfficerRole, Role
from ...extensions import db
from ...services import agencies as service
from ...services import vocabularies
from ..permissions import current_actor, signed_in
from . import bp, contract, serialise
from .body import given, listing, parse, query
from .spec import api

WRITE_ERRORS = (400, 401, 403, 404, 409, 422)


def _agency_fields(*, creating: bool) -> dict:
    model = contract.AgencyCreate if creating else contract.AgencyUpdate
    fields = given(parse(model, rules=service.agency_field_errors))
    if errors := service.agency_field_errors(fields):
        raise ValidationFailed(errors)
    return fields


@api(
    bp,
    "/agencies",
    "GET",
    "List agencies, with search and kind filter",
    response=contract.AgencyList,
    errors=(401, 422),
    query=contract.AgencyQuery,
)
@signed_in()
def list_agencies():
    asked = query(contract.AgencyQuery)
    page = service.list_agencies(
        db.session,
        search=asked.q,
        kind=asked.kind.value if asked.kind else None,
        missing=OfficerRole(asked.missing) if asked.missing else None,
        today=today(),
        page=asked.page,
        per_page=asked.per_page,
    )
    return jsonify(listing(page, serialise.agency))


@api(
    bp,
    "/agencies",
    "POST",
    "Add an agency (administrator)",
    body=contract.AgencyCreate,
    response=contract.Agency,
    status=201,
    errors=WRITE_ERRORS,
)
@signed_in(Role.ADMIN)
def create_agency():
    agency = service.create_agency(
        db.session, current_actor(), _agency_fields(creating=True), now=now()
    )
    return jsonify(serialise.agency(agency)), 201


@api(
    bp,
    "/agencies/<int:agency_id>",
    "GET",
    "One agency",
    response=contract.Agency,
    errors=(401, 404),
)
@signed_in()
def get_agency(agency_id: int):
    return jsonify(serialise.agency(service.get_agency(db.session, agency_id)))


@api(
    bp,
    "/agencies/<int:agency_id>",
    "PATCH",
    "Change an agency (administrator, or the agency's own IG lead)",
    body=contract.AgencyUpdate,
    response=contract.Agency,
    errors=WRITE_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def update_agency(agency_id: int):
    _require_editor(agency_id)
    agency = service.update_agency(
        db.session, current_actor(), agency_id, _agency_fields(creating=False), now=now()
    )
    return jsonify(serialise.agency(agency))


@api(
    bp,
    "/agencies/<int:agency_id>/officers",
    "GET",
    "The agency's officers not yet left (a successor from a later date among them); "
    "everyone ever recorded with include_ended=true",
    response=contract.OfficerList,
    query=contract.OfficerQuery,
    errors=(401, 404, 422),
)
@signed_in()
def list_officers(agency_id: int):
    asked = query(contract.OfficerQuery)
    officers = service.list_officers(
        db.session, agency_id, include_ended=asked.include_ended, today=today()
    )
    return jsonify(items=[serialise.officer(o) for o in officers], total=len(officers))


def _require_editor(agency_id: int) -> None:
    """404 for an unknown agency, then 403 for someone else's, before reading the body."""
    agency = service.get_agency(db.session, agency_id)
    policy.require(
        policy.may_edit_agency(current_actor(), agency.id),
        f"You cannot change {agency.name}: it is not your agency",
    )


def _officer_fields(*, creating: bool) -> dict:
    model = contract.OfficerCreate if creating else contract.OfficerUpdate
    fields = given(
        parse(model, rules=lambda good: service.officer_field_errors(good, partial=True))
    )
    if errors := service.officer_field_errors(fields, partial=True):
        raise ValidationFailed(errors)
    return fields


@api(
    bp,
    "/agencies/<int:agency_id>/officers",
    "POST",
    "Add an officer (409 role_held while someone holds the role on its start date, "
    "unless replaces_current is true)",
    body=contract.OfficerCreate,
    response=contract.Officer,
    status=201,
    errors=WRITE_ERRORS,
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def create_officer(agency_id: int):
    _require_editor(agency_id)
    fields = _officer_fields(creating=True)
    replaces = bool(fields.pop("replaces_current", False))
    officer = service.add_officer(
        db.session,
        current_actor(),
        agency_id,
        fields,
        today=today(),
        now=now(),
        replaces_current=replaces,
    )
    return jsonify(serialise.officer(officer)), 201


@api(
    bp,
    "/agencies/<int:agency_id>/officers/<int:officer_id>",
    "PATCH",
    "Change an officer's details or correct their dates",
    body=contract.OfficerUpdate,
    response=contract.Officer,
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
        _officer_fields(creating=False),
        now=now(),
        today=today(),
    )
    return jsonify(serialise.officer(officer))


@api(
    bp,
    "/agencies/<int:agency_id>/officers/<int:officer_id>",
    "DELETE",
    "End an officer: ended_on (the query's, default today) is set and the record kept in history",
    response=contract.Officer,
    query=contract.OfficerEndQuery,
    errors=(401, 403, 404, 409, 422),
)
@signed_in(Role.ADMIN, Role.IG_LEAD)
def end_officer(agency_id: int, officer_id: int):
    service.get_officer(db.session, agency_id, officer_id)
    _require_editor(agency_id)
    asked = query(contract.OfficerEndQuery)
    officer = service.end_officer(
        db.session,
        current_actor(),
        agency_id,
        officer_id,
        ended_on=asked.ended_on,
        today=today(),
        now=now(),
    )
    return jsonify(serialise.officer(officer))


@api(
    bp,
    "/vocabularies",
    "GET",
    "Purposes, data categories, lawful bases and transfer methods",
    response=contract.Vocabularies,
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
