from flask import flash, jsonify, redirect, render_template, request, url_for

from ...clock import now, today
from ...domain import policy
from ...domain.agencies import KEY_ROLES, role_label
from ...domain.dates import long_date
from ...domain.errors import Conflict, ValidationFailed
from ...domain.vocab import OFFICER_ROLE_LABELS, AgencyKind, OfficerRole, Role
from ...extensions import db
from ...services import agencies as service
from ...services import audit, audit_trail
from ...services.agreement_reads import AgreementFilters, list_agreements, standing
from ...services.agreements import parent_view
from ..errors import api_error
from ..fields import attach_errors
from ..forms_util import form_data, page_args, search_arg
from ..permissions import current_actor, signed_in
from ..settings import status_settings
from . import bp
from .forms import AgencyForm, EndOfficerForm, OfficerForm, ReplaceHolderForm


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
    missing = request.args.get("missing", "")
    role = OfficerRole(missing) if missing in {r.value for r in KEY_ROLES} else None
    page = service.list_agencies(
        db.session, search=search, kind=kind or None, missing=role, today=today(), **page_args()
    )
    return render_template(
        "agencies/list.html",
        page=page,
        search=search,
        kind=kind,
        missing=role.value if role else "",
        key_roles=[(r.value, OFFICER_ROLE_LABELS[r]) for r in KEY_ROLES],
        may_create=policy.may_create_agency(current_actor()),
    )


