"""The public register (SPEC §8, §13): agreements in force, as anyone may see them.

Tier 1 and tier 2 show title, reference, tier, purposes, parties, review date and status;
tier 3 shows only title, parties and purposes. No officer names, no decision data."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from ..domain.lifecycle import StatusSettings
from ..domain.vocab import IN_FORCE
from ..models import Agreement, AgreementVersion
from .agreement_reads import shown_version_condition, standing, status_condition
from .paging import Page, containing, paginate
from .spreadsheet import safe_cell
from .vocabularies import labels

COLUMNS = ("reference", "title", "tier", "purposes", "parties", "review_date",
           "effective_status")


def in_force(session: Session, *, today: date, settings: StatusSettings, search: str = "",
             tier: int | None = None, page: int = 1, per_page: int = 50) -> Page:
    v = aliased(AgreementVersion)
    query = (select(Agreement).join(v, v.agreement_id == Agreement.id)
             .where(shown_version_condition(v),
                    or_(*(status_condition(v, s, today, settings) for s in IN_FORCE)))
             .order_by(Agreement.tier, Agreement.reference))
    if search.strip():
        query = query.where(containing(search, v.title))
    if tier in (1, 2, 3):
        query = query.where(Agreement.tier == tier)
    return paginate(session, query, page=page, per_page=per_page)


def entry(agreement: Agreement, *, today: date, settings: StatusSettings,
          purpose_labels: dict[str, str]) -> dict[str, Any]:
    """One agreement as the public sees it."""
    where = standing(agreement, today, settings)
    version = where.shown
    item: dict[str, Any] = {
        "reference": agreement.reference, "title": version.title, "tier": agreement.tier,
        "purposes": [purpose_labels.get(c, c) for c in version.purposes],
        "parties": sorted(p.agency.name for p in version.parties),
        "review_date": version.review_date.isoformat(),
        "effective_status": where.status.value,
    }
    if agreement.tier == 3:  # operational detail is withheld
        item.update(reference=None, review_date=None, effective_status=None)
    return item


def entries(session: Session, page: Page, *, today: date,
            settings: StatusSettings) -> list[dict[str, Any]]:
    purpose_labels = labels(session)["purposes"]
    return [entry(a, today=today, settings=settings, purpose_labels=purpose_labels)
            for a in page.items]


def as_csv(items: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for item in items:
        writer.writerow([safe_cell("; ".join(item[c]) if isinstance(item[c], list)
                                   else item[c]) for c in COLUMNS])
    return out.getvalue()
