"""Recording share / no-share decisions: append-only, hash-chained, serialised."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, or_, select, text
from sqlalchemy.orm import Session

from ..clock import LONDON
from ..database import writes
from ..domain import policy
from ..domain.actor import Actor
from ..domain.chain import GENESIS, entry_hash
from ..domain.coverage import Outcome
from ..domain.dates import add_months
from ..domain.decisions import KEY_QUESTIONS, Consent, Decision, check_decision
from ..domain.errors import Forbidden, NotFound, ValidationFailed
from ..domain.fields import text_error
from ..domain.vocab import Role
from ..models import Agency, CoverageCheck, DataCategory, DecisionRecord, Purpose, User
from . import chains, checkpoints
from .paging import Page, containing, paginate
from .spreadsheet import safe_cell

DECISION_LOCK_KEY = 7_301_003
# The free text of a decision, as messages name it (the case reference on one line).
DECISION_TEXT = (
    ("reasons", "The reasons"),
    ("consent_reason", "The reason for sharing without consent"),
    ("expected_action", "What you expect the recipient to do"),
    ("case_reference", "The case reference"),
)


@dataclass(frozen=True)
class DecisionInput:
    from_agency_id: int | None
    to_agency_id: int | None
    purpose: str | None
    data_categories: list[str] | None
    decision: str | None
    consent: str | None
    reasons: str | None
    check_id: str | None = None
    consent_reason: str | None = None
    case_reference: str | None = None
    key_questions: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    expected_action: str | None = None
    follow_up_on: date | None = None


def content(record: DecisionRecord) -> dict[str, Any]:
    """What the entry hash covers: everything but the row id and the hashes."""
    return {
        "sequence": record.sequence,
        "recorded_at": record.recorded_at.isoformat(),
        "user_id": record.user_id,
        "recorded_by": record.recorded_by,
        "agency_id": record.agency_id,
        "check_id": record.check_id,
        "from_agency_id": record.from_agency_id,
        "to_agency_id": record.to_agency_id,
        "purpose": record.purpose,
        "data_categories": record.data_categories,
        "decision": record.decision.value,
        "consent": record.consent.value,
        "consent_reason": record.consent_reason,
        "reasons": record.reasons,
        "case_reference": record.case_reference,
        "key_questions": record.key_questions,
        "method": record.method,
        "expected_action": record.expected_action,
        "follow_up_on": record.follow_up_on.isoformat() if record.follow_up_on else None,
        "idempotency_key": record.idempotency_key,
    }


def may_record(actor: Actor, from_agency_id: int | None) -> bool:
    """A practitioner records decisions as its own agency only."""
    return (
        actor.has(Role.PRACTITIONER)
        and actor.agency_id is not None
        and actor.agency_id == from_agency_id
    )


def _check_references(session: Session, data: DecisionInput, actor: Actor) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name in ("from_agency_id", "to_agency_id"):
        value = getattr(data, name)
        if value is None or session.get(Agency, value) is None:
            fields[name] = (
                "Choose an agency" if value is None else f"There is no agency with id {value}"
            )
    if not data.purpose or session.get(Purpose, data.purpose) is None:
        fields["purpose"] = (
            "Choose the purpose" if not data.purpose else f"Unknown purpose: {data.purpose}"
        )
    if not data.data_categories:
        fields["data_categories"] = "Choose at least one category of information"
    else:
        known = set(session.scalars(select(DataCategory.code)))
        unknown = sorted(set(data.data_categories) - known)
        if unknown:
            fields["data_categories"] = f"Unknown data category: {', '.join(unknown)}"
    if data.check_id:
        check = session.get(CoverageCheck, data.check_id)
        if check is None:
            fields["check_id"] = f"There is no coverage check {data.check_id}"
        elif check.user_id != actor.user_id:
            fields["check_id"] = "That coverage check was made by someone else"
        elif (check.from_agency_id, check.to_agency_id, check.purpose) != (
            data.from_agency_id,
            data.to_agency_id,
            data.purpose,
        ):
            fields["check_id"] = (
                "That coverage check was for different agencies or a different purpose"
            )
    return fields


@writes
def record_decision(
    session: Session,
    actor: Actor,
    data: DecisionInput,
    *,
    idempotency_key: str | None,
    today: date,
    now: datetime,
) -> tuple[DecisionRecord, bool]:
    """Append a decision. Answers (record, created); a retried request carrying the same
    Idempotency-Key answers the first record, not a second one."""
    policy.require(
        may_record(actor, data.from_agency_id),
        "You can record decisions only for your own agency, as a practitioner",
    )
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": DECISION_LOCK_KEY})
    if idempotency_key:
        earlier = session.scalar(
            select(DecisionRecord).where(
                DecisionRecord.user_id == actor.user_id,
                DecisionRecord.idempotency_key == idempotency_key,
            )
        )
        if earlier is not None:
            return earlier, False
    fields = _check_references(session, data, actor)
    rules = check_decision(
        decision=data.decision,
        consent=data.consent,
        consent_reason=data.consent_reason,
        reasons=data.reasons,
        case_reference=data.case_reference,
        key_questions=data.key_questions,
        method=data.method,
        follow_up_on=data.follow_up_on,
        today=today,
    )
    fields.update({k: v for k, v in rules.items() if k not in fields})
    for name, label in DECISION_TEXT:
        if name not in fields and (
            error := text_error(getattr(data, name), label, multiline=name != "case_reference")
        ):
            fields[name] = error
    if fields:
        raise ValidationFailed(fields)
    user = session.get(User, actor.user_id)
    if user is None:
        raise Forbidden("Sign in as a registry user to record decisions")
    last = session.execute(
        select(DecisionRecord.sequence, DecisionRecord.entry_hash)
        .order_by(DecisionRecord.sequence.desc())
        .limit(1)
    ).first()
    sequence, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
    record = DecisionRecord(
        sequence=sequence,
        recorded_at=now.astimezone(UTC),  # hashed as read back: in UTC
        user_id=user.id,
        recorded_by=user.name,
        agency_id=user.agency_id,
        check_id=data.check_id or None,
        from_agency_id=data.from_agency_id,
        to_agency_id=data.to_agency_id,
        purpose=data.purpose,
        data_categories=sorted(set(data.data_categories or [])),
        decision=Decision(str(data.decision)),
        consent=Consent(str(data.consent)),
        consent_reason=(data.consent_reason or "").strip() or None,
        reasons=(data.reasons or "").strip(),
        case_reference=(data.case_reference or "").strip() or None,
        key_questions=data.key_questions or None,
        method=data.method or None,
        expected_action=(data.expected_action or "").strip() or None,
        follow_up_on=data.follow_up_on,
        idempotency_key=idempotency_key or None,
        previous_hash=previous,
        entry_hash="",
    )
    record.entry_hash = entry_hash(content(record), previous)
    session.add(record)
    checkpoints.every(session, "decisions", sequence, record.entry_hash, now)
    session.commit()
    return record, True


def visible_to(actor: Actor):
    """Which decisions the actor may read: the administrator all; an IG lead its agency's;
    anyone else their own."""
    if actor.has(Role.ADMIN):
        return None
    if actor.has(Role.IG_LEAD):
        return DecisionRecord.agency_id == actor.agency_id
    return DecisionRecord.user_id == actor.user_id


# without_cover: not covered, or no check made at all (a share recorded without cover).
COVERAGE_FILTERS = ("covered", "not_covered", "not_required", "no_check", "without_cover")


@dataclass(frozen=True)
class DecisionFilters:
    """What a list of decisions, its CSV and its summary are narrowed to. Dates are days
    in the partnership's time zone (Europe/London), both ends included."""

    search: str = ""
    recorded_from: date | None = None
    recorded_to: date | None = None
    purpose: str | None = None
    to_agency_id: int | None = None
    decision: str | None = None
    consent: str | None = None
    coverage: str | None = None  # one of COVERAGE_FILTERS

    @property
    def any(self) -> bool:
        return any(
            (
                self.search.strip(),
                self.recorded_from,
                self.recorded_to,
                self.purpose,
                self.to_agency_id,
                self.decision,
                self.consent,
                self.coverage,
            )
        )


