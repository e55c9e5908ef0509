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
from ..domain.fields import name_key
from ..models import Agency
from .agencies import AGENCY_FIELDS, _clean_agency, add_checked

REQUIRED = ("name", "kind", "ico_registration")


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; the header is line 1."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed({"header": f"line 1: the header must name {', '.join(missing)}"})
    return [(reader.line_num, row) for row in reader]


@writes
def import_agencies(
    session: Session,
    actor: Actor,
    rows: list[tuple[int, dict[str, str]]],
    *,
    now: datetime,
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Check every row, then add them all in one transaction; answer how many."""
    policy.require(policy.may_create_agency(actor), "Only the administrator adds agencies")
    # Each unique column: the values already registered, and where each appeared in the file.
    unique: dict[str, tuple[set[str], str, dict[str, int]]] = {
        "ico_registration": (
            set(session.scalars(select(Agency.ico_registration))),
            "{} is already registered",
            {},
        ),
        "name": (
            {name_key(n) for n in session.scalars(select(Agency.name))},
            "an agency called {} already exists",
            {},
        ),
    }
    problems: dict[str, str] = {}
    cleaned = []
    for line, row in rows:
        data = {k: (row.get(k) or "") for k in AGENCY_FIELDS if k in row}
        clean, fields = _clean_agency(data)
        for field, (existing, taken, seen) in unique.items():
            value = clean.get(field)
            if not value or field in fields:
                continue
            # Names are the same when they read the same (case, accents, invisibles).
            key = name_key(value) if field == "name" else value
            if key in existing:
                fields[field] = taken.format(value)
            elif key in seen:
                fields[field] = f"{value} is also on line {seen[key]}"
            seen.setdefault(key, line)
        for field, message in fields.items():
            problems[f"line {line}: {field}"] = message
        cleaned.append(clean)
        progress(1)
    if problems:
        raise ValidationFailed(
            problems,
            f"{len({k.split(':')[0] for k in problems})} row(s) "
            "have problems; nothing was imported",
        )
    for clean in cleaned:
        add_checked(session, actor, clean, action="agency.import", now=now)
    session.commit()
    return len(cleaned)
