"""Drafting agreements: create, edit a draft, and the reference scheme."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..clock import LONDON
from ..database import is_id, writes
from ..domain import policy
from ..domain.actor import Actor
from ..domain.agreements import (
    DEFAULT_REVIEW_MONTHS,
    Content,
    ParentView,
    PartyTerms,
    beyond_parent,
    canonical,
    check_content,
    default_review_date,
    reference_for,
)
from ..domain.dates import long_date
from ..domain.errors import Conflict, ValidationFailed
from ..domain.fields import one_line
from ..domain.lifecycle import check_can_edit, check_not_ended
from ..domain.vocab import ControllerRelationship, DpiaOutcome, Frequency, VersionStatus
from ..models import (
    Agency,
    Agreement,
    AgreementVersion,
    Party,
    VersionBasis,
    VersionCategory,
    VersionPurpose,
    VersionTransferMethod,
)
from . import audit, lifecycle_notices, vocabularies
from .agencies import agency_names
from .agreement_reads import content_of, get_agreement

CONTENT_FIELDS = (
    "title",
    "purposes",
    "data_categories",
    "lawful_bases",
    "data_subjects",
    "retention",
    "security",
    "effective_from",
    "review_date",
    "review_period_months",
    "end_date",
    "parties",
    "parent_id",
    "frequency",
    "frequency_detail",
    "transfer_methods",
    "data_items",
    "dpia_reference",
    "dpia_completed_on",
    "dpia_outcome",
    "dpia_link",
    "controller_relationship",
)


_ENDED = (VersionStatus.TERMINATED, VersionStatus.SUPERSEDED)


def parent_view(session: Session, parent_id: int | None, on: date) -> ParentView | None:
    """What a child's rules see of its parent on the day `on`: the version in force (else
    the latest), less the parties whose withdrawal has taken effect by then."""
    if not is_id(parent_id):
        return None
    parent = session.get(Agreement, parent_id)
    if parent is None:
        return None
    return view_of(parent, parent.current or parent.latest, on)


def view_of(parent: Agreement, version: AgreementVersion, on: date) -> ParentView:
    # Ended: terminated, replaced, or left by notices with fewer than two parties.
    usable = version.status not in _ENDED and not parent.ended_by_notices(on)
    withdrawn = parent.withdrawn_by(on)
    return ParentView(
        reference=parent.reference,
        tier=parent.tier,
        party_ids=frozenset(p.agency_id for p in version.parties) - withdrawn,
        purposes=frozenset(version.purposes),
        data_categories=frozenset(version.data_categories),
        usable=usable,
        terms={
            p.agency_id: (p.may_disclose, p.may_receive)
            for p in version.parties
            if p.agency_id not in withdrawn
        },
    )


def beyond(
    session: Session,
    child: Agreement,
    parent: ParentView | None,
    version: AgreementVersion | None = None,
) -> list[str]:
    """What `child` (`version`, else its version in force, else its latest) grants beyond
    `parent`, in sentences; empty when it stays within it, has ended, or the parent has."""
    version = version or child.current or child.latest
    if parent is None or not parent.usable or version.status in _ENDED:
        return []
    content = content_of(version)
    names = agency_names(session, [p.agency_id for p in content.parties])
    labels = vocabularies.labels(session)
    found = beyond_parent(content, parent, names, labels["purposes"], labels["data_categories"])
    return list(found.values())


def children_beyond(
    session: Session, agreement: Agreement, on: date
) -> list[tuple[Agreement, list[str]]]:
    """The agreements directly under `agreement` that grant more than its latest version
    (the one just submitted or just made active) allows, each with what it grants beyond."""
    view = view_of(agreement, agreement.latest, on)
    children = session.scalars(
        select(Agreement).where(Agreement.parent_id == agreement.id).order_by(Agreement.reference)
    )
    return [(child, found) for child in children if (found := beyond(session, child, view))]


def restamp_parentage(
    session: Session,
    agreement: Agreement,
    on: date,
    *,
    now: datetime | None = None,
    cause: str | None = None,
) -> None:
    """Re-mark whether `agreement` exceeds its parent and whether each child of it exceeds
    it, after a version became active, a party withdrew or an agreement ended. A plain
    UPDATE: the mark is not an edit of the agreement (its lock_version stays).

    An agreement that newly comes to exceed its parent (it did not before) is flagged to
    its owner's IG leads, once: not again on later changes while it still exceeds. `now`
    is when the change happened, `cause` what it was; by default the moment its version in
    force came into force, and that (the activation that calls this without them)."""
    table = Agreement.__table__
    session.flush()
    marks = {}
    if agreement.parent_id is not None:
        marks[agreement.id] = beyond(
            session, agreement, parent_view(session, agreement.parent_id, on)
        )
    own = parent_view(session, agreement.id, on)
    for child in session.scalars(select(Agreement).where(Agreement.parent_id == agreement.id)):
        marks[child.id] = beyond(session, child, own)
    before: dict[int, str | None] = (
        dict(
            session.execute(
                select(table.c.id, table.c.exceeds_parent).where(table.c.id.in_(list(marks)))
            ).all()
        )
        if marks
        else {}
    )
    for agreement_id, found in marks.items():
        session.execute(
            table.update()
            .where(table.c.id == agreement_id)
            .values(exceeds_parent="; ".join(found) or None)
        )
    current = agreement.current
    when = now or (current.activated_at if current else None)
    if cause is None and now is None and current is not None and when is not None:
        day = long_date(when.astimezone(LONDON).date())
        cause = f"its version {current.number} came into force on {day}"
    for agreement_id, found in marks.items():
        if found and before.get(agreement_id) is None and when is not None:
            under = session.get(Agreement, agreement_id)
            if under is None or under.parent is None:
                continue
            lifecycle_notices.parent_narrowed(
                session,
                under,
                under.parent,
                found,
                # What changed `agreement` is the cause for its children; an agreement
                # found beyond its own parent as it came into force was narrowed earlier.
                cause=(
                    (cause or "its terms changed")
                    if under.parent_id == agreement.id
                    else f"after {under.reference} was submitted for signature"
                ),
                now=when,
            )


def build_content(
    data: dict[str, Any], *, tier: int, owner_agency_id: int, base: Content | None = None
) -> Content:
    """Content from plain input, falling back to `base` for fields not given."""

    def pick(name: str, default: Any) -> Any:
        if name in data:
            return data[name]
        return getattr(base, name) if base is not None else default

    effective_from = pick("effective_from", None)
    months = pick("review_period_months", None) or DEFAULT_REVIEW_MONTHS
    review_date = data.get("review_date") or (
        None if "effective_from" in data or base is None else base.review_date
    )
    if review_date is None and isinstance(effective_from, date):
        review_date = default_review_date(effective_from, months)
    parties = pick("parties", ())
    return Content(
        frequency=_code(pick("frequency", None)),
        frequency_detail=(pick("frequency_detail", "") or "").strip(),
        transfer_methods=tuple(dict.fromkeys(pick("transfer_methods", ()) or ())),
        data_items=data_items(pick("data_items", ())),
        dpia_reference=(pick("dpia_reference", "") or "").strip(),
        dpia_completed_on=pick("dpia_completed_on", None),
        dpia_outcome=_code(pick("dpia_outcome", None)),
        dpia_link=(pick("dpia_link", "") or "").strip(),
        controller_relationship=_code(pick("controller_relationship", None)),
        title=(pick("title", "") or "").strip(),
        tier=tier,
        owner_agency_id=owner_agency_id,
        parent_id=pick("parent_id", None),
        effective_from=effective_from,
        review_date=review_date,
        review_period_months=months,
        end_date=pick("end_date", None),
        data_subjects=pick("data_subjects", "") or "",
        retention=pick("retention", "") or "",
        security=pick("security", "") or "",
        purposes=tuple(dict.fromkeys(pick("purposes", ()))),
        data_categories=tuple(dict.fromkeys(pick("data_categories", ()))),
        lawful_bases=tuple(dict.fromkeys(pick("lawful_bases", ()))),
        parties=tuple(
            p
            if isinstance(p, PartyTerms)
            else PartyTerms(
                agency_id=p["agency_id"],
                may_disclose=bool(p.get("may_disclose")),
                may_receive=bool(p.get("may_receive")),
                role=(p.get("role") or "").strip(),
            )
            for p in parties
        ),
    )


def _code(value: Any) -> str | None:
    """A fixed choice as its code (an enum member given by the API is its value)."""
    return str(value) if value else None


def data_items(given: Any) -> tuple[str, ...]:
    """Named data items as stored: a list, or text with one item a line (the form's);
    each trimmed, blank lines and repeats dropped, in the order given."""
    if isinstance(given, str):
        given = given.splitlines()
    items = (one_line(str(i)) for i in given or ())
    return tuple(dict.fromkeys(i for i in items if i))


def problems(session: Session, content: Content, on: date) -> dict[str, str]:
    """Every rule the content breaks on the day `on`, by field (empty when it may be
    saved)."""
    fields: dict[str, str] = {}
    names = agency_names(
        session, [p.agency_id for p in content.parties] + [content.owner_agency_id]
    )
    parent = parent_view(session, content.parent_id, on)
    if content.parent_id is not None and parent is None:
        fields["parent_id"] = f"There is no agreement with id {content.parent_id}"
    fields.update(
        {
            k: v
            for k, v in check_content(
                content, vocabulary=vocabularies.load(session), parent=parent, agency_names=names
            ).items()
            if k not in fields
        }
    )
    if content.dpia_completed_on is not None and content.dpia_completed_on > on:
        fields.setdefault(
            "dpia_completed_on", "The date the DPIA was completed must be today or earlier"
        )
    return fields


def departed_parties(
    session: Session, agreement: Agreement, content: Content, on: date
) -> str | None:
    """An agency whose withdrawal has taken effect stays withdrawn from the agreement: a
    new version naming it would be signed and come into force without covering it
    (coverage asks whether a party had withdrawn). Said when the draft is saved or
    submitted, whether it was put back or was still there when its notice took effect."""
    gone = agreement.withdrawn_by(on) & {p.agency_id for p in content.parties}
    if not gone:
        return None
    names = agency_names(session, gone)
    who = ", ".join(sorted(names[i] for i in gone))
    one = len(gone) == 1
    return (
        f"{who} {'has' if one else 'have'} withdrawn from {agreement.reference} and cannot be "
        f"{'a party' if one else 'parties'} to a new version of it: take "
        f"{'it' if one else 'them'} out of the parties (to share with "
        f"{'it' if one else 'them'} again, draft a new agreement)"
    )


def validate_version(session: Session, agreement: Agreement, content: Content, on: date) -> None:
    """`validate` for a version of an existing agreement (saved or submitted): its content,
    and no party whose notice has taken effect."""
    fields = problems(session, content, on)
    if departed := departed_parties(session, agreement, content, on):
        fields.setdefault("parties", departed)
    if fields:
        raise ValidationFailed(fields)


def validate(session: Session, content: Content, on: date) -> None:
    if fields := problems(session, content, on):
        raise ValidationFailed(fields)


REFERENCE_LOCK_KEY = 7_301_002


def _next_reference(session: Session, year: int) -> str:
    """The next ISA-YYYY-NNNN. Writers queue for it: on PostgreSQL behind an advisory lock
    held to the end of the transaction, on SQLite behind BEGIN IMMEDIATE.

    The year's highest number is not its highest reference as text: past 9999 the numbers
    grow a digit, and "ISA-2026-9999" sorts after "ISA-2026-10000" (the 10,001st agreement
    of a year was given the 10,000th's reference, and refused). So the number follows
    the year's newest agreement (the highest id: references are given in the order rows
    are made, under the lock), or the highest as text when that is higher; each is one
    read of an index."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": REFERENCE_LOCK_KEY})
    prefix = f"ISA-{year}-"
    of_year = Agreement.reference.like(prefix + "%")
    newest = session.scalar(
        select(Agreement.reference).where(of_year).order_by(Agreement.id.desc()).limit(1)
    )
    highest = session.scalar(select(func.max(Agreement.reference)).where(of_year))
    number = max((int(r.rsplit("-", 1)[1]) for r in (newest, highest) if r), default=0) + 1
    return reference_for(year, number)


