"""The schema comes from migrations/ only, shows no drift, and holds invariants itself."""

import pytest
from flask_migrate import check
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from registry.extensions import db

from ..factories import activate, chain, make_agency, make_draft, party


def test_migrations_match_the_models_with_no_drift(app):
    check()  # `flask db check`: exits non-zero when autogenerate would write a migration


def test_the_drift_check_fails_when_the_schema_differs(app, session):
    session.execute(text("CREATE TABLE stray_table (id INTEGER PRIMARY KEY)"))
    session.commit()
    try:
        with pytest.raises(SystemExit):
            check()
    finally:
        session.execute(text("DROP TABLE stray_table"))
        session.commit()


def test_vocabularies_are_seeded_by_the_first_migration(session):
    codes = {r[0] for r in session.execute(text("SELECT code FROM purposes"))}
    assert {
        "child_protection_s47",
        "early_help",
        "mash_triage",
        "marac",
        "adult_safeguarding_s42",
    } <= codes
    special = {
        r[0] for r in session.execute(text("SELECT code FROM data_categories WHERE special"))
    }
    assert special == {"health", "ethnicity"}
    kinds = {r[0] for r in session.execute(text("SELECT DISTINCT kind FROM lawful_bases"))}
    assert kinds == {"art6", "art9", "sch1", "statute"}


def _raw(session, sql, **params):
    with pytest.raises(IntegrityError):
        session.execute(text(sql), params)
        session.flush()
    session.rollback()


def test_database_refuses_two_versions_in_force(session):
    a, b = make_agency(session), make_agency(session)
    _, tier2 = chain(session, a, b)
    version = tier2.latest
    _raw(
        session,
        "INSERT INTO agreement_versions (agreement_id, number, status, title, "
        "data_subjects, retention, security, effective_from, review_date, "
        "review_period_months, content_sha256, status_reason, created_at) VALUES "
        "(:a, 2, 'active', 't', '', '', '', '2026-01-01', '2027-01-01', 12, :h, '', "
        "'2026-01-01')",
        a=tier2.id,
        h=version.content_sha256,
    )


def test_database_refuses_bad_rows(session):
    a = make_agency(session)
    _raw(
        session,
        "INSERT INTO agreements (reference, tier, parent_id, owner_agency_id, "
        "created_at, lock_version) VALUES ('ISA-2026-9999', 2, NULL, :o, '2026-01-01', 1)",
        o=a.id,
    )  # a tier 2 needs a parent
    _raw(
        session,
        "INSERT INTO agreements (reference, tier, owner_agency_id, created_at, "
        "lock_version) VALUES ('ISA-2026-9998', 4, :o, '2026-01-01', 1)",
        o=a.id,
    )
    _raw(
        session,
        "INSERT INTO officers (agency_id, role, name, job_title, email, started_on, "
        "ended_on, created_at) VALUES (:o, 'dpo', 'x', 'y', 'z@example.org', '2026-02-01', "
        "'2026-01-01', '2026-01-01')",
        o=a.id,
    )
    _raw(
        session,
        "INSERT INTO agencies (name, kind, ico_registration, created_at, updated_at)"
        " VALUES ('Bank', 'bank', 'Z0000009', '2026-01-01', '2026-01-01')",
    )


def test_a_signature_must_come_from_a_party(session):
    a, b, c = make_agency(session), make_agency(session), make_agency(session)
    protocol = activate(session, make_draft(session, tier=1, owner=a, parties=[party(a), party(b)]))
    user_id = session.execute(text("SELECT id FROM users LIMIT 1")).scalar()
    _raw(
        session,
        "INSERT INTO signatures (version_id, agency_id, user_id, signatory_name, "
        "job_title, agency_name, content_sha256, signed_at) VALUES "
        "(:v, :c, :u, 'x', 'y', 'z', :h, '2026-01-01')",
        v=protocol.latest.id,
        c=c.id,
        u=user_id,
        h=protocol.latest.content_sha256,
    )


def test_sqlite_enforces_foreign_keys(app, session):
    if db.engine.dialect.name == "sqlite":
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_the_migration_seals_secrets_kept_before_it_and_back(tmp_path, instance_dir):
    """Two-factor secrets stored as they were, before secrets were sealed, are sealed by
    the upgrade (and opened again by the downgrade), so nobody has to enrol again."""
    from flask_migrate import downgrade, upgrade

    from registry import create_app
    from registry.services.two_factor import unseal
    from registry.web.settings import totp_key

    from ..conftest import _config

    app = create_app(_config(f"sqlite:///{tmp_path / 'old.db'}", instance_dir))
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with app.app_context():
        upgrade(revision="b479781e6c98")
        db.session.execute(
            text(
                "INSERT INTO users (id, email, name, job_title, password_hash, active, "
                "session_epoch, created_at, totp_secret, failed_sign_ins) VALUES "
                f"(5, 'old@example.org', 'Old', '', 'x', 1, 0, '2026-01-01', '{secret}', 0)"
            )
        )
        db.session.commit()
        stored = lambda: db.session.execute(  # noqa: E731
            text("SELECT totp_secret FROM users WHERE id = 5")
        ).scalar_one()
        upgrade()
        sealed = stored()
        assert secret not in sealed and unseal(sealed, 5, totp_key()) == secret
        db.session.remove()
        downgrade(revision="b479781e6c98")
        assert stored() == secret
        db.session.remove()
        db.engine.dispose()
