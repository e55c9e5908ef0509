"""The public register (SPEC §8, §13): agreements in force, as anyone may see them.

Tier 1 and tier 2 show title, reference, tier, purposes, parties, review date and status;
tier 3 shows only title, parties and purposes. No officer names, no decision data."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, select, tuple_
from sqlalchemy.orm import Session, aliased

from ..domain.lifecycle import StatusSettings, effective_status
from ..domain.vocab import IN_FORCE, EffectiveStatus
from ..models import Agency, Agreement, AgreementVersion, AuditEntry, Party, VersionPurpose
from .agreement_reads import any_status, shown_version_condition
from .paging import Page, paginate
from .spreadsheet import safe_cell
from .text_index import matching
from .vocabularies import labels

# The register page counts the agreements in force up to this many (a thousand pages of
# 25): counting a national register's million would read every one on each view.
COUNT_UP_TO = 25_000

COLUMNS = ("reference", "title", "tier", "purposes", "parties", "review_date", "effective_status")


def _in_force_query(
    session: Session,
    v,
    columns,
    *,
    today: date,
    settings: StatusSettings,
    search: str,
    tier: int | None,
) -> Select:
    """`columns` of the agreements in force, each joined to `v`, the version it is shown
    by, in the register's order (tier, then reference)."""
    query = (
        select(*columns)
        .join(v, v.agreement_id == Agreement.id)
        .where(
            shown_version_condition(v),
            any_status(v, IN_FORCE, today, settings),
        )
        .order_by(Agreement.tier, Agreement.reference)
        # From the start of the register's order, as each batch of the downloads goes on
        # from where the last ended: true of every agreement, but without it SQLite's
        # planner starts from the review dates the status conditions name and sorts every
        # agreement in force to find the first 25 (0.7 s at 100,000); with it, it walks
        # ix_agreements_tier_reference and stops after them (under 1 ms).
    )
    if tier in (1, 2, 3):  # one tier: the walk is along that tier's part of the index
        query = query.where(Agreement.tier == tier, Agreement.reference > "")
    else:
        query = query.where(tuple_(Agreement.tier, Agreement.reference) > (0, ""))
    if search.strip():
        query = query.where(matching(session, search, v, v.title))
    return query


def _public(
    *,
    reference: str,
    title: str,
    tier: int,
    purposes: list[str],
    parties: list[str],
    review_date: date,
    status: EffectiveStatus,
    records: tuple = (None, None, None, None),
) -> dict[str, Any]:
    """One agreement as the public sees it. `records`: its DPIA's reference, date and
    outcome, and its controller relationship. (The DPIA's link is left out: it usually
    points into a partner's own network, of no use to the public and not theirs to see.)"""
    dpia_reference, dpia_completed_on, dpia_outcome, controllers = records
    item: dict[str, Any] = {
        "reference": reference,
        "title": title,
        "tier": tier,
        "purposes": purposes,
        "parties": sorted(parties),
        "review_date": review_date.isoformat(),
        "effective_status": status.value,
        "controller_relationship": _code(controllers),
        "dpia": (
            {
                "reference": dpia_reference,
                "completed_on": dpia_completed_on.isoformat() if dpia_completed_on else None,
                "outcome": _code(dpia_outcome),
            }
            if dpia_reference
            else None
        ),
    }
    if tier == 3:  # operational detail is withheld
        item.update(
            reference=None,
            review_date=None,
            effective_status=None,
            controller_relationship=None,
            dpia=None,
        )
    return item


def _code(value: Any) -> str | None:
    return None if value is None else getattr(value, "value", str(value))


def _rows_query(
    session: Session, *, today: date, settings: StatusSettings, search: str, tier: int | None
) -> Select:
    """What the register shows of each agreement in force, as plain rows (the ORM's
    objects, with each party's agency, cost ten times the reading)."""
    v = aliased(AgreementVersion)
    return _in_force_query(
        session,
        v,
        (
            Agreement.tier,
            Agreement.reference,
            Agreement.terminates_on,
            v.id,
            v.title,
            v.status,
            v.effective_from,
            v.review_date,
            v.end_date,
            v.dpia_reference,
            v.dpia_completed_on,
            v.dpia_outcome,
            v.controller_relationship,
        ),
        today=today,
        settings=settings,
        search=search,
        tier=tier,
    )


