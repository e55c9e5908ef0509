"""The decisions summary's chart: months down the page, four bars to each month, drawn as
SVG by our own template from the plain numbers here (no script, nothing fetched)."""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.dates import long_date
from ...services.decisions import MonthCounts

# (attribute, label, colour): GOV.UK palette colours far enough apart to tell from each
# other; each bar also carries its number, so colour is never the only clue.
SERIES = (
    ("shares", "Shared", "#00703c"),
    ("not_shares", "Not shared", "#505a5f"),
    ("shared_without_coverage", "Shared although not covered", "#d4351c"),
    ("consent_refused", "Consent refused", "#1d70b8"),
)
# Narrow, so that on a phone the text shrinks little; each month's name sits above its bars.
WIDTH = 400
LABEL_HEIGHT = 20
BAR_AREA = WIDTH - 40  # room on the right for the largest number
BAR = 14
GAP = 3
GROUP_GAP = 14
TOP = 4


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: float
    colour: str
    value: int
    label: str


@dataclass(frozen=True)
class Group:
    label: str
    y: int
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    groups: list[Group]


def month_label(month) -> str:
    return long_date(month).split(" ", 1)[1]  # "1 March 2026" -> "March 2026"


def build(months: list[MonthCounts]) -> Chart:
    largest = max((getattr(m, a) for m in months for a, _, _ in SERIES), default=0) or 1
    groups = []
    y = TOP
    for month in months:
        bars = []
        for i, (attr, label, colour) in enumerate(SERIES):
            value = getattr(month, attr)
            bars.append(
                Bar(
                    x=0,
                    y=y + LABEL_HEIGHT + i * (BAR + GAP),
                    width=round(BAR_AREA * value / largest, 1),
                    colour=colour,
                    value=value,
                    label=label,
                )
            )
        groups.append(Group(month_label(month.month), y, bars))
        y += LABEL_HEIGHT + len(SERIES) * (BAR + GAP) + GROUP_GAP
    return Chart(WIDTH, y, groups)
