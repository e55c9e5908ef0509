"""Model → JSON, in the shapes the answer models of web/api/contract.py describe."""

from __future__ import annotations

from typing import Any

from ...clock import today
from ...models import Agency, Agreement, AgreementVersion, Officer, Review, Signature, User
from ...services.agreement_reads import standing
from ..settings import status_settings


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "job_title": u.job_title,
        "agency_id": u.agency_id,
        "roles": sorted(r.value for r in u.roles),
        "active": u.active,
    }


def agency(a: Agency) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "kind": a.kind.value,
        "ico_registration": a.ico_registration,
        "ods_code": a.ods_code,
        "email": a.email,
        "phone": a.phone,
        "address": a.address,
    }


def officer(o: Officer) -> dict[str, Any]:
    return {
        "id": o.id,
        "agency_id": o.agency_id,
        "role": o.role.value,
        "name": o.name,
        "job_title": o.job_title,
        "email": o.email,
        "phone": o.phone,
        "started_on": _iso(o.started_on),
        "ended_on": _iso(o.ended_on),
    }


def agreement_detail(a: Agreement) -> dict[str, Any]:
    """One agreement's answer: as in lists, and the agreements directly under it that
    grant more than its latest version allows (warned of on submit and activation), and
    the versions whose sealed PDF is still being made or could not be made (its download
    answers 503 until it is ready)."""
    from ...extensions import db
    from ...services import sealing
    from ...services.agreements import children_beyond

    return {
        **agreement(a),
        "children_exceeding": [
            {"id": child.id, "reference": child.reference, "reasons": found}
            for child, found in children_beyond(db.session, a, today())
        ],
        "sealing": [
            {"version": number, "state": "failed" if found.failed else "being_sealed"}
            for number, found in sorted(sealing.outstanding(db.session, a.id).items())
        ],
    }


def agreement(a: Agreement) -> dict[str, Any]:
    """The latest version's content, with where the agreement stands today."""
    where = standing(a, today(), status_settings())
    v = a.latest
    withdrawn = {w.agency_id: w.effective_on for w in a.withdrawals}
    return {
        "id": a.id,
        "reference": a.reference,
        "lock_version": a.lock_version,
        "tier": a.tier,
        "parent_id": a.parent_id,
        "owner_agency_id": a.owner_agency_id,
        "version": v.number,
        "status": v.status.value,
        "effective_status": where.status.value,
        "in_force_version": where.in_force_version,
        "exceeds_parent": a.exceeds_parent,
        "title": v.title,
        "purposes": v.purposes,
        "data_categories": v.data_categories,
        "lawful_bases": v.lawful_bases,
        "data_subjects": v.data_subjects,
        "retention": v.retention,
        "security": v.security,
        "effective_from": _iso(v.effective_from),
        "review_date": _iso(v.review_date),
        "review_period_months": v.review_period_months,
        "end_date": _iso(v.end_date),
        "content_sha256": v.content_sha256,
        "terminates_on": _iso(a.terminates_on),
        "frequency": v.frequency.value if v.frequency else None,
        "frequency_detail": v.frequency_detail,
        "transfer_methods": v.transfer_methods,
        "data_items": list(v.data_items or []),
        "controller_relationship": (
            v.controller_relationship.value if v.controller_relationship else None
        ),
        "dpia_reference": v.dpia_reference,
        "dpia_completed_on": _iso(v.dpia_completed_on),
        "dpia_outcome": v.dpia_outcome.value if v.dpia_outcome else None,
        "dpia_link": v.dpia_link,
        "parties": [
            {
                "agency_id": p.agency_id,
                "agency_name": p.agency.name,
                "may_disclose": p.may_disclose,
                "may_receive": p.may_receive,
                "role": p.role,
                "signed": v.signature_for(p.agency_id) is not None,
                "signature": _signature_of(v, p.agency_id),
                "withdrawn_from": _iso(withdrawn.get(p.agency_id)),
            }
            for p in v.parties
        ],
        "withdrawals": withdrawals(a),
    }


def withdrawals(a: Agreement) -> list[dict[str, Any]]:
    """The parties' notices of withdrawal: who, from when, why, who gave notice."""
    from ...extensions import db
    from ...services.agreement_lifecycle import notices

    return [
        {
            "agency_id": n.agency_id,
            "agency_name": n.agency,
            "effective_on": n.effective_on.isoformat(),
            "reason": n.reason,
            "given_by": n.given_by,
            "given_at": _iso(n.given_at),
            "in_effect": n.in_effect,
        }
        for n in notices(db.session, a, today())
    ]


def version(v) -> dict[str, Any]:
    return {
        "version": v.number,
        "status": v.status.value,
        "created_at": _iso(v.created_at),
        "content_sha256": v.content_sha256,
    }


def _signature_of(v: AgreementVersion, agency_id: int) -> dict[str, Any] | None:
    found = v.signature_for(agency_id)
    return signature(found, v.number) if found is not None else None


def signature(s: Signature, number: int) -> dict[str, Any]:
    return {
        "agency_id": s.agency_id,
        "version": number,
        "signatory_name": s.signatory_name,
        "job_title": s.job_title,
        "signed_at": _iso(s.signed_at),
        "content_sha256": s.content_sha256,
        "proof": s.proof,
        "on_behalf_of": (
            {"name": s.on_behalf_of_name, "job_title": s.on_behalf_of_job_title or ""}
            if s.on_behalf_of_name
            else None
        ),
    }


def review(r: Review) -> dict[str, Any]:
    return {
        "id": r.id,
        "version": r.version_number,
        "outcome": r.outcome.value,
        "notes": r.notes,
        "reviewed_on": _iso(r.reviewed_on),
        "previous_review_date": _iso(r.previous_review_date),
        "new_review_date": _iso(r.new_review_date),
    }
