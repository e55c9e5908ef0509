"""The meaning of an officer's dates (domain/agencies.py), without a database."""

from datetime import date, timedelta

from registry.domain.agencies import end_error, holds_on, overlap, start_error

D = date(2026, 6, 15)


def test_a_holder_holds_from_the_start_up_to_not_including_the_leaving_day():
    assert not holds_on(D, None, D - timedelta(days=1))
    assert holds_on(D, None, D) and holds_on(D, None, date(2199, 12, 31))
    ends = D + timedelta(days=10)
    assert holds_on(D, ends, ends - timedelta(days=1)) and not holds_on(D, ends, ends)
    assert not holds_on(D, D, D)  # ended on the day they started: never held it


def test_periods_overlap_unless_one_ends_when_or_before_the_other_starts():
    later = D + timedelta(days=30)
    assert not overlap((D, later), (later, None))  # the successor's first day is the leaver's end
    assert overlap((D, later + timedelta(days=1)), (later, None))
    assert overlap((D, None), (later, None))
    assert not overlap((later, None), (D, D + timedelta(days=1)))
    assert not overlap((D, D), (D, None))


def test_dates_within_a_year_ahead_and_leaving_not_before_starting():
    assert start_error(D + timedelta(days=365), D) is None
    assert "a year from today" in start_error(D + timedelta(days=366), D)
    assert "between" in start_error(date(1899, 12, 31), D)
    assert end_error(D, D, D) is None
    assert "on or after 15 June 2026" in end_error(D - timedelta(days=1), D, D)
    assert "a year from today" in end_error(D + timedelta(days=366), D, D)
