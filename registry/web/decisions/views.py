from flask import Response, abort, flash, redirect, render_template, request, url_for

from ...clock import now, today
from ...domain.decisions import KEY_QUESTIONS, check_decision
from ...domain.errors import ValidationFailed
from ...domain.vocab import Role
from ...extensions import db
from ...services import agencies as agency_service
from ...services import decisions as service
from ...services import vocabularies
from ...services.coverage import get_check
from ...services.decisions import DecisionInput
from ...services.spreadsheet import BOM
from ..fields import attach_errors, choices
from ..forms_util import page_args
from ..permissions import current_actor, signed_in
from . import bp
from .forms import DecisionForm


def _choices(form: DecisionForm) -> None:
    names = agency_service.all_agency_names(db.session)
    form.to_agency_id.choices = choices([("", "Choose an agency")] + list(names.items()))
    listing = vocabularies.listing(db.session)
    form.purpose.choices = choices(
        [("", "Choose a purpose")] + [(p.code, p.label) for p in listing["purposes"]]
    )
    form.data_categories.choices = choices((c.code, c.label) for c in listing["data_categories"])


@bp.route("/new", methods=["GET", "POST"])
@signed_in(Role.PRACTITIONER)
def new_decision():
    """Walk through the key questions, then record the decision (with its check, if any)."""
    actor = current_actor()
    check_id = request.args.get("check_id") or None
    check = None
    if check_id:
        if len(check_id) != 32 or not check_id.isalnum():
            abort(404)
        check = get_check(db.session, check_id)
        if check.user_id != actor.user_id:
            abort(403)
    form = DecisionForm()
    _choices(form)
    if request.method == "GET" and check is not None:
        form.to_agency_id.data = str(check.to_agency_id)
        form.purpose.data = check.purpose
        form.data_categories.data = list(check.data_categories)
    if form.validate_on_submit():
        answers = {
            key: getattr(form, f"q_{key}").data
            for key in KEY_QUESTIONS
            if getattr(form, f"q_{key}").data
        }
        try:
            record, _ = service.record_decision(
                db.session,
                actor,
                DecisionInput(
                    check_id=check.id if check else None,
                    from_agency_id=actor.agency_id,
                    to_agency_id=int(form.to_agency_id.data),
                    purpose=form.purpose.data,
                    data_categories=form.data_categories.data,
                    decision=form.decision.data,
                    consent=form.consent.data,
                    consent_reason=form.consent_reason.data,
                    reasons=form.reasons.data,
                    case_reference=form.case_reference.data,
                    key_questions=answers,
                    method=form.method.data or None,
                    expected_action=form.expected_action.data,
                    follow_up_on=form.follow_up_on.data,
                ),
                idempotency_key=None,
                today=today(),
                now=now(),
            )
        except ValidationFailed as exc:
            attach_errors(
                form,
                exc.fields,
                {"key_questions": "q_legitimate_purpose", "check_id": "to_agency_id"},
            )
        else:
            flash(f"Decision recorded (number {record.sequence}). It cannot be changed.", "success")
            return redirect(url_for("decisions.show_decision", decision_id=record.id))
    elif request.method == "POST":
        _add_rule_problems(form)
    return render_template(
        "decisions/new.html", form=form, check=check, questions=KEY_QUESTIONS
    ), 422 if form.errors else 200


def _add_rule_problems(form: DecisionForm) -> None:
    """The form stopped at its own checks; add what the decision rules say too (a consent
    reason when sharing without consent, say), so that every problem shows at once."""
    found = check_decision(
        decision=form.decision.data,
        consent=form.consent.data,
        consent_reason=form.consent_reason.data,
        reasons=form.reasons.data,
        case_reference=form.case_reference.data,
        key_questions=None,  # the form's radios offer only the allowed answers
        method=form.method.data or None,
        follow_up_on=form.follow_up_on.data,
        today=today(),
    )
    attach_errors(form, {k: v for k, v in found.items() if not getattr(form, k).errors})


@bp.get("")
@signed_in(Role.PRACTITIONER, Role.IG_LEAD, Role.ADMIN)  # a signatory reads no decisions
def list_decisions():
    actor = current_actor()
    search = request.args.get("q", "")[:40]
    decision = request.args.get("decision", "")
    page = service.list_decisions(
        db.session, actor, search=search, decision=decision or None, **page_args()
    )
    return render_template(
        "decisions/list.html",
        page=page,
        search=search,
        decision=decision,
        names=agency_service.agency_names(db.session, (r.to_agency_id for r in page.items)),
        labels=vocabularies.labels(db.session),
    )


@bp.get("/<int:decision_id>")
@signed_in()
def show_decision(decision_id: int):
    record = service.get_decision(db.session, current_actor(), decision_id)
    return render_template(
        "decisions/show.html",
        record=record,
        intact=service.entry_holds(db.session, record),
        questions=KEY_QUESTIONS,
        names=agency_service.agency_names(db.session, (record.from_agency_id, record.to_agency_id)),
        labels=vocabularies.labels(db.session),
    )


@bp.get("/export.csv")
@signed_in(Role.PRACTITIONER, Role.IG_LEAD, Role.ADMIN)  # each its own (SPEC section 13)
def export_decisions():
    body = service.decisions_csv(db.session, current_actor())
    return Response(
        BOM + body,  # so that Excel reads it as UTF-8
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=decisions-{today().isoformat()}.csv"
        },
    )