def without_cover() -> ColumnElement[bool]:
    """A decision made without a covering agreement: its check said not covered, or it
    followed no check at all."""
    return or_(
        DecisionRecord.check_id.is_(None),
        exists().where(
            CoverageCheck.id == DecisionRecord.check_id,
            CoverageCheck.outcome == Outcome.NOT_COVERED,
        ),
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def filtered(query: Select, actor: Actor, filters: DecisionFilters) -> Select:
    """`query` (over DecisionRecord) narrowed to what the actor may read and the filters."""
    scope = visible_to(actor)
    if scope is not None:
        query = query.where(scope)
    f = filters
    if f.search.strip():
        query = query.where(containing(f.search, DecisionRecord.case_reference))
    if f.recorded_from is not None:
        query = query.where(DecisionRecord.recorded_at >= _day_start(f.recorded_from))
    if f.recorded_to is not None and f.recorded_to < date.max:
        query = query.where(
            DecisionRecord.recorded_at < _day_start(f.recorded_to + timedelta(days=1))
        )
    if f.purpose:
        query = query.where(DecisionRecord.purpose == f.purpose)
    if f.to_agency_id is not None:
        query = query.where(DecisionRecord.to_agency_id == f.to_agency_id)
    if f.decision in set(Decision):
        query = query.where(DecisionRecord.decision == f.decision)
    if f.consent in set(Consent):
        query = query.where(DecisionRecord.consent == f.consent)
    if f.coverage == "no_check":
        query = query.where(DecisionRecord.check_id.is_(None))
    elif f.coverage == "without_cover":
        query = query.where(without_cover())
    elif f.coverage in COVERAGE_FILTERS:
        outcomes = {
            "covered": (Outcome.COVERED, Outcome.COVERED_WITH_WARNINGS),
            "not_covered": (Outcome.NOT_COVERED,),
            "not_required": (Outcome.NOT_REQUIRED,),
        }[str(f.coverage)]
        query = query.where(
            DecisionRecord.check_id.in_(
                select(CoverageCheck.id).where(CoverageCheck.outcome.in_(outcomes))
            )
        )
    return query


def list_decisions(
    session: Session,
    actor: Actor,
    filters: DecisionFilters | None = None,
    *,
    page: int = 1,
    per_page: int = 50,
    count_up_to: int | None = None,
) -> Page:
    query = filtered(
        select(DecisionRecord).order_by(DecisionRecord.sequence.desc()),
        actor,
        filters or DecisionFilters(),
    )
    return paginate(session, query, page=page, per_page=per_page, count_up_to=count_up_to)


def check_outcomes(session: Session, check_ids: Iterable[str | None]) -> dict[str, Outcome]:
    """The outcome of each of these coverage checks, by id."""
    wanted = sorted({c for c in check_ids if c})
    found: dict[str, Outcome] = {}
    for start in range(0, len(wanted), 500):
        found.update(
            session.execute(
                select(CoverageCheck.id, CoverageCheck.outcome).where(
                    CoverageCheck.id.in_(wanted[start : start + 500])
                )
            ).all()
        )
    return found


def get_decision(session: Session, actor: Actor, decision_id: int) -> DecisionRecord:
    record = session.get(DecisionRecord, decision_id)
    if record is None:
        raise NotFound(f"There is no decision with id {decision_id}")
    scope = visible_to(actor)
    if (
        scope is not None
        and session.scalar(select(DecisionRecord.id).where(DecisionRecord.id == decision_id, scope))
        is None
    ):
        raise Forbidden("That decision was recorded by another agency")
    return record


def entry_holds(session: Session, record: DecisionRecord) -> bool:
    """Whether this decision's record is as it was recorded (its chain entry verifies)."""
    return chains.entry_holds(session, DecisionRecord, content, record)


def length(session: Session) -> int:
    return chains.length(session, DecisionRecord)


def verify(session: Session, progress: Callable[[int], None] | None = None) -> int | None:
    """The sequence of the first decision whose chain is broken, or None."""
    return chains.first_break_in(session, DecisionRecord, content, progress)


CSV_COLUMNS = (
    "sequence",
    "recorded_at",
    "recorded_by",
    "from_agency",
    "to_agency",
    "purpose",
    "data_categories",
    "decision",
    "consent",
    "consent_reason",
    "reasons",
    "case_reference",
    "method",
    "expected_action",
    "follow_up_on",
    "check_id",
    "entry_hash",
)


# Added after the columns above, which keep their names and order: the outcome of the
# check the decision followed, and each key question's answer.
CSV_EXTRA_COLUMNS = ("check_outcome",) + tuple(f"key_question_{k}" for k in KEY_QUESTIONS)


def decisions_csv(session: Session, actor: Actor, filters: DecisionFilters | None = None) -> str:
    policy.require(
        actor.has(Role.IG_LEAD) or actor.has(Role.ADMIN) or actor.has(Role.PRACTITIONER),
        "Only an information governance lead or a practitioner downloads decisions",
    )
    names = dict(session.execute(select(Agency.id, Agency.name)).all())
    query = filtered(
        select(DecisionRecord, CoverageCheck.outcome)
        .outerjoin(CoverageCheck, CoverageCheck.id == DecisionRecord.check_id)
        .order_by(DecisionRecord.sequence),
        actor,
        filters or DecisionFilters(),
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS + CSV_EXTRA_COLUMNS)
    for r, outcome in session.execute(query):
        answers = r.key_questions or {}
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    r.sequence,
                    r.recorded_at.isoformat(),
                    r.recorded_by,
                    names.get(r.from_agency_id),
                    names.get(r.to_agency_id),
                    r.purpose,
                    " ".join(r.data_categories),
                    r.decision.value,
                    r.consent.value,
                    r.consent_reason,
                    r.reasons,
                    r.case_reference,
                    r.method,
                    r.expected_action,
                    r.follow_up_on,
                    r.check_id,
                    r.entry_hash,
                    outcome.value if outcome is not None else "no_check",
                    *(answers.get(k) for k in KEY_QUESTIONS),
                )
            ]
        )
    return out.getvalue()


