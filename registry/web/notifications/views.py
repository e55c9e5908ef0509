"""Each user's own notifications: the list, one opened (and so read), all marked read,
and an officer change acknowledged. Every signed-in user has them, whatever the role."""

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from ...clock import now
from ...extensions import db
from ...services import inbox
from ..forms_util import page_args
from ..permissions import current_account, signed_in
from . import bp


@bp.app_context_processor
def unread_notifications():
    """`unread_notifications()` in any template: the signed-in user's unread count (asked
    only by a page that shows it: the header)."""

    def count() -> int:
        account = current_account()
        return inbox.unread_count(db.session, account.id) if account is not None else 0

    return {"unread_notifications": count}


@bp.get("")
@signed_in()
def list_notifications():
    unread = request.args.get("unread") == "1"
    page = inbox.list_for(db.session, current_account().id, unread=unread, **page_args())
    return render_template(
        "notifications/list.html",
        page=page,
        unread=unread,
        unread_total=inbox.unread_count(db.session, current_account().id),
        form=FlaskForm(),
    )


@bp.get("/<int:notification_id>")
@signed_in()
def show_notification(notification_id: int):
    """One notification in full; opening it marks it read."""
    row = inbox.open_notification(db.session, current_account().id, notification_id, now=now())
    return render_template("notifications/show.html", notification=row, form=FlaskForm())


@bp.post("/read")
@signed_in()
def mark_notifications_read():
    form = FlaskForm()
    if form.validate_on_submit():
        done = inbox.mark_all_read(db.session, current_account().id, now=now())
        flash(f"{done} notification{'' if done == 1 else 's'} marked as read", "success")
    return redirect(url_for("notifications.list_notifications"))


@bp.post("/<int:notification_id>/acknowledge")
@signed_in()
def acknowledge_notification(notification_id: int):
    """The user has taken note of an officer change: it leaves their home page."""
    form = FlaskForm()
    if form.validate_on_submit():
        inbox.acknowledge(db.session, current_account().id, notification_id, now=now())
        flash("Acknowledged: it no longer shows on your home page", "success")
    return redirect(url_for("main.home"))
