"""Two-factor sign-in with time-based one-time codes (RFC 6238: six digits, 30 seconds).

A code is accepted for the 30-second step before and after the server's (phones drift),
and each step once only: the step a user last signed in with is kept, and only a later
one is accepted, so a code seen over someone's shoulder cannot be used again.

The secret is kept sealed (AES-256-GCM, bound to its user) under a key that is not in the
database (REGISTRY_TOTP_KEY), so a copy of the database or a backup does not give away
anyone's second factor."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pyotp
import qrcode
import qrcode.image.svg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from ..database import writes
from ..domain.actor import Actor
from ..domain.errors import RegistryError, ValidationFailed
from ..domain.fields import digits
from ..models import User
from . import audit

STEP_SECONDS = 30
DRIFT_STEPS = 1

log = logging.getLogger(__name__)


class SecretUnreadable(RegistryError):
    """The stored secret does not open with this server's key: a configuration fault,
    not the user's, so it must not count as a failed sign-in."""

    status = 503
    code = "two_factor_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "Two-factor sign-in cannot be checked on this server at the moment. "
            "Nothing is wrong with your code: tell your registry administrator."
        )


def key_from_config(config: Mapping[str, Any]) -> bytes:
    """The 256-bit key that seals secrets: from REGISTRY_TOTP_KEY (config TOTP_KEY), or in
    development, where that is unset, from the secret key."""
    configured = config.get("TOTP_KEY") or "secret key: " + config["SECRET_KEY"]
    return hashlib.sha256(b"registry two-factor secrets\x00" + configured.encode()).digest()


def seal(secret: str, user_id: int, key: bytes) -> str:
    """The secret as stored, readable only with `key` and only as this user's: a random
    nonce and the sealed 20 bytes of the 32-character secret, 64 characters in all."""
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, base64.b32decode(secret), _bound(user_id))
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(stored: str, user_id: int, key: bytes) -> str:
    """The secret from what `seal` stored; SecretUnreadable if it does not open."""
    try:
        raw = base64.urlsafe_b64decode(stored.encode()) if len(stored) == 64 else b""
        if len(raw) != 48:
            raise ValueError("not a sealed secret")
        return base64.b32encode(AESGCM(key).decrypt(raw[:12], raw[12:], _bound(user_id))).decode()
    except (InvalidTag, ValueError) as exc:
        log.error(
            "user %s: the two-factor secret does not open with this server's "
            "REGISTRY_TOTP_KEY (%s)",
            user_id,
            type(exc).__name__,
        )
        raise SecretUnreadable() from exc


def _bound(user_id: int) -> bytes:
    return f"two-factor secret of user {user_id}".encode()


def required(user: User, roles: list[str], *, exempt: bool = False) -> bool:
    """Whether this user must give a code: one of its roles is in TWO_FACTOR_ROLES,
    unless the demo settings exempt it (`exempt`)."""
    return not exempt and any(role.value in roles for role in user.roles)


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base-32 characters: 160 bits, as RFC 4226 advises


def setup_uri(secret: str, email: str, issuer: str) -> str:
    """What an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code as an inline SVG element (no image file, nothing fetched)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    text = out.getvalue().decode("utf-8")
    return text[text.index("<svg") :]  # without the XML declaration


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str | None, now: datetime) -> int | None:
    """The time step whose code this is, or None."""
    code = "".join((code or "").split())
    if len(code) != 6 or not digits(code):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_error(code: str | None) -> str | None:
    code = "".join((code or "").split())
    if not code:
        return "Enter the 6-digit code from your authenticator app"
    if len(code) != 6 or not digits(code):
        return "The code is 6 digits, like 123456"
    return None


@writes
def use_code(session: Session, user: User, code: str | None, *, now: datetime, key: bytes) -> bool:
    """Accept a code once: true when it matches a step later than the last one used."""
    if not user.totp_secret:
        return False
    step = matching_step(unseal(user.totp_secret, user.id, key), code, now)
    if step is None:
        session.rollback()
        return False
    # One statement decides, so two requests racing with the same code cannot both win.
    claimed = session.execute(  # type: ignore[attr-defined]
        update(User)
        .where(User.id == user.id, or_(User.totp_step.is_(None), User.totp_step < step))
        .values(totp_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return claimed == 1


@writes
def enrol(
    session: Session, user: User, secret: str, code: str | None, *, now: datetime, key: bytes
) -> None:
    """Keep `secret` for the user once they have shown a code made from it."""
    if error := code_error(code):
        raise ValidationFailed({"code": error})
    step = matching_step(secret, code, now)
    if step is None:
        raise ValidationFailed(
            {
                "code": "That code is not right: check the time on your "
                "phone and enter the newest code"
            }
        )
    user.totp_secret = seal(secret, user.id, key)
    user.totp_step = step
    audit.record(
        session,
        actor=Actor(user.id, user.name),
        action="user.two_factor_on",
        entity_type="user",
        entity_id=user.id,
        before=None,
        after={"two_factor": True},
        now=now,
    )
    session.commit()


@writes
def reset(session: Session, actor: Actor, user: User, *, now: datetime) -> None:
    """The administrator turns a user's two-factor off (a lost phone): the user sets it up
    again at the next sign-in, and every session of theirs ends now."""
    user.totp_secret = None
    user.totp_step = None
    user.session_epoch += 1
    audit.record(
        session,
        actor=actor,
        action="user.two_factor_reset",
        entity_type="user",
        entity_id=user.id,
        before={"two_factor": True},
        after={"two_factor": False},
        now=now,
    )
    session.commit()
