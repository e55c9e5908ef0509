from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ...extensions import db
from ...services.users import authenticate
from ..permissions import public, signed_in
from . import bp
from .forms import SignInForm


def safe_next(target: str | None) -> str | None:
    """Follow `next` only to a path on this site (no scheme, no host, no `//`)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a new session at sign-in, never the one from before
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
        form.password.errors = ["The email address or password is not right"]
        form.email.errors = []
    return render_template("auth/sign_in.html", form=form), 200 if request.method == "GET" \
        or not form.errors else 422


@bp.post("/sign-out")
@signed_in()
def sign_out():
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))
