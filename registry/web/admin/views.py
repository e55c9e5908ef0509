from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from ...clock import now, today
from ...domain.audit_words import ACTIONS
from ...domain.errors import Conflict, ValidationFailed
from ...domain.vocab import Role
from ...extensions import db
from ...services import audit, checkpoints, decisions, follow_ups, two_factor, users, vocabularies
from ...services import audit_trail as trail_service
from ...services.agreement_reads import PAGES_COUNT_UP_TO
from ...services.audit_trail import ENTITY_KINDS
from ...services.spreadsheet import with_bom
from ..fields import attach_errors, choices, read_agency_box
from ..forms_util import day_range_args, page_args, search_arg
from ..permissions import current_actor, signed_in
from . import bp
from .forms import UserForm, VocabularyForm

FLAG_CHOICES = {
    "data_categories": [
        ("none", "Ordinary personal data"),
        ("special", "Special category (UK GDPR Article 9)"),
        ("criminal", "Criminal offence data (Article 10)"),
    ],
    "lawful_bases": [
        ("art6", "UK GDPR Article 6 basis"),
        ("art9", "Article 9 condition"),
        ("sch1", "DPA 2018 Schedule 1 condition"),
        ("statute", "Statutory gateway"),
    ],
}
VOCAB_TITLES = {
    "purposes": "Purposes",
    "data_categories": "Data categories",
    "lawful_bases": "Lawful bases",
    "transfer_methods": "Transfer methods",
}


def _user_data(form: UserForm, include_password: bool) -> dict:
    data = {
        "name": form.name.data or "",
        "email": form.email.data or "",
        "job_title": form.job_title.data or "",
        "roles": form.roles.data or [],
        "agency_id": int(form.agency_id.data) if form.agency_id.data else None,
        "active": bool(form.active.data),
    }
    if include_password or form.password.data:
        data["password"] = form.password.data or ""
    return data


@bp.get("/users")
@signed_in(Role.ADMIN)
def list_users():
    search = search_arg()
    page = users.list_users(db.session, current_actor(), search=search, **page_args())
    return render_template("admin/users.html", page=page, search=search)


@bp.route("/users/new", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = users.create_user(
                db.session, current_actor(), now=now(), **_user_data(form, include_password=True)
            )
        except (ValidationFailed, Conflict) as exc:
            attach_errors(form, exc.fields or {"email": exc.message})
        else:
            flash(f"{user.name} can now sign in.", "success")
            return redirect(url_for("admin.list_users"))
    return render_template(
        "admin/user_form.html", form=form, user=None
    ), 422 if form.errors else 200


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def edit_user(user_id: int):
    user = users.get_user(db.session, user_id)
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    if request.method == "GET":
        form.roles.data = sorted(r.value for r in user.roles)
        form.agency_id.data = str(user.agency_id or "")
    if form.validate_on_submit():
        try:
            users.update_user(
                db.session,
                current_actor(),
                user.id,
                now=now(),
                **_user_data(form, include_password=False),
            )
        except (ValidationFailed, Conflict) as exc:
            attach_errors(form, exc.fields or {"email": exc.message})
        else:
            ended = " Their sessions and API tokens have ended." if form.password.data else ""
            flash(f"{user.name}'s account saved.{ended}", "success")
            return redirect(url_for("admin.list_users"))
    return render_template(
        "admin/user_form.html", form=form, user=user, locked=users.is_locked(user, now())
    ), 422 if form.errors else 200


def _trail_filters() -> tuple[trail_service.TrailFilters, dict[str, str]]:
    """The audit trail's filters from the query string, and what is wrong with any of
    them (by field id), so that a mistyped date is named rather than ignored."""
    first, last, errors = day_range_args()
    agency = read_agency_box(request.args, "agency")
    if agency.problem:
        errors["agency"] = agency.problem
    action = request.args.get("action", "")
    filters = trail_service.TrailFilters(
        date_from=first,
        date_to=last,
        who=search_arg(),
        agency_id=agency.id,
        action=action if action in ACTIONS else "",
        entity=request.args.get("entity", "") if request.args.get("entity") in ENTITY_KINDS else "",
    )
    g.agency_box = agency  # the page shows the box as read
    return filters, errors


@bp.get("/audit")
@signed_in(Role.ADMIN)
def audit_trail():
    filters, errors = _trail_filters()
    page = trail_service.trail(db.session, filters, count_up_to=PAGES_COUNT_UP_TO, **page_args())
    # The whole chain is checked here only while that takes about a second; a longer one
    # is left to `verify-audit`, which the page then names.
    # The signed checkpoints too: a chain cut short, or rewritten and re-hashed, verifies
    # on its own but not against them (docs/INTEGRITY.md).
    anchored = {f.chain: f.message for f in checkpoints.check(db.session)}
    chains = []
    for key, title, verb, unit, service in (
        ("audit", "The audit trail", "is", "entry", audit),
        ("decisions", "The decision records", "are", "decision", decisions),
        ("follow_ups", "The follow-ups to decisions", "are", "follow-up", follow_ups),
    ):
        length = service.length(db.session)
        checked = length <= audit.CHECK_ON_PAGE
        chains.append(
            {
                "title": title,
                "verb": verb,
                "unit": unit,
                "length": length,
                "checked": checked,
                "broken": service.verify(db.session) if checked else None,
                "unanchored": anchored.get(key),
            }
        )
    return render_template(
        "admin/audit.html",
        page=page,
        filters=filters,
        args=filters.query_args(),
        raw={k: request.args.get(k, "")[:20] for k in ("from", "to")},
        errors=errors,
        error_list=[{"text": text, "href": f"#{key}"} for key, text in errors.items()],
        agency_box=g.agency_box,
        actions=trail_service.action_choices(),
        entity_kinds=list(ENTITY_KINDS.items()),
        chains=chains,
    ), 400 if errors else 200


@bp.get("/audit.csv")
@signed_in(Role.ADMIN)
def export_audit():
    """What the audit page shows with the same filters, every page of it, as CSV."""
    filters, errors = _trail_filters()
    if errors:  # the page names what is wrong, with everything typed kept
        return redirect(url_for("admin.audit_trail", **request.args), 303)
    return Response(
        stream_with_context(with_bom(trail_service.trail_csv(db.session, filters))),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=audit-trail-{today().isoformat()}.csv"
        },
    )


