"""Settings the services need, read from the app's configuration."""

from flask import current_app

from ..domain.lifecycle import StatusSettings


def status_settings() -> StatusSettings:
    return StatusSettings(notice_days=current_app.config["REVIEW_NOTICE_DAYS"],
                          grace_days=current_app.config["REVIEW_GRACE_DAYS"])
