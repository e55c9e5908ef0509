"""Delegations: a signatory names a delegate who signs on their behalf for a while
(services/delegations.py); the signatory, the agency's IG lead or the administrator ends
one early. The administrator sees every agency's."""

from flask import flash, redirect, render_template, request, url_for

from ...clock import now, today
from ...domain import policy
from ...domain.dates import long_date
from ...domain.errors import Conflict, ValidationFailed
from ...domain.fields import digits
from ...domain.vocab import Role
from ...extensions import db
from ...services import agencies as agency_service
from ...services import delegations as service
from ..fields import attach_errors, read_agency_box
from ..forms_util import page_args
from ..permissions import current_actor, signed_in
from . import bp
from .forms import DelegationForm, EndForm


@bp.get("")
@signed_in()
def list_delegations():
    """The administrator: every delegation, by agency and current only; an IG lead: its
    agency's; anyone else: those naming them."""
    actor = current_actor()
    box = read_agency_box(request.args, "agency_id") if actor.has(Role.ADMIN) else None
    filters = service.DelegationFilters(
        agency_id=box.id if box else None,
        current_only=request.args.get("current") == "1",
    )
    day = today()
    page = service.list_delegations(db.session, actor, filters, today=day, **page_args())
    return render_template(
        "delegations/list.html",
        page=page,
        filters=filters,
        agency_box=box,
        agency_names=agency_service.agency_names(db.session, (d.agency_id for d in page.items)),
        day=day,
        status=service.status,
        may_end=lambda d: (
            service.may_end(actor, d) and service.status(d, day) in ("current", "future")
        ),
        may_name=actor.has(Role.SIGNATORY) and actor.agency_id is not None,
    )


@bp.route("/new", methods=["GET", "POST"])
@signed_in(Role.SIGNATORY)
def new_delegation():
    actor = current_actor()
    form = DelegationForm()
    people = service.candidates(db.session, actor)
    form.delegate_id.choices = [("", "Choose a person")] + [
        (str(u.id), f"{u.name}, {u.job_title}" if u.job_title else u.name) for u in people
    ]
    if form.validate_on_submit():
        raw = form.delegate_id.data or ""
        try:
            delegation = service.create(
                db.session,
                actor,
                delegate_id=int(raw) if digits(raw) and len(raw) < 10 else 0,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                now=now(),
            )
        except (ValidationFailed, Conflict) as exc:
            attach_errors(form, exc.fields or {"": exc.message})
        else:
            flash(
                f"{delegation.delegate.name} may sign for your agency on your behalf from "
                f"{long_date(delegation.starts_on)} to {long_date(delegation.ends_on)}. "
                "They have been told.",
                "success",
            )
            return redirect(url_for("delegations.list_delegations"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("delegations/new.html", form=form, people=people), status


@bp.route("/<int:delegation_id>/end", methods=["GET", "POST"])
@signed_in(Role.SIGNATORY, Role.IG_LEAD, Role.ADMIN)
def end_delegation(delegation_id: int):
    """A confirmation page, then the delegation ends now."""
    actor = current_actor()
    delegation = service.get_delegation(db.session, actor, delegation_id)
    policy.require(
        service.may_end(actor, delegation),
        "Only the signatory who named the delegate, the agency's information governance "
        "lead or the administrator can end a delegation",
    )
    form = EndForm()
    if form.validate_on_submit():
        try:
            service.end(db.session, actor, delegation_id, now=now())
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(
                f"{delegation.delegate.name} no longer signs on behalf of "
                f"{delegation.principal.name}. They have been told.",
                "success",
            )
        return redirect(url_for("delegations.list_delegations"))
    return render_template(
        "delegations/end.html",
        form=form,
        delegation=delegation,
        state=service.status(delegation, today()),
    )
