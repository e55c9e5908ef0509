"""Agencies and their officers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..database import is_id, writes
from ..domain import agencies as rules
from ..domain import policy
from ..domain.actor import Actor
from ..domain.errors import Conflict, NotFound, ValidationFailed
from ..domain.fields import (
    email_error,
    ico_error,
    name_key,
    normalise_ico,
    normalise_ods,
    ods_error,
    one_line,
    text_error,
)
from ..domain.vocab import AgencyKind, OfficerRole
from ..models import Agency, Officer
from . import audit
from .paging import Page, containing, paginate

AGENCY_FIELDS = ("name", "kind", "ico_registration", "ods_code", "email", "phone", "address")
OFFICER_FIELDS = ("role", "name", "job_title", "email", "phone")


def agency_snapshot(agency: Agency) -> dict[str, Any]:
    return {
        f: (getattr(agency, f).value if f == "kind" else getattr(agency, f)) for f in AGENCY_FIELDS
    }


def officer_snapshot(officer: Officer) -> dict[str, Any]:
    data = {f: getattr(officer, f) for f in OFFICER_FIELDS}
    data["role"] = officer.role.value
    data.update(
        agency_id=officer.agency_id,
        started_on=officer.started_on.isoformat(),
        ended_on=officer.ended_on.isoformat() if officer.ended_on else None,
    )
    return data


def _clean_agency(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Normalise and check agency fields (only those present in `data`)."""
    clean: dict[str, Any] = {}
    fields: dict[str, str] = {}
    if "name" in data:
        clean["name"] = one_line(data["name"] or "")
        if not clean["name"]:
            fields["name"] = "Enter the agency's name"
        elif len(clean["name"]) > 200:
            fields["name"] = "Name must be 200 characters or fewer"
    if "kind" in data:
        try:
            clean["kind"] = AgencyKind(data["kind"])
        except ValueError:
            fields["kind"] = "Choose the kind of agency: " + ", ".join(k.value for k in AgencyKind)
    if "ico_registration" in data:
        clean["ico_registration"] = normalise_ico(data["ico_registration"] or "")
        if error := ico_error(clean["ico_registration"]):
            fields["ico_registration"] = error
    if "ods_code" in data:
        clean["ods_code"] = normalise_ods(data["ods_code"] or "") or None
        if clean["ods_code"] and (error := ods_error(clean["ods_code"])):
            fields["ods_code"] = error
    if "email" in data:
        clean["email"] = (data["email"] or "").strip().lower() or None
        if clean["email"] and (error := email_error(clean["email"])):
            fields["email"] = error
    for name, limit in (("phone", 40), ("address", 2000)):
        if name in data:
            clean[name] = (data[name] or "").strip() or None
            if clean[name] and len(clean[name]) > limit:
                fields[name] = f"{name.capitalize()} must be {limit} characters or fewer"
    _check_text(clean, fields, AGENCY_TEXT)
    return clean, fields


# Free-text fields: (field, its name in a message, whether it may run to several lines).
AGENCY_TEXT = (
    ("name", "The agency's name", False),
    ("email", "The email address", False),
    ("phone", "The phone number", False),
    ("address", "The address", True),
)
OFFICER_TEXT = (
    ("name", "The officer's name", False),
    ("job_title", "The job title", False),
    ("email", "The email address", False),
    ("phone", "The phone number", False),
)


def _check_text(
    clean: dict[str, Any], fields: dict[str, str], texts: tuple[tuple[str, str, bool], ...]
) -> None:
    for name, label, multiline in texts:
        if name in fields or not isinstance(clean.get(name), str):
            continue
        if error := text_error(clean[name], label, multiline=multiline):
            fields[name] = error


def _check_unique(session: Session, clean: dict[str, Any], agency_id: int | None) -> None:
    for column, label in (
        (Agency.ico_registration, "ICO registration number"),
        (Agency.name, "name"),
    ):
        value = clean.get(column.key)
        if value is None:
            continue
        if column is Agency.name:
            other = same_name(session, value, agency_id)
        else:
            other = session.scalar(
                select(Agency).where(column == value, Agency.id != (agency_id or 0))
            )
        if other is not None:
            message = f"{other.name} already has the {label} {value}"
            raise Conflict(message, code="duplicate", fields={column.key: message})


