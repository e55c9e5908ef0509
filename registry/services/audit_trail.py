"""The audit trail as people read it: who did what to which agreement, agency, officer or
account, in words, filtered by date, actor, agency and action, and as a CSV.

Names are resolved for a whole page at once (one query per kind of thing named), so a page
costs the same few queries however many entries it shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, literal, select, union_all
from sqlalchemy.orm import Session, selectinload

from ..database import is_id
from ..domain.audit_words import ACTIONS, sentence, shown, words_for
from ..domain.vocab import (
    AGENCY_KIND_LABELS,
    EFFECTIVE_STATUS_LABELS,
    OFFICER_ROLE_LABELS,
    ROLE_LABELS,
    Role,
)
from ..models import (
    Agency,
    Agreement,
    AgreementVersion,
    AuditEntry,
    Delegation,
    Officer,
    Party,
    User,
)
from . import vocabularies
from .paging import Page, containing, paginate
from .spreadsheet import safe_cell

LONDON = ZoneInfo("Europe/London")

# How a person's roles are named beside their name: short, as colleagues say them.
SHORT_ROLES = {
    Role.ADMIN: "administrator",
    Role.IG_LEAD: "IG lead",
    Role.SIGNATORY: "signatory",
    Role.PRACTITIONER: "practitioner",
}
ROLE_ORDER = (Role.ADMIN, Role.IG_LEAD, Role.SIGNATORY, Role.PRACTITIONER)
# The kinds of thing the trail records changes to, as the filter names them.
ENTITY_KINDS = {
    "agreement": "Agreements",
    "agency": "Agencies",
    "officer": "Officers",
    "user": "User accounts",
    "delegation": "Signing delegations",
    "vocabulary": "Vocabularies",
}


@dataclass
class TrailFilters:
    date_from: date | None = None
    date_to: date | None = None
    who: str = ""  # part of the actor's name, any case
    agency_id: int | None = None  # changes to the agency, its officers, people, agreements
    action: str = ""  # an action code from domain.audit_words
    entity: str = ""  # one kind of thing: agreement, agency, officer, user…

    def query_args(self) -> dict[str, str]:
        """The filters as the page's query string holds them (for paging and export)."""
        args = {
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "q": self.who,
            "agency": str(self.agency_id or ""),
            "action": self.action,
            "entity": self.entity,
        }
        return {k: v for k, v in args.items() if v}


@dataclass
class Subject:
    text: str  # "ISA-2026-0006 'MASH information sharing'"
    kind: str  # agreement, agency, officer, user, delegation, vocabulary
    link_id: int | None = None  # the agreement's or agency's id, for a link
    link_kind: str = ""  # "agreement" or "agency"


@dataclass
class Change:
    """One field of an entry's record, its ids named and its codes in words."""

    label: str  # "owner", "status"
    after: Any
    before: Any = None
    changed: bool = False  # the entry recorded a before, and this field differs


@dataclass
class Line:
    entry: AuditEntry
    who: str  # "Jo Bloggs (IG lead, Council)"
    what: str  # the action on its own: "Agreement signed"
    verb: str  # "signed"
    subject: Subject
    sentence: str  # who + verb + subject
    changes: list[Change] = field(default_factory=list)  # what the entry recorded


# Fields of a record that hold an id: what they name, and what the field is called.
NAMED_FIELDS = {
    "agency_id": ("agency", "agency"),
    "owner_agency_id": ("agency", "owner"),
    "parent_id": ("agreement", "parent agreement"),
    "delegate_id": ("user", "delegate"),
    "principal_id": ("user", "signatory"),
    "replaces": ("officer", "replaces"),
}
# Fields that hold codes, and the words for them (vocabularies are read per page).
CODED_FIELDS: dict[str, Mapping[Any, str]] = {
    "status": EFFECTIVE_STATUS_LABELS,
    "role": OFFICER_ROLE_LABELS,
    "roles": ROLE_LABELS,
    "kind": AGENCY_KIND_LABELS,
}
VOCABULARY_FIELDS = ("purposes", "data_categories", "lawful_bases", "transfer_methods")