def write_content(version: AgreementVersion, content: Content) -> None:
    """Store validated content on a draft version (dates are known by then)."""
    if content.effective_from is None or content.review_date is None:
        raise ValidationFailed({"effective_from": "Enter the date the agreement takes effect"})
    version.title = content.title
    version.data_subjects = content.data_subjects
    version.retention = content.retention
    version.security = content.security
    version.effective_from = content.effective_from
    version.review_date = content.review_date
    version.review_period_months = content.review_period_months
    version.end_date = content.end_date
    version.purpose_rows = [VersionPurpose(purpose_code=c) for c in content.purposes]
    version.category_rows = [VersionCategory(category_code=c) for c in content.data_categories]
    version.basis_rows = [VersionBasis(basis_code=c) for c in content.lawful_bases]
    version.transfer_method_rows = [
        VersionTransferMethod(method_code=c) for c in content.transfer_methods
    ]
    version.frequency = Frequency(content.frequency) if content.frequency else None
    version.frequency_detail = content.frequency_detail
    version.data_items = list(content.data_items)
    version.dpia_reference = content.dpia_reference
    version.dpia_completed_on = content.dpia_completed_on
    version.dpia_outcome = DpiaOutcome(content.dpia_outcome) if content.dpia_outcome else None
    version.dpia_link = content.dpia_link
    version.controller_relationship = (
        ControllerRelationship(content.controller_relationship)
        if content.controller_relationship
        else None
    )
    existing = {p.agency_id: p for p in version.parties}
    parties = []
    for terms in content.parties:
        party = existing.get(terms.agency_id) or Party(agency_id=terms.agency_id)
        party.may_disclose, party.may_receive = terms.may_disclose, terms.may_receive
        party.role = terms.role
        parties.append(party)
    version.parties = parties