@bp.get("/vocabularies")
@signed_in(Role.ADMIN)
def vocabularies_page():
    search = search_arg()
    return render_template(
        "admin/vocabularies.html",
        search=search,
        titles=VOCAB_TITLES,
        listing=vocabularies.listing(db.session, search),
    )


@bp.route("/vocabularies/<kind>/edit", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def edit_vocabulary(kind: str):
    if kind not in VOCAB_TITLES:
        abort(404)
    code = request.args.get("code", "")
    existing = next((e for e in vocabularies.listing(db.session)[kind] if e.code == code), None)
    form = VocabularyForm(obj=existing) if request.method == "GET" else VocabularyForm()
    form.flag.choices = choices(FLAG_CHOICES.get(kind, []))
    if request.method == "GET" and existing is not None and kind in FLAG_CHOICES:
        form.flag.data = (
            existing.kind.value
            if kind == "lawful_bases"
            else "special"
            if existing.special
            else "criminal"
            if existing.criminal
            else "none"
        )
    if form.validate_on_submit():
        flag = form.flag.data or ""
        try:
            vocabularies.save_entry(
                db.session,
                current_actor(),
                kind,
                code=existing.code if existing is not None else form.code.data,
                label=form.label.data,
                special=flag == "special",
                criminal=flag == "criminal",
                basis_kind=flag if kind == "lawful_bases" else None,
                active=bool(form.active.data),
                adding=existing is None,
                now=now(),
            )
        except (ValidationFailed, Conflict) as exc:
            attach_errors(form, exc.fields, {"kind": "flag", "special": "flag"})
        else:
            flash(f"{form.label.data} saved.", "success")
            return redirect(url_for("admin.vocabularies_page"))
    return render_template(
        "admin/vocabulary_form.html",
        form=form,
        kind=kind,
        title=VOCAB_TITLES[kind],
        existing=existing,
    ), 422 if form.errors else 200


@bp.post("/users/<int:user_id>/reset-two-factor")
@signed_in(Role.ADMIN)
def reset_two_factor(user_id: int):
    user = users.get_user(db.session, user_id)
    two_factor.reset(db.session, current_actor(), user, now=now())
    flash(
        f"{user.name}'s two-factor sign-in was reset and their sessions ended. They set it "
        "up again with a new code at their next sign-in.",
        "success",
    )
    return redirect(url_for("admin.edit_user", user_id=user.id))
