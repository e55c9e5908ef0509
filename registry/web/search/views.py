"""The one search box in the header, and its results page."""

from flask import render_template, request

from ...clock import today
from ...extensions import db
from ...services import search as service
from ..permissions import current_actor, signed_in
from ..settings import status_settings
from . import bp


@bp.get("")
@signed_in()
def search_registry():
    q = request.args.get("q", "")[:200]
    results = service.search(
        db.session, current_actor(), q, today=today(), settings=status_settings()
    )
    return render_template(
        "search/results.html",
        results=results,
        min_length=service.MIN_LENGTH,
        limit=service.COUNT_LIMIT,
        today=today(),
    )
