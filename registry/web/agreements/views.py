"""Agreement register, agreement page, drafting and editing."""

from flask import abort, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from ...clock import now, today
from ...domain import policy
from ...domain.agreements import CHANGE_NAMES, parent_error
from ...domain.errors import Conflict, ValidationFailed
from ...domain.fields import digits
from ...domain.vocab import (
    EFFECTIVE_STATUS_LABELS,
    LAWFUL_BASIS_KIND_HEADINGS,
    EffectiveStatus,
    Role,
    VersionStatus,
)
from ...extensions import db
from ...models import Agency, Agreement
from ...services import agencies as agency_service
from ...services import agreements as service
from ...services import audit, delegations, downloads, pdfs, reviews, sealing, vocabularies
from ...services.agreement_reads import (
    PAGES_COUNT_UP_TO,
    AgreementFilters,
    agreement_to_show,
    amendments,
    ancestors,
    children,
    get_agreement,
    get_version,
    parents_for,
    standing,
)
from ...services.agreement_reads import list_agreements as find_agreements
from ...services.dashboard import late_since
from ..fields import attach_errors, choices, read_agency_box
from ..forms_util import page_args, search_arg
from ..http import revalidating
from ..permissions import current_actor, signed_in
from ..settings import status_settings
from . import bp
from .forms import AgreementForm, ConfirmForm, StartForm

ALIASES = {
    "parties": "disclosers",
    "owner_agency_id": "title",
    "tier": "title",
    "parent_id": "title",
}


# How long a version may wait for signatures before the lists call it late.


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if digits(raw) and len(raw) < 10 else None


PARTY_NEEDED = (
    "Choose the party: “Waiting for the party's signature” and “Owned by the party” "
    "narrow the list to one agency's agreements, and the list below is not narrowed by them"
)


@bp.get("")
@signed_in()
def list_agreements():
    settings = status_settings()
    status = request.args.get("status", "")
    box = read_agency_box(request.args, "agency")
    one_party = [n for n in ("unsigned", "owned") if request.args.get(n) == "1"]
    if one_party and box.id is None and not box.problem:
        # Ticked without a party, they would narrow nothing while looking applied.
        box = box._replace(problem=PARTY_NEEDED)
    filters = AgreementFilters(
        search=search_arg(),
        tier=_int_arg("tier") if _int_arg("tier") in (1, 2, 3) else None,
        status=EffectiveStatus(status) if status in {s.value for s in EffectiveStatus} else None,
        agency_id=box.id,
        purpose=request.args.get("purpose") or None,
        review_due=request.args.get("review_due") == "1",
        exceeds_parent=request.args.get("exceeds_parent") == "1",
        waiting_since=late_since(today()) if request.args.get("signatures_late") == "1" else None,
        awaiting=request.args.get("awaiting") == "1",
        unsigned_by=box.id if request.args.get("unsigned") == "1" else None,
        owned_by=box.id if request.args.get("owned") == "1" else None,
        # Not a number: no agreement is made under it (the page says so).
        parent_id=_int_arg("parent") or (-1 if request.args.get("parent", "").strip() else None),
    )
    page = find_agreements(
        db.session,
        filters,
        today=today(),
        settings=settings,
        count_up_to=PAGES_COUNT_UP_TO,
        **page_args(),
    )
    rows = [(a, standing(a, today(), settings)) for a in page.items]
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "agreements/list.html",
        page=page,
        rows=rows,
        filters=filters,
        args=args,
        agency_box=box,
        parent=db.session.get(Agreement, filters.parent_id) if filters.parent_id else None,
        labels=vocabularies.labels(db.session),
    )


