"""Revision c5a9d3f7e2b1 gives the tokens made before it an expiry, 90 days after it runs,
marks no existing account as the demo's, and goes back down cleanly."""

from datetime import UTC, datetime, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from registry import create_app
from registry.extensions import db

BEFORE = "b8e4f2a6d1c3"


def test_existing_tokens_get_an_expiry_and_no_account_becomes_a_demo_one(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}",
            "INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "test-secret-key",
            "TESTING": True,
        }
    )
    with app.app_context():
        upgrade(revision=BEFORE)
        db.session.execute(
            text(
                "INSERT INTO users (id, email, name, job_title, password_hash, active, "
                "session_epoch, failed_sign_ins, created_at) VALUES (1, "
                "'ig.lead.council@northshire.example', 'Old', '', 'x', 1, 0, 0, "
                "'2026-01-01 00:00:00.000000')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO api_tokens (user_id, token_sha256, created_at) "
                "VALUES (1, :digest, '2026-01-01 00:00:00.000000')"
            ),
            {"digest": "a" * 64},
        )
        db.session.commit()
        started = datetime.now(UTC)
        upgrade()
        expires, hint, name = db.session.execute(
            text("SELECT expires_at, hint, name FROM api_tokens")
        ).one()
        expires = datetime.fromisoformat(expires).replace(tzinfo=UTC)
        assert started + timedelta(days=90) <= expires <= datetime.now(UTC) + timedelta(days=90)
        assert (hint, name) == ("", "")
        assert db.session.execute(text("SELECT demo_account FROM users")).scalar_one() == 0
        db.session.commit()
        downgrade(revision=BEFORE)
        columns = {r[1] for r in db.session.execute(text("PRAGMA table_info(api_tokens)"))}
        assert "expires_at" not in columns and "token_sha256" in columns
        db.session.remove()
        db.engine.dispose()
