"""Follow-ups to decisions: what happened afterwards (consent withdrawn, the share stopped,
the information returned or deleted). Append-only and hash-chained like the decisions, in
a chain of their own; and which decisions are due a follow-up."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select, text, union
from sqlalchemy.orm import Session

from ..database import writes
from ..domain import policy
from ..domain.actor import Actor
from ..domain.chain import GENESIS, entry_hash
from ..domain.decisions import InformationOutcome, check_follow_up
from ..domain.errors import Forbidden, ValidationFailed
from ..domain.fields import text_error
from ..domain.vocab import Role
from ..models import DecisionFollowUp, DecisionRecord, User
from . import chains, checkpoints
from .decisions import get_decision

FOLLOW_UP_LOCK_KEY = 7_301_004
DUE_SHOWN = 50
# A follow-up the same person sends again, word for word, this soon after the first is the
# same follow-up sent twice (a refresh that re-posts, a retry on a slow connection), not a
# second event: it is answered with the first, never recorded again (nothing on the record
# can be taken off it).
REPEAT_WINDOW = timedelta(minutes=10)


class Repeated(Exception):
    """The follow-up asked for is already on the record (`entry`)."""

    def __init__(self, entry: DecisionFollowUp):
        super().__init__("This follow-up is already recorded")
        self.entry = entry


@dataclass(frozen=True)
class FollowUpInput:
    consent_withdrawn: bool | None
    share_stopped: bool | None
    information: str | None
    outcome: str | None
    next_follow_up_on: date | None = None


def content(entry: DecisionFollowUp) -> dict[str, Any]:
    """What the entry hash covers: everything but the row id and the hashes."""
    return {
        "sequence": entry.sequence,
        "decision_id": entry.decision_id,
        "recorded_at": entry.recorded_at.isoformat(),
        "user_id": entry.user_id,
        "recorded_by": entry.recorded_by,
        "consent_withdrawn": entry.consent_withdrawn,
        "share_stopped": entry.share_stopped,
        "information": entry.information.value,
        "outcome": entry.outcome,
        "next_follow_up_on": (
            entry.next_follow_up_on.isoformat() if entry.next_follow_up_on else None
        ),
    }


def may_follow_up(actor: Actor, record: DecisionRecord) -> bool:
    """The practitioner who recorded the decision, or their agency's IG lead (who answers
    for the agency's records, and must be able to record a withdrawal of consent when the
    practitioner is away or has left)."""
    if actor.user_id is None:
        return False
    if actor.has(Role.PRACTITIONER) and record.user_id == actor.user_id:
        return True
    return actor.has(Role.IG_LEAD) and actor.agency_id == record.agency_id


def follow_up_errors(data: FollowUpInput, *, today: date) -> dict[str, str]:
    """Every rule the follow-up breaks, by field (none: it can be recorded)."""
    fields = check_follow_up(
        consent_withdrawn=data.consent_withdrawn,
        share_stopped=data.share_stopped,
        information=data.information,
        outcome=data.outcome,
        next_follow_up_on=data.next_follow_up_on,
        today=today,
    )
    if "outcome" not in fields and (
        error := text_error(data.outcome, "What happened", multiline=True)
    ):
        fields["outcome"] = error
    return fields


@writes
def record_follow_up(
    session: Session,
    actor: Actor,
    decision_id: int,
    data: FollowUpInput,
    *,
    today: date,
    now: datetime,
) -> DecisionFollowUp:
    """Append a follow-up to a decision the actor may follow up."""
    record = get_decision(session, actor, decision_id)
    policy.require(
        may_follow_up(actor, record),
        "Only the practitioner who recorded this decision, or their agency's information "
        "governance lead, can add a follow-up",
    )
    fields = follow_up_errors(data, today=today)
    if fields:
        raise ValidationFailed(fields)
    user = session.get(User, actor.user_id)
    if user is None:
        raise Forbidden("Sign in as a registry user to add a follow-up")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": FOLLOW_UP_LOCK_KEY})
    last = session.execute(
        select(DecisionFollowUp.sequence, DecisionFollowUp.entry_hash)
        .order_by(DecisionFollowUp.sequence.desc())
        .limit(1)
    ).first()
    sequence, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
    outcome = (data.outcome or "").strip()
    earlier = session.scalar(
        select(DecisionFollowUp)
        .where(
            DecisionFollowUp.decision_id == record.id,
            DecisionFollowUp.user_id == user.id,
            DecisionFollowUp.recorded_at >= (now - REPEAT_WINDOW).astimezone(UTC),
        )
        .order_by(DecisionFollowUp.sequence.desc())
        .limit(1)
    )
    if earlier is not None and (
        earlier.consent_withdrawn,
        earlier.share_stopped,
        earlier.information.value,
        earlier.outcome,
        earlier.next_follow_up_on,
    ) == (
        bool(data.consent_withdrawn),
        bool(data.share_stopped),
        str(data.information),
        outcome,
        data.next_follow_up_on,
    ):
        session.rollback()
        raise Repeated(earlier)
    entry = DecisionFollowUp(
        sequence=sequence,
        decision_id=record.id,
        recorded_at=now.astimezone(UTC),  # hashed as read back: in UTC
        user_id=user.id,
        recorded_by=user.name,
        consent_withdrawn=bool(data.consent_withdrawn),
        share_stopped=bool(data.share_stopped),
        information=InformationOutcome(str(data.information)),
        outcome=outcome,
        next_follow_up_on=data.next_follow_up_on,
        previous_hash=previous,
        entry_hash="",
    )
    entry.entry_hash = entry_hash(content(entry), previous)
    session.add(entry)
    checkpoints.every(session, "follow_ups", sequence, entry.entry_hash, now)
    session.commit()
    return entry


def follow_ups_of(session: Session, actor: Actor, decision_id: int) -> list[DecisionFollowUp]:
    """A decision's follow-ups, oldest first (for someone who may read the decision)."""
    get_decision(session, actor, decision_id)
    return list(
        session.scalars(
            select(DecisionFollowUp)
            .where(DecisionFollowUp.decision_id == decision_id)
            .order_by(DecisionFollowUp.sequence)
        )
    )


