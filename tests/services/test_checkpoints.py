"""Signed checkpoints anchor the ends of the hash chains (issue 15 point 8): cutting the
end off a chain, or rewriting an entry and re-hashing every later one, passes the chain's
own check but not verify-audit."""

from sqlalchemy import text

from registry.domain.chain import entry_hash
from registry.extensions import db
from registry.models import AuditEntry, ChainCheckpoint
from registry.services import audit, checkpoints

from ..factories import make_agency
from ..tamper import tamper
from .test_cli import run


def behind_the_back(session, *statements: str) -> None:
    """Change rows as someone with the database (not the seal key) could."""
    tamper(session, ("audit_entries", "chain_checkpoints"), *statements)


def rehash_audit_trail(session, start: int) -> None:
    """Recompute every audit entry's hashes from `start` on, so that the chain verifies on
    its own after an entry was changed."""
    previous = "0" * 64
    for entry in session.query(AuditEntry).order_by(AuditEntry.sequence).all():
        if entry.sequence >= start:
            new = entry_hash(audit.audit_content(entry), previous)
            behind_the_back(
                session,
                f"UPDATE audit_entries SET previous_hash = '{previous}', entry_hash = '{new}' "
                f"WHERE sequence = {entry.sequence}",
            )
            previous = new
        else:
            previous = entry.entry_hash
    session.expire_all()


def some_history(session, count: int = 4) -> None:
    for n in range(count):
        make_agency(session, name=f"Agency {n}")


def test_verify_audit_signs_a_checkpoint_and_checks_against_it(app, session):
    some_history(session)
    first = run(app, "verify-audit")
    assert first.exit_code == 0, first.output
    [row] = session.query(ChainCheckpoint).all()
    assert (row.chain, row.sequence, row.reason) == ("audit", 4, "verify-audit")
    again = run(app, "verify-audit")
    assert again.exit_code == 0 and session.query(ChainCheckpoint).count() == 1


def test_cutting_the_end_off_the_chain_is_detected(app, session):
    some_history(session)
    assert run(app, "verify-audit").exit_code == 0
    behind_the_back(session, "DELETE FROM audit_entries WHERE sequence > 2")
    assert audit.verify(session) is None  # the chain alone still verifies
    result = run(app, "verify-audit")
    assert result.exit_code == 1
    assert "The audit trail ends at entry 2, but a signed checkpoint" in result.output
    assert "records entry 4: entries were removed from the end" in result.output


def test_rewriting_an_entry_and_rehashing_the_rest_is_detected(app, session):
    some_history(session)
    assert run(app, "verify-audit").exit_code == 0
    behind_the_back(session, "UPDATE audit_entries SET actor_name = 'someone' WHERE sequence = 2")
    # ... and the chain re-hashed from there, so that it verifies on its own.
    rehash_audit_trail(session, start=2)
    assert audit.verify(session) is None
    result = run(app, "verify-audit")
    assert result.exit_code == 1
    assert "entry 4 is not the one a signed checkpoint" in result.output
    assert "it was rewritten, and the chain re-hashed after it" in result.output


def test_a_checkpoint_not_signed_by_the_seal_key_is_named(app, session):
    some_history(session)
    assert run(app, "verify-audit").exit_code == 0
    behind_the_back(session, "UPDATE chain_checkpoints SET sequence = 3")
    result = run(app, "verify-audit")
    assert result.exit_code == 1
    assert "is not signed by the registry's seal key" in result.output


def test_deleting_the_checkpoints_is_noticed(app, session):
    some_history(session)
    assert run(app, "verify-audit").exit_code == 0
    behind_the_back(
        session,
        "DELETE FROM audit_entries WHERE sequence > 2",
        "DELETE FROM chain_checkpoints",
    )
    result = run(app, "verify-audit")
    assert result.exit_code == 1
    assert "signed checkpoints were removed: this server last saw one at entry 4" in result.output


def test_a_checkpoint_every_n_entries_and_at_each_backup(app, session, tmp_path):
    app.config["CHAIN_CHECKPOINT_EVERY"] = 2
    some_history(session, 5)
    rows = session.query(ChainCheckpoint).order_by(ChainCheckpoint.id).all()
    assert [(r.sequence, r.reason) for r in rows] == [
        (2, "every 2 entries"),
        (4, "every 2 entries"),
    ]
    assert not checkpoints.check(session)
    if db.engine.dialect.name == "sqlite":
        assert run(app, "backup", str(tmp_path / "copy.db")).exit_code == 0
        session.expire_all()
        newest = session.query(ChainCheckpoint).order_by(ChainCheckpoint.id.desc()).first()
        assert (newest.sequence, newest.reason) == (5, "backup")


def test_checkpoints_are_append_only(app, session):
    import pytest
    from sqlalchemy.exc import DatabaseError

    some_history(session)
    assert run(app, "verify-audit").exit_code == 0
    with pytest.raises(DatabaseError):
        session.execute(text("DELETE FROM chain_checkpoints"))
        session.commit()
    session.rollback()


def test_rewriting_from_the_first_entry_and_removing_the_checkpoints_is_detected(app, session):
    """The attack a review found: change entry 1, re-hash the whole chain, delete every
    checkpoint. The note this server keeps no longer matches the trail's first entry."""
    some_history(session)
    assert run(app, "verify-audit").exit_code == 0
    behind_the_back(
        session,
        "UPDATE audit_entries SET actor_name = actor_name || ' ' WHERE sequence = 1",
        "DELETE FROM chain_checkpoints",
    )
    rehash_audit_trail(session, start=1)
    assert audit.verify(session) is None
    result = run(app, "verify-audit")
    assert result.exit_code == 1
    assert "first entry is not the one this server last checked" in result.output
    assert session.query(ChainCheckpoint).count() == 0  # nothing signed over the forgery


def test_the_admin_page_checks_the_chains_against_their_checkpoints(app, session, client):
    from ..factories import make_admin

    admin = make_admin(session)
    some_history(session)
    assert run(app, "verify-audit").exit_code == 0
    behind_the_back(session, "DELETE FROM audit_entries WHERE sequence > 3")
    client.sign_in(admin)  # (signing in adds no audit entry)
    page = " ".join(client.page("/admin/audit").get_text().split())
    assert "entries were removed from the end" in page
    assert "Integrity checked for the audit trail" not in page
