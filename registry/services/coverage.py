"""Answer "is this share covered?" from the database: read only the agreements both
agencies are parties to (through the party index), never the whole registry."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..database import begin_write
from ..domain import coverage as rules
from ..domain.actor import Actor
from ..domain.errors import NotFound, ValidationFailed
from ..domain.lifecycle import StatusSettings
from ..domain.vocab import OfficerRole, VersionStatus
from ..models import (
    Agency,
    Agreement,
    AgreementVersion,
    CoverageCheck,
    DataCategory,
    Officer,
    Party,
    Purpose,
    Signature,
    VersionCategory,
    VersionPurpose,
    Withdrawal,
)


@dataclass(frozen=True)
class CheckInput:
    from_agency_id: int | None
    to_agency_id: int | None
    purpose: str | None
    data_categories: list[str] | None
    on_date: date | None


def candidate_ids(session: Session, a: int, b: int) -> list[int]:
    """Agreements where both agencies are parties of some version (two index look-ups)."""
    pa, pb = aliased(Party), aliased(Party)
    query = (select(AgreementVersion.agreement_id).distinct()
             .join(pa, pa.version_id == AgreementVersion.id)
             .join(pb, pb.version_id == AgreementVersion.id)
             .where(pa.agency_id == a, pb.agency_id == b))
    return list(session.scalars(query))


def with_ancestors(session: Session, ids: Iterable[int]) -> set[int]:
    """The agreements and every agreement above them (tiers are at most three deep)."""
    parent, grandparent = aliased(Agreement), aliased(Agreement)
    found: set[int] = set(ids)
    if not found:
        return found
    rows = session.execute(
        select(Agreement.id, parent.id, grandparent.id)
        .outerjoin(parent, parent.id == Agreement.parent_id)
        .outerjoin(grandparent, grandparent.id == parent.parent_id)
        .where(Agreement.id.in_(found)))
    for row in rows:
        found.update(i for i in row if i is not None)
    return found


def facts_for(session: Session, ids: Iterable[int],
              agencies: Iterable[int] | None = None) -> dict[int, rules.AgreementFacts]:
    """The agreements and all their ancestors, as the rules' plain facts, in a fixed
    number of queries. With `agencies`, only those agencies' party rows are read: the
    rules need nothing else, and a protocol may have hundreds of parties."""
    every = with_ancestors(session, ids)
    if not every:
        return {}
    only = set(agencies) if agencies is not None else None
    head = session.execute(select(Agreement.id, Agreement.reference, Agreement.tier,
                                  Agreement.parent_id, Agreement.terminates_on)
                           .where(Agreement.id.in_(every))).all()
    versions = session.execute(
        select(AgreementVersion.id, AgreementVersion.agreement_id, AgreementVersion.number,
               AgreementVersion.status, AgreementVersion.title,
               AgreementVersion.effective_from, AgreementVersion.review_date,
               AgreementVersion.end_date)
        .where(AgreementVersion.agreement_id.in_(every))
        .order_by(AgreementVersion.agreement_id, AgreementVersion.number)).all()
    version_ids = [v.id for v in versions]
    party_query = select(Party.version_id, Party.agency_id, Party.may_disclose,
                         Party.may_receive).where(Party.version_id.in_(version_ids))
    signed_query = (select(Signature.version_id, Signature.agency_id)
                    .join(AgreementVersion, AgreementVersion.id == Signature.version_id)
                    .where(Signature.version_id.in_(version_ids),
                           Signature.content_sha256 == AgreementVersion.content_sha256))
    withdrawal_query = select(Withdrawal.agreement_id, Withdrawal.agency_id,
                              Withdrawal.effective_on).where(Withdrawal.agreement_id.in_(every))
    if only is not None:
        party_query = party_query.where(Party.agency_id.in_(only))
        signed_query = signed_query.where(Signature.agency_id.in_(only))
        withdrawal_query = withdrawal_query.where(Withdrawal.agency_id.in_(only))
    parties: dict[int, dict[int, rules.PartyTerms]] = defaultdict(dict)
    for version_id, agency_id, may_disclose, may_receive in session.execute(party_query):
        parties[version_id][agency_id] = rules.PartyTerms(may_disclose, may_receive)
    signed: dict[int, set[int]] = defaultdict(set)
    for version_id, agency_id in session.execute(signed_query):
        signed[version_id].add(agency_id)
    purposes: dict[int, set[str]] = defaultdict(set)
    for version_id, code in session.execute(
            select(VersionPurpose.version_id, VersionPurpose.purpose_code)
            .where(VersionPurpose.version_id.in_(version_ids))):
        purposes[version_id].add(code)
    categories: dict[int, set[str]] = defaultdict(set)
    for version_id, code in session.execute(
            select(VersionCategory.version_id, VersionCategory.category_code)
            .where(VersionCategory.version_id.in_(version_ids))):
        categories[version_id].add(code)
    withdrawals: dict[int, dict[int, date]] = defaultdict(dict)
    for agreement_id, agency_id, effective_on in session.execute(withdrawal_query):
        withdrawals[agreement_id][agency_id] = effective_on
    by_agreement: dict[int, list] = defaultdict(list)
    for v in versions:
        by_agreement[v.agreement_id].append(v)
    facts = {}
    for a in head:
        own = by_agreement[a.id]
        facts[a.id] = rules.AgreementFacts(
            id=a.id, reference=a.reference, title=own[-1].title if own else "", tier=a.tier,
            parent_id=a.parent_id, terminates_on=a.terminates_on,
            withdrawals=withdrawals[a.id],
            versions=tuple(rules.VersionFacts(
                number=v.number, status=VersionStatus(v.status),
                effective_from=v.effective_from, review_date=v.review_date,
                end_date=v.end_date, parties=parties[v.id], purposes=frozenset(purposes[v.id]),
                data_categories=frozenset(categories[v.id]), signed=frozenset(signed[v.id]))
                for v in own))
    return facts


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
    agreements = facts_for(session, ids, agencies=(source.id, target.id)) if ids else {}
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