@dataclass(frozen=True)
class Afterwards:
    """What the follow-ups of one decision have recorded so far, for a list to show."""

    follow_ups: int
    consent_withdrawn: bool
    share_stopped: bool


def afterwards(session: Session, decision_ids: Iterable[int]) -> dict[int, Afterwards]:
    """For each of these decisions that has follow-ups: how many, and whether any said the
    consent was withdrawn or the share stopped (one query per 500 decisions)."""
    wanted = sorted(set(decision_ids))
    found: dict[int, Afterwards] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(
                DecisionFollowUp.decision_id,
                func.count(),
                func.max(case((DecisionFollowUp.consent_withdrawn, 1), else_=0)),
                func.max(case((DecisionFollowUp.share_stopped, 1), else_=0)),
            )
            .where(DecisionFollowUp.decision_id.in_(wanted[start : start + 500]))
            .group_by(DecisionFollowUp.decision_id)
        )
        for decision_id, count, withdrawn, stopped in rows:
            found[decision_id] = Afterwards(count, bool(withdrawn), bool(stopped))
    return found


def entry_holds(session: Session, entry: DecisionFollowUp) -> bool:
    return chains.entry_holds(session, DecisionFollowUp, content, entry)


def length(session: Session) -> int:
    return chains.length(session, DecisionFollowUp)


def verify(session: Session, progress: Callable[[int], None] | None = None) -> int | None:
    """The sequence of the first follow-up whose chain is broken, or None."""
    return chains.first_break_in(session, DecisionFollowUp, content, progress)


@dataclass(frozen=True)
class DueFollowUp:
    decision: DecisionRecord
    due_on: date
    followed_up_before: bool


def _due_scope(actor: Actor):
    """Whose follow-ups an actor is shown as due: an IG lead its agency's, a practitioner
    their own; nobody else any."""
    if actor.has(Role.IG_LEAD) and actor.agency_id is not None:
        return DecisionRecord.agency_id == actor.agency_id
    if actor.has(Role.PRACTITIONER) and actor.user_id is not None:
        return DecisionRecord.user_id == actor.user_id
    return None


def due_follow_ups(
    session: Session, actor: Actor, *, today: date, limit: int = DUE_SHOWN
) -> tuple[list[DueFollowUp], int]:
    """Decisions whose follow-up date is today or past with no follow-up recorded since:
    the decision's own date while it has none, else the date its latest follow-up set
    (none set: nothing more is due). Answers (the earliest due first, up to `limit`; how
    many in all)."""
    scope = _due_scope(actor)
    if scope is None:
        return [], 0
    latest = (
        select(
            DecisionFollowUp.decision_id.label("decision_id"),
            func.max(DecisionFollowUp.sequence).label("sequence"),
        )
        .group_by(DecisionFollowUp.decision_id)
        .subquery()
    )
    last = select(DecisionFollowUp).join(latest, DecisionFollowUp.sequence == latest.c.sequence)
    last_sub = last.subquery()
    due_on = case(
        (last_sub.c.id.is_(None), DecisionRecord.follow_up_on),
        else_=last_sub.c.next_follow_up_on,
    ).label("due_on")
    # The candidates first, each from a partial index: the person's (or agency's)
    # decisions dated for a follow-up by today, and those with a follow-up that set a
    # next date by today (the latest follow-up decides below); not every decision.
    candidates = union(
        select(DecisionRecord.id).where(scope, DecisionRecord.follow_up_on <= today),
        select(DecisionFollowUp.decision_id).where(DecisionFollowUp.next_follow_up_on <= today),
    )
    query = (
        select(DecisionRecord, due_on, last_sub.c.id.is_not(None).label("before"))
        .outerjoin(last_sub, last_sub.c.decision_id == DecisionRecord.id)
        .where(DecisionRecord.id.in_(candidates), scope, due_on.is_not(None), due_on <= today)
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(due_on, DecisionRecord.sequence).limit(limit)).all()
    return [DueFollowUp(r[0], r[1], bool(r[2])) for r in rows], total
