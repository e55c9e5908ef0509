"""seal two-factor secrets

Secrets kept before this revision were stored as they are; from here on they are sealed
under REGISTRY_TOTP_KEY (registry/services/two_factor.py). The sealed form fits the
column as it is (64 characters), so no table is rebuilt.

Revision ID: 5e0c1a7b2d94
Revises: b479781e6c98
Create Date: 2026-11-21 22:10:00

"""

import base64
import hashlib
import os

import sqlalchemy as sa
from alembic import op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

# revision identifiers, used by Alembic.
revision = "5e0c1a7b2d94"
down_revision = "b479781e6c98"
branch_labels = None
depends_on = None

_users = sa.table("users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


# A frozen copy of the sealing in registry/services/two_factor.py as it was when this
# revision was written (key_from_config, seal, unseal, _bound). A migration never imports
# the application: the application's code moves on with later revisions, and this one
# must go on writing, and reading, exactly the bytes it did when it was made (AES-256-GCM,
# a 12-byte random nonce, the user's id as associated data, URL-safe base64; the key the
# SHA-256 of a fixed label and REGISTRY_TOTP_KEY, or the secret key where that is unset).
# Do not change it to follow the application: a new way of sealing needs a new revision.
# The settings come from the Flask app that env.py runs the migrations under (its config,
# not its code).


def _key(config) -> bytes:
    configured = config.get("TOTP_KEY") or "secret key: " + config["SECRET_KEY"]
    return hashlib.sha256(b"registry two-factor secrets\x00" + configured.encode()).digest()


def _bound(user_id: int) -> bytes:
    return f"two-factor secret of user {user_id}".encode()


def _seal(secret: str, user_id: int, key: bytes) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, base64.b32decode(secret), _bound(user_id))
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def _unseal(stored: str, user_id: int, key: bytes) -> str:
    raw = base64.urlsafe_b64decode(stored.encode()) if len(stored) == 64 else b""
    if len(raw) != 48:
        raise ValueError(f"user {user_id}: the stored two-factor secret is not a sealed one")
    try:
        opened = AESGCM(key).decrypt(raw[:12], raw[12:], _bound(user_id))
    except InvalidTag as exc:
        raise RuntimeError(
            f"user {user_id}: the two-factor secret does not open with this server's "
            "REGISTRY_TOTP_KEY (or secret key): downgrade with the key it was sealed with"
        ) from exc
    return base64.b32encode(opened).decode()


def _rewrite(change, keep) -> None:
    connection = op.get_bind()
    key = _key(current_app.config)
    rows = connection.execute(
        sa.select(_users.c.id, _users.c.totp_secret).where(_users.c.totp_secret.is_not(None))
    ).all()
    for user_id, stored in rows:
        if not keep(stored):
            connection.execute(
                _users.update()
                .where(_users.c.id == user_id)
                .values(totp_secret=change(stored, user_id, key))
            )


def upgrade():
    _rewrite(_seal, keep=lambda stored: len(stored) == 64)  # 32 characters before


def downgrade():
    _rewrite(_unseal, keep=lambda stored: len(stored) == 32)