@bp.get("/lookup")
@signed_in()
def lookup_agencies():
    """The agencies a box offers as a person types (registry.js): at most LOOKUP_LIMIT
    whose name contains `q` or whose ICO number or ODS code starts with it. With `within`,
    an agreement's id, only that agreement's parties (those a tier 2 or 3 under it may
    name). Every signed-in person reads the agency directory, so any of them may ask."""
    within = None
    asked = request.args.get("within", "")
    if asked:
        view = parent_view(db.session, service.as_id(asked), today())
        if view is None:
            return api_error(
                404, "not_found", "No agreement has that id", {"within": "No agreement has that id"}
            )
        within = view.party_ids
    matches, more = service.lookup_agencies(db.session, request.args.get("q", ""), within=within)
    response = jsonify(agencies=[m._asdict() for m in matches], more=more)
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
    day = today()
    may_edit = policy.may_edit_agency(actor, agency.id)
    return render_template(
        "agencies/show.html",
        agency=agency,
        agreements=rows,
        agreements_total=found.total,
        current=[o for o in officers if o.holds_on(day)],
        upcoming=[o for o in officers if o.started_on > day],
        past=sorted(
            (o for o in officers if o.ended_on is not None and o.ended_on <= day),
            key=lambda o: (o.ended_on, o.started_on),
            reverse=True,
        ),
        may_edit=may_edit,
        gaps=service.officer_gaps(agency, day) if may_edit else [],
        history=audit_trail.readable(db.session, audit.history(db.session, "agency", agency.id))
        if may_edit
        else [],
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


def _may_change_officers(agency) -> None:
    policy.require(
        policy.may_edit_agency(current_actor(), agency.id),
        f"You cannot change {agency.name}'s officers: it is not your agency",
    )


def _officer_form_page(form, agency, officer=None, notice: str | None = None):
    return render_template(
        "agencies/officer_form.html", form=form, agency=agency, officer=officer, notice=notice
    ), _status(form)


@bp.route("/<int:agency_id>/officers/new", methods=["GET", "POST"])
@signed_in(Role.ADMIN, Role.IG_LEAD)
def new_officer(agency_id: int):
    """Add an officer. For a one-holder role that someone holds on the start date, a second
    step asks whether they leave on it; the typed details travel in hidden fields."""
    agency = service.get_agency(db.session, agency_id)
    _may_change_officers(agency)
    form = OfficerForm()
    del form.ended_on
    if request.method == "GET":
        form.started_on.data = today()
    if not form.validate_on_submit():
        return _officer_form_page(form, agency)
    if form.started_on.data is None:  # left blank: today, as the service takes it
        form.started_on.data = today()
    step = ReplaceHolderForm()
    answering = request.form.get("step") == "replace"  # the second step's answer
    if answering and not step.validate():
        return _replace_page(form, step, agency)
    if answering and step.replaces.data == "no":
        holder = service.current_holder(
            db.session, agency.id, OfficerRole(form.role.data), form.started_on.data
        )
        return _officer_form_page(form, agency, notice=_kept_message(form, holder))
    try:
        officer = service.add_officer(
            db.session,
            current_actor(),
            agency.id,
            form_data(form),
            today=today(),
            now=now(),
            replaces_current=answering,
        )
    except Conflict as exc:
        if exc.code == "role_held" and not answering:
            return _replace_page(form, ReplaceHolderForm(formdata=None), agency)
        attach_errors(form, exc.fields)
    except ValidationFailed as exc:
        attach_errors(form, exc.fields)
    else:
        flash(f"{officer.name} added as {role_label(officer.role)}.", "success")
        return redirect(url_for("agencies.show_agency", agency_id=agency.id))
    return _officer_form_page(form, agency)


def _replace_page(form, step, agency):
    holder = service.current_holder(
        db.session, agency.id, OfficerRole(form.role.data), form.started_on.data
    )
    if holder is None:  # they left meanwhile: the form can be sent again as it is
        return _officer_form_page(form, agency)
    who = (
        f"{holder.name} is the current {role_label(holder.role)}."
        if holder.started_on <= today()
        else f"{holder.name} is recorded as the {role_label(holder.role)} from "
        f"{long_date(holder.started_on)}."
    )
    question = f"{who} Do they leave on {long_date(form.started_on.data)}?"
    return render_template(
        "agencies/officer_replace.html",
        form=step,  # the page's own question: its errors are the summary's
        details=form,
        agency=agency,
        holder=holder,
        question=question,
    ), (422 if step.errors else 200)


def _kept_message(form, holder) -> str:
    role = role_label(OfficerRole(form.role.data))
    if holder is None:
        return "Nothing has been saved. Check the details and save them again."
    return (
        f"Nothing has been saved: {holder.name} stays {role}. One person holds the role at "
        f"a time. If {holder.name} leaves on another day, give that day as "
        f"{form.name.data}'s start date and save again; if {holder.name} stays, there is "
        "nothing to change."
    )


@bp.route("/<int:agency_id>/officers/<int:officer_id>/edit", methods=["GET", "POST"])
@signed_in(Role.ADMIN, Role.IG_LEAD)
def edit_officer(agency_id: int, officer_id: int):
    """Change an officer's details or correct their dates (a leaver's dates only)."""
    officer = service.get_officer(db.session, agency_id, officer_id)
    _may_change_officers(officer.agency)
    form = OfficerForm(obj=officer)
    if request.method == "GET":
        form.role.data = officer.role.value
    if officer.ended_on is None:
        del form.ended_on
    if form.validate_on_submit():
        try:
            service.update_officer(
                db.session,
                current_actor(),
                agency_id,
                officer.id,
                form_data(form),
                now=now(),
                today=today(),
            )
        except (ValidationFailed, Conflict) as exc:
            attach_errors(form, exc.fields or {"": exc.message})
        else:
            flash(f"{officer.name}'s details saved.", "success")
            return redirect(url_for("agencies.show_agency", agency_id=agency_id))
    return _officer_form_page(form, officer.agency, officer)


@bp.route("/<int:agency_id>/officers/<int:officer_id>/end", methods=["GET", "POST"])
@signed_in(Role.ADMIN, Role.IG_LEAD)
def end_officer(agency_id: int, officer_id: int):
    """Mark an officer as left, on a date confirmed on this page."""
    officer = service.get_officer(db.session, agency_id, officer_id)
    _may_change_officers(officer.agency)
    if officer.ended_on is not None:
        flash(
            f"{officer.name} {'left' if officer.ended_on <= today() else 'leaves'} on "
            f"{long_date(officer.ended_on)}: correct the "
            "date on their record if it is wrong.",
            "error",
        )
        return redirect(url_for("agencies.show_agency", agency_id=agency_id))
    form = EndOfficerForm()
    if request.method == "GET":
        form.ended_on.data = max(today(), officer.started_on)
    if form.validate_on_submit():
        try:
            service.end_officer(
                db.session,
                current_actor(),
                agency_id,
                officer_id,
                ended_on=form.ended_on.data,
                today=today(),
                now=now(),
            )
        except (ValidationFailed, Conflict) as exc:
            attach_errors(form, exc.fields or {"": exc.message})
        else:
            flash(
                f"{officer.name} {'left' if form.ended_on.data <= today() else 'leaves'} the "
                f"role on {long_date(form.ended_on.data)}; the "
                "record is kept in the agency's history.",
                "success",
            )
            return redirect(url_for("agencies.show_agency", agency_id=agency_id))
    return render_template(
        "agencies/officer_end.html",
        form=form,
        agency=officer.agency,
        officer=officer,
        role=role_label(officer.role),
    ), _status(form)