@dataclass
class MonthCounts:
    month: date  # its first day
    shares: int = 0
    not_shares: int = 0
    shared_without_coverage: int = 0
    consent_refused: int = 0


def monthly_summary(
    session: Session, actor: Actor, filters: DecisionFilters | None = None
) -> list[MonthCounts]:
    """Counts of the filtered decisions by month recorded (Europe/London), oldest first,
    every month between the first and the last included: shares, not-shares, shares made
    although the check found them not covered, and decisions where consent was refused."""
    query = filtered(
        select(
            DecisionRecord.recorded_at,
            DecisionRecord.decision,
            DecisionRecord.consent,
            CoverageCheck.outcome,
        )
        .outerjoin(CoverageCheck, CoverageCheck.id == DecisionRecord.check_id)
        .execution_options(yield_per=2000),
        actor,
        filters or DecisionFilters(),
    )
    months: dict[date, MonthCounts] = {}
    for recorded_at, decision, consent, outcome in session.execute(query):
        local = recorded_at.astimezone(LONDON)
        key = date(local.year, local.month, 1)
        row = months.setdefault(key, MonthCounts(key))
        if decision == Decision.SHARE:
            row.shares += 1
            if outcome == Outcome.NOT_COVERED:
                row.shared_without_coverage += 1
        else:
            row.not_shares += 1
        if consent == Consent.REFUSED:
            row.consent_refused += 1
    if not months:
        return []
    first, last = min(months), max(months)
    out = []
    while first <= last:
        out.append(months.get(first, MonthCounts(first)))
        first = add_months(first, 1)
    return out
