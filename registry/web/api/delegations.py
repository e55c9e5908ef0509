"""Delegations (services/delegations.py): the administrator sees every one; an IG lead its
agency's; anyone else those naming them. A signatory names a delegate; the signatory, the
agency's IG lead or the administrator ends one early."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from ...clock import now, today
from ...domain.vocab import Role
from ...extensions import db
from ...models import Delegation
from ...services import delegations as service
from ..permissions import current_actor, signed_in
from . import bp, contract
from .body import listing, parse, query
from .spec import api


def _person(user) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "job_title": user.job_title or ""}


def describe(d: Delegation) -> dict[str, Any]:
    return {
        "id": d.id,
        "agency_id": d.agency_id,
        "principal": _person(d.principal),
        "delegate": _person(d.delegate),
        "starts_on": d.starts_on.isoformat(),
        "ends_on": d.ends_on.isoformat(),
        "status": service.status(d, today()),
        "created_at": d.created_at.isoformat(),
        "ended_at": d.ended_at.isoformat() if d.ended_at else None,
    }


@api(
    bp,
    "/delegations",
    "GET",
    "Delegations, latest ending first: the administrator's every one (agency_id filters), "
    "an IG lead's agency's, anyone else's those naming them; current=true: current today",
    response=contract.DelegationList,
    query=contract.DelegationQuery,
    errors=(401, 422),
)
@signed_in()
def list_delegations():
    asked = query(contract.DelegationQuery)
    actor = current_actor()
    filters = service.DelegationFilters(
        agency_id=asked.agency_id if actor.has(Role.ADMIN) else None,
        current_only=asked.current,
    )
    page = service.list_delegations(
        db.session, actor, filters, today=today(), page=asked.page, per_page=asked.per_page
    )
    return jsonify(listing(page, describe))


@api(
    bp,
    "/delegations",
    "POST",
    "A signatory names a delegate, another active user of the same agency, who may sign "
    "and decline for that agency on the signatory's behalf from starts_on to ends_on "
    "(London dates, today or later, at most a year). The delegate is told",
    body=contract.DelegationInput,
    response=contract.Delegation,
    status=201,
    errors=(400, 401, 403, 409, 422),
)
@signed_in(Role.SIGNATORY)
def create_delegation():
    asked = parse(contract.DelegationInput)
    delegation = service.create(
        db.session,
        current_actor(),
        delegate_id=asked.delegate_id,
        starts_on=asked.starts_on,
        ends_on=asked.ends_on,
        now=now(),
    )
    return jsonify(describe(delegation)), 201


@api(
    bp,
    "/delegations/<int:delegation_id>/end",
    "POST",
    "End a delegation early (the signatory who named it, the agency's IG lead or the "
    "administrator): from now the delegate no longer signs on the signatory's behalf. "
    "The delegate is told; signatures already given stand",
    body=contract.Empty,
    response=contract.Delegation,
    errors=(400, 401, 403, 404, 409, 422),
)
@signed_in(Role.SIGNATORY, Role.IG_LEAD, Role.ADMIN)
def end_delegation(delegation_id: int):
    parse(contract.Empty)
    delegation = service.end(db.session, current_actor(), delegation_id, now=now())
    return jsonify(describe(delegation))
