"""Field formats of SPEC §9, shared by forms and the API so both say the same."""

from __future__ import annotations

import re
import unicodedata

ICO_PATTERN = re.compile(r"^Z(?:\d{7}|[A-Z]\d{6})$")
ODS_PATTERN = re.compile(r"^[A-Z0-9]{3,6}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE_PATTERN = re.compile(r"^[a-z0-9_]+$")

# What no text field holds, wherever it came from (a form, the API, a CSV import):
# - control characters (C0, DEL, C1): NUL, \x01, ESC and the rest never come from typing,
#   and a terminal, a log or a CSV opened in a spreadsheet may act on them;
# - line breaks in a single-line field: a title or a name is printed on one line, and
#   a line break in one is how text is smuggled into line-based formats (iCalendar, CSV,
#   email headers);
# - the bidirectional controls (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F,
#   U+061C): they reorder what follows on screen, so a name can read as something else;
# - U+2028 and U+2029 (line and paragraph separators), U+FEFF (an invisible byte-order
#   mark, pasted from files) and unpaired surrogates.
# A multi-line field (reasons, notes, addresses...) keeps line breaks and tabs.
# Written as regular-expression escapes, so that the API's JSON Schema patterns
# (web/api/contract.py) are built from these same classes.
NEVER_IN_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff" + (
    r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # the bidirectional controls
)
LINE_BREAKS = r"\t\n\r"
# Unpaired surrogates never reach here in JSON (refused as a body is read), but a form or
# a file can carry them.
_SURROGATES = r"\ud800-\udfff"
_NOT_IN_ONE_LINE = re.compile(f"[{NEVER_IN_TEXT}{LINE_BREAKS}{_SURROGATES}]")
_NOT_IN_MANY_LINES = re.compile(f"[{NEVER_IN_TEXT}{_SURROGATES}]")


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


def text_error(value: str | None, label: str, *, multiline: bool = False) -> str | None:
    """What is wrong with free text typed into the field `label` (its name as a sentence
    starts: "Title", "The officer's name"), if anything: the one rule every form, the API
    and the imports pass through. Only characters are checked here, not lengths."""
    if not value or not isinstance(value, str):
        return None  # nothing given, or not text at all (each caller says so its own way)
    found = (_NOT_IN_MANY_LINES if multiline else _NOT_IN_ONE_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    if char in "\r\n\u2028\u2029":
        if multiline:
            return f"{label} must use ordinary line breaks, not U+{ord(char):04X}"
        return f"{label} must be on one line: remove the line break"
    if "\ud800" <= char <= "\udfff":
        return f"{label} must not contain unpaired surrogates (U+{ord(char):04X})"
    if char == "\ufeff":
        return f"{label} must not contain invisible characters (U+FEFF)"
    if unicodedata.category(char) == "Cf":  # the bidirectional controls
        return (
            f"{label} must not contain characters that change the direction of text "
            f"(U+{ord(char):04X}): type the text as it should read"
        )
    if char == "\t":
        return f"{label} must not contain tab characters"
    return f"{label} must not contain control characters (U+{ord(char):04X})"
