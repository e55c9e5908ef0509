from flask import Blueprint

bp = Blueprint("agreements", __name__, url_prefix="/agreements")

from . import actions, views  # noqa: E402,F401
