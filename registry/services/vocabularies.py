"""The editable vocabularies: purposes, data categories, lawful bases and transfer methods."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..database import writes
from ..domain import policy
from ..domain.actor import Actor
from ..domain.agreements import Category, Vocabulary
from ..domain.errors import Conflict, NotFound, ValidationFailed
from ..domain.fields import code_error, text_error
from ..domain.vocab import LawfulBasisKind, basis_order
from ..models import DataCategory, LawfulBasis, Purpose, TransferMethod
from . import audit

KINDS = {
    "purposes": Purpose,
    "data_categories": DataCategory,
    "lawful_bases": LawfulBasis,
    "transfer_methods": TransferMethod,
}


def load(session: Session) -> Vocabulary:
    """Every entry, active or not (old agreements still name retired codes)."""
    return Vocabulary(
        purposes={p.code: p.label for p in session.scalars(select(Purpose))},
        data_categories={
            c.code: Category(c.label, c.special, c.criminal)
            for c in session.scalars(select(DataCategory))
        },
        lawful_bases={b.code: (b.label, b.kind) for b in session.scalars(select(LawfulBasis))},
        transfer_methods={m.code: m.label for m in session.scalars(select(TransferMethod))},
    )


def listing(session: Session, search: str = "") -> dict[str, list]:
    """Every entry of each vocabulary; with `search`, those whose code or label contains
    it (any case). The lists are short: filtering them here is simplest."""
    found: dict[str, list[Any]] = {
        "purposes": list(session.scalars(select(Purpose).order_by(Purpose.label))),
        "data_categories": list(session.scalars(select(DataCategory).order_by(DataCategory.label))),
        "lawful_bases": sorted(
            session.scalars(select(LawfulBasis)), key=lambda b: basis_order(b.kind, b.label)
        ),
        "transfer_methods": list(
            session.scalars(select(TransferMethod).order_by(TransferMethod.label))
        ),
    }
    wanted = search.strip().lower()
    return {
        kind: [e for e in entries if wanted in e.code.lower() or wanted in e.label.lower()]
        for kind, entries in found.items()
    }


def labels(session: Session) -> dict[str, dict[str, str]]:
    vocabulary = load(session)
    return {
        "purposes": vocabulary.purposes,
        "data_categories": {c: v.label for c, v in vocabulary.data_categories.items()},
        # In reading order (by kind, numbers as numbers), so that a page or PDF listing an
        # agreement's bases in this order reads Schedule 1 paragraph 2 before paragraph 10.
        "lawful_bases": {
            c: v[0]
            for c, v in sorted(
                vocabulary.lawful_bases.items(), key=lambda e: basis_order(e[1][1], e[1][0])
            )
        },
        "transfer_methods": vocabulary.transfer_methods,
    }


def in_reading_order(codes, labelled: dict[str, str]) -> list[str]:
    """The labels of `codes`, in the order of `labelled` (one of `labels`' lists)."""
    chosen = set(codes)
    return [label for code, label in labelled.items() if code in chosen] + [
        code for code in codes if code not in labelled
    ]


@writes
def save_entry(
    session: Session,
    actor: Actor,
    kind: str,
    *,
    code: str,
    label: str,
    special: bool = False,
    criminal: bool = False,
    basis_kind: str | None = None,
    active: bool = True,
    adding: bool = False,
    now: datetime,
) -> Any:
    """Add an entry (`adding`: its code must be new) or change an existing one's label and
    flags (codes never change). Two entries of one vocabulary never share a label: a
    practitioner choosing between them could not tell them apart."""
    policy.require(policy.may_manage_users(actor), "Only the administrator edits vocabularies")
    if kind not in KINDS:
        raise NotFound(f"There is no vocabulary called {kind}")
    model: Any = KINDS[kind]
    fields: dict[str, str] = {}
    basis: LawfulBasisKind | None = None
    code = (code or "").strip()
    if error := code_error(code):
        fields["code"] = error
    if not (label or "").strip():
        fields["label"] = "Enter a label"
    elif error := text_error(label, "The label"):
        fields["label"] = error
    if model is LawfulBasis:
        try:
            basis = LawfulBasisKind(str(basis_kind))
        except ValueError:
            fields["kind"] = "Choose the kind: art6, art9, sch1 or statute"
    entry = session.get(model, code) if "code" not in fields else None
    if adding and entry is not None:
        fields["code"] = (
            f"The code {code} is already used by ‘{entry.label}’: choose another code, "
            "or change that entry from the list"
        )
    if "label" not in fields:
        twin = session.scalar(
            select(model).where(
                func.lower(model.label) == label.strip().lower(), model.code != code
            )
        )
        if twin is not None:
            fields["label"] = (
                f"‘{twin.label}’ ({twin.code}) already has this label: give this entry "
                "a label of its own"
            )
    if fields:
        raise ValidationFailed(fields)
    before = None
    if entry is None:
        entry = model(code=code)
        session.add(entry)
    else:
        before = _snapshot(entry)
    entry.label = label.strip()
    entry.active = active
    if model is DataCategory:
        if special and criminal:
            raise Conflict(
                "A data category is special or criminal, not both",
                code="invalid",
                fields={"special": "Choose special or criminal"},
            )
        entry.special, entry.criminal = special, criminal
    if model is LawfulBasis:
        entry.kind = basis
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"vocabulary.{kind}.save",
        entity_type="vocabulary",
        entity_id=0,
        before=before,
        after=_snapshot(entry),
        now=now,
    )
    session.commit()
    return entry


def _snapshot(entry) -> dict:
    data = {"code": entry.code, "label": entry.label, "active": entry.active}
    for extra in ("special", "criminal"):
        if hasattr(entry, extra):
            data[extra] = getattr(entry, extra)
    if hasattr(entry, "kind"):
        data["kind"] = entry.kind.value
    return data
