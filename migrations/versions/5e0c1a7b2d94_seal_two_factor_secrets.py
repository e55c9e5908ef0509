"""seal two-factor secrets

Secrets kept before this revision were stored as they are; from here on they are sealed
under REGISTRY_TOTP_KEY (registry/services/two_factor.py). The sealed form fits the
column as it is (64 characters), so no table is rebuilt.

Revision ID: 5e0c1a7b2d94
Revises: b479781e6c98
Create Date: 2026-11-21 22:10:00

"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from registry.services.two_factor import key_from_config, seal, unseal

# revision identifiers, used by Alembic.
revision = "5e0c1a7b2d94"
down_revision = "b479781e6c98"
branch_labels = None
depends_on = None

_users = sa.table("users", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _rewrite(change, keep) -> None:
    connection = op.get_bind()
    key = key_from_config(current_app.config)
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
    _rewrite(seal, keep=lambda stored: len(stored) == 64)  # 32 characters before


def downgrade():
    _rewrite(unseal, keep=lambda stored: len(stored) == 32)
