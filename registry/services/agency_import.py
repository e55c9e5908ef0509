"""Importing agencies from CSV: every row or none, each bad row named by line and field."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..database import writes
from ..domain import policy
from ..domain.actor import Actor
from ..domain.errors import ValidationFailed
from ..models import Agency
from . import audit
from .agencies import AGENCY_FIELDS, _clean_agency, agency_snapshot

REQUIRED = ("name", "kind", "ico_registration")


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the header is line 1."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed({"header": f"line 1: the header must name {', '.join(missing)}"})
    return [(reader.line_num, row) for row in reader]


@writes
def import_agencies(session: Session, actor: Actor, rows: list[tuple[int, dict[str, str]]], *,
                    now: datetime, progress: Callable[[int], None] = lambda n: None) -> int:
    """Check every row, then add them all in one transaction; answer how many."""
    policy.require(policy.may_create_agency(actor), "Only the administrator adds agencies")
    existing_ico = set(session.scalars(select(Agency.ico_registration)))
    existing_names = set(session.scalars(select(Agency.name)))
    problems: dict[str, str] = {}
    cleaned = []
    seen_ico: dict[str, int] = {}
    seen_name: dict[str, int] = {}
    for line, row in rows:
        data = {k: (row.get(k) or "") for k in AGENCY_FIELDS if k in row}
        clean, fields = _clean_agency(data)
        ico, name = clean.get("ico_registration"), clean.get("name")
        if ico and "ico_registration" not in fields:
            if ico in existing_ico:
                fields["ico_registration"] = f"{ico} is already registered"
            elif ico in seen_ico:
                fields["ico_registration"] = f"{ico} is also on line {seen_ico[ico]}"
            seen_ico.setdefault(ico, line)
        if name and "name" not in fields:
            if name in existing_names:
                fields["name"] = f"an agency called {name} already exists"
            elif name in seen_name:
                fields["name"] = f"{name} is also on line {seen_name[name]}"
            seen_name.setdefault(name, line)
        for field, message in fields.items():
            problems[f"line {line}: {field}"] = message
        cleaned.append(clean)
        progress(1)
    if problems:
        raise ValidationFailed(problems, f"{len({k.split(':')[0] for k in problems})} row(s) "
                               "have problems; nothing was imported")
    for clean in cleaned:
        agency = Agency(**clean, created_at=now, updated_at=now)
        session.add(agency)
        session.flush()
        audit.record(session, actor=actor, action="agency.import", entity_type="agency",
                     entity_id=agency.id, before=None, after=agency_snapshot(agency), now=now)
    session.commit()
    return len(cleaned)