@bp.get("/<int:agreement_id>")
@signed_in()
def show_agreement(agreement_id: int):
    agreement = agreement_to_show(db.session, agreement_id)
    actor = current_actor()
    where = standing(agreement, today(), status_settings())
    latest = agreement.latest
    number = _int_arg("version")
    # The version in force by default (SPEC section 4): a draft is one click away.
    shown = get_version(agreement, number) if number else where.shown
    party_ids = [p.agency_id for p in latest.parties]
    may_manage = policy.may_manage_agreement(actor, agreement.tier, agreement.owner_agency_id)
    under, under_total = children(db.session, agreement)
    return render_template(
        "agreements/show.html",
        agreement=agreement,
        where=where,
        latest=latest,
        shown=shown,
        chain=ancestors(agreement),
        children=under,
        children_total=under_total,
        amendments=amendments(agreement),
        labels=vocabularies.labels(db.session),
        DIFF_NAMES=CHANGE_NAMES,
        agencies={p.agency_id: p.agency.name for v in agreement.versions for p in v.parties},
        history=audit.history(db.session, "agreement", agreement.id),
        issued=pdfs.issued(db.session, agreement.id),
        sealing=sealing.outstanding(db.session, agreement.id),
        may_see_seal_failure=actor.has(Role.ADMIN) or actor.has(Role.IG_LEAD),
        may_manage=may_manage,
        may_sign=(
            latest.status == VersionStatus.AWAITING_SIGNATURES
            and policy.may_sign_for(
                actor,
                party_ids,
                delegations.delegated_agency_ids(db.session, actor.user_id, today()),
            )
            and latest.signature_for(actor.agency_id) is None
        ),
        may_review=policy.may_review(actor, agreement.owner_agency_id),
        may_withdraw=(
            agreement.current is not None
            and actor.agency_id in party_ids
            and actor.agency_id != agreement.owner_agency_id
            and policy.may_withdraw(actor, actor.agency_id)
            and not any(w.agency_id == actor.agency_id for w in agreement.withdrawals)
        ),
        owner_lead=policy.is_ig_lead_of(actor, agreement.owner_agency_id),
        ended=agreement.ended_by_notices(today()),
        may_suspend=policy.may_suspend(actor),
        may_terminate=policy.may_terminate(actor, agreement.owner_agency_id),
        confirm=ConfirmForm(),
    )


def _start_choices(form: StartForm, tier: int | None) -> None:
    """Parents for the chosen tier; before a tier is chosen, both kinds, labelled."""
    actor = current_actor()
    tiers = [tier] if tier in (2, 3) else [] if tier == 1 else [2, 3]
    if not actor.has(Role.IG_LEAD):
        tiers = []  # tiers 2 and 3 are drafted by the owning agency's IG lead only
    parents = [
        row
        for t in tiers
        for row in parents_for(db.session, t, today(), status_settings(), actor.agency_id)
    ]
    form.parent_id.choices = choices(
        [("", "Choose an agreement")]
        + [
            (i, f"{reference} {title} (tier {parent_tier})")
            for i, reference, title, parent_tier in parents
        ]
    )
    if tiers and not parents:
        form.parent_id.description = (
            "Your agency is not a party to any agreement in force that this one could sit "
            "under (a tier 1 protocol for tier 2; a tier 2 agreement for tier 3). An "
            "agreement covers only agencies that are parties of every agreement above it: "
            "ask that agreement's owner to add your agency first."
        )


@bp.get("/new")
@signed_in(Role.ADMIN, Role.IG_LEAD)
def new_agreement():
    """Step one (tier, parent, owner), then the details form once those are chosen."""
    actor = current_actor()
    start = StartForm(request.args if request.args else None)
    tier = _int_arg("tier")
    _start_choices(start, tier)
    if not request.args or not start.validate():
        return render_template("agreements/start.html", form=start, is_admin=actor.has(Role.ADMIN))
    chosen = start.owner_agency_id.data or ""  # the box's agency, once read (AgencyField)
    owner_id = agency_service.as_id(chosen) if actor.has(Role.ADMIN) else actor.agency_id
    problems = {}
    parent_id = _int_arg("parent_id")
    if error := parent_error(tier, parent_id, service.parent_view(db.session, parent_id, today())):
        problems["parent_id"] = error
    if owner_id is None:
        problems["owner_agency_id"] = "Choose the agency that owns the agreement"
    elif not policy.may_draft(actor, tier, owner_id):
        problems["tier"] = (
            "The administrator drafts tier 1 protocols only; tier 2 and 3 "
            "agreements are drafted by the owning agency's IG lead"
        )
    if problems:
        attach_errors(start, problems)
        return render_template(
            "agreements/start.html", form=start, is_admin=actor.has(Role.ADMIN)
        ), 422
    return _details_page(
        AgreementForm(), tier=tier, parent_id=_int_arg("parent_id"), owner_id=owner_id
    )


