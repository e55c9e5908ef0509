"""Delegation (SPEC §4 "a signatory who has left can be replaced by a recorded delegate"):
a signatory names another active user of the same agency who may sign and decline for
that agency, on the signatory's behalf, from one London date to another.

A delegation is current on a London day when `starts_on <= day <= ends_on` and it has not
been ended early. It carries on when the signatory (the principal) is later disabled: that
is its purpose. It stops counting if the delegate is disabled or moves to another agency.
Each naming and each early end is audited, and the delegate is told (a notification in
the same transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased, joinedload

from ..database import is_id, writes
from ..domain import policy
from ..domain.actor import Actor
from ..domain.dates import long_date
from ..domain.errors import Conflict, NotFound, ValidationFailed
from ..domain.vocab import Role
from ..models import Agency, Delegation, NotificationEvent, User
from . import audit
from .agreement_lifecycle import london_day
from .notifications import notify
from .paging import Page, paginate

LONGEST = timedelta(days=366)  # "at most a year": a leap year's 29 February included


def is_current(delegation: Delegation, day: date) -> bool:
    return delegation.ended_at is None and delegation.starts_on <= day <= delegation.ends_on


def status(delegation: Delegation, day: date) -> str:
    """'current', 'future', 'ended' (early) or 'past', for the pages and the API."""
    if delegation.ended_at is not None:
        return "ended"
    if day < delegation.starts_on:
        return "future"
    return "past" if day > delegation.ends_on else "current"


def _current_query(delegate_id: int, day: date) -> Select:
    delegate = aliased(User)
    return (
        select(Delegation)
        .join(delegate, delegate.id == Delegation.delegate_id)
        .where(
            Delegation.delegate_id == delegate_id,
            Delegation.ended_at.is_(None),
            Delegation.starts_on <= day,
            Delegation.ends_on >= day,
            # The delegate must still be an active user of the agency it signs for.
            delegate.active.is_(True),
            delegate.agency_id == Delegation.agency_id,
        )
        .order_by(Delegation.starts_on, Delegation.id)
    )


def current_for(
    session: Session, user_id: int | None, agency_id: int | None, day: date
) -> Delegation | None:
    """The delegation under which `user_id` may sign for `agency_id` on `day`, if any (the
    earliest named, when several signatories named the same delegate)."""
    if user_id is None or agency_id is None:
        return None
    return session.scalar(
        _current_query(user_id, day).where(Delegation.agency_id == agency_id).limit(1)
    )


def delegated_agency_ids(session: Session, user_id: int | None, day: date) -> frozenset[int]:
    """The agencies `user_id` may sign for on `day` as a delegate."""
    if user_id is None:
        return frozenset()
    return frozenset(
        session.scalars(
            _current_query(user_id, day).with_only_columns(Delegation.agency_id).order_by(None)
        )
    )


@dataclass
class DelegationFilters:
    agency_id: int | None = None
    current_only: bool = False


def visible(actor: Actor) -> Select:
    """The delegations the actor may see: the administrator every one; an IG lead its
    agency's; anyone else those naming them (as the signatory or as the delegate)."""
    query = select(Delegation)
    if actor.has(Role.ADMIN):
        return query
    if actor.has(Role.IG_LEAD) and actor.agency_id is not None:
        return query.where(Delegation.agency_id == actor.agency_id)
    return query.where(
        (Delegation.principal_id == actor.user_id) | (Delegation.delegate_id == actor.user_id)
    )


