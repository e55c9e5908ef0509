from flask import flash, redirect, render_template, request, url_for

from ...clock import now, today
from ...domain import policy
from ...domain.errors import Conflict, ValidationFailed
from ...domain.vocab import AgencyKind, Role
from ...extensions import db
from ...services import agencies as service
from ...services import audit
from ...services.agreement_reads import AgreementFilters, list_agreements, standing
from ..fields import attach_errors
from ..forms_util import form_data, page_args, search_arg
from ..permissions import current_actor, signed_in
from ..settings import status_settings
from . import bp
from .forms import AgencyForm, ConfirmForm, OfficerForm


def _status(form) -> int:
    """A form shown again with its errors answers 422, as the API does."""
    return 422 if form.errors else 200


@bp.get("")
@signed_in()
def list_agencies():
    search = search_arg()
    kind = request.args.get("kind", "")
    if kind not in {k.value for k in AgencyKind}:
        kind = ""
    page = service.list_agencies(db.session, search=search, kind=kind or None, **page_args())
    return render_template(
        "agencies/list.html",
        page=page,
        search=search,
        kind=kind,
        may_create=policy.may_create_agency(current_actor()),
    )


@bp.route("/new", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def new_agency():
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            agency = service.create_agency(db.session, current_actor(), form_data(form), now=now())
        except (ValidationFailed, Conflict) as exc:
            attach_errors(form, exc.fields)
        else:
            flash(f"{agency.name} added.", "success")
            return redirect(url_for("agencies.show_agency", agency_id=agency.id))
    return render_template("agencies/form.html", form=form, agency=None), _status(form)


AGREEMENTS_SHOWN = 50  # on an agency's page; the agreements list has the rest


@bp.get("/<int:agency_id>")
@signed_in()
def show_agency(agency_id: int):
    agency = service.get_agency(db.session, agency_id)
    actor = current_actor()
    settings = status_settings()
    found = list_agreements(
        db.session,
        AgreementFilters(agency_id=agency.id),
        today=today(),
        settings=settings,
        per_page=AGREEMENTS_SHOWN,
    )
    rows = [(a, standing(a, today(), settings)) for a in found.items]
    officers = service.list_officers(db.session, agency.id, include_ended=True)
    may_edit = policy.may_edit_agency(actor, agency.id)
    return render_template(
        "agencies/show.html",
        agency=agency,
        agreements=rows,
        agreements_total=found.total,
        officers=officers,
        may_edit=may_edit,
        gaps=service.officer_gaps(agency) if may_edit else [],
        history=audit.history(db.session, "agency", agency.id) if may_edit else [],
        confirm=ConfirmForm(),
    )


@bp.route("/<int:agency_id>/edit", methods=["GET", "POST"])
@signed_in(Role.ADMIN, Role.IG_LEAD)
def edit_agency(agency_id: int):
    agency = service.get_agency(db.session, agency_id)
    policy.require(
        policy.may_edit_agency(current_actor(), agency.id),
        f"You cannot change {agency.name}: it is not your agency",
    )
    form = AgencyForm(obj=agency)
    if request.method == "GET":
        form.kind.data = agency.kind.value
    if form.validate_on_submit():
        try:
            service.update_agency(
                db.session, current_actor(), agency.id, form_data(form), now=now()
            )
        except (ValidationFailed, Conflict) as exc:
            attach_errors(form, exc.fields)
        else:
            flash("Agency details saved.", "success")
            return redirect(url_for("agencies.show_agency", agency_id=agency.id))
    return render_template("agencies/form.html", form=form, agency=agency), _status(form)


@bp.route("/<int:agency_id>/officers/new", methods=["GET", "POST"])
@signed_in(Role.ADMIN, Role.IG_LEAD)
def new_officer(agency_id: int):
    agency = service.get_agency(db.session, agency_id)
    policy.require(
        policy.may_edit_agency(current_actor(), agency.id),
        f"You cannot change {agency.name}'s officers: it is not your agency",
    )
    form = OfficerForm()
    if form.validate_on_submit():
        try:
            officer = service.add_officer(
                db.session, current_actor(), agency.id, form_data(form), today=today(), now=now()
            )
        except (ValidationFailed, Conflict) as exc:
            attach_errors(form, exc.fields)
        else:
            flash(f"{officer.name} added as an officer.", "success")
            return redirect(url_for("agencies.show_agency", agency_id=agency.id))
    return render_template(
        "agencies/officer_form.html", form=form, agency=agency, officer=None
    ), _status(form)


@bp.route("/<int:agency_id>/officers/<int:officer_id>/edit", methods=["GET", "POST"])
@signed_in(Role.ADMIN, Role.IG_LEAD)
def edit_officer(agency_id: int, officer_id: int):
    officer = service.get_officer(db.session, agency_id, officer_id)
    policy.require(
        policy.may_edit_agency(current_actor(), agency_id),
        f"You cannot change {officer.agency.name}'s officers: it is not your agency",
    )
    form = OfficerForm(obj=officer)
    if request.method == "GET":
        form.role.data = officer.role.value
    if form.validate_on_submit():
        try:
            service.update_officer(
                db.session, current_actor(), agency_id, officer.id, form_data(form), now=now()
            )
        except (ValidationFailed, Conflict) as exc:
            attach_errors(form, exc.fields)
        else:
            flash(f"{officer.name}'s details saved.", "success")
            return redirect(url_for("agencies.show_agency", agency_id=agency_id))
    return render_template(
        "agencies/officer_form.html", form=form, agency=officer.agency, officer=officer
    ), _status(form)


@bp.post("/<int:agency_id>/officers/<int:officer_id>/end")
@signed_in(Role.ADMIN, Role.IG_LEAD)
def end_officer(agency_id: int, officer_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("agencies.show_agency", agency_id=agency_id))
    officer = service.end_officer(
        db.session, current_actor(), agency_id, officer_id, today=today(), now=now()
    )
    flash(
        f"{officer.name} is no longer listed as a current officer; the record is kept "
        "in the agency's history.",
        "success",
    )
    return redirect(url_for("agencies.show_agency", agency_id=agency_id))
