"""Writers racing for the same sequence numbers get distinct ones (PostgreSQL and SQLite)."""

from registry.extensions import db
from registry.models import Agreement, AuditEntry
from registry.services import signing

from ..factories import ADMIN, FIXED_NOW, TODAY, make_agency
from ..racing import race


def test_concurrent_drafts_get_distinct_references_and_an_unbroken_audit_chain(app, session):
    from registry.services import agreements
    from registry.services.audit import verify

    owner = make_agency(session)
    owner_id = owner.id

    def draft(n: int) -> None:
        agreements.create_draft(
            db.session,
            ADMIN,
            {
                "tier": 1,
                "owner_agency_id": owner_id,
                "title": f"Protocol {n}",
                "effective_from": TODAY,
                "parties": [{"agency_id": owner_id, "may_disclose": True, "may_receive": True}],
            },
            now=FIXED_NOW,
        )

    errors = race(app, draft, range(6))
    assert errors == []
    session.rollback()
    references = sorted(a.reference for a in session.query(Agreement))
    assert references == [f"ISA-2026-{n:04d}" for n in range(1, 7)]
    assert session.query(AuditEntry).count() == 7  # the agency and six drafts
    assert verify(session) is None


def test_eight_signers_racing_on_each_of_fifty_agreements(app, session):
    """Every party's signatory signs at the same moment: each agreement becomes active
    exactly once and keeps all eight signatures (the agreement row is locked while a
    signature is added, so the last signer always sees the other seven)."""
    from registry.models import Signature
    from registry.services import agreement_lifecycle
    from registry.services.audit import verify

    from ..factories import activate, ig_lead_actor, make_draft, party, signatory_for

    rounds = 50 if db.engine.dialect.name == "postgresql" else 5
    agencies = [make_agency(session, name=f"Party {n}") for n in range(8)]
    protocol = activate(
        session,
        make_draft(session, tier=1, owner=agencies[0], parties=[party(a) for a in agencies]),
    )
    signers = [signatory_for(session, a).actor() for a in agencies]
    drafts = []
    for n in range(rounds):
        draft = make_draft(
            session,
            owner=agencies[0],
            parent=protocol,
            parties=[party(a) for a in agencies],
            title=f"Race {n}",
        )
        agreement_lifecycle.submit(session, ig_lead_actor(agencies[0]), draft.id, now=FIXED_NOW)
        drafts.append(draft.id)
    session.rollback()

    for agreement_id in drafts:

        def sign(signer, agreement_id=agreement_id):
            signing.sign(db.session, signer, agreement_id, proof="password", now=FIXED_NOW)

        assert race(app, sign, signers) == []

    session.rollback()
    for agreement_id in drafts:
        agreement = session.get(Agreement, agreement_id)
        assert agreement.latest.status.value == "active"
        signed = session.query(Signature).filter_by(version_id=agreement.latest.id).count()
        assert signed == 8
        activations = (
            session.query(AuditEntry)
            .filter_by(entity_type="agreement", entity_id=agreement_id, action="agreement.activate")
            .count()
        )
        assert activations == 1
    assert verify(session) is None