def audit_view(version: AgreementVersion) -> dict[str, Any]:
    data = canonical(
        content_of(version), reference=version.agreement.reference, version=version.number
    )
    data.update(status=version.status.value, review_date=version.review_date.isoformat())
    return data


@writes
def create_draft(
    session: Session, actor: Actor, data: dict[str, Any], *, now: datetime
) -> Agreement:
    """A new agreement as version 1, draft. Every tier rule is checked on saving."""
    tier, owner_id = data.get("tier"), data.get("owner_agency_id")
    fields: dict[str, str] = {}
    if not isinstance(tier, int) or tier not in (1, 2, 3):
        fields["tier"] = "Choose tier 1, 2 or 3"
    if not isinstance(owner_id, int):
        fields["owner_agency_id"] = "Choose the agency that owns this agreement"
    elif session.get(Agency, owner_id) is None:
        fields["owner_agency_id"] = f"There is no agency with id {owner_id}"
    if fields or not isinstance(tier, int) or not isinstance(owner_id, int):
        raise ValidationFailed(fields)
    policy.require(
        policy.may_draft(actor, tier, owner_id),
        "Only the owning agency's information governance lead can draft this "
        "agreement" + (" (or the administrator, for a tier 1 protocol)" if tier == 1 else ""),
    )
    content = build_content(data, tier=tier, owner_agency_id=owner_id)
    validate(session, content, now.astimezone(LONDON).date())
    agreement = Agreement(
        reference=_next_reference(session, now.year),
        tier=tier,
        parent_id=content.parent_id,
        owner_agency_id=owner_id,
        created_at=now,
    )
    version = AgreementVersion(number=1, status=VersionStatus.DRAFT, created_at=now)
    write_content(version, content)
    agreement.versions.append(version)
    session.add(agreement)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="agreement.create",
        entity_type="agreement",
        entity_id=agreement.id,
        before=None,
        after=audit_view(version),
        now=now,
    )
    session.commit()
    return agreement