def list_delegations(
    session: Session,
    actor: Actor,
    filters: DelegationFilters,
    *,
    today: date,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    query = visible(actor).options(
        joinedload(Delegation.principal), joinedload(Delegation.delegate)
    )
    if filters.agency_id is not None:
        query = query.where(Delegation.agency_id == filters.agency_id)
    if filters.current_only:
        query = query.where(
            Delegation.ended_at.is_(None),
            Delegation.starts_on <= today,
            Delegation.ends_on >= today,
        )
    query = query.order_by(Delegation.ends_on.desc(), Delegation.id.desc())
    return paginate(session, query, page=page, per_page=per_page)


def get_delegation(session: Session, actor: Actor, delegation_id: int) -> Delegation:
    """A delegation the actor may see (NotFound when there is none with that id; another
    agency's is Forbidden, as another agency's agreement is to sign)."""
    found = session.get(Delegation, delegation_id) if is_id(delegation_id) else None
    if found is None:
        raise NotFound(f"There is no delegation with id {delegation_id}")
    policy.require(
        session.scalar(visible(actor).where(Delegation.id == delegation_id)) is not None,
        "That delegation is another agency's, or names someone else",
    )
    return found


def candidates(session: Session, actor: Actor) -> list[User]:
    """Whom the actor may name: the other active users of its agency, by name."""
    if actor.agency_id is None:
        return []
    return list(
        session.scalars(
            select(User)
            .where(
                User.agency_id == actor.agency_id,
                User.active.is_(True),
                User.id != actor.user_id,
            )
            .order_by(User.name, User.id)
        )
    )


def snapshot(delegation: Delegation) -> dict:
    return {
        "agency_id": delegation.agency_id,
        "principal_id": delegation.principal_id,
        "delegate_id": delegation.delegate_id,
        "starts_on": delegation.starts_on.isoformat(),
        "ends_on": delegation.ends_on.isoformat(),
        "ended_at": delegation.ended_at.isoformat() if delegation.ended_at else None,
    }


def _range_errors(starts_on: date | None, ends_on: date | None, today: date) -> dict[str, str]:
    fields: dict[str, str] = {}
    if starts_on is None:
        fields["starts_on"] = "Enter the date the delegation starts"
    elif starts_on < today:
        fields["starts_on"] = (
            f"The delegation must start today ({long_date(today)}) or later: "
            "a delegate cannot sign for days already past"
        )
    if ends_on is None:
        fields["ends_on"] = "Enter the date the delegation ends"
    elif starts_on is not None and ends_on < starts_on:
        fields["ends_on"] = "The end date must be the same as or after the start date"
    elif starts_on is not None and ends_on - starts_on >= LONGEST:
        fields["ends_on"] = (
            f"A delegation lasts at most a year: end it on or before "
            f"{long_date(starts_on + LONGEST - timedelta(days=1))}, and name the delegate "
            "again if it is still needed then"
        )
    return fields


@writes
def create(
    session: Session,
    actor: Actor,
    *,
    delegate_id: int | None,
    starts_on: date | None,
    ends_on: date | None,
    now: datetime,
) -> Delegation:
    """The actor, a signatory, names `delegate_id` to sign for its agency on its behalf."""
    policy.require(
        actor.has(Role.SIGNATORY) and actor.agency_id is not None and actor.user_id is not None,
        "Only a signatory of an agency can name a delegate",
    )
    today = london_day(now)
    fields = _range_errors(starts_on, ends_on, today)
    delegate = session.get(User, delegate_id) if delegate_id and is_id(delegate_id) else None
    if delegate_id is None:
        fields["delegate_id"] = "Choose who will sign on your behalf"
    elif delegate_id == actor.user_id:
        fields["delegate_id"] = "Choose someone other than yourself"
    elif delegate is None or delegate.agency_id != actor.agency_id:
        fields["delegate_id"] = "Choose a user of your own agency"
    elif not delegate.active:
        fields["delegate_id"] = f"{delegate.name}'s account is disabled: choose someone else"
    if fields:
        raise ValidationFailed(fields)
    assert delegate is not None and starts_on is not None and ends_on is not None
    # The principal's row, locked for this transaction: two requests naming the same
    # delegate at once queue here, so the second finds the first's delegation (SQLite:
    # the write lock taken up front does the same).
    principal = session.get(User, actor.user_id, with_for_update=True)
    assert principal is not None
    overlapping = session.scalar(
        select(Delegation.id).where(
            Delegation.principal_id == actor.user_id,
            Delegation.delegate_id == delegate.id,
            Delegation.ended_at.is_(None),
            Delegation.starts_on <= ends_on,
            Delegation.ends_on >= starts_on,
        )
    )
    if overlapping is not None:
        already = f"{delegate.name} is already your delegate for some of those dates"
        raise Conflict(already, code="duplicate", fields={"delegate_id": already})
    delegation = Delegation(
        agency_id=actor.agency_id,
        principal_id=principal.id,
        delegate_id=delegate.id,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=principal.id,
        created_at=now,
    )
    session.add(delegation)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="delegation.create",
        entity_type="delegation",
        entity_id=delegation.id,
        before=None,
        after=snapshot(delegation),
        now=now,
    )
    agency = session.get(Agency, actor.agency_id)
    agency_name = agency.name if agency else "your agency"
    notify(
        session,
        NotificationEvent.DELEGATION,
        [delegate],
        subject=f"{principal.name} has named you to sign on their behalf",
        body=(
            f"{principal.name}{_job(principal)} has named you as their delegate: from "
            f"{long_date(starts_on)} to {long_date(ends_on)} you may sign, or decline to "
            f"sign, agreements for {agency_name} on their behalf. Your signature will read "
            f"“{delegate.name} on behalf of {principal.name}”.\n\n"
            "Agreements waiting for your agency's signature are on your home page in the "
            "registry. If you were not expecting this, tell your information governance lead."
        ),
        now=now,
        link="/delegations",
        agency_id=actor.agency_id,
    )
    session.commit()
    return delegation


