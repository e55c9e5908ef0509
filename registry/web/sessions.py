"""Signed-in sessions: started afresh at sign-in, ended after 30 minutes idle or 12 hours
in all, and ended everywhere on the server by bumping the user's session epoch (the
cookie names the epoch it was made in: services/users.end_sessions).

Between the password and the two-factor code, the session holds only a pending sign-in
(who, when, and the secret being set up), which lasts five minutes and grants nothing."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import login_user, logout_user

from ..clock import now
from ..domain.fields import digits
from ..extensions import db, limiter
from ..models import User
from ..services.demo import is_demo_account
from ..services.two_factor import required


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


# One budget of attempts per client address, shared by every step where a password or a
# code is tried: the sign-in form, the two-factor steps and the API's token route. Per
# route, an address had a fresh allowance at each of them.
sign_in_attempts = limiter.shared_limit(_sign_in_limit, scope="sign-in", methods=["POST"])

PENDING_FOR = timedelta(minutes=5)
SEEN_EVERY = 60  # seconds: how often the last-seen time is written back to the cookie


def two_factor_exempt(user: User) -> bool:
    """Only the demo's own seeded accounts (by their record, not their address), only
    under the demo settings, and never in production (which refuses to start with them)."""
    config = current_app.config
    return (
        bool(config["DEMO_MODE"])
        and config.get("ENV_NAME") != "production"
        and is_demo_account(user)
    )


def two_factor_needed(user: User) -> bool:
    return required(user, current_app.config["TWO_FACTOR_ROLES"], exempt=two_factor_exempt(user))


def start(user: User) -> None:
    """Sign `user` in on a brand-new session: nothing from before survives."""
    session.clear()
    login_user(user)
    stamp = now().timestamp()
    session["sid"] = secrets.token_urlsafe(16)
    session["signed_in_at"] = stamp
    session["seen_at"] = stamp


def end() -> None:
    logout_user()
    session.clear()


def begin_pending(user: User) -> None:
    """The password was right; the code is still to come."""
    session.clear()
    session["pending"] = {"user": user.get_id(), "at": now().timestamp()}


def pending_user() -> User | None:
    """The user half-way through signing in, while that lasts."""
    pending = session.get("pending")
    if not isinstance(pending, dict):
        return None
    if now().timestamp() - float(pending.get("at", 0)) > PENDING_FOR.total_seconds():
        session.pop("pending", None)
        return None
    user_id, _, epoch = str(pending.get("user", "")).partition(":")
    if not digits(user_id) or not digits(epoch):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user


def enforce_limits():
    """Before each page request: end a session idle for too long or too old."""
    if request.blueprint == "api" or "_user_id" not in session:
        return None
    config = current_app.config
    stamp = now().timestamp()
    started, seen = session.get("signed_in_at"), session.get("seen_at")
    idle = timedelta(minutes=config["SESSION_IDLE_MINUTES"]).total_seconds()
    longest = timedelta(hours=config["SESSION_MAX_HOURS"]).total_seconds()
    if (
        not isinstance(started, float | int)
        or not isinstance(seen, float | int)
        or stamp - seen > idle
        or stamp - started > longest
    ):
        end()
        flash(
            "You were signed out because you had not used the registry for "
            f"{config['SESSION_IDLE_MINUTES']} minutes, or had been signed in for "
            f"{config['SESSION_MAX_HOURS']} hours. Sign in again to carry on.",
            "info",
        )
        if request.endpoint == "auth.sign_in":
            return None  # the sign-in page itself, with the message (not sent back to it)
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.sign_in", next=target))
    # A page asking whether its session is still open (registry.js, at the end of its
    # idle time) must not keep it open by asking.
    only_asking = request.endpoint == "auth.session_alive" and "check" in request.args
    if stamp - seen > SEEN_EVERY and not only_asking:
        session["seen_at"] = stamp
    return None