@writes
def update_draft(
    session: Session,
    actor: Actor,
    agreement_id: int,
    data: dict[str, Any],
    *,
    now: datetime,
    lock_version: int | None = None,
) -> Agreement:
    """Edit the open draft; fields not given keep their values. With `lock_version` (what
    the editor was shown), an edit saved by someone else since then is a conflict, not
    silently overwritten."""
    agreement = get_agreement(session, agreement_id, lock=True)
    if lock_version is not None and lock_version != agreement.lock_version:
        raise Conflict(
            f"Someone else saved changes to {agreement.reference} after you "
            "opened it. Your changes are not saved yet: check them against the "
            "draft as it is now, then save again.",
            code="edit_conflict",
        )
    policy.require(
        policy.may_manage_agreement(actor, agreement.tier, agreement.owner_agency_id),
        f"Only the owning agency's information governance lead can edit {agreement.reference}",
    )
    version = agreement.latest
    check_can_edit(version.status, agreement.reference, version.number)
    day = now.astimezone(LONDON).date()
    check_not_ended(agreement.reference, agreement.terminates_on, day)
    changes = {k: v for k, v in data.items() if k in CONTENT_FIELDS}
    if (
        "parent_id" in changes
        and version.number > 1
        and changes["parent_id"] != agreement.parent_id
    ):
        raise ValidationFailed({"parent_id": "The parent agreement cannot change in an amendment"})
    before = audit_view(version)
    content = build_content(
        changes,
        tier=agreement.tier,
        owner_agency_id=agreement.owner_agency_id,
        base=content_of(version),
    )
    validate_version(session, agreement, content, day)
    agreement.parent_id = content.parent_id
    write_content(version, content)
    flag_modified(agreement, "parent_id")  # every edit moves lock_version on
    session.flush()
    if audit_view(version) != before:
        # The content changed since it was last submitted (a declined version being
        # edited): its old fingerprint, and the signatures of it, no longer describe it.
        # Submitting fingerprints it afresh.
        version.content_sha256 = None
    after = audit_view(version)
    if after != before:
        audit.record(
            session,
            actor=actor,
            action="agreement.edit",
            entity_type="agreement",
            entity_id=agreement.id,
            before=before,
            after=after,
            now=now,
        )
    session.commit()
    return agreement
