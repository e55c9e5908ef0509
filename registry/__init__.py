"""The information-sharing-agreement registry: `create_app` builds the Flask app."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from flask import Flask, send_from_directory
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from .database import MAX_ID

ROOT = Path(__file__).resolve().parent.parent


class DatabaseId(IntegerConverter):
    """`<int:...>` in routes: an id written as the registry writes it, ASCII digits with no
    leading zero (0 is 0). `/users/007` and `/users/٧` (an Arabic-Indic seven, which Werkzeug's
    digit pattern and `int` take) would otherwise be user 7 at more URLs than one; they
    match no route, so 404. An id beyond what the id columns hold names nothing, so it is
    404 on every method the route takes, as an unknown small id is; the database is never
    asked with a value it would overflow on. (Werkzeug's own `max` makes the rule not
    match instead, and a write then answered 405 because the GET rule for the same path
    had matched first.)"""

    regex = r"0|[1-9][0-9]*"

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


def _work_in_the_background(app: Flask) -> None:
    """Each process that serves requests runs one runner thread for the seal jobs
    (services/sealing.py) and one sender thread for the notifications outbox
    (services/outbox.py), started by its first request under a real server (gunicorn's
    workers, `flask run`): not by the commands (`flask db upgrade`), nor in the tests'
    clients, nor with SEAL_JOBS_EMBEDDED or OUTBOX_EMBEDDED off. Work left pending by a
    restart is taken then too."""
    if app.testing:
        return
    from .services.outbox import start_sender
    from .services.sealing import start_runner

    @app.before_request
    def _start_background_threads() -> None:
        from flask import request

        # A real server says who it is; Werkzeug's test client does not.
        if "SERVER_SOFTWARE" in request.environ:
            start_runner(app)
            start_sender(app)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    from .config import ConfigError, load_config
    from .database import configure_engine
    from .extensions import csrf, db, limiter, login_manager, migrate

    app = Flask(__name__, static_folder="static", template_folder=str(ROOT / "templates"))
    # An id in a path beyond what the database's integer columns hold is simply not found.
    app.url_map.converters["int"] = DatabaseId
    try:
        settings = load_config()
    except ConfigError as exc:
        # Said once, plainly, wherever the app is started (flask, gunicorn): no traceback.
        # Status 4 is what gunicorn's master takes for "the app cannot load": it stops
        # instead of starting worker after worker.
        print(f"registry: {exc}", file=sys.stderr)
        raise SystemExit(4) from None
    if config:
        settings.update(config)
    app.config.update(settings)
    app.instance_path = app.config["INSTANCE_PATH"]
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.undefined = ChainableUndefined
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from govuk_frontend_wtf.main import WTFormsHelpers

    WTFormsHelpers(app)  # the `wtforms_errors` helper behind every error summary
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        configure_engine(db.engine)

    from . import models  # noqa: F401  (the schema must be known before any query)
    from .cli import register_cli
    from .web import register_web

    register_web(app)
    register_cli(app)
    _work_in_the_background(app)

    govuk_assets = Path(app.static_folder) / "govuk" / "assets"

    @app.get("/assets/<path:filename>")
    def govuk_asset(filename: str):
        return send_from_directory(govuk_assets, filename, max_age=86400)

    govuk_asset._permission = "public"  # type: ignore[attr-defined]
    return app