def same_name(session: Session, name: str, agency_id: int | None = None) -> Agency | None:
    """The agency (other than `agency_id`) whose name reads as `name`: the same letters
    whatever their case, accents composed or not, with no regard to invisible characters
    or doubled spaces (domain/fields.py's name_key). Names stored before that rule are
    compared the same way, so none needs rewriting. A partnership's agencies number in
    the hundreds: their names are compared here rather than by each database's own
    (differing) idea of case."""
    key = name_key(name)
    for other_id, other_name in session.execute(select(Agency.id, Agency.name)):
        if other_id != agency_id and name_key(other_name) == key:
            return session.get(Agency, other_id)
    return None


@writes
def add_checked(
    session: Session, actor: Actor, clean: dict[str, Any], *, action: str, now: datetime
) -> Agency:
    """Add an agency from already-checked fields, with its audit entry (caller commits)."""
    agency = Agency(**clean, created_at=now, updated_at=now)
    session.add(agency)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="agency",
        entity_id=agency.id,
        before=None,
        after=agency_snapshot(agency),
        now=now,
    )
    return agency


def create_agency(session: Session, actor: Actor, data: dict[str, Any], *, now: datetime) -> Agency:
    policy.require(policy.may_create_agency(actor), "Only the administrator adds agencies")
    data = {**{"name": "", "kind": "", "ico_registration": ""}, **data}
    clean, fields = _clean_agency(data)
    if fields:
        raise ValidationFailed(fields)
    _check_unique(session, clean, None)
    agency = add_checked(session, actor, clean, action="agency.create", now=now)
    session.commit()
    return agency


@writes
def update_agency(
    session: Session, actor: Actor, agency_id: int, data: dict[str, Any], *, now: datetime
) -> Agency:
    agency = get_agency(session, agency_id)
    policy.require(
        policy.may_edit_agency(actor, agency.id),
        f"You cannot change {agency.name}: it is not your agency",
    )
    clean, fields = _clean_agency({k: v for k, v in data.items() if k in AGENCY_FIELDS})
    if fields:
        raise ValidationFailed(fields)
    _check_unique(session, clean, agency.id)
    before = agency_snapshot(agency)
    for key, value in clean.items():
        setattr(agency, key, value)
    agency.updated_at = now
    after = agency_snapshot(agency)
    if after != before:
        audit.record(
            session,
            actor=actor,
            action="agency.update",
            entity_type="agency",
            entity_id=agency.id,
            before=before,
            after=after,
            now=now,
        )
    session.commit()
    return agency


def get_agency(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"There is no agency with id {agency_id}")
    return agency


def list_agencies(
    session: Session,
    *,
    search: str = "",
    kind: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    query = select(Agency).order_by(Agency.name)
    if search.strip():
        query = query.where(
            containing(search, Agency.name, Agency.ico_registration, Agency.ods_code)
        )
    if kind:
        query = query.where(Agency.kind == AgencyKind(kind))
    return paginate(session, query, page=page, per_page=per_page)


def all_agency_names(session: Session) -> dict[int, str]:
    """Every agency's name, by name: for the lists a form offers (thousands nationally)."""
    return dict(session.execute(select(Agency.id, Agency.name).order_by(Agency.name)).all())


def agency_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """The names of these agencies only (unknown ids are left out): for pages that show a
    few, so they need not read the whole registry's."""
    # Only what an id column holds can be an agency's (the databases refuse to compare a
    # larger number with one); anything else sent as an id is simply not found.
    wanted = sorted({i for i in ids if is_id(i)})
    names: dict[int, str] = {}
    for start in range(0, len(wanted), 1000):  # within every engine's limit on parameters
        names.update(
            (i, name)
            for i, name in session.execute(
                select(Agency.id, Agency.name).where(Agency.id.in_(wanted[start : start + 1000]))
            )
        )
    return names


# Officers ---------------------------------------------------------------------------


def _clean_officer(data: dict[str, Any], partial: bool) -> tuple[dict[str, Any], dict[str, str]]:
    clean: dict[str, Any] = {}
    fields: dict[str, str] = {}
    if "role" in data or not partial:
        try:
            clean["role"] = OfficerRole(str(data.get("role")))
        except ValueError:
            fields["role"] = "Choose the officer's role"
    for name, label in (("name", "name"), ("job_title", "job title")):
        if name in data or not partial:
            clean[name] = one_line(data.get(name) or "")
            if not clean[name]:
                fields[name] = f"Enter the officer's {label}"
            elif len(clean[name]) > 200:
                fields[name] = f"The {label} must be 200 characters or fewer"
    if "email" in data or not partial:
        clean["email"] = (data.get("email") or "").strip().lower()
        if error := email_error(clean["email"]):
            fields["email"] = error
    if "phone" in data:
        clean["phone"] = (data.get("phone") or "").strip() or None
    _check_text(clean, fields, OFFICER_TEXT)
    return clean, fields


def agency_field_errors(data: dict[str, Any]) -> dict[str, str]:
    """What is wrong with the agency fields given (for reporting every problem at once)."""
    return _clean_agency(data)[1]


def officer_field_errors(data: dict[str, Any], *, partial: bool) -> dict[str, str]:
    return _clean_officer(data, partial=partial)[1]


def get_officer(session: Session, agency_id: int, officer_id: int) -> Officer:
    officer = session.get(Officer, officer_id)
    if officer is None or officer.agency_id != agency_id:
        raise NotFound(f"There is no officer with id {officer_id} in agency {agency_id}")
    return officer


@writes
def add_officer(
    session: Session,
    actor: Actor,
    agency_id: int,
    data: dict[str, Any],
    *,
    today: date,
    now: datetime,
    started_on: date | None = None,
) -> Officer:
    """Add an officer in post from `started_on` (default today)."""
    agency = get_agency(session, agency_id)
    policy.require(
        policy.may_edit_agency(actor, agency.id),
        f"You cannot change {agency.name}'s officers: it is not your agency",
    )
    clean, fields = _clean_officer(data, partial=False)
    if fields:
        raise ValidationFailed(fields)
    officer = Officer(agency_id=agency.id, started_on=started_on or today, created_at=now, **clean)
    session.add(officer)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="officer.create",
        entity_type="officer",
        entity_id=officer.id,
        before=None,
        after=officer_snapshot(officer),
        now=now,
    )
    session.commit()
    return officer


