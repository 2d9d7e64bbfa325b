"""The calendar helpers: zone A holidays, French public holidays, registration openings."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marmots.activities.calendar import (
    is_working_day,
    parse_school_year,
    public_holidays,
    registration_opening,
    school_holidays,
    school_year_bounds,
)

UTC = dt.UTC


def test_zone_a_holidays_2026_2027_are_weekdays_without_school():
    holidays = {name: (first, last) for name, first, last in school_holidays("A", "2026-2027")}
    # Classes end on Saturday 17 October and resume on Monday 2 November.
    assert holidays["Vacances de la Toussaint"] == (dt.date(2026, 10, 19), dt.date(2026, 10, 30))
    assert holidays["Vacances de Noël"] == (dt.date(2026, 12, 21), dt.date(2027, 1, 1))
    assert holidays["Vacances d'hiver"] == (dt.date(2027, 2, 15), dt.date(2027, 2, 26))
    assert holidays["Vacances de printemps"] == (dt.date(2027, 4, 12), dt.date(2027, 4, 23))
    assert holidays["Vacances d'été"] == (dt.date(2027, 7, 5), dt.date(2027, 8, 31))
    assert list(holidays)[0] == "Vacances de la Toussaint"


def test_zones_differ_and_the_summer_belongs_to_the_year_it_ends():
    zone_a = school_holidays("A", "2026-2027")
    zone_c = school_holidays("C", "2026-2027")
    assert (
        dict((n, f) for n, f, _ in zone_a)["Vacances d'hiver"]
        != dict((n, f) for n, f, _ in zone_c)["Vacances d'hiver"]
    )
    assert all(dt.date(2026, 9, 1) <= first for _, first, _ in zone_a)
    assert all(first.weekday() < 5 and last.weekday() < 5 for _, first, last in zone_a)


def test_school_year_runs_from_the_first_to_the_last_school_weekday():
    assert school_year_bounds("A", "2026-2027") == (dt.date(2026, 9, 1), dt.date(2027, 7, 2))


def test_unknown_years_give_nothing():
    assert school_holidays("A", "1980-1981") == []
    assert school_year_bounds("A", "1980-1981") is None


@pytest.mark.parametrize("bad", ["2026", "2026-2028", "26-27", "", "2026/2027"])
def test_bad_school_year_is_refused_in_french(bad):
    with pytest.raises(ValueError, match="Année scolaire invalide"):
        parse_school_year(bad)


def test_public_holidays_are_french_and_named_in_french():
    days = public_holidays([2026, 2027])
    assert days[dt.date(2026, 11, 11)] == "Armistice"
    assert dt.date(2027, 1, 1) in days
    assert dt.date(2027, 5, 6) in days  # Ascension
    assert dt.date(2026, 11, 12) not in days


def test_working_days_are_weekdays_and_public_holidays_count_unless_skipped():
    days = public_holidays([2026])
    armistice = dt.date(2026, 11, 11)  # a Wednesday
    assert is_working_day(armistice, False, days)
    assert not is_working_day(armistice, True, days)
    assert is_working_day(dt.date(2026, 11, 12), True, days)
    assert not is_working_day(dt.date(2026, 11, 14), False, days)  # Saturday
    assert not is_working_day(dt.date(2026, 11, 15))  # Sunday


def test_openings_are_on_the_monday_four_weeks_before_at_20h_paris():
    paris = ZoneInfo("Europe/Paris")
    toussaint = registration_opening(dt.date(2026, 10, 19))
    assert toussaint == dt.datetime(2026, 9, 21, 20, 0, tzinfo=paris)
    assert toussaint.astimezone(UTC).hour == 18  # summer time
    # The Christmas holidays start after the switch to winter time: still 20:00 in Paris.
    christmas = registration_opening(dt.date(2026, 12, 21))
    assert christmas.astimezone(UTC) == dt.datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
    # Spring holidays in summer time, opening in winter time (clocks change on 28 March 2027).
    spring = registration_opening(dt.date(2027, 4, 12))
    assert spring.astimezone(UTC) == dt.datetime(2027, 3, 15, 19, 0, tzinfo=UTC)
    # A holiday starting on a Thursday opens on the Monday of the week, four weeks earlier.
    assert registration_opening(dt.date(2027, 5, 6)).date() == dt.date(2027, 4, 5)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)))
def test_any_opening_is_a_monday_at_20h_between_4_and_5_weeks_before(first_day):
    opening = registration_opening(first_day)
    local = opening.astimezone(ZoneInfo("Europe/Paris"))
    assert local.weekday() == 0
    assert (local.hour, local.minute) == (20, 0)
    assert 28 <= (first_day - local.date()).days < 35
