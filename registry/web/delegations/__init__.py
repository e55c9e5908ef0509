from flask import Blueprint

bp = Blueprint("delegations", __name__, url_prefix="/delegations")

from . import views  # noqa: E402,F401
