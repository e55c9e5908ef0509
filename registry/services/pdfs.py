"""Agreement PDFs from the database: a version as the plain values its PDF shows (`build`),
its sealed copy issued when it comes into force (`issue_sealed`), the copies issued, and
their renewal: a fresh document timestamp before the last one's certificate expires
(`renewal_due`, `renew_issued`), which keeps a long-term seal checkable for decades.

registry/pdf/ renders and seals plain values; this module reads the agreement and the
settings and passes them in. WeasyPrint and pyHanko are imported inside the functions
that render or seal, so importing the services (or building the app) never loads them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import LONDON
from ..database import begin_write
from ..domain.agreements import CHANGE_NAMES, diff
from ..domain.dates import long_date
from ..domain.lifecycle import StatusSettings
from ..domain.vocab import (
    CONTROLLER_RELATIONSHIP_HINTS,
    IN_FORCE,
    RECORD_LABELS,
    TIER_LABELS,
    EffectiveStatus,
    OfficerRole,
    VersionStatus,
)
from ..models import Agreement, AgreementVersion, IssuedPdf
from . import vocabularies
from .agreement_reads import content_of, get_version

if TYPE_CHECKING:
    from ..pdf.isolated import Limits

SIGNED_BY = "Signed in the agreement registry by a signed-in authorised signatory"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    return f"{long_date(local.date())} at {local.strftime('%H:%M')}"


def _behalf(signature) -> str:
    """The signatory a delegate signed for, as they were then ("" when none)."""
    if signature is None or not signature.on_behalf_of_name:
        return ""
    title = signature.on_behalf_of_job_title
    return signature.on_behalf_of_name + (f", {title}" if title else "")


def _method(proof: object, *, delegate: bool) -> str:
    """How the signature was given, for the evidence page: who signed in, and the fresh
    proof of identity given at the signing (services/signing.py)."""
    from .signing import PROOF_WORDS

    who = (
        "Signed in the agreement registry by a signed-in delegate of an authorised signatory"
        if delegate
        else SIGNED_BY
    )
    words = PROOF_WORDS.get(str(proof))
    return f"{who}, {words}" if words else who


def _officer(agency, role: OfficerRole, day: date) -> str:
    """Who held the role on `day` (the version's effective date), and since when."""
    for officer in agency.officers_on(day):
        if officer.role == role:
            return f"{officer.name}, {officer.job_title}, since {long_date(officer.started_on)}"
    return "Not recorded"


def _partnership() -> str:
    try:
        return current_app.config.get("PARTNERSHIP_NAME") or "partnership's"
    except RuntimeError:  # outside the app (a benchmark rendering plain values)
        return "partnership's"


def _registry_url() -> str:
    """Where the registry answers (REGISTRY_URL): printed on the PDF, so that a reader of
    a copy years later knows where to check it and fetch the CA certificate."""
    from ..pdf.keys import DEFAULT_REGISTRY_URL

    try:
        return (current_app.config.get("REGISTRY_URL") or DEFAULT_REGISTRY_URL).rstrip("/")
    except RuntimeError:  # outside the app (a benchmark rendering plain values)
        return DEFAULT_REGISTRY_URL


def _direction(terms) -> str:
    if terms.may_disclose and terms.may_receive:
        return "may disclose and receive"
    return "may disclose only" if terms.may_disclose else "may receive only"


def _history(agreement: Agreement, upto: int, labels: dict[str, dict[str, str]]) -> list[dict]:
    # Parties are named, never shown by their ids.
    names = {p.agency_id: p.agency.name for v in agreement.versions for p in v.parties}
    history = []
    previous: AgreementVersion | None = None
    for version in agreement.versions:
        if version.number > upto:
            break
        if previous is None:
            changes = ["First version"]
        else:
            changes = []
            for change in diff(content_of(previous), content_of(version)):
                name = CHANGE_NAMES.get(change.field, change.field.replace("_", " "))
                if change.field == "party_terms":
                    who = names.get(change.after.agency_id, "A party")
                    changes.append(
                        f"{who}: {_direction(change.before)}, now {_direction(change.after)}"
                    )
                elif change.added or change.removed:
                    vocab: Mapping[Any, str] = (
                        names if change.field == "parties" else labels.get(change.field, {})
                    )
                    parts = [f"added {vocab.get(c, c)}" for c in change.added] + [
                        f"removed {vocab.get(c, c)}" for c in change.removed
                    ]
                    changes.append(f"{name[:1].upper()}{name[1:]}: {', '.join(map(str, parts))}")
                elif change.field in RECORD_LABELS:
                    words = RECORD_LABELS[change.field]
                    changes.append(
                        f"{name}: {words.get(change.before or '', 'not recorded')}, now "
                        f"{words.get(change.after or '', 'not recorded')}"
                    )
                else:
                    changes.append(f"{name[:1].upper()}{name[1:]} changed")
            changes = changes or ["No change to the content"]
        history.append(
            {
                "number": version.number,
                "status": version.status.value.replace("_", " "),
                "created": _when(version.created_at),
                # In force from its effective date (as the coverage check reads it); the
                # moment the last signature made it active is printed beside it.
                "in_force_from": long_date(version.effective_from) if version.activated_at else "",
                "activated": _when(version.activated_at),
                "changes": changes,
            }
        )
        previous = version
    return history


def _withdrawals(session: Session, agreement: Agreement, version) -> list[dict[str, str]]:
    """The notices of withdrawal of this version's parties: printed on the evidence page (a
    notice, and its cancellation, re-seal the version in force)."""
    from .agreement_lifecycle import notices

    parties = {p.agency_id for p in version.parties}
    return [
        {
            "agency": n.agency,
            "from": long_date(n.effective_on),
            "reason": n.reason or "None recorded",
            "given_by": n.given_by,
            "given_at": _when(n.given_at),
        }
        for n in notices(session, agreement, None)
        if n.agency_id in parties
    ]


def _lower_first(words: str) -> str:
    return words[:1].lower() + words[1:]


def _tier3(version: AgreementVersion, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    """How often, how and exactly what a tier 3 shares, in words."""
    often = RECORD_LABELS["frequency"][version.frequency] if version.frequency else "Not recorded"
    if version.frequency and version.frequency_detail:
        often += f": {version.frequency_detail}"
    return {
        "frequency": often,
        "transfer_methods": [
            labels["transfer_methods"].get(c, c) for c in version.transfer_methods
        ],
        "data_items": list(version.data_items or []),
    }


def build(session: Session, agreement: Agreement, number: int | None = None) -> dict[str, Any]:
    version = get_version(agreement, number) if number else agreement.latest
    labels = vocabularies.labels(session)
    parent = agreement.parent
    signatures = {
        s.agency_id: s for s in version.signatures if s.content_sha256 == version.content_sha256
    }
    parties = []
    for party in version.parties:
        agency = party.agency
        signature = signatures.get(party.agency_id)
        parties.append(
            {
                "agency": agency.name,
                "ico": agency.ico_registration,
                "role": party.role or "Party",
                "disclose": "Yes" if party.may_disclose else "No",
                "receive": "Yes" if party.may_receive else "No",
                "lead_officer": _officer(
                    agency, OfficerRole.LEAD_INFORMATION_OFFICER, version.effective_from
                ),
                "caldicott": _officer(
                    agency, OfficerRole.CALDICOTT_GUARDIAN, version.effective_from
                ),
                "signed": signature is not None,
                "signatory": signature.signatory_name if signature else "",
                "job_title": signature.job_title if signature else "",
                "signed_at": _when(signature.signed_at) if signature else "",
                # A delegate's signature: "B on behalf of A" (services/delegations.py).
                "on_behalf_of": _behalf(signature),
                "proof": signature.proof if signature else None,
            }
        )
    fully_signed = bool(version.parties) and len(signatures) == len(version.parties)
    in_force_states = (VersionStatus.ACTIVE, VersionStatus.SUSPENDED, VersionStatus.SUPERSEDED)
    return {
        "reference": agreement.reference,
        "title": version.title,
        "tier": TIER_LABELS[agreement.tier],
        "version": version.number,
        "status": version.status.value.replace("_", " "),
        "parent": f"{parent.reference} {(parent.current or parent.latest).title}"
        if parent
        else "None: this is the partnership's overarching protocol",
        "owner": agreement.owner.name,
        "parties": parties,
        "purposes": [labels["purposes"].get(c, c) for c in version.purposes],
        "data_categories": [labels["data_categories"].get(c, c) for c in version.data_categories],
        "lawful_bases": vocabularies.in_reading_order(version.lawful_bases, labels["lawful_bases"]),
        "data_subjects": version.data_subjects or "Not stated",
        "retention": version.retention or "Not stated",
        "security": version.security or "Not stated",
        "controllers": (
            f"{RECORD_LABELS['controller_relationship'][version.controller_relationship]}: "
            f"{_lower_first(CONTROLLER_RELATIONSHIP_HINTS[version.controller_relationship])}."
            if version.controller_relationship
            else "Not recorded."
        ),
        "tier3": _tier3(version, labels) if agreement.tier == 3 else None,
        "dpia": (
            {
                "reference": version.dpia_reference,
                "completed_on": long_date(version.dpia_completed_on)
                if version.dpia_completed_on
                else "Not recorded",
                "outcome": RECORD_LABELS["dpia_outcome"].get(
                    version.dpia_outcome or "", "Not recorded"
                ),
                "link": version.dpia_link,
            }
            if version.dpia_reference
            else None
        ),
        "effective_from": long_date(version.effective_from),
        "review_date": long_date(version.review_date),
        "review_period": version.review_period_months,
        "end_date": long_date(version.end_date) if version.end_date else None,
        "history": _history(agreement, version.number, labels),
        "evidence": [
            {
                "who": p["signatory"],
                "job_title": p["job_title"],
                "for": (
                    f"{p['agency']}, on behalf of {p['on_behalf_of']}"
                    if p["on_behalf_of"]
                    else p["agency"]
                ),
                "when": p["signed_at"],
                "method": _method(p["proof"], delegate=bool(p["on_behalf_of"])),
                "sha256": version.content_sha256,
            }
            for p in parties
            if p["signed"]
        ],
        "withdrawals": _withdrawals(session, agreement, version),
        "content_sha256": version.content_sha256 or "Set when the draft is submitted",
        "draft": not (fully_signed and version.status in in_force_states),
        "sealed_by": f"the {_partnership()} agreement registry",
        "registry_url": _registry_url(),
    }


def render_version(
    session: Session, agreement: Agreement, number: int, *, static_folder: str | None = None
) -> bytes:
    """The version's PDF rendered now, unsealed, with its terms as JSON-LD inside it
    (services/terms.py) once its content is fixed. It may use files under
    `static_folder` (by default the current app's static folder) and nothing else."""
    from ..pdf.render import TEMPLATE_DIR, render_pdf
    from .terms import terms_bytes

    folder = static_folder or current_app.static_folder or str(TEMPLATE_DIR)
    version = get_version(agreement, number)
    # A draft's terms may still change: only a submitted version's travel with it.
    terms = terms_bytes(session, agreement, version) if version.submitted_at else None
    return render_pdf(
        build(session, agreement, number),
        static_folder=folder,
        terms=terms,
        terms_modified=version.submitted_at,
    )


def issue_sealed(
    session: Session,
    agreement: Agreement,
    version: AgreementVersion,
    *,
    now: datetime,
    config: Mapping[str, Any] | None = None,
    static_folder: str | None = None,
) -> IssuedPdf | None:
    """Render, seal (a long-term seal: timestamped, with its validation data and a
    document timestamp, which asks the timestamp authority twice) and store the version's
    PDF (in the caller's transaction). Answers None when SEAL_ON_ACTIVATION is off (a
    setting for test suites that do not look at PDFs). `config` holds SEAL_ON_ACTIVATION,
    the seal's keys (see pdf/keys.py), the timestamp authority (pdf/trust.py) and
    PARTNERSHIP_NAME; it and `static_folder` are the current app's unless given."""
    if config is None:
        config = current_app.config
    if not config.get("SEAL_ON_ACTIVATION", True):
        return None
    from ..pdf import seal
    from ..pdf.trust import trust_from_config

    session.flush()
    body = render_version(session, agreement, version.number, static_folder=static_folder)
    sealed = seal.seal(
        body,
        seal.keys_from_config(config),
        reference=agreement.reference,
        version=version.number,
        location=config["PARTNERSHIP_NAME"],
        trust=trust_from_config(config),
    )
    row = _issued(agreement.id, version.number, version.review_date, sealed, now)
    session.add(row)
    return row


def _issued(agreement_id: int, number: int, review_date: date, pdf: bytes, now: datetime):
    """A sealed copy as the registry records issuing it: by its SHA-256, /verify knows it."""
    return IssuedPdf(
        agreement_id=agreement_id,
        version_number=number,
        review_date=review_date,
        sha256=hashlib.sha256(pdf).hexdigest(),
        issued_at=now,
        pdf=pdf,
    )


def issued(session: Session, agreement_id: int) -> list[IssuedPdf]:
    """Every sealed PDF issued for the agreement, newest first (bytes not loaded)."""
    return list(
        session.scalars(
            select(IssuedPdf)
            .where(IssuedPdf.agreement_id == agreement_id)
            .order_by(IssuedPdf.id.desc())
        )
    )


def pdf_for(
    session: Session, agreement: Agreement, number: int, *, static_folder: str | None = None
) -> bytes:
    """A version's PDF: the sealed copy as last issued, or (for a version never issued,
    such as a draft) rendered now. An unknown version is NotFound."""
    version = get_version(agreement, number)
    stored = latest_for(session, agreement.id, version.number)
    if stored:
        return stored.pdf
    return render_version(session, agreement, number, static_folder=static_folder)


def latest_for(session: Session, agreement_id: int, number: int) -> IssuedPdf | None:
    return session.scalar(
        select(IssuedPdf)
        .where(IssuedPdf.agreement_id == agreement_id, IssuedPdf.version_number == number)
        .order_by(IssuedPdf.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class SealStanding:
    """Where the version a sealed PDF is stands today (SPEC section 7)."""

    in_force: bool
    message: str


@dataclass(frozen=True)
class PdfCheck:
    """What /verify and `verify-pdf` say of an uploaded PDF. `ok`: sealed by the registry,
    unchanged, and a copy the registry's own record says it issued; `agreement` ("ISA-2026-
    0002 version 1") and `standing` then come from that record. `checked` is False when
    the file was refused unchecked (too costly to check): a refusal, not a verdict.
    `sealed_on` ("6 December 2026 at 14:03", London time) is when the seal was made, from
    its timestamp; `level` says in words how long the seal stays checkable (PAdES level)."""

    ok: bool
    message: str
    agreement: str | None = None
    standing: SealStanding | None = None
    checked: bool = True
    sealed_on: str | None = None
    level: str | None = None


NOT_ISSUED = (
    "This PDF carries the registry's seal, but the registry has no record of issuing this "
    "exact file, so it cannot vouch for it. Do not rely on it: download a fresh copy from "
    "the registry."
)


def check_limits(config: Mapping[str, Any]) -> Limits:
    """The time and memory one check may take (VERIFY_SECONDS, VERIFY_MEMORY_MB)."""
    from ..pdf.isolated import Limits

    return Limits(seconds=config["VERIFY_SECONDS"], memory_mb=config["VERIFY_MEMORY_MB"])


def check_pdf(
    session: Session,
    data: bytes,
    *,
    today: date,
    settings: StatusSettings,
    config: Mapping[str, Any] | None = None,
) -> PdfCheck:
    """Check an uploaded PDF: its seal in a process of its own within the configured
    limits (pdf/isolated.py), then which agreement it is, by its SHA-256 in the registry's
    record of the copies it issued. Nothing the file says about itself is believed."""
    from ..pdf import isolated
    from ..pdf.keys import keys_from_config
    from ..pdf.trust import trust_from_config
    from ..pdf.verdict import LEVELS

    if config is None:
        config = current_app.config
    trust = trust_from_config(config)
    verdict = isolated.verify(
        data,
        keys_from_config(config),
        check_limits(config),
        trust.tsa_roots,
        trust.crls,
        fetch=trust.fetch,
    )
    if not verdict.ok:
        return PdfCheck(False, verdict.message, checked=verdict.checked)
    issued = session.execute(
        select(IssuedPdf.agreement_id, IssuedPdf.version_number, IssuedPdf.review_date)
        .where(IssuedPdf.sha256 == hashlib.sha256(data).hexdigest())
        .order_by(IssuedPdf.id)
        .limit(1)
    ).first()
    if issued is None:
        return PdfCheck(False, NOT_ISSUED)
    agreement = session.get(Agreement, issued.agreement_id)
    assert agreement is not None  # an issued copy's agreement is never deleted
    name = f"{agreement.reference} version {issued.version_number}"
    standing = seal_standing(
        agreement, issued.version_number, issued.review_date, today=today, settings=settings
    )
    return PdfCheck(
        True,
        f"Sealed by the registry and unchanged since: {name}.",
        name,
        standing,
        sealed_on=_when(verdict.signed_at) or None,
        level=LEVELS.get(verdict.level or ""),
    )


@dataclass(frozen=True)
class Due:
    """An issued copy whose last document timestamp's certificate expires soon (or has no
    document timestamp: sealed before long-term seals, or by hand)."""

    copy_id: int
    name: str  # "ISA-2026-0002 version 1"
    expires: datetime | None


def renewal_due(session: Session, *, now: datetime, within_days: int) -> list[Due]:
    """The latest issued copy of each agreement version whose last timestamp's certificate
    expires within `within_days` of `now`, oldest agreement first. Only the latest copy
    is renewed: earlier ones stay as issued, and still verify by their hash."""
    from ..pdf import seal

    latest = (
        select(func.max(IssuedPdf.id))
        .group_by(IssuedPdf.agreement_id, IssuedPdf.version_number)
        .scalar_subquery()
    )
    rows = session.execute(
        select(IssuedPdf.id, Agreement.reference, IssuedPdf.version_number)
        .join(Agreement, Agreement.id == IssuedPdf.agreement_id)
        .where(IssuedPdf.id.in_(latest))
        .order_by(IssuedPdf.agreement_id, IssuedPdf.version_number)
    ).all()
    horizon = now + timedelta(days=within_days)
    due = []
    for copy_id, reference, number in rows:
        pdf = session.scalar(select(IssuedPdf.pdf).where(IssuedPdf.id == copy_id))
        assert pdf is not None
        expires = seal.last_timestamp_expires(pdf)
        if expires is None or expires <= horizon:
            due.append(Due(copy_id, f"{reference} version {number}", expires))
    return due


class AlreadyRenewed(Exception):
    """Another run renewed the copy first: nothing to do."""


def renew_issued(
    session: Session, copy_id: int, *, now: datetime, config: Mapping[str, Any] | None = None
) -> IssuedPdf:
    """A new issued copy: the copy's bytes with the validation data for its last
    timestamp and a fresh document timestamp, stored as a new row (same agreement,
    version and review date; the new hash and `now`) and committed. Downloads serve it
    from now on; the earlier copy's hash stays on record, so copies already handed out
    still verify. Raises ValueError when the copy cannot be renewed (its last timestamp
    is no longer valid: renewal must come before that certificate expires)."""
    from ..pdf import seal
    from ..pdf.keys import keys_from_config
    from ..pdf.trust import trust_from_config

    if config is None:
        config = current_app.config
    copy = session.get(IssuedPdf, copy_id)
    if copy is None:
        raise ValueError(f"no issued copy {copy_id}")
    keys = keys_from_config(config)
    trust = trust_from_config(config)
    before = seal.last_timestamp_expires(copy.pdf)
    agreement_id, number = copy.agreement_id, copy.version_number
    renewed = seal.renew(copy.pdf, keys, trust)
    after = seal.last_timestamp_expires(renewed)
    if before is not None and (after is None or after <= before):
        # A timestamp under the same certificate proves nothing for longer: storing it
        # would only add a copy at every run.
        raise ValueError(
            "the timestamp authority's certificate expires no later than the one it would "
            f"renew ({before.date().isoformat()}): renewing now adds nothing. Ask the "
            "timestamp service for its renewed certificate, or set TSA_URL to one with a "
            "later expiry"
        )
    # Never store a copy that would not verify.
    verdict = seal.verify(renewed, keys, trust.tsa_roots, trust.crls, fetch=trust.fetch)
    if not verdict.ok:
        raise ValueError(f"the renewed copy does not verify: {verdict.message}")
    # Two renewals at once (a scheduled run on each of two servers) store one copy: the
    # copy renewed is locked, and must still be its version's latest.
    session.rollback()
    begin_write(session)
    session.execute(select(IssuedPdf.id).where(IssuedPdf.id == copy_id).with_for_update())
    latest = session.scalar(
        select(func.max(IssuedPdf.id)).where(
            IssuedPdf.agreement_id == agreement_id, IssuedPdf.version_number == number
        )
    )
    if latest != copy_id:
        session.rollback()
        raise AlreadyRenewed(f"copy {copy_id} was renewed meanwhile (as copy {latest})")
    copy = session.get(IssuedPdf, copy_id)
    assert copy is not None
    row = _issued(copy.agreement_id, copy.version_number, copy.review_date, renewed, now)
    session.add(row)
    session.commit()
    return row


def seal_standing(
    agreement: Agreement,
    number: int,
    issued_review_date: date,
    *,
    today: date,
    settings: StatusSettings,
) -> SealStanding:
    """A sealed copy is genuine whatever has happened since; this says whether the version
    it is (by the registry's record of issuing it) is still the one in force, and if
    not, why. `issued_review_date` is the review date printed on the copy."""
    from .agreement_reads import version_status

    reference = agreement.reference
    version = next(v for v in agreement.versions if v.number == number)
    this = f"{reference} version {number}"
    if version.status == VersionStatus.SUPERSEDED:
        later = next(
            (v for v in agreement.versions if v.number > number and v.activated_at is not None),
            None,
        )
        activated = later.activated_at if later else None
        since = f" on {long_date(activated.astimezone(LONDON).date())}" if activated else ""
        by = f"version {later.number}" if later else "a later version"
        # Name what applies now, which may be neither this version nor the one after it.
        current = agreement.current
        now_status = version_status(current, today, settings) if current else None
        if current is not None and now_status in IN_FORCE:
            now = f"Version {current.number} is the one in force now."
        elif current is not None and now_status is not None:
            state = now_status.value.replace("_", " ")
            now = f"No version of {reference} is in force now: version {current.number} is {state}."
        else:
            now = f"No version of {reference} is in force now."
        return SealStanding(False, f"{this} is no longer in force: {by} replaced it{since}. {now}")
    status = version_status(version, today, settings)
    words = {
        EffectiveStatus.ACTIVE: f"{this} is the version in force.",
        EffectiveStatus.REVIEW_DUE: f"{this} is the version in force; its review is due on "
        f"{long_date(version.review_date)}.",
        EffectiveStatus.REVIEW_OVERDUE: f"{this} is the version in force, but its review "
        f"was due on {long_date(version.review_date)} and has not been recorded.",
        EffectiveStatus.SCHEDULED: f"{this} is not yet in force: it takes effect on "
        f"{long_date(version.effective_from)}.",
        EffectiveStatus.SUSPENDED: f"{this} is suspended: it does not apply while suspended.",
        EffectiveStatus.TERMINATED: f"{this} has been terminated: it no longer applies.",
        EffectiveStatus.EXPIRED: f"{this} expired on {long_date(version.end_date)}: it no "
        "longer applies.",
        EffectiveStatus.LAPSED: f"{this} has lapsed: its review was due on "
        f"{long_date(version.review_date)} and was never recorded, so it no longer applies.",
    }
    message = words.get(status, f"{this} is {status.value.replace('_', ' ')}: it is not in force.")
    in_force = status in IN_FORCE
    if in_force and issued_review_date != version.review_date:
        # A review since has moved the review date printed on this copy.
        message += (
            f" Its review date is now {long_date(version.review_date)}: a copy showing "
            f"{long_date(issued_review_date)} is out of date, download the latest."
        )
    return SealStanding(in_force, message)
