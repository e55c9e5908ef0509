"""The web layer: blueprints, sign-in, template helpers and response headers."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask import Flask, g, request
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict

from ..clock import LONDON
from ..domain.audit_words import shown
from ..domain.dates import long_date
from ..domain.fields import digits
from ..domain.vocab import (
    AGENCY_KIND_LABELS,
    EFFECTIVE_STATUS_LABELS,
    OFFICER_ROLE_LABELS,
    RECORD_LABELS,
    ROLE_LABELS,
    TIER_LABELS,
    EffectiveStatus,
    Role,
)
from ..extensions import db, login_manager
from .errors import register_error_handlers
from .http import register_http

# The bodies werkzeug parses into request.form; any other body leaves it empty.
_FORM_TYPES = frozenset(("application/x-www-form-urlencoded", "multipart/form-data"))

STATUS_TAG_COLOURS = {
    EffectiveStatus.ACTIVE: "green",
    EffectiveStatus.REVIEW_DUE: "yellow",
    EffectiveStatus.REVIEW_OVERDUE: "orange",
    EffectiveStatus.LAPSED: "red",
    EffectiveStatus.EXPIRED: "grey",
    EffectiveStatus.TERMINATED: "grey",
    EffectiveStatus.SUPERSEDED: "grey",
    EffectiveStatus.SUSPENDED: "red",
    EffectiveStatus.DRAFT: "blue",
    EffectiveStatus.AWAITING_SIGNATURES: "purple",
    EffectiveStatus.SCHEDULED: "light-blue",
}


def _long_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return f"{long_date(local.date())} at {local.strftime('%H:%M')}"


def _display(value) -> str:
    """A value as people read it: dates long, nothing as "(none)"."""
    return shown(value, _long_datetime)


def register_web(app: Flask) -> None:
    from ..models import User
    from .admin import bp as admin_bp
    from .agencies import bp as agencies_bp
    from .agreements import bp as agreements_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .coverage import bp as coverage_bp
    from .decisions import bp as decisions_bp
    from .delegations import bp as delegations_bp
    from .main import bp as main_bp
    from .notifications import bp as notifications_bp
    from .public import bp as public_bp
    from .requests import RegistryJSONProvider, RegistryRequest
    from .search import bp as search_bp

    # JSON no field can hold, and chunked bodies over the limit, refused for every route.
    app.json = RegistryJSONProvider(app)
    app.request_class = RegistryRequest
    for blueprint in (
        main_bp,
        auth_bp,
        agencies_bp,
        agreements_bp,
        coverage_bp,
        decisions_bp,
        delegations_bp,
        notifications_bp,
        admin_bp,
        public_bp,
        search_bp,
        api_bp,
    ):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    register_http(app)

    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see that page"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, epoch = session_id.partition(":")
        if not digits(user_id) or not digits(epoch):
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_epoch != int(epoch):
            return None  # disabled, or signed out everywhere since this cookie was made
        return user

    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(_long_datetime, "long_datetime")
    app.add_template_filter(_display, "display")
    app.add_template_filter(lambda iso: long_date(date.fromisoformat(iso)), "iso_long_date")

    def demo_logins():
        """The demo accounts, for the welcome and sign-in pages when REGISTRY_DEMO=1."""
        from ..services.demo import demo_accounts

        return demo_accounts(db.session)

    from ..services.demo import DEMO_PASSWORD

    app.add_template_global(demo_logins, "demo_logins")
    app.add_template_global(DEMO_PASSWORD, "demo_password")
    from ..services.signing import PROOF_WORDS

    app.add_template_global(PROOF_WORDS, "PROOF_WORDS")  # how a signature's proof reads
    from ..services.vocabularies import in_reading_order

    app.add_template_global(in_reading_order, "in_reading_order")  # lawful bases, in order

    @app.before_request
    def make_nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.before_request
    def drop_nul_characters():
        """NUL characters in a form or query string are never typed by a person, and
        PostgreSQL's text cannot hold them: drop them before anything reads the input."""
        for source in ("args", "form"):
            if source == "form" and request.mimetype not in _FORM_TYPES:
                continue  # never form fields: do not set up a parse (JSON bodies refuse NUL)
            if request.blueprint == "api":
                continue  # the API refuses them with 422, as its document says (api/contract.py)
            data = getattr(request, source)
            if any("\x00" in key or "\x00" in value for key, value in data.items(multi=True)):
                request.__dict__[source] = ImmutableMultiDict(
                    (key.replace("\x00", ""), value.replace("\x00", ""))
                    for key, value in data.items(multi=True)
                )

    from .sessions import enforce_limits

    app.before_request(enforce_limits)

    from .fields import ANY_AGENCY_HINT, agency_box_html

    app.jinja_env.globals.update(agency_field=agency_box_html, ANY_AGENCY_HINT=ANY_AGENCY_HINT)

    @app.context_processor
    def template_globals():
        return {
            "partnership_name": app.config["PARTNERSHIP_NAME"],
            "cspNonce": g.get("csp_nonce"),
            "Role": Role,
            "AGENCY_KIND_LABELS": AGENCY_KIND_LABELS,
            "OFFICER_ROLE_LABELS": OFFICER_ROLE_LABELS,
            "ROLE_LABELS": ROLE_LABELS,
            "TIER_LABELS": TIER_LABELS,
            "STATUS_LABELS": EFFECTIVE_STATUS_LABELS,
            "STATUS_TAG_COLOURS": STATUS_TAG_COLOURS,
            "RECORD_LABELS": RECORD_LABELS,
        }

    @app.after_request
    def security_headers(response):
        nonce = g.get("csp_nonce", "")
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Browsers heed HSTS only over HTTPS, so it is safe to send on every response.
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
        if request.blueprint != "api" and current_user.is_authenticated:
            # Pages for a signed-in person are never stored; a download or a static file
            # that says how it may be kept (revalidated each time, say) keeps that.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
