"""The one rule on free text and the range of input dates (registry/domain), alone."""

from __future__ import annotations

import unicodedata
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from registry.domain.agreements import default_review_date
from registry.domain.dates import date_range_error
from registry.domain.fields import text_error

BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def forbidden(char: str, *, multiline: bool) -> bool:
    """The rule written out a second way, by Unicode's own categories."""
    if multiline and char in "\t\n\r":
        return False
    return (
        unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in BIDI or char == "\ufeff"
    )


@given(st.text(alphabet=st.characters(codec=None), max_size=40), st.booleans())
def test_text_is_refused_exactly_when_it_holds_a_forbidden_character(value, multiline):
    expected = any(forbidden(c, multiline=multiline) for c in value)
    assert (text_error(value, "Field", multiline=multiline) is not None) == expected


def test_ordinary_text_in_many_scripts_passes():
    for value in (
        "Ynys Môn – Cyngor Sir",
        "Ærø Kommune",
        "Zoë O'Brien-Smith",
        "日本語の名前",
        "مجلس المدينة",  # right-to-left text itself is fine: only the controls are refused
        "👩‍👧 family (with a zero-width joiner)",
    ):
        assert text_error(value, "Name") is None


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
