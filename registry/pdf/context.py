"""An agreement version as the plain values its PDF shows (nothing lazy, nothing live)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..clock import LONDON
from ..domain.agreements import diff
from ..domain.dates import long_date
from ..domain.vocab import TIER_LABELS, OfficerRole, VersionStatus
from ..models import Agreement, AgreementVersion
from ..services import vocabularies
from ..services.agreement_reads import content_of, get_version

SIGNED_BY = "Signed in the agreement registry by a signed-in authorised signatory"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(LONDON)
    return f"{long_date(local.date())} at {local.strftime('%H:%M')}"


def _officer(agency, role: OfficerRole) -> str:
    for officer in agency.current_officers():
        if officer.role == role:
            return f"{officer.name}, {officer.job_title}"
    return "Not recorded"


def _history(agreement: Agreement, upto: int, labels: dict[str, dict[str, str]]) -> list[dict]:
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
                name = change.field.replace("_", " ")
                if change.added or change.removed:
                    vocab = labels.get(change.field, {})
                    parts = [f"added {vocab.get(c, c)}" for c in change.added] + [
                        f"removed {vocab.get(c, c)}" for c in change.removed
                    ]
                    changes.append(f"{name.capitalize()}: {', '.join(map(str, parts))}")
                else:
                    changes.append(f"{name.capitalize()} changed")
            changes = changes or ["No change to the content"]
        history.append(
            {
                "number": version.number,
                "status": version.status.value.replace("_", " "),
                "created": _when(version.created_at),
                "activated": _when(version.activated_at),
                "changes": changes,
            }
        )
        previous = version
    return history


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
                "lead_officer": _officer(agency, OfficerRole.LEAD_INFORMATION_OFFICER),
                "caldicott": _officer(agency, OfficerRole.CALDICOTT_GUARDIAN),
                "signed": signature is not None,
                "signatory": signature.signatory_name if signature else "",
                "job_title": signature.job_title if signature else "",
                "signed_at": _when(signature.signed_at) if signature else "",
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
        "lawful_bases": [labels["lawful_bases"].get(c, c) for c in version.lawful_bases],
        "data_subjects": version.data_subjects or "Not stated",
        "retention": version.retention or "Not stated",
        "security": version.security or "Not stated",
        "effective_from": long_date(version.effective_from),
        "review_date": long_date(version.review_date),
        "review_period": version.review_period_months,
        "end_date": long_date(version.end_date) if version.end_date else None,
        "history": _history(agreement, version.number, labels),
        "evidence": [
            {
                "who": p["signatory"],
                "job_title": p["job_title"],
                "on_behalf_of": p["agency"],
                "when": p["signed_at"],
                "method": SIGNED_BY,
                "sha256": version.content_sha256,
            }
            for p in parties
            if p["signed"]
        ],
        "content_sha256": version.content_sha256 or "Set when the draft is submitted",
        "draft": not (fully_signed and version.status in in_force_states),
    }
