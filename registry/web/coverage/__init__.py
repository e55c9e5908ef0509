from flask import Blueprint

bp = Blueprint("coverage", __name__, url_prefix="/coverage")

from . import views  # noqa: E402,F401
