"""Answer "is this share covered?" from the database: read only the agreements both
agencies are parties to (through the party index), never the whole registry."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from ..domain import coverage as rules
from ..domain.actor import Actor
from ..domain.dates import EARLIEST_DATE, date_range_error
from ..domain.errors import NotFound, ValidationFailed
from ..domain.lifecycle import StatusSettings
from ..domain.vocab import OfficerRole, VersionStatus
from ..models import (
    CoverageCheck,
)
from . import hotpath


@dataclass(frozen=True)
class CheckInput:
    from_agency_id: int | None
    to_agency_id: int | None
    purpose: str | None
    data_categories: list[str] | None
    on_date: date | None


# The check's queries. Each reads only through indexes: the party index on
# (agency_id, version_id), primary keys, the versions' agreement_id, and the unique keys
# of signatures, purposes, categories and withdrawals.
# Agreements both agencies are parties to, with the ones above them: two look-ups in the
# party index. (One CTE joining this to the versions was 200 times slower on SQLite.)
_CANDIDATES = """
    SELECT DISTINCT a.id, p.id, g.id
    FROM agreement_parties pa
    JOIN agreement_parties pb ON pb.version_id = pa.version_id AND pb.agency_id = {p}
    JOIN agreement_versions v ON v.id = pa.version_id
    JOIN agreements a ON a.id = v.agreement_id
    LEFT JOIN agreements p ON p.id = a.parent_id
    LEFT JOIN agreements g ON g.id = p.parent_id
    WHERE pa.agency_id = {p}"""
_ANCESTORS = """
    SELECT a.id, p.id, g.id FROM agreements a
    LEFT JOIN agreements p ON p.id = a.parent_id
    LEFT JOIN agreements g ON g.id = p.parent_id
    WHERE a.id IN {list}"""
_VERSIONS = """
    SELECT a.id, a.reference, a.tier, a.parent_id, a.terminates_on, v.id, v.number, v.status,
           v.title, v.effective_from, v.review_date, v.end_date
    FROM agreements a JOIN agreement_versions v ON v.agreement_id = a.id
    WHERE a.id IN {list} ORDER BY a.id, v.number"""
# The versions' party rows (with whether each party's signature binds the version's
# content), purposes, categories and the agreements' withdrawals, in one round trip (the
# general reader, for the coverage map).
_DETAILS_ALL = """
    SELECT 'p', pt.version_id, pt.agency_id, pt.may_disclose, pt.may_receive, s.id, NULL
    FROM agreement_parties pt
    JOIN agreement_versions v ON v.id = pt.version_id
    LEFT JOIN signatures s ON s.version_id = pt.version_id AND s.agency_id = pt.agency_id
                          AND s.content_sha256 = v.content_sha256
    WHERE pt.version_id IN {list}
    UNION ALL SELECT 'u', version_id, NULL, NULL, NULL, NULL, purpose_code
    FROM agreement_purposes WHERE version_id IN {list}
    UNION ALL SELECT 'c', version_id, NULL, NULL, NULL, NULL, category_code
    FROM agreement_data_categories WHERE version_id IN {list}
    UNION ALL SELECT 'w', agreement_id, agency_id, NULL, NULL, NULL,
                     CAST(effective_on AS VARCHAR(10))
    FROM withdrawals WHERE agreement_id IN {list}"""
# The check's own read: one row per version of the agreements asked for, carrying what
# checking one request needs from the other tables (rules.narrowed): each agency's party
# terms and whether its signature binds the version, the asked purpose if the version
# has it, those of the asked categories it has (comma-separated: codes are [a-z0-9_]),
# and each agency's withdrawal. Parameters: source, target, purpose, categories, source,
# target, source, target, agreements. (Twice as fast on SQLite as the versions and their
# detail rows read apart: fewer rows and statements, the same index look-ups.)
_PAIR_ROWS = """
    SELECT a.id, a.reference, a.tier, a.parent_id, a.terminates_on, v.id, v.number,
           v.status, v.title, v.effective_from, v.review_date, v.end_date,
           ps.may_disclose, ps.may_receive,
           (SELECT 1 FROM signatures s WHERE s.version_id = v.id AND s.agency_id = {p}
                                         AND s.content_sha256 = v.content_sha256),
           pt.may_disclose, pt.may_receive,
           (SELECT 1 FROM signatures s WHERE s.version_id = v.id AND s.agency_id = {p}
                                         AND s.content_sha256 = v.content_sha256),
           (SELECT purpose_code FROM agreement_purposes
            WHERE version_id = v.id AND purpose_code = {p}),
           (SELECT {concat}(category_code, ',') FROM agreement_data_categories
            WHERE version_id = v.id AND category_code IN {list}),
           (SELECT CAST(effective_on AS VARCHAR(10)) FROM withdrawals w
            WHERE w.agreement_id = a.id AND w.agency_id = {p}),
           (SELECT CAST(effective_on AS VARCHAR(10)) FROM withdrawals w
            WHERE w.agreement_id = a.id AND w.agency_id = {p})
    FROM agreements a
    JOIN agreement_versions v ON v.agreement_id = a.id
    LEFT JOIN agreement_parties ps ON ps.version_id = v.id AND ps.agency_id = {p}
    LEFT JOIN agreement_parties pt ON pt.version_id = v.id AND pt.agency_id = {p}
    WHERE a.id IN {list}"""
_PAIR_ROWS_SQLITE = _PAIR_ROWS.replace("{concat}", "group_concat") + " ORDER BY a.id, v.number"
_LABELS = """
    SELECT 'a', CAST(id AS VARCHAR(20)), name, NULL, NULL FROM agencies WHERE id IN {list}
    UNION ALL SELECT 'p', code, label, NULL, NULL FROM purposes WHERE code = {p}
    UNION ALL SELECT 'c', code, label, NULL, NULL FROM data_categories WHERE code IN {list}
    UNION ALL SELECT 'o', role, name, job_title, email FROM officers
              WHERE agency_id = {p} AND role IN {list}
                AND started_on <= {p} AND (ended_on IS NULL OR ended_on > {p})"""


def _pair_facts_pg() -> str:
    """_CANDIDATES and _PAIR_ROWS as one PostgreSQL statement: the agreements' list
    becomes the rows found by the first. (Plain rows: wrapping them in one JSON array,
    as before, cost more per row than psycopg's own decoding.)"""
    rows = _PAIR_ROWS.replace("{concat}", "string_agg").replace(
        "a.id IN {list}", "a.id IN (SELECT id FROM ids)"
    )
    return f"""
    WITH cand(a, p, g) AS ({_CANDIDATES}),
    ids(id) AS (SELECT a FROM cand UNION SELECT p FROM cand WHERE p IS NOT NULL
                UNION SELECT g FROM cand WHERE g IS NOT NULL)
    SELECT * FROM ({rows}) AS r ORDER BY 1, 7"""


_PAIR_FACTS_PG = _pair_facts_pg()
_INSERT_CHECK = """
    INSERT INTO coverage_checks (id, checked_at, user_id, from_agency_id, to_agency_id,
        purpose, data_categories, on_date, outcome, agreement_id, agreement_version, answer)
    VALUES ({p}, {time}, {p}, {p}, {p}, {p}, {json}, {p}, {p}, {p}, {p}, {json})"""


def with_ancestors(session: Session, ids: Iterable[int]) -> set[int]:
    """The agreements and every agreement above them (tiers are at most three deep)."""
    found: set[int] = set(ids)
    if found:
        for row in hotpath.run(session, _ANCESTORS, sorted(found)):
            found.update(i for i in row if i is not None)
    return found


def facts_for(session: Session, ids: Iterable[int]) -> dict[int, rules.AgreementFacts]:
    """The agreements and all their ancestors, as the rules' plain facts (all of them)."""
    every = sorted(with_ancestors(session, ids))
    if not every:
        return {}
    raw = hotpath.Raw.of(session)
    version_rows = raw.run(_VERSIONS, every)
    version_ids = [row[5] for row in version_rows]
    return _assemble(
        version_rows, raw.run(_DETAILS_ALL, version_ids, version_ids, version_ids, every)
    )


def _pair_facts(
    raw: hotpath.Transaction, request: rules.Request
) -> dict[int, rules.AgreementFacts]:
    """The agreements both agencies are parties to and those above them, narrowed to
    what checking `request` looks at (rules.narrowed). SQLite answers each query in
    process, so it runs them in turn; PostgreSQL answers all of it in one statement (a
    round trip costs more there than the queries)."""
    source, target = request.from_agency_id, request.to_agency_id
    asked = (
        source,
        target,
        request.purpose,
        sorted(request.data_categories),
        source,
        target,
        source,
        target,
    )
    if raw.dialect == "postgresql":
        return _assemble_pair(raw.run(_PAIR_FACTS_PG, target, source, *asked), source, target)
    chain = sorted(
        {i for row in raw.run(_CANDIDATES, target, source) for i in row if i is not None}
    )
    if not chain:
        return {}
    return _assemble_pair(raw.run(_PAIR_ROWS_SQLITE, *asked, chain), source, target)


_IN_FORCE_STATES = {VersionStatus.ACTIVE.value, VersionStatus.SUSPENDED.value}


def _title_in_force(rows: Sequence[Any]) -> str:
    """The title of the version in force (or suspended), else of the latest: a title
    changed by a draft amendment is not yet the agreement's (rows in number order, with
    the status at 7 and the title at 8)."""
    for row in reversed(rows):
        if row[7] in _IN_FORCE_STATES:
            return row[8]
    return rows[-1][8]


def _assemble_pair(
    rows: Sequence[Any], source: int, target: int
) -> dict[int, rules.AgreementFacts]:
    """The rules' facts from _PAIR_ROWS' rows (ordered by agreement and number)."""
    day, maybe = hotpath.to_day, hotpath.to_date
    by_agreement: dict[int, list] = defaultdict(list)
    for row in rows:
        by_agreement[row[0]].append(row)
    facts = {}
    for agreement_id, own in by_agreement.items():
        head = own[0]
        versions = []
        for v in own:
            parties, signed = {}, set()
            for agency, disclose, receive, signature in (
                (source, v[12], v[13], v[14]),
                (target, v[15], v[16], v[17]),
            ):
                if disclose is not None:
                    parties[agency] = rules.PartyTerms(bool(disclose), bool(receive))
                    if signature is not None:
                        signed.add(agency)
            versions.append(
                rules.VersionFacts(
                    number=v[6],
                    status=VersionStatus(v[7]),
                    effective_from=day(v[9]),
                    review_date=day(v[10]),
                    end_date=maybe(v[11]),
                    parties=parties,
                    purposes=frozenset(() if v[18] is None else (v[18],)),
                    data_categories=frozenset(v[19].split(",") if v[19] else ()),
                    signed=frozenset(signed),
                )
            )
        withdrawals = {
            agency: day(when)
            for agency, when in ((source, head[20]), (target, head[21]))
            if when is not None
        }
        facts[agreement_id] = rules.AgreementFacts(
            id=agreement_id,
            reference=head[1],
            title=_title_in_force(own),
            tier=head[2],
            parent_id=head[3],
            terminates_on=maybe(head[4]),
            withdrawals=withdrawals,
            versions=tuple(versions),
        )
    return facts


def _assemble(
    version_rows: Sequence[Any], detail_rows: Sequence[Any]
) -> dict[int, rules.AgreementFacts]:
    """The rules' facts from the version rows (ordered by agreement and number) and the
    detail rows (_DETAILS' shape)."""
    heads: dict[int, tuple] = {}
    by_agreement: dict[int, list] = defaultdict(list)
    for row in version_rows:
        heads[row[0]] = row
        by_agreement[row[0]].append(row)
    parties: dict[int, dict[int, rules.PartyTerms]] = defaultdict(dict)
    signed: dict[int, set[int]] = defaultdict(set)
    purposes: dict[int, set[str]] = defaultdict(set)
    categories: dict[int, set[str]] = defaultdict(set)
    withdrawals: dict[int, dict[int, date]] = defaultdict(dict)
    for kind, key, agency_id, may_disclose, may_receive, signature, text in detail_rows:
        if kind == "p":
            parties[key][agency_id] = rules.PartyTerms(bool(may_disclose), bool(may_receive))
            if signature is not None:
                signed[key].add(agency_id)
        elif kind == "u":
            purposes[key].add(text)
        elif kind == "c":
            categories[key].add(text)
        else:
            withdrawals[key][agency_id] = hotpath.to_day(text)
    day, maybe = hotpath.to_day, hotpath.to_date
    facts = {}
    for agreement_id, head in heads.items():
        own = by_agreement[agreement_id]
        facts[agreement_id] = rules.AgreementFacts(
            id=agreement_id,
            reference=head[1],
            title=_title_in_force(own),
            tier=head[2],
            parent_id=head[3],
            terminates_on=maybe(head[4]),
            withdrawals=withdrawals[agreement_id],
            versions=tuple(
                rules.VersionFacts(
                    number=v[6],
                    status=VersionStatus(v[7]),
                    effective_from=day(v[9]),
                    review_date=day(v[10]),
                    end_date=maybe(v[11]),
                    parties=parties[v[5]],
                    purposes=frozenset(purposes[v[5]]),
                    data_categories=frozenset(categories[v[5]]),
                    signed=frozenset(signed[v[5]]),
                )
                for v in own
            ),
        )
    return facts


def _labels(raw: hotpath.Transaction, data: CheckInput, day: date) -> Any:
    """Start reading the names the answer's sentences need and the disclosing agency's
    advice officers holding their role on `day`, the date of the share (one query: absent
    names are unknown). An officer holds it from started_on up to, not including,
    ended_on (domain/agencies.py)."""
    # A date outside what the registry takes is refused by _validate; the officers are
    # then read for a harmless day rather than the database being asked about year 1.
    on = day if date_range_error(day, "") is None else EARLIEST_DATE
    return raw.start(
        _LABELS,
        [i for i in (data.from_agency_id, data.to_agency_id) if i is not None],
        data.purpose or "",
        list(data.data_categories or []),
        data.from_agency_id or 0,
        [r.value for r in rules.ADVICE_ROLES],
        on,
        on,
    )


def _validate(
    rows: Sequence[Any], data: CheckInput
) -> tuple[rules.Names, list[tuple[str, str, str, str]]]:
    """Check the question against the names read: answer them and the officers."""
    names: dict[int, str] = {}
    purposes: dict[str, str] = {}
    categories: dict[str, str] = {}
    officers = []
    for kind, key, label, job_title, email in rows:
        if kind == "a":
            names[int(key)] = label
        elif kind == "p":
            purposes[key] = label
        elif kind == "c":
            categories[key] = label
        else:
            officers.append((key, label, job_title, email))
    fields: dict[str, str] = {}
    for field in ("from_agency_id", "to_agency_id"):
        value = getattr(data, field)
        if value is None:
            fields[field] = "Choose an agency"
        elif value not in names:
            fields[field] = f"There is no agency with id {value}"
    if not data.purpose:
        fields["purpose"] = "Choose the purpose of the share"
    elif not purposes:
        fields["purpose"] = f"Unknown purpose: {data.purpose}"
    if not data.data_categories:
        fields["data_categories"] = "Choose at least one category of information"
    elif unknown := sorted(set(data.data_categories) - set(categories)):
        fields["data_categories"] = f"Unknown data category: {', '.join(unknown)}"
    if error := date_range_error(data.on_date, "The date of the share"):
        fields["on_date"] = error
    if fields:
        raise ValidationFailed(fields)
    return rules.Names(agencies=names, purposes=purposes, categories=categories), officers


def question_errors(session: Session, data: CheckInput) -> dict[str, str]:
    """What is wrong with the question's names (unknown agency, purpose or category,
    nothing chosen), without answering it: for a caller that has found other faults in
    the question first, so that one answer names them all."""
    with hotpath.Transaction(session) as raw:
        rows = _labels(raw, data, data.on_date or EARLIEST_DATE).fetchall()
    try:
        _validate(rows, data)
    except ValidationFailed as exc:
        return exc.fields
    return {}


@dataclass(frozen=True)
class StoredCheck:
    id: str
    answer: dict[str, Any]
    answer_text: str  # the answer as stored (JSON text), for the API to send as it is


def run_check(
    session: Session,
    actor: Actor,
    data: CheckInput,
    *,
    today: date,
    now: datetime,
    settings: StatusSettings,
) -> tuple[StoredCheck, rules.Answer]:
    """Answer the question and store it (the stored check is what a decision cites)."""
    # Its own short transaction on the hot path's pool, not the session's: the ORM's
    # bookkeeping would cost more than the check's queries (docs/PERFORMANCE.md).
    with hotpath.Transaction(session) as raw:
        source, target = int(data.from_agency_id or 0), int(data.to_agency_id or 0)
        request = rules.Request(
            source,
            target,
            str(data.purpose or ""),
            frozenset(data.data_categories or ()),
            data.on_date or today,
        )
        labels = _labels(raw, data, request.on_date)
        # The agreements both agencies are parties to, and those above them: two look-ups
        # in the party index, whatever the size of the registry (sent with the names).
        agreements = _pair_facts(raw, request)
        names, officers = _validate(labels.fetchall(), data)
        contacts = [
            rules.Contact(OfficerRole(role), name, job_title, email, names.agency(source))
            for role, name, job_title, email in sorted(officers, key=lambda o: o[1])
        ]
        answer = rules.check(request, agreements, contacts, settings=settings, names=names)
        check_id = uuid.uuid4().hex
        stored = answer_json(answer, check_id, names.agency(source), names.agency(target))
        text = json.dumps(stored, separators=(",", ":"))
        # Everything above only read; take the write lock just for the insert.
        raw.write()
        raw.execute(
            _INSERT_CHECK,
            check_id,
            now,
            actor.user_id,
            source,
            target,
            request.purpose,
            json.dumps(sorted(request.data_categories)),
            request.on_date.isoformat(),
            answer.outcome.value,
            answer.agreement.id if answer.agreement else None,
            answer.version,
            text,
        )
    return StoredCheck(check_id, stored, text), answer


def answer_json(answer: rules.Answer, check_id: str, source: str, target: str) -> dict[str, Any]:
    """The answer in the API's shape (SPEC §9)."""
    chosen = answer.agreement
    return {
        "check_id": check_id,
        "outcome": answer.outcome.value,
        "agreement": None
        if chosen is None
        else {
            "id": chosen.id,
            "reference": chosen.reference,
            "title": chosen.title,
            "tier": chosen.tier,
            "version": answer.version,
        },
        "chain": list(answer.chain),
        "chain_agreements": [
            {"reference": reference, "title": title}
            for reference, title in zip(answer.chain, answer.chain_titles, strict=True)
        ],
        "warnings": [{"code": w.code, "message": w.message} for w in answer.warnings],
        "reasons": [
            {
                "agreement_reference": r.agreement_reference,
                "code": str(r.code),
                "message": r.message,
            }
            for r in answer.reasons
        ],
        "advice": {
            "contacts": [
                {
                    "role": c.role.value,
                    "name": c.name,
                    "job_title": c.job_title,
                    "email": c.email,
                    "agency": c.agency,
                }
                for c in answer.contacts
            ],
            "message": answer.message,
        },
    }


def get_check(session: Session, check_id: str) -> CoverageCheck:
    row = session.get(CoverageCheck, check_id)
    if row is None:
        raise NotFound(f"There is no coverage check {check_id}")
    return row