@writes
def update_officer(
    session: Session,
    actor: Actor,
    agency_id: int,
    officer_id: int,
    data: dict[str, Any],
    *,
    now: datetime,
) -> Officer:
    officer = get_officer(session, agency_id, officer_id)
    policy.require(
        policy.may_edit_agency(actor, agency_id),
        f"You cannot change {officer.agency.name}'s officers: it is not your agency",
    )
    if officer.ended_on is not None:
        raise Conflict(
            f"{officer.name} stopped being an officer on {officer.ended_on}: "
            "add a new officer instead",
            code="wrong_state",
        )
    clean, fields = _clean_officer(
        {k: v for k, v in data.items() if k in OFFICER_FIELDS}, partial=True
    )
    if fields:
        raise ValidationFailed(fields)
    before = officer_snapshot(officer)
    for key, value in clean.items():
        setattr(officer, key, value)
    after = officer_snapshot(officer)
    if after != before:
        audit.record(
            session,
            actor=actor,
            action="officer.update",
            entity_type="officer",
            entity_id=officer.id,
            before=before,
            after=after,
            now=now,
        )
    session.commit()
    return officer


@writes
def end_officer(
    session: Session, actor: Actor, agency_id: int, officer_id: int, *, today: date, now: datetime
) -> Officer:
    """Mark the officer as no longer in post; the record stays in the agency's history."""
    officer = get_officer(session, agency_id, officer_id)
    policy.require(
        policy.may_edit_agency(actor, agency_id),
        f"You cannot change {officer.agency.name}'s officers: it is not your agency",
    )
    if officer.ended_on is not None:
        raise Conflict(
            f"{officer.name} already stopped being an officer on {officer.ended_on}",
            code="wrong_state",
        )
    before = officer_snapshot(officer)
    officer.ended_on = max(today, officer.started_on)
    audit.record(
        session,
        actor=actor,
        action="officer.end",
        entity_type="officer",
        entity_id=officer.id,
        before=before,
        after=officer_snapshot(officer),
        now=now,
    )
    session.commit()
    return officer


def list_officers(
    session: Session, agency_id: int, *, include_ended: bool = False
) -> list[Officer]:
    get_agency(session, agency_id)
    query = select(Officer).where(Officer.agency_id == agency_id)
    if not include_ended:
        query = query.where(Officer.ended_on.is_(None))
    return list(
        session.scalars(query.order_by(Officer.ended_on.is_not(None), Officer.role, Officer.name))
    )


def officer_gaps(agency: Agency) -> list[str]:
    """The posts this agency has left unfilled (the rule is domain.agencies.officer_gaps)."""
    return rules.officer_gaps(agency.name, agency.kind, (o.role for o in agency.current_officers()))
