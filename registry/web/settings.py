"""Settings the services need, read from the app's configuration."""

from flask import current_app

from ..domain.lifecycle import StatusSettings
from ..services.two_factor import key_from_config


def status_settings() -> StatusSettings:
    return StatusSettings(
        notice_days=current_app.config["REVIEW_NOTICE_DAYS"],
        grace_days=current_app.config["REVIEW_GRACE_DAYS"],
    )


def totp_key() -> bytes:
    """The key that seals two-factor secrets (services/two_factor.py)."""
    return key_from_config(current_app.config)