def _job(user: User) -> str:
    return f", {user.job_title}," if user.job_title else ""


def may_end(actor: Actor, delegation: Delegation) -> bool:
    """The signatory who named it, the agency's IG lead, or the administrator."""
    return (
        actor.has(Role.ADMIN)
        or (actor.user_id is not None and actor.user_id == delegation.principal_id)
        or policy.is_ig_lead_of(actor, delegation.agency_id)
    )


@writes
def end(session: Session, actor: Actor, delegation_id: int, *, now: datetime) -> Delegation:
    """End a delegation early: from now the delegate no longer signs on the principal's
    behalf. Signatures already made stay as they were."""
    delegation = get_delegation(session, actor, delegation_id)
    policy.require(
        may_end(actor, delegation),
        "Only the signatory who named the delegate, the agency's information governance "
        "lead or the administrator can end a delegation",
    )
    today = london_day(now)
    if delegation.ended_at is not None:
        raise Conflict("This delegation has already been ended", code="already_ended")
    if delegation.ends_on < today:
        raise Conflict(
            f"This delegation ended on {long_date(delegation.ends_on)}: there is nothing to end",
            code="already_ended",
        )
    before = snapshot(delegation)
    delegation.ended_at = now
    delegation.ended_by_id = actor.user_id
    audit.record(
        session,
        actor=actor,
        action="delegation.end",
        entity_type="delegation",
        entity_id=delegation.id,
        before=before,
        after=snapshot(delegation),
        now=now,
    )
    principal, delegate = delegation.principal, delegation.delegate
    notify(
        session,
        NotificationEvent.DELEGATION,
        [delegate],
        subject=f"You no longer sign on behalf of {principal.name}",
        body=(
            f"{actor.name} has ended the delegation that let you sign for your agency on "
            f"behalf of {principal.name} (it was to run from {long_date(delegation.starts_on)} "
            f"to {long_date(delegation.ends_on)}). From now you cannot sign or decline "
            "agreements on their behalf. Signatures you have already given stand.\n\n"
            "If you think this is a mistake, ask your information governance lead."
        ),
        now=now,
        link="/delegations",
        agency_id=delegation.agency_id,
    )
    session.commit()
    return delegation
