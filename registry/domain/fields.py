"""Field formats of SPEC §9, shared by forms and the API so both say the same."""

from __future__ import annotations

import itertools
import re
import unicodedata

ICO_PATTERN = re.compile(r"^Z(?:\d{7}|[A-Z]\d{6})$")
ODS_PATTERN = re.compile(r"^[A-Z0-9]{3,6}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE_PATTERN = re.compile(r"^[a-z0-9_]+$")

# What no text field holds, wherever it came from (a form, the API, a CSV import):
# - control characters (C0, DEL, C1): NUL, \x01, ESC and the rest never come from typing,
#   and a terminal, a log or a CSV opened in a spreadsheet may act on them;
# - the bidirectional controls (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F,
#   U+061C): they reorder what follows on screen, so a name can read as something else;
# - U+2028 and U+2029 (line and paragraph separators), U+FEFF (an invisible byte-order
#   mark, pasted from files) and unpaired surrogates;
# - private-use characters (each font draws them its own way, or not at all) and the
#   noncharacters (U+FDD0 to U+FDEF and the last two of every plane), which Unicode keeps
#   out of interchange.
# A single-line field (a name, a title, a role, a reference) is what people find things by
# and tell things apart by, so it also refuses:
# - line breaks and tabs: a title or a name is printed on one line, and a line break in
#   one is how text is smuggled into line-based formats (iCalendar, CSV, email headers);
# - every format character (Unicode category Cf): zero-width spaces and joiners, the soft
#   hyphen, the word joiner, Arabic number signs, tag characters, interlinear annotations.
#   None shows, so "Council" and "Council\u200b" would be two names that look one;
# - the fillers that look blank but are not spaces (Hangul fillers, the blank Braille
#   pattern): a name made of them would pass for filled in.
# A multi-line field (reasons, notes, addresses...) keeps line breaks, tabs and the other
# format characters: it is read, not matched, and text pasted from a word processor brings
# soft hyphens and joiners (an emoji sequence, a Welsh flag, a Persian word) that do no harm.
#
# Each class is written as regular-expression ranges, made here from Python's own Unicode
# tables, so that the API's JSON Schema patterns (web/api/contract.py) are built from these
# same classes and stay readable by Python's `re` and by pydantic's engine (no \p{..}).


def _escape(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _ranges(codes: set[int]) -> str:
    """The code points as a character-class body: runs written first-last."""
    out: list[str] = []
    ordered = sorted(codes)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        first, last = ordered[i], ordered[j]
        if last == first:
            out.append(_escape(first))
        elif last == first + 1:
            out.append(_escape(first) + _escape(last))
        else:
            out.append(f"{_escape(first)}-{_escape(last)}")
        i = j + 1
    return "".join(out)


def _categories(*names: str) -> list[set[int]]:
    """The code points of each general category named (reading all of Unicode's once
    takes about a tenth of a second)."""
    every = list(map(unicodedata.category, map(chr, range(0x110000))))
    return [set(itertools.compress(range(0x110000), map(n.__eq__, every))) for n in names]


BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
NONCHARACTERS = frozenset(
    [*range(0xFDD0, 0xFDF0)] + [p * 0x10000 + e for p in range(17) for e in (0xFFFE, 0xFFFF)]
)
BLANK_FILLERS = frozenset({0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800})
_LINE_BREAK_CODES = {0x09, 0x0A, 0x0D}
_CONTROLS, _FORMAT, _PRIVATE_USE = _categories("Cc", "Cf", "Co")
# Private use: refused in the Basic Multilingual Plane (U+E000-U+F8FF), where fonts put
# their own symbols (U+F8FF shows a logo on one machine and a box on another). Planes 15
# and 16 (131,068 code points no keyboard types) are left alone: the API document states
# this rule as patterns, and a class that size made every request a generating client
# (schemathesis) builds from the document cost about 0.2 s to build, against 0.02 s.
_PRIVATE_USE = {code for code in _PRIVATE_USE if code < 0x10000}
_CONTROLS -= _LINE_BREAK_CODES
_EVERYWHERE = (
    _CONTROLS
    | {0x2028, 0x2029, 0xFEFF}
    | {ord(c) for c in BIDI_CONTROLS}
    | _PRIVATE_USE
    | NONCHARACTERS
)
# Regular-expression class bodies (without the brackets): what a field of each kind refuses.
NEVER_IN_MANY_LINES = _ranges(_EVERYWHERE)
NEVER_IN_ONE_LINE = _ranges(_EVERYWHERE | _LINE_BREAK_CODES | _FORMAT | BLANK_FILLERS)
# The names web/api/contract.py used before the two classes (a multi-line field's rule and
# the line breaks): kept while a version of it that imports them may still be checked out.
NEVER_IN_TEXT = NEVER_IN_MANY_LINES
LINE_BREAKS = r"\t\n\r"
# Unpaired surrogates never reach here in JSON (refused as a body is read), but a form or
# a file can carry them. (Kept out of the classes above: no pattern engine but Python's
# takes a surrogate in a class.)
_SURROGATES = r"\ud800-\udfff"
_NOT_IN_ONE_LINE = re.compile(f"[{NEVER_IN_ONE_LINE}{_SURROGATES}]")
_NOT_IN_MANY_LINES = re.compile(f"[{NEVER_IN_MANY_LINES}{_SURROGATES}]")

# What a reader cannot see, dropped when two names are compared (so that a name stored
# before these rules, or one differing only by them, is still the same name): the format
# characters, the fillers, variation selectors and the combining grapheme joiner.
INVISIBLE = _ranges(
    _FORMAT
    | BLANK_FILLERS
    | {0x034F, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F}
    | set(range(0xFE00, 0xFE10))
    | set(range(0xE0100, 0xE01F0))
)
_INVISIBLE = re.compile(f"[{INVISIBLE}]")


def one_line(value: str) -> str:
    """Single-line text as stored: without surrounding spaces, each accented letter in one
    composed form (NFC), so that a name typed on one keyboard is the name typed on another."""
    return unicodedata.normalize("NFC", value.strip())


def name_key(value: str) -> str:
    """What two names are compared by to say they are the same: compatibility forms folded
    (NFKC: a full-width letter is the letter), case folded, invisible characters dropped
    and runs of spaces read as one."""
    folded = unicodedata.normalize("NFKC", _INVISIBLE.sub("", value)).casefold()
    return " ".join(folded.split())


def digits(value: str) -> bool:
    """Whether `value` is one or more of the digits 0 to 9: str.isdigit() alone is true of
    "²" and other digits int() cannot read, which would reach int() and fail."""
    return value.isascii() and value.isdigit()


def blank(value: str | None) -> bool:
    """Whether text shows nothing to a reader: empty, spaces, or only invisible characters
    and fillers (a required reason of one zero-width space records no reason)."""
    return not name_key(value or "")


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
    code = ord(char)
    if char in "\r\n\u2028\u2029":
        if multiline:
            return f"{label} must use ordinary line breaks, not U+{code:04X}"
        return f"{label} must be on one line: remove the line break"
    if "\ud800" <= char <= "\udfff":
        return f"{label} must not contain unpaired surrogates (U+{code:04X})"
    if char in BIDI_CONTROLS:
        return (
            f"{label} must not contain characters that change the direction of text "
            f"(U+{code:04X}): type the text as it should read"
        )
    if code in NONCHARACTERS:
        return f"{label} must not contain U+{code:04X}, which is not a character"
    category = unicodedata.category(char)
    if category == "Co":
        return f"{label} must not contain private-use characters (U+{code:04X})"
    if category == "Cf" or code in BLANK_FILLERS:
        return (
            f"{label} must not contain invisible characters (U+{code:04X}): "
            "type only what should show"
        )
    if char == "\t":
        return f"{label} must not contain tab characters"
    return f"{label} must not contain control characters (U+{code:04X})"
