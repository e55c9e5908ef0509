"""Users, passwords (argon2id), roles and API tokens."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from ..database import writes
from ..domain import policy
from ..domain.actor import Actor
from ..domain.errors import Conflict, NotFound, ValidationFailed
from ..domain.fields import email_error, text_error
from ..domain.vocab import Role
from ..models import Agency, ApiToken, User, UserRole
from . import audit, hotpath, two_factor
from .paging import Page, containing, paginate

# argon2id at OWASP's recommended minimum (Password Storage Cheat Sheet: 19 MiB of memory,
# two passes, one lane). The library's own default (64 MiB, three passes, four lanes) cost a
# sign-in 0.4 to 0.9 s of CPU on a busy two-core server, most of the time of a sign-in
# (docs/PERFORMANCE.md). A hash made with other parameters is remade at the next sign-in.
ARGON2_PARAMETERS: dict[str, int] = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
_hasher = PasswordHasher(
    time_cost=ARGON2_PARAMETERS["time_cost"],
    memory_cost=ARGON2_PARAMETERS["memory_cost"],
    parallelism=ARGON2_PARAMETERS["parallelism"],
)
_DUMMY_HASH = _hasher.hash("a password nobody has, for timing")
MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


MAX_PASSWORD = 1024
# zxcvbn estimates how many guesses a password would take, knowing common passwords,
# names, words, keyboard patterns and dates. Score 3 means about 10^8 guesses or more.
MIN_GUESS_SCORE = 3
GUESS_CHECK_LENGTH = 72  # zxcvbn reads no further; the whole password is still hashed


def password_error(password: str, *, about: Iterable[str] = ()) -> str | None:
    """Why a new password is refused, or None. `about`: the user's own details (email,
    name), which make a password easy to guess. No composition rules (NCSC advice)."""
    if len(password) < MIN_PASSWORD:
        return f"Password must be {MIN_PASSWORD} characters or more"
    if len(password) > MAX_PASSWORD:
        return "Password must be 1,024 characters or fewer"
    hints = [
        w for item in about for w in re.split(r"[^a-z0-9]+", (item or "").lower()) if len(w) > 2
    ]
    estimate = zxcvbn(password[:GUESS_CHECK_LENGTH], user_inputs=hints + _REGISTRY_WORDS)
    if estimate["score"] < MIN_GUESS_SCORE:
        warning = estimate["feedback"].get("warning") or ""
        return (
            "This password is too easy to guess"
            + (f": {warning.rstrip('.')}" if warning else "")
            + ". Try three or four unrelated words together"
        )
    return None


_REGISTRY_WORDS = ["registry", "safeguarding", "agreement", "sharing", "partnership"]


def check_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and bool(user)
    except (VerificationError, InvalidHashError):
        return False


def snapshot(user: User) -> dict:
    return {
        "email": user.email,
        "name": user.name,
        "job_title": user.job_title,
        "agency_id": user.agency_id,
        "roles": sorted(r.value for r in user.roles),
        "active": user.active,
    }


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user with id {user_id}")
    return user


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


# A user's free text, as messages name it: each on one line.
USER_TEXT = (
    ("email", "The email address"),
    ("name", "The user's name"),
    ("job_title", "The job title"),
)


def _check_text(values: dict, fields: dict[str, str]) -> None:
    for name, label in USER_TEXT:
        if name not in fields and (error := text_error(values.get(name), label)):
            fields[name] = error


def user_field_errors(data: dict) -> dict[str, str]:
    """What is wrong with the user fields given, before anything is looked up."""
    fields: dict[str, str] = {}
    if "email" in data and (error := email_error((data["email"] or "").strip().lower())):
        fields["email"] = error
    if "name" in data and not (data["name"] or "").strip():
        fields["name"] = "Enter the user's name"
    if data.get("password") and (
        error := password_error(
            data["password"], about=(data.get("email") or "", data.get("name") or "")
        )
    ):
        fields["password"] = error
    if "roles" in data:
        _parse_roles(data["roles"] or [], fields)
    _check_text(data, fields)
    return fields


def _check_roles_and_agency(
    session: Session, roles: set[Role], agency_id: int | None, fields: dict[str, str]
) -> None:
    if not roles:
        fields["roles"] = "Choose at least one role"
    elif Role.ADMIN in roles and agency_id is not None:
        fields["agency_id"] = "The administrator belongs to no agency: leave the agency empty"
    elif Role.ADMIN not in roles and agency_id is None:
        fields["agency_id"] = "Choose the agency this user works for"
    if agency_id is not None and session.get(Agency, agency_id) is None:
        fields["agency_id"] = f"There is no agency with id {agency_id}"


def _parse_roles(values: Iterable[str], fields: dict[str, str]) -> set[Role]:
    roles: set[Role] = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError:
            fields["roles"] = (
                f"Unknown role {value!r}: use admin, ig_lead, signatory or practitioner"
            )
    return roles


@writes
def create_user(
    session: Session,
    actor: Actor | None,
    *,
    email: str,
    name: str,
    password: str,
    roles: Iterable[str],
    agency_id: int | None = None,
    job_title: str = "",
    active: bool = True,
    now: datetime,
) -> User:
    """Create a user. `actor` None means the command line, which may create the first admin."""
    if actor is not None:
        policy.require(policy.may_manage_users(actor), "Only the administrator manages users")
    email = email.strip().lower()
    fields: dict[str, str] = {}
    if error := email_error(email):
        fields["email"] = error
    if not name.strip():
        fields["name"] = "Enter the user's name"
    if error := password_error(password, about=(email, name)):
        fields["password"] = error
    role_set = _parse_roles(roles, fields)
    _check_roles_and_agency(session, role_set, agency_id, fields)
    _check_text({"email": email, "name": name, "job_title": job_title}, fields)
    if fields:
        raise ValidationFailed(fields)
    if find_by_email(session, email):
        raise Conflict(
            f"A user with the email {email} already exists",
            code="duplicate",
            fields={"email": f"A user with the email {email} already exists"},
        )
    user = User(
        email=email,
        name=name.strip(),
        job_title=job_title.strip(),
        password_hash=hash_password(password),
        agency_id=agency_id,
        active=active,
        role_rows=[UserRole(role=r) for r in sorted(role_set)],
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor or Actor(None, "command line"),
        action="user.create",
        entity_type="user",
        entity_id=user.id,
        before=None,
        after=snapshot(user),
        now=now,
    )
    session.commit()
    return user


@writes
def update_user(session: Session, actor: Actor, user_id: int, *, now: datetime, **changes) -> User:
    """Change a user's details, roles, agency, password or active flag (admin only)."""
    policy.require(policy.may_manage_users(actor), "Only the administrator manages users")
    user = get_user(session, user_id)
    before = snapshot(user)
    fields: dict[str, str] = {}
    _check_text(changes, fields)
    if "email" in changes:
        email = changes["email"].strip().lower()
        if error := email_error(email):
            fields["email"] = error
        elif email != user.email and find_by_email(session, email):
            raise Conflict(
                f"A user with the email {email} already exists",
                code="duplicate",
                fields={"email": f"A user with the email {email} already exists"},
            )
        user.email = email
    if "name" in changes:
        if not changes["name"].strip():
            fields["name"] = "Enter the user's name"
        user.name = changes["name"].strip()
    if "job_title" in changes:
        user.job_title = (changes["job_title"] or "").strip()
    roles = user.roles
    if "roles" in changes:
        roles = frozenset(_parse_roles(changes["roles"], fields))
    agency_id = changes.get("agency_id", user.agency_id)
    _check_roles_and_agency(session, set(roles), agency_id, fields)
    if changes.get("password") and (
        error := password_error(changes["password"], about=(user.email, user.name))
    ):
        fields["password"] = error
    if user.id == actor.user_id and changes.get("active") is False:
        fields["active"] = "You cannot disable your own account"
    if fields:
        raise ValidationFailed(fields)
    user.agency_id = agency_id
    if "roles" in changes and roles != user.roles:
        user.role_rows = [UserRole(role=r) for r in sorted(roles)]
    password_reset = bool(changes.get("password"))
    if password_reset:
        user.password_hash = hash_password(changes["password"])
    disabled = "active" in changes and not changes["active"] and user.active
    if "active" in changes:
        user.active = bool(changes["active"])
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.update",
        entity_type="user",
        entity_id=user.id,
        before=before,
        after=snapshot(user),
        now=now,
    )
    if password_reset or disabled:
        reason = "password reset by the administrator" if password_reset else "disabled"
        end_sessions_and_tokens(session, user, now, actor=actor, reason=reason)
    session.commit()
    return user


