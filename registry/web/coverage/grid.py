"""The coverage map's grid body, written here rather than in the template: 3,600 cells at
60 agencies, each naming both agencies for a screen reader, took the template about half of
the page's time at a million agreements; here each name is escaped once, each link made
once, and the cells joined as plain strings."""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup, escape

from ...services.coverage_map import Grid


def grid_rows(grid: Grid) -> Markup:
    """The `<tr>` of each agency shown: its name, then one cell for each agency it may or
    may not disclose to (coverage/map.html draws the head and explains the marks)."""
    names = [(a, str(escape(name))) for a, name in grid.agencies]
    links: dict[int, str] = {}
    rows = []
    for number, (a, a_name) in enumerate(names, start=1):
        cells = []
        for b, b_name in names:
            cell = grid.covered(a, b)
            if a == b:
                cells.append(
                    '<td class="govuk-table__cell registry-map__cell ">'
                    '<span aria-hidden="true">·</span>'
                    '<span class="govuk-visually-hidden">same agency</span></td>'
                )
            elif cell is None:
                cells.append(
                    '<td class="govuk-table__cell registry-map__cell ">'
                    '<span aria-hidden="true">–</span><span class="govuk-visually-hidden">'
                    f"{a_name} to {b_name}: not covered</span></td>"
                )
            else:
                href = links.get(cell.agreement_id)
                if href is None:
                    href = links[cell.agreement_id] = str(
                        escape(url_for("agreements.show_agreement", agreement_id=cell.agreement_id))
                    )
                reference = str(escape(cell.reference))
                late = cell.warning
                said = f"{a_name} to {b_name}"
                cells.append(
                    '<td class="govuk-table__cell registry-map__cell registry-map__cell--yes'
                    f'{" registry-map__cell--warn" if late else ""}">'
                    f'<a class="govuk-link" href="{href}" title="{said}: {reference}'
                    f'{" (review overdue)" if late else ""}">{reference[-4:]}{"!" if late else ""}'
                    f'<span class="govuk-visually-hidden"> {said} under {reference}'
                    f"{', review overdue' if late else ''}</span></a></td>"
                )
        rows.append(
            '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header '
            f'registry-map__row">{number}. {a_name}</th>{"".join(cells)}</tr>'
        )
    return Markup("\n".join(rows))