def action_choices() -> list[tuple[str, str]]:
    """Every action, by its label, for the filter list."""
    return sorted(((code, w.label) for code, w in ACTIONS.items()), key=lambda c: c[1])


def _london_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def _agency_condition(agency_id: int):
    """Entries about the agency, its officers, its people's accounts, its delegations and
    the agreements it owns or is a party to, or made by one of its people."""
    people = select(User.id).where(User.agency_id == agency_id)
    # The agreements it owns and those it is a party to, asked apart: as one OR,
    # PostgreSQL guessed half the registry and read every agreement's entries.
    owned = select(Agreement.id).where(Agreement.owner_agency_id == agency_id)
    party = (
        select(AgreementVersion.agreement_id)
        .join(Party, Party.version_id == AgreementVersion.id)
        .where(Party.agency_id == agency_id)
    )
    about = (
        ("agency", select(literal(agency_id))),
        ("officer", select(Officer.id).where(Officer.agency_id == agency_id)),
        ("user", people),
        ("agreement", owned),
        ("agreement", party),
        ("delegation", select(Delegation.id).where(Delegation.agency_id == agency_id)),
    )
    # Asked as one list of entries, each part read from an index (the entity index, the
    # actor index): as a condition on each entry, the trail's million were read in turn
    # to count one agency's (0.8 s on SQLite).
    return AuditEntry.id.in_(
        union_all(
            *(
                select(AuditEntry.id).where(
                    AuditEntry.entity_type == kind, AuditEntry.entity_id.in_(ids)
                )
                for kind, ids in about
            ),
            select(AuditEntry.id).where(AuditEntry.actor_user_id.in_(people)),
        )
    )


def _query(filters: TrailFilters):
    query = select(AuditEntry)
    if filters.date_from:
        query = query.where(AuditEntry.recorded_at >= _london_midnight_utc(filters.date_from))
    if filters.date_to:
        query = query.where(
            AuditEntry.recorded_at < _london_midnight_utc(filters.date_to + timedelta(days=1))
        )
    if filters.who.strip():
        query = query.where(containing(filters.who, AuditEntry.actor_name))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.entity in ENTITY_KINDS:
        query = query.where(AuditEntry.entity_type == filters.entity)
    if filters.agency_id is not None:
        query = query.where(
            _agency_condition(filters.agency_id) if is_id(filters.agency_id) else false()
        )
    return query


def trail(
    session: Session,
    filters: TrailFilters,
    *,
    page: int = 1,
    per_page: int = 25,
    count_up_to: int | None = None,
) -> Page:
    """One page of the filtered trail, newest first, each entry as a Line."""
    result = paginate(
        session,
        _query(filters).order_by(AuditEntry.sequence.desc()),
        page=page,
        per_page=per_page,
        count_up_to=count_up_to,
    )
    result.items = readable(session, result.items)
    return result


# Names ------------------------------------------------------------------------------


def _users(session: Session, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_(sorted(ids))).options(selectinload(User.agency))
        )
    }


def _person(user: User | None, fallback: str) -> str:
    """`Jo Bloggs (IG lead, Council)`; the name as recorded when the account is gone."""
    if user is None:
        return fallback
    roles = [SHORT_ROLES[r] for r in ROLE_ORDER if r in user.roles]
    where = [", ".join(roles)] if roles else []
    if user.agency is not None:
        where.append(user.agency.name)
    return f"{fallback} ({', '.join(where)})" if where else fallback