def end_sessions_and_tokens(
    session: Session, user: User, now: datetime, *, actor: Actor, reason: str
) -> None:
    """Every session of the user ends, and every token of theirs is revoked (recorded in
    the audit trail when there were any); the caller commits."""
    user.session_epoch += 1
    ended = []
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
        ended.append(token.id)
    if ended:
        audit.record(
            session,
            actor=actor,
            action="api_token.revoke_all",
            entity_type="user",
            entity_id=user.id,
            before={"token_ids": sorted(ended)},
            after={"revoked": True, "reason": reason},
            now=now,
        )


def list_users(
    session: Session, actor: Actor, *, search: str = "", page: int = 1, per_page: int = 50
) -> Page:
    policy.require(policy.may_manage_users(actor), "Only the administrator manages users")
    query = select(User).order_by(User.name, User.id)
    if search.strip():
        query = query.where(containing(search, User.name, User.email))
    return paginate(session, query, page=page, per_page=per_page)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


TOKEN_DAYS = 90  # API_TOKEN_DAYS unless set
HINT_LENGTH = 6  # characters of a token kept to tell it apart: 36 of its 256 bits
MAX_TOKEN_NAME = 100
LAST_USED_EVERY = timedelta(minutes=1)  # how often a token's last use is written


def token_name_error(name: str) -> str | None:
    if len(name) > MAX_TOKEN_NAME:
        return f"A token's name must be {MAX_TOKEN_NAME} characters or fewer"
    return text_error(name, "A token's name")


