from flask import jsonify, render_template
from sqlalchemy import text

from ...clock import today
from ...extensions import db
from ...services import agencies, dashboard, follow_ups
from ..permissions import current_account, current_actor, public
from ..settings import status_settings
from . import bp


@bp.get("/")
@public
def home():
    account = current_account()
    if account is None:
        return render_template("main/welcome.html")
    board = dashboard.build(db.session, current_actor(), today=today(), settings=status_settings())
    return render_template("main/home.html", board=board, **_follow_ups_due())


def _follow_ups_due() -> dict:
    """The follow-ups due block's data (templates/main/_follow_ups_due.html)."""
    due = follow_ups.due_follow_ups(db.session, current_actor(), today=today())
    names = agencies.agency_names(db.session, (d.decision.to_agency_id for d in due[0]))
    return {"follow_ups_due": due, "follow_up_names": names}


@bp.get("/healthz")
@public
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
