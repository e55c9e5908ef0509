from flask import Blueprint

bp = Blueprint("agencies", __name__, url_prefix="/agencies")

from . import views  # noqa: E402,F401
