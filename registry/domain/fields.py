"""Field formats of SPEC §9, shared by forms and the API so both say the same."""

from __future__ import annotations

import re

ICO_PATTERN = re.compile(r"^Z(?:\d{7}|[A-Z]\d{6})$")
ODS_PATTERN = re.compile(r"^[A-Z0-9]{3,6}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE_PATTERN = re.compile(r"^[a-z0-9_]+$")


def normalise_ico(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def ico_error(value: str) -> str | None:
    if not ICO_PATTERN.match(value):
        return (
            "Enter the ICO registration number as Z and 7 digits, or Z, a letter "
            "and 6 digits, like Z1234567 or ZA123456"
        )
    return None


def normalise_ods(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def ods_error(value: str) -> str | None:
    if not ODS_PATTERN.match(value):
        return "Enter the ODS code as 3 to 6 capital letters and digits, like RX1 or A81001"
    return None


def email_error(value: str) -> str | None:
    if not EMAIL_PATTERN.match(value) or len(value) > 254:
        return "Enter an email address in the correct format, like name@example.org"
    return None


def code_error(value: str) -> str | None:
    if not CODE_PATTERN.match(value) or len(value) > 64:
        return "Use lower-case letters, digits and underscores only, like early_help"
    return None