def _entries(
    conn: Connection,
    rows: Sequence[Row],
    *,
    today: date,
    settings: StatusSettings,
    purpose_labels: dict[str, str],
) -> list[dict[str, Any]]:
    """_rows_query's rows as entries: their purposes and parties in two more reads."""
    versions = [row[3] for row in rows]
    purposes: dict[int, list[str]] = defaultdict(list)
    parties: dict[int, list[str]] = defaultdict(list)
    if versions:
        for version, code in conn.execute(
            select(VersionPurpose.version_id, VersionPurpose.purpose_code)
            .where(VersionPurpose.version_id.in_(versions))
            .order_by(VersionPurpose.purpose_code)
        ):
            purposes[version].append(purpose_labels.get(code, code))
        for version, name in conn.execute(
            select(Party.version_id, Agency.name).join(Agency).where(Party.version_id.in_(versions))
        ):
            parties[version].append(name)
    return [
        _public(
            reference=reference,
            title=title,
            tier=tier,
            purposes=purposes[version],
            parties=parties[version],
            review_date=review_date,
            status=effective_status(
                status,
                effective_from=effective_from,
                review_date=review_date,
                end_date=end_date,
                today=today,
                settings=settings,
                terminates_on=terminates_on,
            ),
            records=tuple(records),
        )
        for (
            tier,
            reference,
            terminates_on,
            version,
            title,
            status,
            effective_from,
            review_date,
            end_date,
            *records,
        ) in rows
    ]


def in_force(
    session: Session,
    *,
    today: date,
    settings: StatusSettings,
    search: str = "",
    tier: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of the register: its entries, and how many agreements are in force, up to
    COUNT_UP_TO (the page then says there are more)."""
    found = paginate(
        session,
        _rows_query(session, today=today, settings=settings, search=search, tier=tier),
        page=page,
        per_page=per_page,
        rows=True,
        count_up_to=COUNT_UP_TO,
    )
    return replace(
        found,
        items=_entries(
            session.connection(),
            found.items,
            today=today,
            settings=settings,
            purpose_labels=labels(session)["purposes"],
        ),
    )


BATCH = 1000  # agreements read at a time for the downloads


def every_entry(
    engine: Engine,
    *,
    today: date,
    settings: StatusSettings,
    search: str = "",
    tier: int | None = None,
) -> Iterator[dict[str, Any]]:
    """The whole register, every agreement in force as an entry, however many there are:
    read BATCH at a time, each batch after the last one's tier and reference, on a
    connection of its own, so the memory is one batch's."""
    with Session(engine) as session:
        query = _rows_query(session, today=today, settings=settings, search=search, tier=tier)
        purpose_labels = labels(session)["purposes"]
        conn = session.connection()
        after: tuple[int, str] | None = None
        while True:
            batch = (
                query
                if after is None
                else query.where(tuple_(Agreement.tier, Agreement.reference) > after)
            )
            rows = conn.execute(batch.limit(BATCH)).all()
            yield from _entries(
                conn, rows, today=today, settings=settings, purpose_labels=purpose_labels
            )
            if len(rows) < BATCH:
                return
            after = (rows[-1][0], rows[-1][1])


def last_change(session: Session) -> tuple[str, datetime | None]:
    """The audit trail's newest entry: its sequence and hash, and its time; or ("0",
    None). Every change that can alter the register (an agreement's, an agency's name, a
    vocabulary's label) is audited, so this moves whenever the register may have. The
    hash, which covers the whole trail before it, tells apart two entries of one sequence
    (a database restored from a backup and changed again). One read of a unique index: a
    download's validator costs this, not the register."""
    row = session.execute(
        select(AuditEntry.sequence, AuditEntry.entry_hash, AuditEntry.recorded_at)
        .order_by(AuditEntry.sequence.desc())
        .limit(1)
    ).first()
    return (f"{row[0]}:{row[1]}", row[2]) if row else ("0", None)


def csv_lines(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The register as CSV, a line at a time (the header first), for streaming."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for item in items:
        writer.writerow(
            [
                safe_cell("; ".join(item[c]) if isinstance(item[c], list) else item[c])
                for c in COLUMNS
            ]
        )
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()  # the header alone, when nothing is in force


def json_chunks(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """{"items": [...], "total": n} as JSON, an entry at a time, for streaming."""
    yield '{"items": ['
    total = 0
    for item in items:
        yield ("," if total else "") + json.dumps(item, sort_keys=True)
        total += 1
    yield f'], "total": {total}}}'
