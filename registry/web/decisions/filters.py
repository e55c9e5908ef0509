"""The decisions list's filters, read from the query string (GET), for the list page, its
CSV and the summary page alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import request

from ...database import is_id
from ...domain.decisions import CONSENT_LABELS, DECISION_LABELS
from ...services.decisions import DecisionFilters
from ..fields import AgencyBox, read_agency_box
from ..forms_util import day_range_args

COVERAGE_LABELS = {
    "covered": "Covered by an agreement",
    "not_covered": "Not covered",
    "not_required": "Not needed (inside one organisation)",
    "no_check": "No check made",
    "without_cover": "Not covered, or no check made",
}
FIELDS = ("q", "from", "to", "purpose", "to_agency_id", "decision", "consent", "coverage")


@dataclass
class AskedFilters:
    """What was typed (to put back in the form), what it means, and what is wrong with it."""

    raw: dict[str, str]
    filters: DecisionFilters
    errors: dict[str, str] = field(default_factory=dict)
    agency: AgencyBox | None = None  # the receiving agency's box

    @property
    def args(self) -> dict[str, str]:
        """The non-empty filters, as query-string arguments (for links: pages, the CSV)."""
        return {k: v for k, v in self.raw.items() if v}


def asked_filters() -> AskedFilters:
    raw = {name: request.args.get(name, "").strip()[:40] for name in FIELDS}
    start, end, errors = day_range_args()
    box = read_agency_box(request.args, "to_agency_id")
    if box.problem:
        errors["to_agency_id"] = box.problem
    raw["to_agency_id"] = "" if box.id is None else str(box.id)  # links carry the id alone
    agency = box.id
    filters = DecisionFilters(
        search=raw["q"],
        recorded_from=start,
        recorded_to=end,
        purpose=raw["purpose"] or None,
        to_agency_id=agency if is_id(agency) else None,
        decision=raw["decision"] if raw["decision"] in DECISION_LABELS else None,
        consent=raw["consent"] if raw["consent"] in CONSENT_LABELS else None,
        coverage=raw["coverage"] if raw["coverage"] in COVERAGE_LABELS else None,
    )
    return AskedFilters(raw, filters, errors, box)
