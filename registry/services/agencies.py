"""Agencies and their officers."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, distinct, exists, func, or_, select
from sqlalchemy.orm import Session

from ..database import is_id, writes
from ..domain import agencies as rules
from ..domain import policy
from ..domain.actor import Actor
from ..domain.dates import date_range_error, long_date
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
from ..domain.vocab import OFFICER_ROLE_LABELS, AgencyKind, OfficerRole, VersionStatus
from ..models import Agency, Agreement, AgreementVersion, NotificationEvent, Officer, Party
from . import audit, notifications
from .paging import Page, containing, paginate

AGENCY_FIELDS = ("name", "kind", "ico_registration", "ods_code", "email", "phone", "address")
OFFICER_FIELDS = ("role", "name", "job_title", "email", "phone")
PHONE_LENGTH = 40  # the column's length, agencies' and officers' alike


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
    for name, limit in (("phone", PHONE_LENGTH), ("address", 2000)):
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


def without_holder(role: OfficerRole, day: date):
    """SQL: the agency must have someone in `role` (rules.kinds_needing) and nobody holds
    it on `day`."""
    held = exists().where(
        Officer.agency_id == Agency.id,
        Officer.role == role,
        Officer.started_on <= day,
        or_(Officer.ended_on.is_(None), Officer.ended_on > day),
    )
    kinds = rules.kinds_needing(role)
    return and_(~held, Agency.kind.in_(sorted(kinds))) if kinds is not None else ~held


def key_post_gaps(session: Session, day: date) -> list[tuple[OfficerRole, int]]:
    """How many agencies have nobody holding each key post on `day` (as counting the
    agencies `without_holder` each role), in one statement: for each post, the agencies
    that need it less those with a current holder, counted from the officers' index by
    role and agency alone (ix_officers_role_agency). Grouping every officer by agency took
    100-120 ms at 50,000 agencies on PostgreSQL, a third of the administrator's home page;
    asking every agency in turn, 4 x 35 ms."""
    current = and_(
        Officer.started_on <= day, or_(Officer.ended_on.is_(None), Officer.ended_on > day)
    )

    def missing(role: OfficerRole):
        kinds = rules.kinds_needing(role)
        needing = select(func.count()).select_from(Agency)
        held = select(func.count(distinct(Officer.agency_id))).where(Officer.role == role, current)
        if kinds is not None:
            of_kind = Agency.kind.in_(sorted(kinds))
            needing = needing.where(of_kind)
            held = held.where(Officer.agency_id.in_(select(Agency.id).where(of_kind)))
        return needing.scalar_subquery() - held.scalar_subquery()

    counts = session.execute(select(*(missing(role) for role in rules.KEY_ROLES))).one()
    return [(role, int(count or 0)) for role, count in zip(rules.KEY_ROLES, counts, strict=True)]


def list_agencies(
    session: Session,
    *,
    search: str = "",
    kind: str | None = None,
    missing: OfficerRole | None = None,
    today: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Agencies by name; with `missing`, only those with nobody in that key post today."""
    query = select(Agency).order_by(Agency.name)
    if missing is not None and today is not None:
        query = query.where(without_holder(missing, today))
    if search.strip():
        query = query.where(
            containing(search, Agency.name, Agency.ico_registration, Agency.ods_code)
        )
    if kind:
        query = query.where(Agency.kind == AgencyKind(kind))
    return paginate(session, query, page=page, per_page=per_page)


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
#
# An officer holds the role on day D when started_on <= D and (ended_on is None or
# D < ended_on) (domain/agencies.py): a leaver's ended_on is the successor's started_on.
# Every reading of "the officers in post" goes through holders_on / Agency.officers_on.

DATE_FIELDS = ("started_on", "ended_on")


def _as_date(value: Any, label: str) -> tuple[date | None, str | None]:
    """A date given as a date or written YYYY-MM-DD (None: not given)."""
    if value is None or value == "":
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    try:
        return date.fromisoformat(str(value)), None
    except ValueError:
        return None, f"{label} must be a real date, written YYYY-MM-DD"


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
        if clean["phone"] and len(clean["phone"]) > PHONE_LENGTH:
            fields["phone"] = f"The phone number must be {PHONE_LENGTH} characters or fewer"
    for name, label in (("started_on", "The start date"), ("ended_on", "The leaving date")):
        if name in data:
            clean[name], error = _as_date(data[name], label)
            if clean[name] is not None and not error:
                error = date_range_error(clean[name], label)
            if error:
                fields[name] = error
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


