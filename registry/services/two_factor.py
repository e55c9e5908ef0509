"""Two-factor sign-in with time-based one-time codes (RFC 6238: six digits, 30 seconds).

A code is accepted for the 30-second step before and after the server's (phones drift),
and each step once only: the step a user last signed in with is kept, and only a later
one is accepted, so a code seen over someone's shoulder cannot be used again."""

from __future__ import annotations

import hmac
import io
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from ..database import writes
from ..domain.actor import Actor
from ..domain.errors import ValidationFailed
from ..models import User
from . import audit

STEP_SECONDS = 30
DRIFT_STEPS = 1


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
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8,
                        border=2)
    out = io.BytesIO()
    image.save(out)
    text = out.getvalue().decode("utf-8")
    return text[text.index("<svg"):]  # without the XML declaration


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str | None, now: datetime) -> int | None:
    """The time step whose code this is, or None."""
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
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
    if len(code) != 6 or not code.isdigit():
        return "The code is 6 digits, like 123456"
    return None


@writes
def use_code(session: Session, user: User, code: str | None, *, now: datetime) -> bool:
    """Accept a code once: true when it matches a step later than the last one used."""
    if not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code, now)
    if step is None:
        session.rollback()
        return False
    # One statement decides, so two requests racing with the same code cannot both win.
    claimed = session.execute(  # type: ignore[attr-defined]
        update(User).where(User.id == user.id,
                           or_(User.totp_step.is_(None), User.totp_step < step))
        .values(totp_step=step).execution_options(synchronize_session=False)).rowcount
    session.commit()
    return claimed == 1


@writes
def enrol(session: Session, user: User, secret: str, code: str | None, *,
          now: datetime) -> None:
    """Keep `secret` for the user once they have shown a code made from it."""
    if error := code_error(code):
        raise ValidationFailed({"code": error})
    step = matching_step(secret, code, now)
    if step is None:
        raise ValidationFailed({"code": "That code is not right: check the time on your "
                                        "phone and enter the newest code"})
    user.totp_secret = secret
    user.totp_step = step
    audit.record(session, actor=Actor(user.id, user.name), action="user.two_factor_on",
                 entity_type="user", entity_id=user.id, before=None,
                 after={"two_factor": True}, now=now)
    session.commit()


@writes
def reset(session: Session, actor: Actor, user: User, *, now: datetime) -> None:
    """The administrator turns a user's two-factor off (a lost phone): the user sets it up
    again at the next sign-in, and every session of theirs ends now."""
    user.totp_secret = None
    user.totp_step = None
    user.session_epoch += 1
    audit.record(session, actor=actor, action="user.two_factor_reset", entity_type="user",
                 entity_id=user.id, before={"two_factor": True},
                 after={"two_factor": False}, now=now)
    session.commit()
