"""People who sign in, their roles and their API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.actor import Actor
from ..domain.vocab import Role
from ..extensions import db
from .agency import Agency
from .types import UTCDateTime, enum_column, utcnow


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped when the user is disabled or changes password: older sessions stop working.
    session_epoch: Mapped[int] = mapped_column(default=0)
    # Two-factor sign-in (services/two_factor.py): the shared secret once set up, and the
    # time step of the last code used (each code works once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_step: Mapped[int | None] = mapped_column(BigInteger)
    # Failed sign-ins since the last success; at 10 the account locks until `locked_until`.
    # Kept here, not in a worker's memory, so every worker and app server sees them.
    failed_sign_ins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set only by the demo's own seeding (services/demo.py): under the demo settings these
    # accounts sign in without a code. Never set from an email address or by any form.
    demo_account: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    @property
    def is_active(self) -> bool:  # Flask-Login asks this
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    def has(self, role: Role) -> bool:
        return role in self.roles

    def actor(self) -> Actor:
        return Actor(
            user_id=self.id,
            name=self.name,
            agency_id=self.agency_id,
            roles=self.roles,
            job_title=self.job_title,
        )


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"), primary_key=True)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is kept, with a few characters of its start
    (`hint`) and the owner's own name for it, so that its owner can tell it apart."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Refused from then on, like an unknown token (API_TOKEN_DAYS after it was made).
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Written at most once a minute per token (services/users.user_for_token).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hint: Mapped[str] = mapped_column(String(8), default="", server_default="")
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")

    user: Mapped[User] = relationship()