@bp.post("/new")
@signed_in(Role.ADMIN, Role.IG_LEAD)
def create_agreement():
    form = AgreementForm()
    tier, parent_id = _int_arg("tier"), _int_arg("parent_id")
    owner_id = (
        _int_arg("owner_agency_id")
        if current_actor().has(Role.ADMIN)
        else current_actor().agency_id
    )
    _choices(form, tier, parent_id)
    if _adding_a_party(form):
        return _details_page(
            form,
            tier=tier,
            parent_id=parent_id,
            owner_id=owner_id,
            status=422 if form.errors else 200,
        )
    if form.validate_on_submit():
        try:
            agreement = service.create_draft(
                db.session,
                current_actor(),
                {
                    "tier": tier,
                    "parent_id": parent_id,
                    "owner_agency_id": owner_id,
                    **_content(form, tier),
                },
                now=now(),
            )
        except ValidationFailed as exc:
            attach_errors(form, exc.fields, ALIASES)
        else:
            flash(
                f"Draft {agreement.reference} saved. Check it, then submit it for signature.",
                "success",
            )
            return redirect(url_for("agreements.show_agreement", agreement_id=agreement.id))
    elif request.method == "POST" and tier in (1, 2, 3) and owner_id:
        _add_rule_problems(form, tier, owner_id, parent_id)
    return _details_page(form, tier=tier, parent_id=parent_id, owner_id=owner_id, status=422)


@bp.route("/<int:agreement_id>/edit", methods=["GET", "POST"])
@signed_in(Role.ADMIN, Role.IG_LEAD)
def edit_agreement(agreement_id: int):
    agreement = get_agreement(db.session, agreement_id)
    policy.require(
        policy.may_manage_agreement(current_actor(), agreement.tier, agreement.owner_agency_id),
        f"Only the owning agency's information governance lead can edit {agreement.reference}",
    )
    version = agreement.latest
    if request.method == "GET":
        form = AgreementForm(formdata=None, obj=version)
        form.disclosers.data = [str(p.agency_id) for p in version.parties if p.may_disclose]
        form.receivers.data = [str(p.agency_id) for p in version.parties if p.may_receive]
        form.lock_version.data = str(agreement.lock_version)
        _show_records(form, version)
    else:
        form = AgreementForm()
    _choices(form, agreement.tier, agreement.parent_id)
    conflict = False
    if request.method == "POST" and _adding_a_party(form):
        pass  # shown again below with the party added, or with what is wrong
    elif form.validate_on_submit():
        shown = form.lock_version.data
        try:
            service.update_draft(
                db.session,
                current_actor(),
                agreement.id,
                _content(form, agreement.tier),
                now=now(),
                lock_version=int(shown) if shown and digits(shown) else None,
            )
        except ValidationFailed as exc:
            attach_errors(form, exc.fields, ALIASES)
        except Conflict as exc:
            # What they typed stays on the page; saving again now overwrites knowingly.
            form.form_errors.append(exc.message)
            form.lock_version.data = str(get_agreement(db.session, agreement.id).lock_version)
            conflict = True
        else:
            flash("Draft saved.", "success")
            return redirect(url_for("agreements.show_agreement", agreement_id=agreement.id))
    elif request.method == "POST":
        _add_rule_problems(form, agreement.tier, agreement.owner_agency_id, agreement.parent_id)
    return _details_page(
        form,
        tier=agreement.tier,
        parent_id=agreement.parent_id,
        owner_id=agreement.owner_agency_id,
        agreement=agreement,
        status=409 if conflict else 422 if form.errors else 200,
    )


def _add_rule_problems(
    form: AgreementForm, tier: int, owner_id: int, parent_id: int | None
) -> None:
    """The form stopped at its own checks; add what the tier rules say too, so the user
    sees every problem at once."""
    content = service.build_content(
        {**_content(form, tier), "parent_id": parent_id}, tier=tier, owner_agency_id=owner_id
    )
    found = service.problems(db.session, content, today())
    unshown = {k: v for k, v in found.items() if not getattr(form, ALIASES.get(k, k)).errors}
    if unshown:  # (given nothing, attach_errors would add a vague error of its own)
        attach_errors(form, unshown, ALIASES)


TIER3_ONLY = ("frequency", "frequency_detail", "transfer_methods", "data_items")


