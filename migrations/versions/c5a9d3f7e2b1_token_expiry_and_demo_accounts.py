"""token expiry, last use and labels; demo accounts by record

API tokens get an expiry (tokens made before this revision expire 90 days after it
runs), the time each was last used, and a short label for their owner: the first
characters of the token and a name. Users get `demo_account`, set only by the demo's
own seeding, which alone decides the demo's two-factor exemption (no longer the email
address). No existing account is marked: seed the demo again to have demo accounts.
Issued PDFs get an index on their SHA-256, by which an uploaded copy is looked up.

Revision ID: c5a9d3f7e2b1
Revises: b8e4f2a6d1c3
Create Date: 2026-12-06 16:10:00

"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c5a9d3f7e2b1"
down_revision = "b8e4f2a6d1c3"
branch_labels = None
depends_on = None

EXISTING_TOKENS_LAST_DAYS = 90


def upgrade():
    # A PDF sent to /verify or verify-pdf is looked up by its hash: no more a scan.
    op.create_index("ix_issued_pdfs_sha256", "issued_pdfs", ["sha256"])
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("hint", sa.String(length=8), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("name", sa.String(length=100), server_default="", nullable=False)
        )
    expires = datetime.now(UTC) + timedelta(days=EXISTING_TOKENS_LAST_DAYS)
    if op.get_bind().dialect.name == "sqlite":
        expires = expires.replace(tzinfo=None)  # SQLite keeps naive UTC, as the app does
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    op.execute(tokens.update().values(expires_at=expires))
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    # A plain ALTER TABLE ADD COLUMN on both engines (a default given as an expression
    # would make SQLite's batch mode copy the users table, and dropping the old copy
    # fails while other tables' rows refer to it). '0' reads as false on PostgreSQL too.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("demo_account", sa.Boolean(), server_default="0", nullable=False)
        )


def downgrade():
    op.drop_index("ix_issued_pdfs_sha256", table_name="issued_pdfs")
    # Not in batch mode: on SQLite that copies the users table, and dropping the old copy
    # fails while other tables' rows refer to it. SQLite 3.35 and later drop a column.
    op.execute("ALTER TABLE users DROP COLUMN demo_account")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("name")
        batch_op.drop_column("hint")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