def _locked_agency(session: Session, agency_id: int) -> Agency:
    """The agency, its row locked for this transaction: two requests changing its officers
    queue, so both cannot add a holder of the same role (SQLite: the write lock
    services take up front does the same)."""
    agency = session.get(Agency, agency_id, with_for_update=True)
    if agency is None:
        raise NotFound(f"There is no agency with id {agency_id}")
    return agency


def holders_on(
    session: Session, agency_id: int, day: date, roles: Iterable[OfficerRole] | None = None
) -> list[Officer]:
    """The agency's officers holding their role on `day` (of these roles, if given), by
    role and name: the one reading of "officers in post" for services that need it
    (reminders, coverage contacts, PDFs)."""
    query = select(Officer).where(
        Officer.agency_id == agency_id,
        Officer.started_on <= day,
        or_(Officer.ended_on.is_(None), Officer.ended_on > day),
    )
    if roles is not None:
        query = query.where(Officer.role.in_(list(roles)))
    return list(session.scalars(query.order_by(Officer.role, Officer.name, Officer.id)))


def _role_holders(session: Session, agency_id: int, role: OfficerRole) -> list[Officer]:
    return list(
        session.scalars(
            select(Officer)
            .where(Officer.agency_id == agency_id, Officer.role == role)
            .order_by(Officer.started_on, Officer.id)
        )
    )


def _period(started_on: date, ended_on: date | None) -> str:
    if ended_on is None:
        return f"from {long_date(started_on)}"
    return f"from {long_date(started_on)} to {long_date(ended_on)}"


def _check_no_overlap(session: Session, officer: Officer, *, ignore: Iterable[int] = ()) -> None:
    """Refuse a holder of a one-holder role whose period shares a day with another's."""
    if officer.role not in rules.SINGLE_HOLDER_ROLES:
        return
    skip = set(ignore) | {officer.id}
    for other in _role_holders(session, officer.agency_id, officer.role):
        if other.id in skip:
            continue
        if rules.overlap(
            (officer.started_on, officer.ended_on), (other.started_on, other.ended_on)
        ):
            message = (
                f"{other.name} is recorded as the {rules.role_label(officer.role)} "
                f"{_period(other.started_on, other.ended_on)}: one person holds the role at "
                "a time, so the dates must not overlap. Correct the dates of one of them"
            )
            raise Conflict(
                message,
                code="dates_overlap",
                fields={"started_on": message},
            )


def current_holder(
    session: Session, agency_id: int, role: OfficerRole, day: date
) -> Officer | None:
    """Who holds a one-holder role on `day` (None for signatories or nobody)."""
    if role not in rules.SINGLE_HOLDER_ROLES:
        return None
    found = holders_on(session, agency_id, day, [role])
    return found[0] if found else None


def _start_of(clean: dict[str, Any], today: date, fields: dict[str, str]) -> date:
    started_on = clean.get("started_on") or today
    if "started_on" not in fields and (error := rules.start_error(started_on, today)):
        fields["started_on"] = error
    return started_on