def _agreements(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    """(reference, title of the latest version) by agreement id, in one query."""
    if not ids:
        return {}
    latest = (
        select(AgreementVersion.agreement_id, func.max(AgreementVersion.number).label("n"))
        .where(AgreementVersion.agreement_id.in_(sorted(ids)))
        .group_by(AgreementVersion.agreement_id)
        .subquery()
    )
    rows = session.execute(
        select(Agreement.id, Agreement.reference, AgreementVersion.title)
        .join(latest, latest.c.agreement_id == Agreement.id)
        .join(
            AgreementVersion,
            and_(
                AgreementVersion.agreement_id == Agreement.id,
                AgreementVersion.number == latest.c.n,
            ),
        )
    )
    return {i: (reference, title) for i, reference, title in rows}


def _by_id(session: Session, model, ids: set[int], *options) -> dict[int, object]:
    if not ids:
        return {}
    return {
        row.id: row
        for row in session.scalars(select(model).where(model.id.in_(sorted(ids))).options(*options))
    }


def readable(session: Session, entries: Iterable[AuditEntry]) -> list[Line]:
    """The entries in words. Reads each kind of thing named once for all the entries."""
    entries = list(entries)
    wanted: dict[str, set[int]] = {}
    for e in entries:
        if is_id(e.entity_id):
            wanted.setdefault(e.entity_type, set()).add(e.entity_id)
        for key, value in _recorded_fields(e):
            if key in NAMED_FIELDS and is_id(value):
                wanted.setdefault(NAMED_FIELDS[key][0], set()).add(value)
            elif key == "parties" and isinstance(value, list):
                wanted.setdefault("agency", set()).update(
                    p["agency_id"]
                    for p in value
                    if isinstance(p, dict) and is_id(p.get("agency_id"))
                )
    officers = _by_id(session, Officer, wanted.get("officer", set()), selectinload(Officer.agency))
    delegations = _by_id(
        session,
        Delegation,
        wanted.get("delegation", set()),
        selectinload(Delegation.principal),
        selectinload(Delegation.delegate),
    )
    agencies = _by_id(
        session,
        Agency,
        wanted.get("agency", set()) | {d.agency_id for d in delegations.values()},  # type: ignore[attr-defined]
    )
    agreements = _agreements(session, wanted.get("agreement", set()))
    words = vocabularies.labels(session) if entries else {}
    users = _users(
        session,
        {e.actor_user_id for e in entries if e.actor_user_id is not None}
        | wanted.get("user", set()),
    )
    lines = []
    for e in entries:
        subject = _subject(e, agreements, agencies, officers, users, delegations)
        who = _person(users.get(e.actor_user_id) if e.actor_user_id else None, e.actor_name)
        who = who[:1].upper() + who[1:]  # a process's name ("registry sealing") opens a sentence
        lines.append(
            Line(
                entry=e,
                who=who,
                what=words_for(e.action).label,
                verb=words_for(e.action).verb,
                subject=subject,
                sentence=sentence(who, e.action, subject.text),
                changes=_changes_of(e, agencies, agreements, users, officers, words),
            )
        )
    return lines


def _recorded_fields(entry: AuditEntry) -> Iterator[tuple[str, Any]]:
    for snapshot in (entry.before, entry.after):
        if isinstance(snapshot, dict):
            yield from snapshot.items()


def _changes_of(e: AuditEntry, agencies, agreements, users, officers, words) -> list[Change]:
    """What the entry recorded, field by field, ids as names and codes as words; with a
    before, only the fields that changed."""

    def named(key: str, value: Any) -> Any:
        if key in NAMED_FIELDS and is_id(value):
            kind = NAMED_FIELDS[key][0]
            if kind == "agreement":
                return agreements[value][0] if value in agreements else "an agreement"
            found = {"agency": agencies, "user": users, "officer": officers}[kind].get(value)
            return found.name if found is not None else f"no longer in the registry ({value})"
        if key == "parties" and isinstance(value, list):
            return [_party(p, agencies) for p in value]
        labels = CODED_FIELDS.get(key) or (words.get(key) if key in VOCABULARY_FIELDS else None)
        if labels:
            if isinstance(value, list):
                return [labels.get(v, v) if isinstance(v, str) else v for v in value]
            if isinstance(value, str):
                return labels.get(value, value)
        return value

    before, after = e.before, e.after
    if not isinstance(after, dict):
        return []
    label = {k: NAMED_FIELDS[k][1] if k in NAMED_FIELDS else k.replace("_", " ") for k in after}
    if isinstance(before, dict) and before:
        return [
            Change(label[k], named(k, v), named(k, before.get(k)), changed=True)
            for k, v in after.items()
            if before.get(k) != v
        ]
    return [Change(label[k], named(k, v)) for k, v in after.items()]


def _party(party: Any, agencies) -> Any:
    """A party as recorded ({agency_id, may_disclose, may_receive, …}) in words."""
    if not isinstance(party, dict) or not is_id(party.get("agency_id")):
        return party
    agency = agencies.get(party["agency_id"])
    name = agency.name if agency is not None else f"agency {party['agency_id']}"
    does = [
        w for w, k in (("discloses", "may_disclose"), ("receives", "may_receive")) if party.get(k)
    ]
    return f"{name} ({' and '.join(does)})" if does else name


def _recorded(entry: AuditEntry, key: str) -> str:
    for snapshot in (entry.after, entry.before):
        if isinstance(snapshot, dict) and snapshot.get(key):
            return str(snapshot[key])
    return ""


def _subject(e: AuditEntry, agreements, agencies, officers, users, delegations) -> Subject:
    kind, i = e.entity_type, e.entity_id
    if kind == "agreement":
        if i in agreements:
            reference, title = agreements[i]
            return Subject(f"{reference} ‘{title}’", kind, i, "agreement")
        return Subject("an agreement no longer in the registry", kind)
    if kind == "agency":
        agency = agencies.get(i)
        name = agency.name if agency else _recorded(e, "name") or "an agency"
        return Subject(name, kind, i if agency else None, "agency" if agency else "")
    if kind == "officer":
        officer = officers.get(i)
        if officer is None:
            return Subject(_recorded(e, "name") or "an officer", kind)
        role = OFFICER_ROLE_LABELS.get(officer.role, str(officer.role))
        return Subject(
            f"{officer.name} ({role}, {officer.agency.name})", kind, officer.agency_id, "agency"
        )
    if kind == "user":
        user = users.get(i)
        return Subject(_person(user, user.name) if user else _recorded(e, "name") or "a user", kind)
    if kind == "delegation":
        d = delegations.get(i)
        if d is None:
            return Subject("a signing delegation", kind)
        agency = agencies.get(d.agency_id)
        text = f"from {d.principal.name} to {d.delegate.name}"
        if agency is not None:
            text += f" ({agency.name})"
        return Subject(text, kind, d.agency_id, "agency")
    if kind == "vocabulary":
        return Subject(f"‘{_recorded(e, 'label') or _recorded(e, 'code')}’", kind)
    return Subject(f"{kind} {i}", kind)


# CSV --------------------------------------------------------------------------------

CSV_COLUMNS = (
    "Number",
    "When (UK time)",
    "Who",
    "What happened",
    "Action",
    "About",
    "Changes",
    "Action code",
)
CSV_BATCH = 500


def _uk_time(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%d %B %Y at %H:%M").lstrip("0")


def _changes(line: Line) -> str:
    return "; ".join(
        f"{c.label}: {shown(c.before, _uk_time)} → {shown(c.after, _uk_time)}"
        if c.changed
        else f"{c.label}: {shown(c.after, _uk_time)}"
        for c in line.changes
    )


def _csv_line(values: Iterable[object]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([safe_cell(v) for v in values])
    return out.getvalue()


def trail_csv(session: Session, filters: TrailFilters) -> Iterator[str]:
    """The filtered trail as CSV lines, oldest first, read in batches (one set of name
    look-ups per batch), every cell escaped so none runs as a spreadsheet formula."""
    yield _csv_line(CSV_COLUMNS)
    after = 0
    while True:
        batch = list(
            session.scalars(
                _query(filters)
                .where(AuditEntry.sequence > after)
                .order_by(AuditEntry.sequence)
                .limit(CSV_BATCH)
            )
        )
        if not batch:
            return
        for line in readable(session, batch):
            e = line.entry
            yield _csv_line(
                (
                    e.sequence,
                    e.recorded_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S"),
                    line.who,
                    line.sentence,
                    line.what,
                    line.subject.text,
                    _changes(line),
                    e.action,
                )
            )
        after = batch[-1].sequence
