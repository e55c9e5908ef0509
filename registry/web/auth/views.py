import unicodedata
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from ...clock import now
from ...domain.errors import ValidationFailed
from ...extensions import db
from ...services import two_factor as totp
from ...services.users import (
    authenticate,
    change_password,
    end_sessions,
    is_locked,
    live_tokens,
    make_token,
    own_token,
    record_success,
    revoke_token,
    second_factor_ok,
    token_name_error,
)
from .. import sessions
from ..fields import attach_errors
from ..permissions import public, signed_in
from ..settings import totp_key
from . import bp
from .forms import CodeForm, PasswordChangeForm, RevokeTokenForm, SignInForm, TokenForm

GENERIC_FAILURE = "The email address or password is not right"


def safe_next(target: str | None) -> str | None:
    """Follow `next` only to a path on this site (no scheme, no host, no `//`), and only
    one without control characters or spaces: a CR or LF cannot go in a Location header,
    and browsers drop tabs and newlines from a URL (`/`, a tab, `/evil.example` leads away)."""
    if not target or len(target) > 2000:
        return None
    if any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in target):
        return None
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return None
    return target


def _finish(user):
    """The last step of signing in: a new session, failures forgotten, on to `next`."""
    target = safe_next(request.args.get("next")) or url_for("main.home")
    record_success(db.session, user)
    sessions.start(user)
    return redirect(target)


def _status(form) -> int:
    return 200 if request.method == "GET" or not form.errors else 422


@bp.route("/sign-in", methods=["GET", "POST"])
@sessions.sign_in_attempts
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data, now=now())
        if user is not None:
            if not sessions.two_factor_needed(user):
                return _finish(user)
            sessions.begin_pending(user)
            step = "auth.two_factor" if user.totp_secret else "auth.two_factor_setup"
            return redirect(url_for(step, next=safe_next(request.args.get("next"))))
        form.password.errors = [GENERIC_FAILURE]
        form.email.errors = []
    return render_template("auth/sign_in.html", form=form), _status(form)


def _restart():
    flash("Sign in again: the sign-in took longer than 5 minutes or was not started here.", "info")
    return redirect(url_for("auth.sign_in", next=safe_next(request.args.get("next"))))


@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
@sessions.sign_in_attempts
@public
def two_factor():
    user = sessions.pending_user()
    if user is None:
        return _restart()
    if not user.totp_secret:
        return redirect(url_for("auth.two_factor_setup", next=request.args.get("next")))
    form = CodeForm()
    if form.validate_on_submit():
        if is_locked(user, now()):
            session.clear()
            flash(GENERIC_FAILURE, "info")
            return redirect(url_for("auth.sign_in"))
        if error := totp.code_error(form.code.data):
            form.code.errors = [error]
        elif second_factor_ok(db.session, user, form.code.data, now=now(), key=totp_key()):
            return _finish(user)
        else:
            form.code.errors = [
                "That code is not right, or was used already. Enter the newest code from your app"
            ]
    return render_template("auth/two_factor.html", form=form), _status(form)


@bp.route("/sign-in/two-factor/set-up", methods=["GET", "POST"])
@sessions.sign_in_attempts
@public
def two_factor_setup():
    user = sessions.pending_user()
    if user is None:
        return _restart()
    if user.totp_secret:
        return redirect(url_for("auth.two_factor", next=request.args.get("next")))
    secret = session.get("pending_secret")
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session["pending_secret"] = totp.new_secret()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            totp.enrol(db.session, user, secret, form.code.data, now=now(), key=totp_key())
        except ValidationFailed as exc:
            attach_errors(form, exc.fields)
        else:
            response = _finish(user)
            flash(
                "Two-factor sign-in is set up. Next time, you will be asked for a code "
                "from your app after your password.",
                "success",
            )
            return response
    uri = totp.setup_uri(secret, user.email, f"{current_app.config['PARTNERSHIP_NAME']} registry")
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        qr_svg=totp.qr_svg(uri),
        secret=totp.grouped(secret),
    ), _status(form)


@bp.post("/sign-out")
@signed_in()
def sign_out():
    end_sessions(db.session, current_user._get_current_object())  # every browser of theirs
    sessions.end()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@bp.get("/session/alive")
@signed_in()
def session_alive():
    """Asked by the page while its user types (registry.js): the request itself keeps the
    session from going idle (sessions.enforce_limits). 204: nothing to say."""
    return "", 204


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in()
def password():
    user = current_user._get_current_object()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_password(
                db.session,
                user,
                current=form.current_password.data,
                new=form.new_password.data,
                confirm=form.confirm_password.data,
                now=now(),
            )
        except ValidationFailed as exc:
            attach_errors(form, exc.fields)
        else:
            sessions.start(user)  # this browser carries on; every other session has ended
            flash(
                "Your password has been changed. You have been signed out everywhere "
                "else, and any API tokens you had have stopped working.",
                "success",
            )
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form), _status(form)


@bp.route("/account/tokens", methods=["GET", "POST"])
@signed_in()
def tokens():
    """The user's own API tokens: made here or with POST /api/v1/auth/token; each shown
    in full once, when it is made, and listed afterwards by its label only."""
    user = current_user._get_current_object()
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        name = (form.name.data or "").strip()
        if error := token_name_error(name):
            form.name.errors = [error]
        else:
            new_token, _ = make_token(
                db.session, user, now=now(), days=current_app.config["API_TOKEN_DAYS"], name=name
            )
            form = TokenForm(formdata=None)
    return render_template(
        "auth/tokens.html",
        form=form,
        new_token=new_token,
        tokens=live_tokens(db.session, user.id, now=now()),
        days=current_app.config["API_TOKEN_DAYS"],
    ), _status(form)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@signed_in()
def revoke(token_id: int):
    """Ask before revoking one of the user's own tokens (anyone else's: not found)."""
    actor = current_user.actor()
    token = own_token(db.session, actor, token_id, now=now())
    form = RevokeTokenForm()
    if form.validate_on_submit():
        revoke_token(db.session, actor, token_id, now=now())
        flash(
            f"The token {_label(token)} has been revoked: anything using it can no longer "
            "use the API.",
            "success",
        )
        return redirect(url_for("auth.tokens"))
    return render_template("auth/revoke_token.html", form=form, token=token, label=_label(token))


def _label(token) -> str:
    start = f"starting {token.hint}…" if token.hint else f"number {token.id}"
    return f"“{token.name}” ({start})" if token.name else start
