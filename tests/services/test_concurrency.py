"""Writers racing for the same sequence numbers get distinct ones (PostgreSQL and SQLite)."""

import threading

from registry.extensions import db
from registry.models import Agreement, AuditEntry

from ..factories import ADMIN, FIXED_NOW, TODAY, make_agency


def test_concurrent_drafts_get_distinct_references_and_an_unbroken_audit_chain(app, session):
    from registry.services import agreements
    from registry.services.audit import verify

    owner = make_agency(session)
    owner_id = owner.id
    errors: list[Exception] = []
    start = threading.Barrier(6)

    def draft(n: int) -> None:
        with app.app_context():
            try:
                start.wait()
                agreements.create_draft(db.session, ADMIN, {
                    "tier": 1, "owner_agency_id": owner_id, "title": f"Protocol {n}",
                    "effective_from": TODAY,
                    "parties": [{"agency_id": owner_id, "may_disclose": True,
                                 "may_receive": True}]}, now=FIXED_NOW)
            except Exception as exc:  # noqa: BLE001 (collected and asserted on below)
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=draft, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    session.rollback()
    references = sorted(a.reference for a in session.query(Agreement))
    assert references == [f"ISA-2026-{n:04d}" for n in range(1, 7)]
    assert session.query(AuditEntry).count() == 7  # the agency and six drafts
    assert verify(session) is None