def _content(form: AgreementForm, tier: int | None) -> dict:
    """What the form says; the tier-3 fields only for a tier 3 (no other tier's page
    shows them, so anything posted in them is not the user's)."""
    disclosers = {int(i) for i in form.disclosers.data or [] if digits(str(i))}
    receivers = {int(i) for i in form.receivers.data or [] if digits(str(i))}
    data = {
        "title": form.title.data or "",
        "purposes": form.purposes.data or [],
        "data_categories": form.data_categories.data or [],
        "lawful_bases": form.lawful_bases.data or [],
        "data_subjects": form.data_subjects.data or "",
        "retention": form.retention.data or "",
        "security": form.security.data or "",
        "effective_from": form.effective_from.data,
        "review_date": form.review_date.data,
        "end_date": form.end_date.data,
        "review_period_months": form.review_period_months.data,
        "frequency": form.frequency.data or None,
        "frequency_detail": form.frequency_detail.data or "",
        "transfer_methods": form.transfer_methods.data or [],
        "data_items": form.data_items.data or "",
        "controller_relationship": form.controller_relationship.data or None,
        "dpia_reference": form.dpia_reference.data or "",
        "dpia_completed_on": form.dpia_completed_on.data,
        "dpia_outcome": form.dpia_outcome.data or None,
        "dpia_link": form.dpia_link.data or "",
        "parties": [
            {"agency_id": i, "may_disclose": i in disclosers, "may_receive": i in receivers}
            for i in sorted(disclosers | receivers)
        ],
    }
    if tier != 3:
        for name in TIER3_ONLY:
            data.pop(name)
    return data


def _show_records(form: AgreementForm, version) -> None:
    """The new fields as the form shows them: codes as text, data items one a line."""
    form.frequency.data = version.frequency.value if version.frequency else None
    form.transfer_methods.data = version.transfer_methods
    form.data_items.data = "\n".join(version.data_items or [])
    form.dpia_outcome.data = version.dpia_outcome.value if version.dpia_outcome else None
    form.controller_relationship.data = (
        version.controller_relationship.value if version.controller_relationship else None
    )


def _choices(form: AgreementForm, tier: int | None, parent_id: int | None) -> None:
    """Offer what the tier rules allow: under a parent, only its parties (and for tier 3,
    only its purposes and categories); retired vocabulary only where already chosen."""
    listing = vocabularies.listing(db.session)
    parent_view = service.parent_view(db.session, parent_id, today())

    def chosen(field):
        return set(field.data or [])

    def allowed(entries, field, within=None):
        return choices(
            (e.code, e.label)
            for e in entries
            if (e.active or e.code in chosen(field)) and (within is None or e.code in within)
        )

    narrow = parent_view if tier == 3 else None
    form.purposes.choices = allowed(
        listing["purposes"], form.purposes, narrow.purposes if narrow else None
    )
    form.data_categories.choices = allowed(
        listing["data_categories"], form.data_categories, narrow.data_categories if narrow else None
    )
    # Grouped by kind (the form lists them under a heading each), in natural order.
    form.lawful_bases.choices = [
        SelectChoice(e.code, e.label, optgroup=LAWFUL_BASIS_KIND_HEADINGS[e.kind])
        for e in listing["lawful_bases"]
        if e.active or e.code in chosen(form.lawful_bases)
    ]
    form.transfer_methods.choices = allowed(listing["transfer_methods"], form.transfer_methods)
    # Under a parent, only its parties may be added (the lookup asks for those alone).
    form.party.within = None if parent_view is None else parent_view.party_ids
    form.party.within_id = None if parent_view is None else parent_id


def _adding_a_party(form: AgreementForm) -> bool:
    """Whether this post adds a party rather than saves: its Add button, or anything in
    the box (so Enter in the box, or Save with a name left in it, adds it and shows the
    page again, not saved). Adds it to both lists when the box names one agency."""
    sent = request.form
    if not (
        "add_party" in sent
        or (sent.get("party_text") or "").strip()
        or any(v for v in sent.getlist("party"))
    ):
        return False
    if form.party.validate(form) and form.party.data:
        added = form.party.data
        for field in (form.disclosers, form.receivers):
            if added not in (field.data or []):
                field.data = [*(field.data or []), added]
        form.party.data, form.party.typed = "", None
    elif not form.party.errors:
        form.party.errors = ["Type the name, ICO registration number or ODS code of an agency"]
    return True


