"""The booking and cancellation deadlines against the house rules (pure functions, no database).

School time: 2 working days before, at 8:30. Holidays: 10 working days before, at 8:30.
"""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marmots.activities.calendar import public_holidays
from marmots.bookings import deadlines
from marmots.bookings.deadlines import FREE, LATE, STARTED, Rule

D = datetime.date
UTC = datetime.UTC
HALF_PAST_8 = datetime.time(8, 30)
SCHOOL = Rule(2, HALF_PAST_8)
HOLIDAYS = Rule(10, HALF_PAST_8)
SCHOOL_SKIPPING = Rule(2, HALF_PAST_8, skip_public_holidays=True)
HOLIDAYS_SKIPPING = Rule(10, HALF_PAST_8, skip_public_holidays=True)
FRENCH_HOLIDAYS = public_holidays([2026, 2027])
EVENING = datetime.time(16, 30)


def local(moment):
    """(date, 'HH:MM', UTC offset in hours) of an aware datetime, in Paris."""
    moment = moment.astimezone(deadlines.PARIS)
    return moment.date(), f"{moment:%H:%M}", moment.utcoffset().total_seconds() / 3600


# -- the house-rules table, every weekday -----------------------------------------------------

SCHOOL_TABLE = [
    # day booked (week of Monday 30/11/2026) -> deadline day
    (D(2026, 11, 30), D(2026, 11, 26)),  # Monday by the previous Thursday
    (D(2026, 12, 1), D(2026, 11, 27)),  # Tuesday by Friday
    (D(2026, 12, 2), D(2026, 11, 30)),  # Wednesday by Monday
    (D(2026, 12, 3), D(2026, 12, 1)),  # Thursday by Tuesday
    (D(2026, 12, 4), D(2026, 12, 2)),  # Friday by Wednesday
]


@pytest.mark.parametrize("day, expected", SCHOOL_TABLE)
def test_school_time_two_working_days_at_half_past_eight(day, expected):
    assert day.weekday() == SCHOOL_TABLE.index((day, expected))
    assert local(deadlines.deadline(day, SCHOOL)) == (expected, "08:30", 1)


HOLIDAY_DAYS = [D(2026, 12, 21) + datetime.timedelta(days=n) for n in range(5)]


@pytest.mark.parametrize("day", HOLIDAY_DAYS)
def test_holidays_ten_working_days_is_the_same_weekday_two_weeks_earlier(day):
    expected = day - datetime.timedelta(weeks=2)
    assert expected.weekday() == day.weekday()
    assert local(deadlines.deadline(day, HOLIDAYS)) == (expected, "08:30", 1)


def test_saturday_and_sunday_are_not_counted():
    # A Monday after a weekend: Friday is the 1st working day before, Thursday the 2nd.
    assert deadlines.deadline(D(2026, 12, 7), SCHOOL).date() == D(2026, 12, 3)


# -- across daylight-saving changes ------------------------------------------------------------


@pytest.mark.parametrize(
    "day, rule, expected",
    [
        # Autumn: clocks go back on Sunday 25/10/2026 (UTC+2 before, UTC+1 after).
        (D(2026, 10, 26), SCHOOL, (D(2026, 10, 22), "08:30", 2)),
        (D(2026, 10, 28), SCHOOL, (D(2026, 10, 26), "08:30", 1)),
        (D(2026, 11, 2), HOLIDAYS, (D(2026, 10, 19), "08:30", 2)),
        # Spring: clocks go forward on Sunday 28/03/2027 (UTC+1 before, UTC+2 after).
        (D(2027, 3, 29), SCHOOL, (D(2027, 3, 25), "08:30", 1)),
        (D(2027, 3, 31), SCHOOL, (D(2027, 3, 29), "08:30", 2)),
        (D(2027, 4, 9), HOLIDAYS, (D(2027, 3, 26), "08:30", 1)),
    ],
)
def test_half_past_eight_local_across_daylight_saving(day, rule, expected):
    assert local(deadlines.deadline(day, rule)) == expected


