"""The public register: open to anyone, holding nothing private."""

from flask import Response, abort, current_app, render_template, request

from ...clock import now, today
from ...extensions import db
from ...services import pdfs, register, reviews
from ..forms_util import page_args, search_arg
from ..permissions import public
from ..settings import status_settings
from . import bp
from .forms import VerifyForm


def _tier() -> int | None:
    raw = request.args.get("tier", "")
    return int(raw) if raw in ("1", "2", "3") else None


def _everything():
    """Every agreement in force that the filters select: the whole register, streamed (a
    page of the register is at most paging.MAX_PER_PAGE, which a download must not be).
    Everything taken from the request is read now: the rows are read as the response is
    sent, on a connection of their own, outside the request's context."""
    return register.every_entry(
        db.engine, today=today(), settings=status_settings(), search=search_arg(), tier=_tier()
    )


@bp.get("/calendar/<token>.ics")
@public
def review_feed(token: str):
    """An agency's review dates as iCalendar; the secret token in the address is the key."""
    agency = reviews.agency_for_token(db.session, token)
    if agency is None:
        abort(404)
    items = reviews.upcoming(db.session, agency.id, today=today(), settings=status_settings())
    return Response(
        reviews.ical(agency, items, now=now()),
        mimetype="text/calendar",
        headers={"Cache-Control": "no-store"},
    )


@bp.route("/verify", methods=["GET", "POST"])
@public
def verify_pdf():
    """Anyone can check that an agreement PDF came from the registry unchanged."""
    form = VerifyForm()
    verdict = standing = None
    if form.validate_on_submit():
        from ...pdf import seal  # pyHanko is loaded when a PDF is checked, not with the app

        data = form.pdf.data.read()
        verdict = seal.verify(data, seal.keys_from_config(current_app.config))
        standing = pdfs.seal_standing(
            db.session, verdict.agreement, data, today=today(), settings=status_settings()
        )
    return render_template(
        "public/verify.html", form=form, verdict=verdict, standing=standing
    ), 422 if form.errors else 200


@bp.get("/register")
@public
def show_register():
    search = search_arg()
    page = register.in_force(
        db.session,
        today=today(),
        settings=status_settings(),
        search=search,
        tier=_tier(),
        **page_args(),
    )
    return render_template(
        "public/register.html", page=page, items=page.items, search=search, tier=_tier()
    )


@bp.get("/register.json")
@public
def register_json():
    return Response(register.json_chunks(_everything()), mimetype="application/json")


@bp.get("/register.csv")
@public
def register_csv():
    return Response(
        register.csv_lines(_everything()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=register.csv"},
    )