def _parties(form: AgreementForm) -> list[tuple[str, str, bool, bool]]:
    """The parties the form holds, by name: (id, name, may disclose, may receive)."""
    disclosers = [str(i) for i in form.disclosers.data or []]
    receivers = [str(i) for i in form.receivers.data or []]
    ids = list(dict.fromkeys(disclosers + receivers))
    names = agency_service.agency_names(db.session, (agency_service.as_id(i) for i in ids))
    rows = [
        (
            i,
            names.get(agency_service.as_id(i) or 0),
            i in disclosers,
            i in receivers,
        )
        for i in ids
    ]
    return sorted(
        ((i, name or f"Unknown agency (number {i[:20]})", d, r) for i, name, d, r in rows),
        key=lambda row: row[1].casefold(),
    )


def _details_page(form, *, tier, parent_id, owner_id, agreement=None, status=200):
    if agreement is None:
        _choices(form, tier, parent_id)
    parent = get_agreement(db.session, parent_id) if parent_id else None
    owner = db.session.get(Agency, owner_id) if owner_id else None
    return render_template(
        "agreements/form.html",
        form=form,
        tier=tier,
        parent=parent,
        owner=owner,
        agreement=agreement,
        parties=_parties(form),
        query={"tier": tier, "parent_id": parent_id or "", "owner_agency_id": owner_id or ""},
    ), status


@bp.get("/<int:agreement_id>/pdf")
@signed_in()
def download_pdf(agreement_id: int):
    """The agreement as a PDF: the latest version, or ?version=N."""
    agreement = get_agreement(db.session, agreement_id)
    shown = _int_arg("version") or agreement.latest.number
    get_version(agreement, shown)  # an unknown version is 404 before anything else
    waiting = sealing.progress(db.session, agreement.id, shown)
    if waiting is not None:
        # Never an unsealed render in place of the sealed copy still being made.
        page = render_template(
            "agreements/being_sealed.html",
            title="Sealing failed" if waiting.failed else "The PDF is being sealed",
            message=sealing.not_ready_message(agreement.reference, waiting),
            agreement=agreement,
            number=shown,
        )
        headers = {} if waiting.failed else {"Retry-After": str(sealing.RETRY_AFTER)}
        return page, 503, headers
    found = downloads.pdf_file(db.session, agreement, shown)
    return revalidating(
        found.read,
        etag=found.sha256,
        last_modified=found.issued_at,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"inline; filename={agreement.reference}-v{shown}.pdf"},
    )


@bp.get("/<int:agreement_id>/issued/<int:pdf_id>.pdf")
@signed_in()
def download_issued_pdf(agreement_id: int, pdf_id: int):
    """A sealed PDF exactly as it was issued (earlier issues stay downloadable)."""
    found = next((p for p in pdfs.issued(db.session, agreement_id) if p.id == pdf_id), None)
    if found is None:
        abort(404)
    # A file to keep or send on, named so that it can be told apart from other issues.
    agreement = get_agreement(db.session, agreement_id)
    name = f"{agreement.reference}-v{found.version_number}-sealed-{found.sha256[:8]}.pdf"
    return revalidating(
        lambda: found.pdf,
        etag=found.sha256,
        last_modified=found.issued_at,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.get("/reviews")
@signed_in()
def review_calendar():
    """Review dates month by month: the agency's agreements (all, for the administrator)."""
    actor = current_actor()
    search = search_arg()
    status = next((s for s in reviews.LIVE if s.value == request.args.get("status")), None)
    page = reviews.upcoming_page(
        db.session,
        actor.agency_id,
        today=today(),
        settings=status_settings(),
        search=search,
        status=status,
        count_up_to=PAGES_COUNT_UP_TO,
        **page_args(),
    )
    feed = None
    if actor.has(Role.IG_LEAD) and actor.agency_id is not None:
        token = reviews.calendar_token(db.session, actor.agency_id)
        feed = url_for("public.review_feed", token=token, _external=True)
    return render_template(
        "agreements/reviews.html",
        page=page,
        feed=feed,
        search=search,
        status=status,
        confirm=ConfirmForm(),
        statuses=[(s.value, EFFECTIVE_STATUS_LABELS[s]) for s in reviews.LIVE],
    )


@bp.post("/reviews/new-calendar-link")
@signed_in(Role.IG_LEAD)
def renew_calendar_link():
    if ConfirmForm().validate_on_submit():
        reviews.calendar_token(db.session, current_actor().agency_id, renew=True)
        flash("A new calendar link was made; the old one no longer works.", "success")
    return redirect(url_for("agreements.review_calendar"))