def test_utc_instants_across_the_autumn_change():
    before = deadlines.deadline(D(2026, 10, 26), SCHOOL)  # Thursday 22/10, summer time
    after = deadlines.deadline(D(2026, 10, 28), SCHOOL)  # Monday 26/10, winter time
    assert before.astimezone(UTC) == datetime.datetime(2026, 10, 22, 6, 30, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime.datetime(2026, 10, 26, 7, 30, tzinfo=UTC)


def test_utc_instants_across_the_spring_change():
    before = deadlines.deadline(D(2027, 3, 29), SCHOOL)  # Thursday 25/03, winter time
    after = deadlines.deadline(D(2027, 3, 31), SCHOOL)  # Monday 29/03, summer time
    assert before.astimezone(UTC) == datetime.datetime(2027, 3, 25, 7, 30, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime.datetime(2027, 3, 29, 6, 30, tzinfo=UTC)


def test_the_window_flips_at_half_past_eight_local_after_the_change():
    # Wednesday 31/03/2027 closes on Monday 29/03 at 8:30 summer time = 6:30 UTC.
    day = D(2027, 3, 31)
    free = datetime.datetime(2027, 3, 29, 6, 29, tzinfo=UTC)
    late = datetime.datetime(2027, 3, 29, 6, 30, tzinfo=UTC)
    assert deadlines.change_window(free, day, EVENING, SCHOOL) == FREE
    assert deadlines.change_window(late, day, EVENING, SCHOOL) == LATE


# -- the public-holiday option -----------------------------------------------------------------


@pytest.mark.parametrize(
    "day, rule, expected",
    [
        # Wednesday 11/11/2026 (Armistice): counted by default, skipped with the option.
        (D(2026, 11, 12), SCHOOL, D(2026, 11, 10)),
        (D(2026, 11, 12), SCHOOL_SKIPPING, D(2026, 11, 9)),
        (D(2026, 11, 13), SCHOOL, D(2026, 11, 11)),  # the deadline may fall on it
        (D(2026, 11, 13), SCHOOL_SKIPPING, D(2026, 11, 10)),
        # Christmas and New Year's Day (both Fridays) in a 10-day count.
        (D(2027, 1, 8), HOLIDAYS, D(2026, 12, 25)),
        (D(2027, 1, 8), HOLIDAYS_SKIPPING, D(2026, 12, 23)),
        # Easter Monday 29/03/2027, the day after the spring change.
        (D(2027, 3, 31), SCHOOL_SKIPPING, D(2027, 3, 26)),
    ],
)
def test_public_holidays_count_unless_skipped(day, rule, expected):
    moment = deadlines.deadline(day, rule, FRENCH_HOLIDAYS)
    assert moment.date() == expected
    assert f"{moment:%H:%M}" == "08:30"


def test_the_option_needs_the_holidays_to_be_given():
    assert deadlines.deadline(D(2026, 11, 12), SCHOOL_SKIPPING).date() == D(2026, 11, 10)


def test_a_skipped_holiday_can_move_the_utc_offset():
    # Skipping Easter Monday pushes the deadline back before the spring change.
    moment = deadlines.deadline(D(2027, 3, 31), SCHOOL_SKIPPING, FRENCH_HOLIDAYS)
    assert local(moment) == (D(2027, 3, 26), "08:30", 1)


# -- the window: free, late, started -----------------------------------------------------------


def test_change_window_free_late_started():
    day = D(2026, 12, 3)  # Thursday, deadline Tuesday 01/12 8:30, session at 16:30
    at = deadlines.PARIS
    cases = [
        (datetime.datetime(2026, 12, 1, 8, 29, 59, tzinfo=at), FREE),
        (datetime.datetime(2026, 12, 1, 8, 30, tzinfo=at), LATE),
        (datetime.datetime(2026, 12, 3, 16, 29, tzinfo=at), LATE),
        (datetime.datetime(2026, 12, 3, 16, 30, tzinfo=at), STARTED),
    ]
    for now, expected in cases:
        assert deadlines.change_window(now, day, EVENING, SCHOOL) == expected
        assert deadlines.can_change_free(now, day, EVENING, SCHOOL) is (expected == FREE)


# -- properties --------------------------------------------------------------------------------

ALL_HOLIDAYS = public_holidays(range(2019, 2041))
days = st.dates(min_value=D(2020, 1, 1), max_value=D(2040, 12, 31))
times = st.times()
rules = st.builds(
    Rule,
    days_before=st.integers(min_value=1, max_value=30),
    at=times,
    skip_public_holidays=st.booleans(),
)


@given(day=days, start=times, rule=rules)
def test_a_deadline_is_always_before_the_session(day, start, rule):
    limit = deadlines.deadline(day, rule, ALL_HOLIDAYS)
    assert limit.astimezone(UTC) < deadlines.session_start(day, start).astimezone(UTC)


@given(day=days, rule=rules)
def test_a_deadline_is_a_working_day_n_working_days_back(day, rule):
    from marmots.activities.calendar import is_working_day

    limit = deadlines.deadline(day, rule, ALL_HOLIDAYS).date()
    assert is_working_day(limit, rule.skip_public_holidays, ALL_HOLIDAYS)
    between = [limit + datetime.timedelta(days=n) for n in range((day - limit).days)]
    working = [d for d in between if is_working_day(d, rule.skip_public_holidays, ALL_HOLIDAYS)]
    assert len(working) == rule.days_before


@given(day=days, start=times, rule=rules)
def test_reaching_the_deadline_flips_cancellable(day, start, rule):
    limit = deadlines.deadline(day, rule, ALL_HOLIDAYS).astimezone(UTC)
    just_before = limit - datetime.timedelta(microseconds=1)
    args = (day, start, rule, ALL_HOLIDAYS)
    assert deadlines.change_window(just_before, *args) == FREE
    assert deadlines.can_change_free(just_before, *args)
    assert deadlines.change_window(limit, *args) == LATE
    assert not deadlines.can_change_free(limit, *args)


# -- French wording ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment, text",
    [
        (datetime.datetime(2026, 11, 26, 8, 30, tzinfo=deadlines.PARIS), "jeudi 26/11 à 8h30"),
        (datetime.datetime(2026, 11, 23, 20, 0, tzinfo=deadlines.PARIS), "lundi 23/11 à 20h00"),
        (datetime.datetime(2027, 3, 29, 6, 30, tzinfo=UTC), "lundi 29/03 à 8h30"),  # summer
        (datetime.datetime(2026, 12, 6, 6, 5, tzinfo=UTC), "dimanche 06/12 à 7h05"),  # winter
    ],
)
def test_fr_deadline(moment, text):
    assert deadlines.fr_deadline(moment) == text


def test_fr_deadline_of_the_house_table():
    assert deadlines.fr_deadline(deadlines.deadline(D(2026, 11, 30), SCHOOL)) == (
        "jeudi 26/11 à 8h30"
    )