def issue_token(
    session: Session,
    user: User,
    *,
    now: datetime,
    days: int = TOKEN_DAYS,
    name: str = "",
    actor: Actor | None = None,
) -> str:
    """A new bearer token for `user`, lasting `days`; only its digest is stored, so show
    it once. `actor`: who asked, when not the user (the command line)."""
    return make_token(session, user, now=now, days=days, name=name, actor=actor)[0]


@writes
def make_token(
    session: Session,
    user: User,
    *,
    now: datetime,
    days: int = TOKEN_DAYS,
    name: str = "",
    actor: Actor | None = None,
) -> tuple[str, ApiToken]:
    """issue_token's token with the row kept of it (its id, expiry and label)."""
    name = (name or "").strip()
    if error := token_name_error(name):
        raise ValidationFailed({"name": error})
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_sha256=_token_digest(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
        hint=token[:HINT_LENGTH],
        name=name,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor or user.actor(),
        action="api_token.create",
        entity_type="user",
        entity_id=user.id,
        before=None,
        after={"token_id": row.id, "hint": row.hint, "expires_at": row.expires_at.isoformat()},
        now=now,
    )
    session.commit()
    return token, row


def live_tokens(session: Session, user_id: int, *, now: datetime) -> list[ApiToken]:
    """The user's tokens that still work (neither revoked nor expired), newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(
                ApiToken.user_id == user_id,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > now,
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def own_token(session: Session, actor: Actor, token_id: int, *, now: datetime) -> ApiToken:
    """One of the actor's own live tokens; anyone else's, or one that no longer works,
    is not found (its existence is not told)."""
    token = session.get(ApiToken, token_id)
    if (
        token is None
        or actor.user_id is None
        or token.user_id != actor.user_id
        or token.revoked_at is not None
        or token.expires_at <= now
    ):
        raise NotFound(f"You have no token with id {token_id}")
    return token


@writes
def revoke_token(session: Session, actor: Actor, token_id: int, *, now: datetime) -> ApiToken:
    """The owner ends one of their own tokens."""
    token = own_token(session, actor, token_id, now=now)
    token.revoked_at = now
    audit.record(
        session,
        actor=actor,
        action="api_token.revoke",
        entity_type="user",
        entity_id=token.user_id,
        before={"token_id": token.id, "hint": token.hint},
        after={"revoked": True},
        now=now,
    )
    session.commit()
    return token


@dataclass(frozen=True)
class TokenAccount:
    """The user behind a bearer token, read in one query: the API asks for it on every
    request, and needs only who it is, what roles it holds and which token it used."""

    id: int
    name: str
    agency_id: int | None
    job_title: str
    roles: frozenset[Role]
    token_id: int

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


def user_for_token(session: Session, token: str, *, now: datetime) -> TokenAccount | None:
    """The active user a live (not revoked, not expired) token belongs to, or None. The
    token's last use is written back at most once a minute, not on every call."""
    # On the hot path's pool, not the session's: one statement, no transaction to open
    # (and a session left holding a read snapshot would keep SQLite from checkpointing
    # its log while the coverage check writes through the other pool).
    rows = hotpath.read(session, _TOKEN_ACCOUNT, _token_digest(token))
    if not rows:
        return None
    user_id, name, agency_id, job_title, _, token_id, expires_at, last_used_at = rows[0]
    if hotpath.to_time(expires_at) <= now:
        return None
    last_used = hotpath.to_time(last_used_at) if last_used_at is not None else None
    due = last_used is None or now - last_used >= LAST_USED_EVERY
    if due and not hotpath.try_write(session, _TOKEN_USED, now, token_id):
        # The database was too busy: the call goes on; a later one writes the time.
        log.warning("could not record the use of API token %s", token_id)
    return TokenAccount(
        id=user_id,
        name=name,
        agency_id=agency_id,
        job_title=job_title or "",
        roles=frozenset(Role(r[4]) for r in rows if r[4]),
        token_id=token_id,
    )