@writes
def add_officer(
    session: Session,
    actor: Actor,
    agency_id: int,
    data: dict[str, Any],
    *,
    today: date,
    now: datetime,
    replaces_current: bool = False,
) -> Officer:
    """Add an officer in post from `started_on` (in `data`; default today, not more than a
    year ahead). For a one-holder role whose holder holds it on that day, refused
    (Conflict `role_held`, naming them) unless `replaces_current`: then the holder leaves
    on the new start date, in the same transaction."""
    agency = _locked_agency(session, agency_id)
    policy.require(
        policy.may_edit_agency(actor, agency.id),
        f"You cannot change {agency.name}'s officers: it is not your agency",
    )
    clean, fields = _clean_officer(
        {k: v for k, v in data.items() if k != "ended_on"}, partial=False
    )
    started_on = _start_of(clean, today, fields)
    if fields:
        raise ValidationFailed(fields)
    clean["started_on"] = started_on
    role = clean["role"]
    leaver = current_holder(session, agency.id, role, started_on)
    if leaver is not None:
        if leaver.started_on >= started_on:
            message = (
                f"{leaver.name} is the {rules.role_label(role)} from "
                f"{long_date(leaver.started_on)}:"
                " a successor must start after that day. Give a later start date, or "
                f"correct {leaver.name}'s record"
            )
            raise Conflict(message, code="dates_overlap", fields={"started_on": message})
        if not replaces_current:
            message = (
                f"{leaver.name} is the {rules.role_label(role)} of {agency.name}"
                f" {_period(leaver.started_on, leaver.ended_on)}. To record "
                f"{clean['name']} as their successor, {leaver.name} leaves on "
                f"{long_date(started_on)}: confirm that they do"
            )
            raise Conflict(message, code="role_held", fields={"role": message})
    officer = Officer(agency_id=agency.id, created_at=now, **clean)
    session.add(officer)
    if leaver is not None:
        before = officer_snapshot(leaver)
        leaver.ended_on = started_on
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="officer.end",
            entity_type="officer",
            entity_id=leaver.id,
            before=before,
            after=officer_snapshot(leaver),
            now=now,
        )
    session.flush()
    _check_no_overlap(session, officer)
    audit.record(
        session,
        actor=actor,
        action="officer.replace" if leaver is not None else "officer.create",
        entity_type="officer",
        entity_id=officer.id,
        before=None,
        after=officer_snapshot(officer) | ({"replaces": leaver.id} if leaver else {}),
        now=now,
    )
    past = started_on <= today
    if leaver is not None:
        change = (
            f"{leaver.name} {'left' if past else 'leaves'} the role on "
            f"{long_date(started_on)} and {officer.name} ({officer.job_title}, "
            f"{officer.email}) {'took' if past else 'takes'} it on from that day"
        )
    else:
        change = (
            f"{officer.name} ({officer.job_title}, {officer.email}) "
            f"{'has been' if past else 'is'} the {rules.role_label(role)} from "
            f"{long_date(started_on)}"
        )
    if role in rules.SINGLE_HOLDER_ROLES:
        _tell_partners(session, actor, agency, role, change, today=today, now=now)
    session.commit()
    return officer


def has_left(officer: Officer, today: date) -> bool:
    """Whether the officer has left by `today` (a leaving date still ahead is not yet)."""
    return officer.ended_on is not None and officer.ended_on <= today


@writes
def update_officer(
    session: Session,
    actor: Actor,
    agency_id: int,
    officer_id: int,
    data: dict[str, Any],
    *,
    now: datetime,
    today: date | None = None,
) -> Officer:
    """Change an officer's details, or correct their dates within the same rules as when
    added (`ended_on` None: no leaving date). An officer who has left keeps their details;
    only their dates may be corrected."""
    today = today or now.date()
    _locked_agency(session, agency_id)
    officer = get_officer(session, agency_id, officer_id)
    policy.require(
        policy.may_edit_agency(actor, agency_id),
        f"You cannot change {officer.agency.name}'s officers: it is not your agency",
    )
    given_fields = {k: v for k, v in data.items() if k in OFFICER_FIELDS + DATE_FIELDS}
    clean, fields = _clean_officer(given_fields, partial=True)
    if fields:
        raise ValidationFailed(fields)
    if has_left(officer, today):
        changed = [k for k, v in clean.items() if k not in DATE_FIELDS and getattr(officer, k) != v]
        if changed:
            raise Conflict(
                f"{officer.name} stopped being an officer on {long_date(officer.ended_on)}: "
                "only their dates can be corrected. Add a new officer instead",
                code="wrong_state",
            )
    started_on = clean.get("started_on") or officer.started_on
    ended_on = clean.get("ended_on", officer.ended_on)
    start_moved = started_on != officer.started_on
    if start_moved and (error := rules.start_error(started_on, today)):
        fields["started_on"] = error
    end_moved = ended_on != officer.ended_on
    if (
        ended_on is not None
        and (start_moved or end_moved)
        and (error := rules.end_error(ended_on, started_on, today))
    ):
        fields["ended_on"] = error
    if fields:
        raise ValidationFailed(fields)
    clean["started_on"], clean["ended_on"] = started_on, ended_on
    before = officer_snapshot(officer)
    for key, value in clean.items():
        setattr(officer, key, value)
    session.flush()
    _check_no_overlap(session, officer)
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
        roles = {OfficerRole(before["role"]), officer.role} & rules.SINGLE_HOLDER_ROLES
        dates = (before["started_on"], before["ended_on"]) != (
            after["started_on"],
            after["ended_on"],
        )
        if roles and (dates or before["role"] != after["role"]):
            change = (
                f"the record of {officer.name} ({officer.job_title}, {officer.email}) was "
                f"corrected: the {rules.role_label(officer.role)} "
                f"{_period(officer.started_on, officer.ended_on)}"
            )
            if before["role"] != after["role"]:
                change += f" (before: the {rules.role_label(OfficerRole(before['role']))})"
            for role in sorted(roles):
                _tell_partners(session, actor, officer.agency, role, change, today=today, now=now)
    session.commit()
    return officer


