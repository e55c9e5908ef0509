"""Writers racing for the same sequence numbers get distinct ones (PostgreSQL and SQLite)."""

from registry.extensions import db
from registry.models import Agreement, AuditEntry

from ..factories import ADMIN, FIXED_NOW, TODAY, make_agency
from ..racing import race


def test_concurrent_drafts_get_distinct_references_and_an_unbroken_audit_chain(app, session):
    from registry.services import agreements
    from registry.services.audit import verify

    owner = make_agency(session)
    owner_id = owner.id

    def draft(n: int) -> None:
        agreements.create_draft(db.session, ADMIN, {
            "tier": 1, "owner_agency_id": owner_id, "title": f"Protocol {n}",
            "effective_from": TODAY,
            "parties": [{"agency_id": owner_id, "may_disclose": True,
                         "may_receive": True}]}, now=FIXED_NOW)

    errors = race(app, draft, range(6))
    assert errors == []
    session.rollback()
    references = sorted(a.reference for a in session.query(Agreement))
    assert references == [f"ISA-2026-{n:04d}" for n in range(1, 7)]
    assert session.query(AuditEntry).count() == 7  # the agency and six drafts
    assert verify(session) is None
