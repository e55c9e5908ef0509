"""The one rule on free text and the range of input dates (registry/domain), alone."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.agreements import default_review_date
from registry.domain.dates import date_range_error
from registry.domain.fields import name_key, one_line, text_error

BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FILLERS = set("\u115f\u1160\u3164\uffa0\u2800")


def noncharacter(char: str) -> bool:
    return 0xFDD0 <= ord(char) <= 0xFDEF or ord(char) & 0xFFFE == 0xFFFE


def forbidden(char: str, *, multiline: bool) -> bool:
    """The rule written out a second way, by Unicode's own categories."""
    category = unicodedata.category(char)
    if multiline and char in "\t\n\r":
        return False
    if not multiline and (category == "Cf" or char in FILLERS):
        return True
    return (
        category in ("Cc", "Cs", "Zl", "Zp")
        or (category == "Co" and ord(char) < 0x10000)  # the BMP's private use only
        or char in BIDI
        or char == "\ufeff"
        or noncharacter(char)
    )


@given(st.text(alphabet=st.characters(codec=None), max_size=40), st.booleans())
def test_text_is_refused_exactly_when_it_holds_a_forbidden_character(value, multiline):
    expected = any(forbidden(c, multiline=multiline) for c in value)
    assert (text_error(value, "Field", multiline=multiline) is not None) == expected


def test_every_code_point_is_judged_by_the_rule():
    """All 1,114,112 code points, each alone in a word, both kinds of field."""
    for multiline in (False, True):
        disagree = [
            f"U+{code:04X}"
            for code in range(0x110000)
            if (text_error(f"a{chr(code)}b", "F", multiline=multiline) is not None)
            != forbidden(chr(code), multiline=multiline)
        ]
        assert disagree == [], disagree[:20]


def test_ordinary_text_in_many_scripts_passes():
    for value in (
        "Ynys Môn – Cyngor Sir",
        "Ærø Kommune",
        "Zoë O'Brien-Smith",
        "日本語の名前",
        "مجلس المدينة",  # right-to-left text itself is fine: only the controls are refused
        "Eastmoo\u0301r",  # a combining accent is a visible mark, not a format character
        "👩🏽 ❤️ 🏴",  # emoji, skin tones and variation selectors are not format characters
    ):
        assert text_error(value, "Name") is None
        assert text_error(value, "Notes", multiline=True) is None


# The outside tester's characters: each made a name that looked like another, or a
# "filled in" name that showed nothing.
INVISIBLE = {
    "ZERO WIDTH SPACE": "\u200b",
    "ZERO WIDTH JOINER": "\u200d",
    "WORD JOINER": "\u2060",
    "SOFT HYPHEN": "\u00ad",
    "HANGUL FILLER": "\u3164",
    "BRAILLE BLANK": "\u2800",
    "TAG LATIN SMALL A": "\U000e0061",
    "LANGUAGE TAG": "\U000e0001",
    "INTERLINEAR ANNOTATION ANCHOR": "\ufff9",
    "ARABIC NUMBER SIGN": "\u0600",
    "MONGOLIAN VOWEL SEPARATOR": "\u180e",
}
NOT_CHARACTERS = {
    "U+FFFF": "\uffff",
    "U+FDD0": "\ufdd0",
    "U+10FFFF": "\U0010ffff",
    "PRIVATE USE U+E000": "\ue000",
    "PRIVATE USE U+F8FF": "\uf8ff",
}


def test_the_supplementary_private_use_planes_are_left_alone():
    """Planes 15 and 16 are not refused (domain/fields.py says why); the BMP's are."""
    assert text_error("a\U000f0000b", "Notes") is None
    assert text_error("a\U0010fffdb", "Notes", multiline=True) is None


@pytest.mark.parametrize("name", INVISIBLE)
def test_a_single_line_field_refuses_what_does_not_show(name):
    char = INVISIBLE[name]
    for value in (f"Northshire County Council{char}", char, char * 3, f" {char} "):
        message = text_error(value, "The agency's name")
        assert message == (
            f"The agency's name must not contain invisible characters (U+{ord(char):04X}): "
            "type only what should show"
        )


@pytest.mark.parametrize("name", NOT_CHARACTERS)
def test_no_field_takes_noncharacters_or_private_use(name):
    char = NOT_CHARACTERS[name]
    for multiline in (False, True):
        message = text_error(f"a{char}b", "Notes", multiline=multiline)
        assert message is not None and f"U+{ord(char):04X}" in message


def test_a_multi_line_field_keeps_what_word_processors_paste():
    # Soft hyphens, joiners in emoji and words, a flag written with tag characters.
    for value in (
        "The partner\u00adship ended.",
        "👩\u200d👧 family",
        "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f Cymru",
        "می\u200cخواهم",
    ):
        assert text_error(value, "The reason", multiline=True) is None


def test_a_name_is_stored_composed_and_compared_without_case_or_invisibles():
    assert one_line("  Eastmoo\u0301r ") == "Eastmoór" == one_line("Eastmoór")
    same = (
        "Northshire County Council",
        "NORTHSHIRE COUNTY COUNCIL",
        "Northshire  County\u00a0Council ",
        "Northshire County Council\u200b",
        "Ｎorthshire County Council",
    )
    assert {name_key(n) for n in same} == {"northshire county council"}
    assert name_key("Eastmoo\u0301r") == name_key("EASTMOÓR")
    assert name_key("Northshire County Council") != name_key("Northshire Council")


def test_the_message_names_the_field_and_the_character():
    assert text_error("a\x1bb", "The job title") == (
        "The job title must not contain control characters (U+001B)"
    )
    assert text_error("a\r\nb", "Title") == "Title must be on one line: remove the line break"
    assert text_error("a\r\nb\tc", "Notes", multiline=True) is None
    assert "not U+2028" in text_error("a\u2028b", "Notes", multiline=True)


def test_input_dates_run_from_1900_to_2199():
    assert date_range_error(date(1900, 1, 1), "Date") is None
    assert date_range_error(date(2199, 12, 31), "Date") is None
    for day in (date(1899, 12, 31), date(2200, 1, 1), date(9999, 12, 31), date(1, 1, 1)):
        assert date_range_error(day, "Date") == (
            "Date must be between 1 January 1900 and 31 December 2199"
        )


def test_no_review_date_is_worked_out_from_a_date_that_would_overflow():
    assert default_review_date(date(9999, 12, 31), 12) is None
    assert default_review_date(date(2026, 1, 31), 10**9) is None
    assert default_review_date(date(2026, 1, 31), 1) == date(2026, 2, 28)
