"""Answer "is this share covered?" from the database: read only the agreements both
agencies are parties to (through the party index), never the whole registry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, selectinload

from ..database import begin_write
from ..domain import coverage as rules
from ..domain.actor import Actor
from ..domain.errors import NotFound, ValidationFailed
from ..domain.lifecycle import StatusSettings
from ..domain.vocab import OfficerRole
from ..models import (
    Agency,
    Agreement,
    AgreementVersion,
    CoverageCheck,
    DataCategory,
    Officer,
    Party,
    Purpose,
)


@dataclass(frozen=True)
class CheckInput:
    from_agency_id: int | None
    to_agency_id: int | None
    purpose: str | None
    data_categories: list[str] | None
    on_date: date | None


_LOAD = (selectinload(Agreement.versions).selectinload(AgreementVersion.parties),
         selectinload(Agreement.versions).selectinload(AgreementVersion.purpose_rows),
         selectinload(Agreement.versions).selectinload(AgreementVersion.category_rows),
         selectinload(Agreement.versions).selectinload(AgreementVersion.signatures),
         selectinload(Agreement.withdrawals))


def candidate_ids(session: Session, a: int, b: int) -> list[int]:
    """Agreements where both agencies are parties of some version (two index look-ups)."""
    pa, pb = aliased(Party), aliased(Party)
    query = (select(AgreementVersion.agreement_id).distinct()
             .join(pa, pa.version_id == AgreementVersion.id)
             .join(pb, pb.version_id == AgreementVersion.id)
             .where(pa.agency_id == a, pb.agency_id == b))
    return list(session.scalars(query))


def facts_for(session: Session, ids: list[int]) -> dict[int, rules.AgreementFacts]:
    """The agreements and all their ancestors, as the rules' plain facts."""
    found: dict[int, Agreement] = {}
    wanted = set(ids)
    while wanted:  # at most three rounds: tier 3, its tier 2, their tier 1
        rows = session.scalars(select(Agreement).where(Agreement.id.in_(wanted))
                               .options(*_LOAD)).all()
        found.update({r.id: r for r in rows})
        wanted = {r.parent_id for r in rows if r.parent_id is not None} - set(found)
    return {i: to_facts(a) for i, a in found.items()}


def to_facts(agreement: Agreement) -> rules.AgreementFacts:
    return rules.AgreementFacts(
        id=agreement.id, reference=agreement.reference, title=agreement.latest.title,
        tier=agreement.tier, parent_id=agreement.parent_id,
        versions=tuple(rules.VersionFacts(
            number=v.number, status=v.status, effective_from=v.effective_from,
            review_date=v.review_date, end_date=v.end_date,
            parties={p.agency_id: rules.PartyTerms(p.may_disclose, p.may_receive)
                     for p in v.parties},
            purposes=frozenset(v.purposes), data_categories=frozenset(v.data_categories),
            signed=frozenset(p.agency_id for p in v.parties if v.signature_for(p.agency_id)))
            for v in agreement.versions),
        withdrawals={w.agency_id: w.effective_on for w in agreement.withdrawals},
        terminates_on=agreement.terminates_on)


def advice_contacts(session: Session, agency: Agency) -> list[rules.Contact]:
    officers = session.scalars(select(Officer).where(
        Officer.agency_id == agency.id, Officer.ended_on.is_(None),
        Officer.role.in_(rules.ADVICE_ROLES)).order_by(Officer.name))
    return [rules.Contact(OfficerRole(o.role), o.name, o.job_title, o.email, agency.name)
            for o in officers]


def _validate(session: Session, data: CheckInput, today: date) -> tuple[Agency, Agency, dict]:
    fields: dict[str, str] = {}
    agencies = {}
    for name in ("from_agency_id", "to_agency_id"):
        value = getattr(data, name)
        agency = session.get(Agency, value) if value is not None else None
        if agency is None:
            fields[name] = ("Choose an agency" if value is None
                            else f"There is no agency with id {value}")
        agencies[name] = agency
    purposes = {p.code: p.label for p in session.scalars(select(Purpose))}
    if not data.purpose:
        fields["purpose"] = "Choose the purpose of the share"
    elif data.purpose not in purposes:
        fields["purpose"] = f"Unknown purpose: {data.purpose}"
    categories = {c.code: c.label for c in session.scalars(select(DataCategory))}
    if not data.data_categories:
        fields["data_categories"] = "Choose at least one category of information"
    else:
        unknown = sorted(set(data.data_categories) - set(categories))
        if unknown:
            fields["data_categories"] = f"Unknown data category: {', '.join(unknown)}"
    source, target = agencies["from_agency_id"], agencies["to_agency_id"]
    if fields or source is None or target is None:
        raise ValidationFailed(fields)
    return source, target, {
        "purposes": purposes, "categories": categories}


def run_check(session: Session, actor: Actor, data: CheckInput, *, today: date, now: datetime,
              settings: StatusSettings) -> tuple[CoverageCheck, rules.Answer]:
    """Answer the question and store it (the stored check is what a decision cites)."""
    source, target, labels = _validate(session, data, today)
    on = data.on_date or today
    ids = candidate_ids(session, source.id, target.id)
    agreements = facts_for(session, ids) if ids else {}
    names = rules.Names(agencies={source.id: source.name, target.id: target.name},
                        purposes=labels["purposes"], categories=labels["categories"])
    request = rules.Request(source.id, target.id, str(data.purpose),
                            frozenset(data.data_categories or ()), on)
    answer = rules.check(request, agreements, advice_contacts(session, source),
                         settings=settings, names=names)
    check_id = uuid.uuid4().hex
    stored = answer_json(answer, check_id, source.name, target.name)
    # Everything above only read; take the write lock just for the insert.
    begin_write(session)
    row = CoverageCheck(
        id=check_id, checked_at=now, user_id=actor.user_id,
        from_agency_id=source.id, to_agency_id=target.id, purpose=request.purpose,
        data_categories=sorted(request.data_categories), on_date=on, outcome=answer.outcome,
        agreement_id=answer.agreement.id if answer.agreement else None,
        agreement_version=answer.version, answer=stored)
    session.add(row)
    session.commit()
    return row, answer


def answer_json(answer: rules.Answer, check_id: str, source: str, target: str) -> dict[str, Any]:
    """The answer in the API's shape (SPEC §9)."""
    chosen = answer.agreement
    return {
        "check_id": check_id,
        "outcome": answer.outcome.value,
        "agreement": None if chosen is None else {
            "id": chosen.id, "reference": chosen.reference, "title": chosen.title,
            "tier": chosen.tier, "version": answer.version},
        "chain": list(answer.chain),
        "warnings": [{"code": w.code, "message": w.message} for w in answer.warnings],
        "reasons": [{"agreement_reference": r.agreement_reference, "code": str(r.code),
                     "message": r.message} for r in answer.reasons],
        "advice": {
            "contacts": [{"role": c.role.value, "name": c.name, "job_title": c.job_title,
                          "email": c.email, "agency": c.agency} for c in answer.contacts],
            "message": answer.message},
    }


def get_check(session: Session, check_id: str) -> CoverageCheck:
    row = session.get(CoverageCheck, check_id)
    if row is None:
        raise NotFound(f"There is no coverage check {check_id}")
    return row
