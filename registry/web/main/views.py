from flask import jsonify, render_template
from sqlalchemy import text

from ...clock import today
from ...extensions import db
from ...services import dashboard
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
    return render_template("main/home.html", board=board)


@bp.get("/healthz")
@public
def healthz():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