@writes
def end_officer(
    session: Session,
    actor: Actor,
    agency_id: int,
    officer_id: int,
    *,
    today: date,
    now: datetime,
    ended_on: date | None = None,
) -> Officer:
    """Record that the officer leaves on `ended_on` (default today, or their start date if
    that is later: one who never took up post); the record stays in the agency's
    history."""
    _locked_agency(session, agency_id)
    officer = get_officer(session, agency_id, officer_id)
    policy.require(
        policy.may_edit_agency(actor, agency_id),
        f"You cannot change {officer.agency.name}'s officers: it is not your agency",
    )
    if officer.ended_on is not None:
        raise Conflict(
            f"{officer.name} already has a leaving date, {long_date(officer.ended_on)}: "
            "correct it on their record instead",
            code="wrong_state",
        )
    leaves = ended_on if ended_on is not None else max(today, officer.started_on)
    if error := rules.end_error(leaves, officer.started_on, today):
        raise ValidationFailed({"ended_on": error})
    before = officer_snapshot(officer)
    officer.ended_on = leaves
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
    if officer.role in rules.SINGLE_HOLDER_ROLES:
        change = (
            f"{officer.name} {'left' if leaves <= today else 'leaves'} the role on "
            f"{long_date(leaves)}; no successor is recorded yet"
        )
        _tell_partners(session, actor, officer.agency, officer.role, change, today=today, now=now)
    session.commit()
    return officer


def list_officers(
    session: Session, agency_id: int, *, include_ended: bool = False, today: date | None = None
) -> list[Officer]:
    """The agency's officers: without `include_ended`, those who have not left by `today`
    (holders now, and successors recorded from a later date); with it, everyone ever
    recorded. Current ones first, then by role and name."""
    get_agency(session, agency_id)
    query = select(Officer).where(Officer.agency_id == agency_id)
    if not include_ended:
        if today is None:
            query = query.where(Officer.ended_on.is_(None))
        else:
            query = query.where(or_(Officer.ended_on.is_(None), Officer.ended_on > today))
    return list(
        session.scalars(query.order_by(Officer.role, Officer.started_on, Officer.name, Officer.id))
    )


def officer_gaps(agency: Agency, today: date) -> list[str]:
    """The posts this agency has left unfilled today (the rule is domain.agencies)."""
    return rules.officer_gaps(agency.name, agency.kind, (o.role for o in agency.officers_on(today)))


# Telling partners -------------------------------------------------------------------


def sharing_partners(session: Session, agency_id: int, today: date) -> dict[int, list[Agreement]]:
    """The other agencies that share an agreement with this one, each with those
    agreements: any agreement it is or was a party to (any version) that has been
    submitted (not a draft only) and is not terminated, unless either agency's withdrawal
    from it has taken effect."""
    own = (
        select(AgreementVersion.agreement_id)
        .join(Party, Party.version_id == AgreementVersion.id)
        .where(Party.agency_id == agency_id)
    )
    submitted = exists().where(
        AgreementVersion.agreement_id == Agreement.id,
        AgreementVersion.status != VersionStatus.DRAFT,
    )
    terminated = exists().where(
        AgreementVersion.agreement_id == Agreement.id,
        AgreementVersion.status == VersionStatus.TERMINATED,
    )
    live = (
        select(Agreement.id)
        .where(Agreement.id.in_(own), submitted, ~terminated)
        .where(or_(Agreement.terminates_on.is_(None), Agreement.terminates_on > today))
    )
    rows = session.execute(
        select(Party.agency_id, Agreement)
        .join(AgreementVersion, AgreementVersion.id == Party.version_id)
        .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
        .where(Agreement.id.in_(live), Party.agency_id != agency_id)
        .order_by(Party.agency_id, Agreement.reference)
    ).all()
    partners: dict[int, list[Agreement]] = {}
    for partner, agreement in rows:
        gone = agreement.withdrawn_by(today)  # a withdrawal in effect ends the sharing
        if agency_id in gone or partner in gone:
            continue
        partners.setdefault(partner, [])
        if agreement not in partners[partner]:
            partners[partner].append(agreement)
    return partners


