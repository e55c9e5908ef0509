from flask import Response, abort, flash, redirect, render_template, request, url_for

from ...clock import now, today
from ...domain.decisions import (
    CONSENT_LABELS,
    DECISION_LABELS,
    INFORMATION_LABELS,
    KEY_QUESTIONS,
    check_decision,
)
from ...domain.errors import ValidationFailed
from ...domain.vocab import Role
from ...extensions import db
from ...services import agencies as agency_service
from ...services import decisions as service
from ...services import follow_ups, vocabularies
from ...services.agreement_reads import PAGES_COUNT_UP_TO
from ...services.coverage import get_check
from ...services.decisions import DecisionInput
from ...services.follow_ups import FollowUpInput
from ...services.spreadsheet import BOM
from ..fields import attach_errors, choices
from ..forms_util import page_args
from ..permissions import current_actor, signed_in
from . import bp, chart
from .filters import COVERAGE_LABELS, asked_filters
from .forms import DecisionForm, FollowUpForm


def _choices(form: DecisionForm) -> None:
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


def _filter_choices() -> dict:
    listing = vocabularies.listing(db.session)
    return {
        "purposes": [(p.code, p.label) for p in listing["purposes"]],
        "decisions": [(k.value, v) for k, v in DECISION_LABELS.items()],
        "consents": [(k.value, v) for k, v in CONSENT_LABELS.items()],
        "coverages": list(COVERAGE_LABELS.items()),
    }


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
    if unshown := {k: v for k, v in found.items() if not getattr(form, k).errors}:
        attach_errors(form, unshown)  # (given nothing, it would add a vague error of its own)


@bp.get("")
@signed_in(Role.PRACTITIONER, Role.IG_LEAD, Role.ADMIN)  # a signatory reads no decisions
def list_decisions():
    actor = current_actor()
    asked = asked_filters()
    page = service.list_decisions(
        db.session, actor, asked.filters, count_up_to=PAGES_COUNT_UP_TO, **page_args()
    )
    return render_template(
        "decisions/list.html",
        page=page,
        asked=asked,
        options=_filter_choices(),
        names=agency_service.agency_names(db.session, (r.to_agency_id for r in page.items)),
        labels=vocabularies.labels(db.session),
        outcomes=service.check_outcomes(db.session, (r.check_id for r in page.items)),
        afterwards=follow_ups.afterwards(db.session, (r.id for r in page.items)),
    ), 400 if asked.errors else 200


@bp.get("/summary")
@signed_in(Role.IG_LEAD, Role.ADMIN)  # the agency's figures (the administrator: all)
def decision_summary():
    asked = asked_filters()
    months = service.monthly_summary(db.session, current_actor(), asked.filters)
    return render_template(
        "decisions/summary.html",
        asked=asked,
        options=_filter_choices(),
        months=months,
        chart=chart.build(months),
        series=chart.SERIES,
        month_label=chart.month_label,
    )


@bp.get("/<int:decision_id>")
@signed_in()
def show_decision(decision_id: int):
    actor = current_actor()
    record = service.get_decision(db.session, actor, decision_id)
    later = follow_ups.follow_ups_of(db.session, actor, decision_id)
    return render_template(
        "decisions/show.html",
        record=record,
        intact=service.entry_holds(db.session, record),
        follow_ups=[(f, follow_ups.entry_holds(db.session, f)) for f in later],
        may_follow_up=follow_ups.may_follow_up(actor, record),
        information_labels=INFORMATION_LABELS,
        outcome=service.check_outcomes(db.session, [record.check_id]).get(record.check_id or ""),
        questions=KEY_QUESTIONS,
        names=agency_service.agency_names(db.session, (record.from_agency_id, record.to_agency_id)),
        labels=vocabularies.labels(db.session),
    )


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@bp.route("/<int:decision_id>/follow-ups/new", methods=["GET", "POST"])
@signed_in(Role.PRACTITIONER, Role.IG_LEAD)  # the service decides whose (follow_ups.py)
def new_follow_up(decision_id: int):
    """Record what happened after a decision: consent withdrawn, the share stopped..."""
    actor = current_actor()
    record = service.get_decision(db.session, actor, decision_id)
    if not follow_ups.may_follow_up(actor, record):
        abort(403)
    form = FollowUpForm()
    if form.is_submitted():
        form_ok = form.validate()
        data = FollowUpInput(
            consent_withdrawn=_yes_no(form.consent_withdrawn.data),
            share_stopped=_yes_no(form.share_stopped.data),
            information=form.information.data or None,
            outcome=form.outcome.data,
            next_follow_up_on=form.next_follow_up_on.data,
        )
        # The rules run whatever the form found, so every error shows at once.
        problems = follow_ups.follow_up_errors(data, today=today())
        if form_ok and not problems:
            try:
                follow_ups.record_follow_up(
                    db.session, actor, decision_id, data, today=today(), now=now()
                )
            except ValidationFailed as exc:
                attach_errors(form, exc.fields)
            except follow_ups.Repeated:
                flash("This follow-up was already recorded: it is shown once.", "success")
                return redirect(
                    url_for("decisions.show_decision", decision_id=decision_id) + "#follow-ups"
                )
            else:
                flash("Follow-up added. It cannot be changed.", "success")
                return redirect(
                    url_for("decisions.show_decision", decision_id=decision_id) + "#follow-ups"
                )
        elif unshown := {k: v for k, v in problems.items() if not getattr(form, k).errors}:
            attach_errors(form, unshown)
    return render_template("decisions/follow_up.html", form=form, record=record), (
        422 if form.errors else 200
    )


@bp.get("/export.csv")
@signed_in(Role.PRACTITIONER, Role.IG_LEAD, Role.ADMIN)  # each its own (SPEC section 13)
def export_decisions():
    asked = asked_filters()
    if asked.errors:  # the page names what is wrong, with everything typed kept
        return redirect(url_for("decisions.list_decisions", **asked.args), 303)
    body = service.decisions_csv(db.session, current_actor(), asked.filters)
    return Response(
        BOM + body,  # so that Excel reads it as UTF-8
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=decisions-{today().isoformat()}.csv"
        },
    )
