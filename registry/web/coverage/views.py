from flask import abort, redirect, render_template, request, url_for

from ...clock import now, today
from ...domain.errors import ValidationFailed
from ...domain.fields import digits
from ...domain.vocab import Role
from ...extensions import db
from ...services import agencies as agency_service
from ...services import coverage_map, vocabularies
from ...services.coverage import CheckInput, get_check, run_check
from ..fields import attach_errors, choices
from ..forms_util import search_arg
from ..permissions import current_actor, signed_in
from ..settings import status_settings
from . import bp
from .forms import CoverageForm
from .grid import grid_rows


def _choices(form: CoverageForm) -> None:
    listing = vocabularies.listing(db.session)
    form.purpose.choices = choices(
        [("", "Choose a purpose")] + [(p.code, p.label) for p in listing["purposes"] if p.active]
    )
    form.data_categories.choices = choices(
        (c.code, c.label) for c in listing["data_categories"] if c.active
    )


@bp.route("", methods=["GET", "POST"])
@signed_in(Role.PRACTITIONER)  # SPEC section 8: practitioners run coverage checks
def check_coverage():
    """The practitioner's question; the answer gets its own page (and check id)."""
    actor = current_actor()
    form = CoverageForm()
    _choices(form)
    own = actor.agency_id
    if request.method == "GET":
        form.from_agency_id.data = str(own or "")
        form.to_agency_id.data = request.args.get("to", "")
        form.purpose.data = request.args.get("purpose", "")
    if own is not None:
        form.from_agency_id.data = str(own)  # from is always one's own agency
    if form.validate_on_submit():
        try:
            source = (
                own
                if own is not None
                else (
                    int(form.from_agency_id.data)
                    if digits(form.from_agency_id.data or "")
                    else None
                )
            )
            row, _ = run_check(
                db.session,
                actor,
                CheckInput(
                    from_agency_id=source,
                    to_agency_id=int(form.to_agency_id.data)
                    if digits(form.to_agency_id.data)
                    else None,
                    purpose=form.purpose.data,
                    data_categories=form.data_categories.data,
                    on_date=form.on_date.data,
                ),
                today=today(),
                now=now(),
                settings=status_settings(),
            )
        except ValidationFailed as exc:
            attach_errors(form, exc.fields)
        else:
            return redirect(url_for("coverage.show_check", check_id=row.id))
    own_name = agency_service.get_agency(db.session, own).name if own else None
    return render_template(
        "coverage/check.html", form=form, own_name=own_name
    ), 422 if form.errors else 200


@bp.get("/checks/<check_id>")
@signed_in()
def show_check(check_id: str):
    actor = current_actor()
    if len(check_id) != 32 or not check_id.isalnum():
        abort(404)
    row = get_check(db.session, check_id)
    if row.user_id != actor.user_id and not actor.has(Role.ADMIN):
        abort(403)
    names = agency_service.agency_names(db.session, (row.from_agency_id, row.to_agency_id))
    labels = vocabularies.labels(db.session)
    return render_template(
        "coverage/answer.html", check=row, answer=row.answer, names=names, labels=labels
    )


@bp.get("/map")
@signed_in()
def show_map():
    listing = vocabularies.listing(db.session)
    purpose = request.args.get("purpose") or ""
    known = {p.code for p in listing["purposes"]}
    search = search_arg().strip()  # spaces alone are no search, and said as none
    grid = (
        coverage_map.build(
            db.session, purpose, today=today(), settings=status_settings(), search=search
        )
        if purpose in known
        else None
    )
    return render_template(
        "coverage/map.html",
        purposes=listing["purposes"],
        purpose_options=[(p.code, p.label) for p in listing["purposes"]],
        purpose=purpose,
        grid=grid,
        grid_rows=grid_rows,
        search=search,
        as_list=request.args.get("view") == "list",  # the same answers, one agency at a time
    )
