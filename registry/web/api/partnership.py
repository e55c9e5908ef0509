"""The administrator's figures across the partnership (the home page's), each with the API
request that lists what it counts, so a number and its list always agree."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import jsonify

from ...clock import today
from ...domain.vocab import Role
from ...extensions import db
from ...services import dashboard
from ..permissions import signed_in
from ..settings import status_settings
from . import bp, contract
from .spec import api


def _figure(count: int, path: str, **args: str) -> dict:
    return {"count": count, "list": f"/api/v1{path}?{urlencode(args)}"}


@api(
    bp,
    "/partnership",
    "GET",
    "The partnership's figures: agreements overdue, lapsed, beyond their parent or waiting "
    "for signatures; agencies with a key post empty; shares this month without cover",
    response=contract.Partnership,
    errors=(401, 403),
)
@signed_in(Role.ADMIN)
def partnership_figures():
    p = dashboard.partnership(db.session, today=today(), settings=status_settings())
    return jsonify(
        review_overdue=_figure(p.review_overdue, "/agreements", status="review_overdue"),
        lapsed=_figure(p.lapsed, "/agreements", status="lapsed"),
        exceeds_parent=_figure(p.exceeds_parent, "/agreements", exceeds_parent="true"),
        signatures_late=_figure(p.signatures_late, "/agreements", signatures_late="true"),
        officer_gaps=[
            {"role": role.value, **_figure(count, "/agencies", missing=role.value)}
            for role, count in p.gaps
        ],
        shares_without_cover=_figure(
            p.shares_not_covered,
            "/decisions",
            decision="share",
            coverage="without_cover",
            recorded_from=p.month_start.isoformat(),
        ),
    )