SHOWN_AGREEMENTS = 5  # listed in a notification; the rest counted


def _tell_partners(
    session: Session,
    actor: Actor,
    agency: Agency,
    role: OfficerRole,
    change: str,
    *,
    today: date,
    now: datetime,
) -> None:
    """Tell the IG leads of every agency sharing an agreement with `agency` that one of its
    key officers changed: in the caller's transaction, to be acknowledged."""
    label = OFFICER_ROLE_LABELS[role]
    for partner, agreements in sharing_partners(session, agency.id, today).items():
        leads = notifications.ig_leads(session, [partner])
        if not leads:
            continue
        shared = [f"{a.reference} {(a.current or a.latest).title}" for a in agreements]
        listed = "\n".join(f"- {line}" for line in shared[:SHOWN_AGREEMENTS])
        if len(shared) > SHOWN_AGREEMENTS:
            listed += f"\n- and {len(shared) - SHOWN_AGREEMENTS} more"
        body = (
            f"{agency.name} changed its {rules.role_label(role)}: {change}.\n\n"
            f"Recorded by {actor.name}.\n\n"
            f"Your agency shares these agreements with {agency.name}:\n{listed}\n\n"
            f"Check the contacts you hold for {agency.name}, tell the people who share "
            "information with them under these agreements if they need to know, and "
            "acknowledge this notice on your home page in the registry."
        )
        notifications.notify(
            session,
            NotificationEvent.OFFICER_CHANGED,
            leads,
            subject=f"{label} changed at {agency.name}",
            body=body,
            now=now,
            link=f"/agencies/{agency.id}",
            agency_id=agency.id,
            needs_acknowledgement=True,
        )


# Choosing one agency among tens of thousands ----------------------------------------
#
# No page lists every agency (issue 20): a box takes part of a name, an ICO registration
# number or an ODS code; with JavaScript the page asks lookup_agencies as the person types,
# and without it the server reads what was typed with resolve_agency.

LOOKUP_LIMIT = 20  # matches a box lists under it
LOOKUP_LONGEST = 200  # an agency's name is at most this long, so nothing longer matches


def as_id(value: object) -> int | None:
    """An id sent as text (ASCII digits an id column holds), or None."""
    raw = str(value or "")
    if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
        return None
    number = int(raw)
    return number if is_id(number) else None


class AgencyMatch(NamedTuple):
    id: int
    name: str
    ico_registration: str
    ods_code: str | None


class Resolved(NamedTuple):
    """What a typed agency comes to: one agency (id), or none with a problem to show and
    the candidates to choose from."""

    id: int | None
    problem: str | None = None
    candidates: tuple[AgencyMatch, ...] = ()