# Every API request asks this, so it runs as fixed SQL (see services/hotpath.py).
_TOKEN_ACCOUNT = """
    SELECT u.id, u.name, u.agency_id, u.job_title, r.role,
           t.id, t.expires_at, t.last_used_at
    FROM api_tokens t JOIN users u ON u.id = t.user_id
    LEFT JOIN user_roles r ON r.user_id = u.id
    WHERE t.token_sha256 = {p} AND t.revoked_at IS NULL AND u.active"""

_TOKEN_USED = "UPDATE api_tokens SET last_used_at = {time} WHERE id = {p}"


LOCK_AFTER = 10
LOCK_FOR = timedelta(minutes=15)
log = logging.getLogger("registry.security")


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> User | None:
    """The active user with this email and password, or None, which the caller answers
    with one message whatever the reason. A locked account is refused without looking
    at the password; a wrong password counts towards the lock."""
    user = find_by_email(session, email or "")
    if user is not None and is_locked(user, now):
        check_password(None, password or "")  # the same work as any other attempt
        log.warning("sign-in refused: user %s is locked until %s", user.id, user.locked_until)
        return None
    if not check_password(user, password or "") or user is None or not user.active:
        if user is not None:
            record_failure(session, user, now=now)
        else:
            log.info("sign-in failed for an unknown email address")
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        _rehash(session, user, password)
    return user


@writes
def _rehash(session: Session, user: User, password: str) -> None:
    """The right password, hashed with other parameters than today's: hashed again with
    today's, so that every stored hash comes to the same cost and strength."""
    session.execute(
        update(User)
        .where(User.id == user.id, User.password_hash == user.password_hash)
        .values(password_hash=hash_password(password))
        .execution_options(synchronize_session=False)
    )
    session.commit()


def second_factor_ok(
    session: Session, user: User, code: str | None, *, now: datetime, key: bytes
) -> bool:
    """Whether `code` is the user's current, unused two-factor code; a wrong one counts
    as a failed sign-in (web and API alike). `key` opens the stored secret."""
    if two_factor.use_code(session, user, code, now=now, key=key):
        return True
    record_failure(session, user, now=now)
    return False


@writes
def record_failure(session: Session, user: User, *, now: datetime) -> None:
    """Count a failed sign-in (a wrong password or two-factor code) in the database,
    where every worker and app server sees it; the tenth locks the account."""
    count = session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_sign_ins=User.failed_sign_ins + 1)
        .returning(User.failed_sign_ins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if count >= LOCK_AFTER:
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_sign_ins=0, locked_until=now + LOCK_FOR)
            .execution_options(synchronize_session=False)
        )
        log.warning("user %s locked for %s after %s failed sign-ins", user.id, LOCK_FOR, count)
    else:
        log.info("failed sign-in %s for user %s", count, user.id)
    session.commit()


def record_success(session: Session, user: User) -> None:
    """A complete sign-in clears the count of failures."""
    if user.failed_sign_ins or user.locked_until is not None:
        _clear_failures(session, user)


@writes
def _clear_failures(session: Session, user: User) -> None:
    session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_sign_ins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


@writes
def change_password(
    session: Session, user: User, *, current: str, new: str, confirm: str, now: datetime
) -> None:
    """The user changes their own password; every session and API token of theirs ends
    (the caller starts a new session for the browser that asked)."""
    fields: dict[str, str] = {}
    if not check_password(user, current or ""):
        fields["current_password"] = "Your current password is not right"
    if error := password_error(new or "", about=(user.email, user.name)):
        fields["new_password"] = error
    elif new != confirm:
        fields["confirm_password"] = "The two new passwords are not the same"
    elif new == current:
        fields["new_password"] = "Choose a password different from your current one"
    if fields:
        raise ValidationFailed(fields)
    user.password_hash = hash_password(new)
    audit.record(
        session,
        actor=user.actor(),
        action="user.password_changed",
        entity_type="user",
        entity_id=user.id,
        before=None,
        after={"password": "changed"},
        now=now,
    )
    end_sessions_and_tokens(session, user, now, actor=user.actor(), reason="password changed")
    session.commit()


@writes
def end_sessions(session: Session, user: User) -> None:
    """Sign the user out everywhere: a session cookie made before now stops working."""
    user.session_epoch += 1
    session.commit()
