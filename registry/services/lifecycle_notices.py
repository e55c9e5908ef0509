"""What the lifecycle tells people (issue 18): one notification per recipient, added to the
caller's session so that it is committed with the change it tells of.

Who is told: on submission, the signatories of each party that has not signed; on a
withdrawal notice, its cancellation, a suspension, a resumption or a termination, every
party's IG leads; when a parent comes to allow less than a child, the child's owner's IG
leads. The person who acted is not told of their own act (but is asked to sign what they
submitted when they sign for a party). Bodies are plain text: what happened, to which
agreement, who did it, why, and what the reader should do next."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy.orm import Session

from ..clock import LONDON
from ..domain.actor import Actor
from ..domain.dates import long_date
from ..models import Agency, Agreement, NotificationEvent, User
from . import notifications


def party_ids(agreement: Agreement) -> set[int]:
    """The parties of the version in force (else the latest) and of any open amendment:
    read before a change that may end those versions."""
    versions = {agreement.current or agreement.latest, agreement.open_version}
    return {p.agency_id for v in versions if v is not None for p in v.parties}


def _named(agreement: Agreement) -> str:
    version = agreement.current or agreement.latest
    return f"{agreement.reference} “{version.title}”"


def _link(agreement: Agreement) -> str:
    return f"/agreements/{agreement.id}"


def _others(users: Iterable[User], actor: Actor) -> list[User]:
    return [u for u in users if u.id != actor.user_id]


def _who(actor: Actor) -> str:
    return f"{actor.name} ({actor.job_title})" if actor.job_title else actor.name


def submitted(session: Session, actor: Actor, agreement: Agreement, *, now: datetime) -> None:
    """The version just submitted awaits the signature of each party that has not signed
    its content (a signature binds the content hash: one of content resubmitted unchanged
    still stands)."""
    version = agreement.latest
    unsigned = [p.agency_id for p in version.parties if version.signature_for(p.agency_id) is None]
    if not unsigned:
        return
    owner = agreement.owner.name
    body = (
        f"{_who(actor)} of {owner} has submitted {_named(agreement)}, version "
        f"{version.number}, for signature.\n\n"
        f"Your agency is a party and has not signed this version yet. Read it in the registry "
        f"and sign it for your agency, or decline with a comment saying why. Nothing in it "
        f"applies until every party has signed.\n\n"
        f"It takes effect on {long_date(version.effective_from)} and is due for review on "
        f"{long_date(version.review_date)}."
    )
    notifications.notify(
        session,
        NotificationEvent.SUBMITTED,
        # Not _others: a request to sign is for every signatory, the submitter among them,
        # and for a signatory's current delegate, who may sign for the agency too.
        notifications.signatories(session, unsigned)
        + notifications.delegates(session, unsigned, now.astimezone(LONDON).date()),
        subject=f"Please sign {agreement.reference} version {version.number}: {version.title}",
        body=body,
        now=now,
        link=f"/agreements/{agreement.id}/sign",
        agreement_id=agreement.id,
    )


def withdrawal_given(
    session: Session,
    actor: Actor,
    agreement: Agreement,
    parties: set[int],
    *,
    agency: Agency,
    effective_on: date,
    reason: str,
    today: date,
    terminates_on: date | None,
    now: datetime,
) -> None:
    if effective_on <= today:
        when = f"from today, {long_date(effective_on)}"
        cover = f"{agency.name} is no longer covered by it."
    else:
        when = f"from {long_date(effective_on)}"
        cover = (
            f"Until then {agency.name} stays a party and is covered as before; from that date "
            f"it is not. {agency.name}'s information governance lead may cancel the notice "
            "before that date."
        )
    ending = ""
    if terminates_on is not None and terminates_on <= today:
        ending = "\n\nFewer than two parties remain, so the agreement has been terminated today."
    elif terminates_on is not None:
        ending = (
            f"\n\nFewer than two parties will remain, so the agreement terminates on "
            f"{long_date(terminates_on)}."
        )
    body = (
        f"{agency.name} has given notice that it withdraws from {_named(agreement)} {when}.\n\n"
        f"Reason given: {reason}\n\n"
        f"Notice given by {_who(actor)} on {long_date(today)}. {cover}{ending}\n\n"
        f"What to do: check whether any sharing with {agency.name} under this agreement must "
        "stop or be covered another way."
    )
    notifications.notify(
        session,
        NotificationEvent.WITHDRAWAL_NOTICE,
        _others(notifications.ig_leads(session, parties), actor),
        subject=(
            f"{agency.name} withdraws from {agreement.reference} from {long_date(effective_on)}"
        ),
        body=body,
        now=now,
        link=_link(agreement),
        agreement_id=agreement.id,
        agency_id=agency.id,
    )


def withdrawal_cancelled(
    session: Session,
    actor: Actor,
    agreement: Agreement,
    parties: set[int],
    *,
    agency: Agency,
    effective_on: date,
    reason: str,
    today: date,
    termination_cancelled: date | None,
    now: datetime,
) -> None:
    ending = (
        f"\n\nThe agreement no longer terminates on {long_date(termination_cancelled)}."
        if termination_cancelled
        else ""
    )
    body = (
        f"{agency.name}'s notice of withdrawal from {_named(agreement)}, which was to take "
        f"effect on {long_date(effective_on)}, has been cancelled by {_who(actor)} on "
        f"{long_date(today)}.\n\n"
        f"The reason the notice had given: {reason or 'none recorded'}\n\n"
        f"{agency.name} stays a party and stays covered by the agreement as before.{ending}\n\n"
        "Nothing needs doing, unless you made other arrangements because of the notice."
    )
    notifications.notify(
        session,
        NotificationEvent.WITHDRAWAL_CANCELLED,
        _others(notifications.ig_leads(session, parties), actor),
        subject=f"{agency.name} no longer withdraws from {agreement.reference}",
        body=body,
        now=now,
        link=_link(agreement),
        agreement_id=agreement.id,
        agency_id=agency.id,
    )


_STATUS = {
    NotificationEvent.SUSPENDED: (
        "suspended",
        "While it is suspended it covers no share. Do not share under it until it is resumed; "
        "where a child or an adult is at risk, information may still be shared without an "
        "agreement: record the decision and why.",
    ),
    NotificationEvent.RESUMED: (
        "resumed",
        "It covers shares again, as it did before it was suspended.",
    ),
    NotificationEvent.TERMINATED: (
        "terminated",
        "It has ended, with any amendment that was open, and covers no share from now on. "
        "If the sharing must go on, a new agreement is needed.",
    ),
}


def status_changed(
    session: Session,
    actor: Actor,
    agreement: Agreement,
    parties: set[int],
    event: NotificationEvent,
    *,
    reason: str,
    now: datetime,
) -> None:
    """Suspended, resumed or terminated: every party's IG leads, with the reason."""
    done, next_step = _STATUS[event]
    day = long_date(now.astimezone(LONDON).date())
    body = (
        f"{_named(agreement)} has been {done} by {_who(actor)} on {day}.\n\n"
        f"Reason: {reason}\n\n{next_step}"
    )
    notifications.notify(
        session,
        event,
        _others(notifications.ig_leads(session, parties), actor),
        subject=f"{agreement.reference} {done}: {(agreement.current or agreement.latest).title}",
        body=body,
        now=now,
        link=_link(agreement),
        agreement_id=agreement.id,
    )


def parent_narrowed(
    session: Session,
    child: Agreement,
    parent: Agreement,
    found: list[str],
    *,
    cause: str,
    now: datetime,
) -> None:
    """`child` has just come to grant more than `parent` now allows; `cause` says what
    changed the parent ("its version 2 came into force on 15 June 2026")."""
    body = (
        f"{_named(parent)} has changed ({cause}) and now allows less than {_named(child)}, which "
        f"your agency owns and which sits under it:\n\n"
        + "\n".join(f"- {item}" for item in found)
        + f"\n\n{child.reference} no longer covers what {parent.reference} does not allow. "
        f"What to do: amend {child.reference} to match, or talk to {parent.owner.name}, which "
        f"owns {parent.reference}."
    )
    notifications.notify(
        session,
        NotificationEvent.PARENT_NARROWED,
        notifications.ig_leads(session, [child.owner_agency_id]),
        subject=f"{child.reference} now goes beyond its parent {parent.reference}",
        body=body,
        now=now,
        link=_link(child),
        agreement_id=child.id,
        agency_id=child.owner_agency_id,
    )