def lookup_agencies(
    session: Session,
    typed: str,
    *,
    within: Collection[int] | None = None,
    limit: int = LOOKUP_LIMIT,
) -> tuple[list[AgencyMatch], bool]:
    """Agencies whose name contains `typed`, or whose ICO registration number or ODS code
    starts with it, in any case: an exact name or code first, then names that start with
    it, then the rest, by name. Only agencies in `within` when given. Answers at most
    `limit` and whether there were more.

    Ranking every match would sort thousands for a letter or two (90 ms for "a" at 50,000
    agencies on PostgreSQL), so the matches are read by name, `limit` + 1 at a time: when
    that is all of them they are ranked here; when there are more, the exact codes and the
    names starting with what was typed are read the same way and go first."""
    wanted = " ".join(typed.split())
    if not wanted or len(wanted) > LOOKUP_LONGEST:
        return [], False
    low = wanted.lower()
    escaped = low.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # lower(column), as the trigram indexes on PostgreSQL are built (migration e3b7c9d2f4a6).
    name, ico, ods = (
        func.lower(c) for c in (Agency.name, Agency.ico_registration, Agency.ods_code)
    )
    starting = name.like(escaped + "%", escape="\\")
    matching = or_(
        name.contains(low, autoescape=True),
        ico.like(escaped + "%", escape="\\"),
        ods.like(escaped + "%", escape="\\"),
    )
    code = wanted.upper().replace(" ", "")  # as codes are kept (domain/fields.py)
    exact_code = or_(Agency.ico_registration == code, Agency.ods_code == code)
    allowed = None if within is None else set(within)

    def first(where) -> list[AgencyMatch]:
        query = select(Agency.id, Agency.name, Agency.ico_registration, Agency.ods_code).where(
            where
        )
        query = query.order_by(Agency.name)
        if allowed is None:
            return [AgencyMatch(*row) for row in session.execute(query.limit(limit + 1))]
        # A party list can run to thousands: read matches in order and keep those in it.
        kept: list[AgencyMatch] = []
        for row in session.execute(query.execution_options(yield_per=500)):
            if row.id in allowed:
                kept.append(AgencyMatch(*row))
                if len(kept) > limit:
                    break
        return kept

    every = first(matching)
    if len(every) <= limit:  # all of them: ranked here
        return sorted(
            every,
            key=lambda m: (
                0 if _exactly(m, wanted) else 1 if m.name.lower().startswith(low) else 2,
                m.name,
            ),
        ), False
    ranked = [*first(or_(exact_code, name == low)), *first(starting), *every]
    return list({m.id: m for m in ranked}.values())[:limit], True


def _exactly(match: AgencyMatch, typed: str) -> bool:
    key = name_key(typed)
    return key in (name_key(match.name), match.ico_registration.casefold()) or (
        match.ods_code is not None and key == match.ods_code.casefold()
    )


def resolve_agency(
    session: Session,
    typed: str | None,
    chosen: object = None,
    *,
    within: Collection[int] | None = None,
    what: str = "an agency",
) -> Resolved:
    """The agency a box names, for a page sent without JavaScript (or with it).

    `typed` is the box's text (None: the page had no box, so `chosen` alone counts);
    `chosen` the agency id the page sent beside it (picked from the matches, or the one
    shown before). The id stands while the text still describes that agency; otherwise
    the text is read: one agency whose name, ICO registration number or ODS code it is
    exactly, or else a problem naming the candidates (up to LOOKUP_LIMIT) to choose from.
    Blank text is no agency."""
    chosen_id = as_id(chosen)
    if chosen_id is not None and within is not None and chosen_id not in within:
        chosen_id = None
    if typed is None:
        if chosen_id is None or not agency_names(session, [chosen_id]):
            return Resolved(None)
        return Resolved(chosen_id)
    text = " ".join(typed.split())
    if not text:
        return Resolved(None)
    if len(text) > LOOKUP_LONGEST:
        return Resolved(None, f"No agency’s name is that long: type part of {what}’s name")
    if chosen_id is not None:
        row = session.execute(
            select(Agency.id, Agency.name, Agency.ico_registration, Agency.ods_code).where(
                Agency.id == chosen_id
            )
        ).first()
        if row is not None:
            match = AgencyMatch(*row)
            low = text.casefold()
            if (
                low in match.name.casefold()
                or match.ico_registration.casefold().startswith(low)
                or (match.ods_code or "").casefold().startswith(low)
            ):
                return Resolved(match.id)
    matches, more = lookup_agencies(session, text, within=within)
    exact = [m for m in matches if _exactly(m, text)]
    if len(exact) == 1:
        return Resolved(exact[0].id)
    if not matches:
        return Resolved(
            None,
            f"No agency matches “{text}”: check the name, ICO registration number or ODS code"
            + ("" if within is None else ", or choose one of those offered"),
        )
    if len(matches) == 1:
        return Resolved(None, f"Did you mean {matches[0].name}? Choose it below", tuple(matches))
    shown = f"the first {len(matches)} are" if more else "they are"
    return Resolved(
        None,
        f"More than one agency matches “{text}”: choose one ({shown} listed below), "
        "or type more of its name",
        tuple(matches),
    )
