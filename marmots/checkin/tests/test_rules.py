"""The kiosk windows and the missed check-in rule, as the house rules state them."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marmots.checkin.rules import (
    ARRIVAL,
    DEPARTURE,
    Session,
    event_fits,
    missed_checkins,
    month_counts,
    warning_level,
    windows,
)

T = datetime.time
MORNING = frozenset({ARRIVAL})
EVENING = frozenset({DEPARTURE})
THRESHOLD = 3


def test_morning_offers_the_arrival_only_from_six_until_half_past_eight():
    assert set(windows(MORNING, T(7), T(8, 30))) == {ARRIVAL}
    assert event_fits(ARRIVAL, T(6), MORNING, T(7), T(8, 30))
    assert event_fits(ARRIVAL, T(8, 30), MORNING, T(7), T(8, 30))
    assert not event_fits(ARRIVAL, T(5, 59), MORNING, T(7), T(8, 30))
    assert not event_fits(ARRIVAL, T(8, 31), MORNING, T(7), T(8, 30))
    assert not event_fits(DEPARTURE, T(8), MORNING, T(7), T(8, 30))


def test_evening_offers_the_departure_only_until_an_hour_after_closing():
    assert event_fits(DEPARTURE, T(16, 30), EVENING, T(16, 30), T(18, 30))
    assert event_fits(DEPARTURE, T(19, 30), EVENING, T(16, 30), T(18, 30))
    assert not event_fits(DEPARTURE, T(16, 29), EVENING, T(16, 30), T(18, 30))
    assert not event_fits(DEPARTURE, T(19, 31), EVENING, T(16, 30), T(18, 30))
    assert not event_fits(ARRIVAL, T(17), EVENING, T(16, 30), T(18, 30))


def test_windows_stay_within_the_day():
    both = frozenset({ARRIVAL, DEPARTURE})
    w = windows(both, T(0, 30), T(23, 30))
    assert w[ARRIVAL].start == T.min
    assert w[DEPARTURE].end == T.max
    assert windows(frozenset(), T(7), T(8)) == {}


def session(day, *, present=True, by_family=frozenset(), asked=MORNING, booked=True, child=1):
    return Session(child, day, 10, present, asked, by_family, booked)


def missed(day, **kwargs):
    return session(day, **kwargs)


def novembre(day):
    return datetime.date(2026, 11, day)


def test_a_session_is_missed_only_when_present_and_the_family_event_is_missing():
    assert missed(novembre(2)).missed
    assert not session(novembre(2), by_family=MORNING).missed
    assert not session(novembre(2), present=False).missed  # absent: nothing to check
    assert not session(novembre(2), asked=frozenset()).missed  # the rule does not apply
    # A departure made on the kiosk does not replace the morning arrival asked of the family.
    assert session(novembre(2), by_family=EVENING).missed
    both = frozenset({ARRIVAL, DEPARTURE})
    assert session(novembre(4), asked=both, by_family=MORNING).missed
    assert not session(novembre(4), asked=both, by_family=both).missed


@pytest.mark.parametrize(
    ("count", "beyond"), [(0, False), (1, False), (2, False), (3, False), (4, True), (6, True)]
)
def test_up_to_the_threshold_nothing_changes_beyond_it_every_missed_session_is_at_max(
    count, beyond
):
    days = [novembre(d) for d in (2, 3, 5, 6, 9, 10)]
    sessions = [missed(d) for d in days[:count]] + [session(novembre(12), by_family=MORNING)]
    verdicts = missed_checkins(sessions, THRESHOLD)
    for s in sessions[:count]:
        verdict = verdicts[s.key]
        assert verdict.missed and verdict.month_count == count
        assert verdict.beyond is beyond
        # All of the month's missed sessions, the first three included, once past the threshold.
        assert verdict.max_span is beyond
    checked = verdicts[sessions[-1].key]
    assert not checked.missed and not checked.max_span


def test_an_unbooked_missed_session_is_billed_at_its_maximum_even_below_the_threshold():
    verdicts = missed_checkins([missed(novembre(2), booked=False)], THRESHOLD)
    assert verdicts[(1, novembre(2), 10)].max_span
    assert not verdicts[(1, novembre(2), 10)].beyond


def test_months_are_counted_separately_across_a_month_boundary():
    # Three in November and two in December: neither month goes past 3.
    days = [novembre(25), novembre(26), novembre(30), datetime.date(2026, 12, 1)]
    days.append(datetime.date(2026, 12, 3))
    verdicts = missed_checkins([missed(d) for d in days], THRESHOLD)
    assert [verdicts[(1, d, 10)].month_count for d in days] == [3, 3, 3, 2, 2]
    assert not any(v.max_span for v in verdicts.values())
    # One more on 30/11 tips November over, not December.
    days.append(novembre(27))
    verdicts = missed_checkins([missed(d) for d in days], THRESHOLD)
    assert [verdicts[(1, d, 10)].beyond for d in days] == [True] * 3 + [False] * 2 + [True]


def test_children_are_counted_separately():
    sessions = [missed(novembre(d), child=1) for d in (2, 3, 5, 6)]
    sessions += [missed(novembre(d), child=2) for d in (2, 3)]
    counts = month_counts(sessions)
    assert counts == {(1, 2026, 11): 4, (2, 2026, 11): 2}
    verdicts = missed_checkins(sessions, THRESHOLD)
    assert verdicts[(2, novembre(2), 10)].beyond is False


def test_a_threshold_of_zero_bills_the_first_missed_session_at_its_maximum():
    verdicts = missed_checkins([missed(novembre(2))], 0)
    assert verdicts[(1, novembre(2), 10)].max_span


@pytest.mark.parametrize(
    ("count", "level"),
    [(0, None), (1, None), (2, "approche"), (3, "seuil"), (4, "depasse"), (9, "depasse")],
)
def test_the_family_is_warned_before_the_threshold_is_crossed(count, level):
    assert warning_level(count, THRESHOLD) == level


def test_no_warning_without_any_missed_check_in_even_with_a_threshold_of_zero_or_one():
    assert warning_level(0, 0) is None
    assert warning_level(0, 1) is None
    assert warning_level(1, 1) == "seuil"


days = st.dates(min_value=datetime.date(2026, 9, 1), max_value=datetime.date(2027, 7, 31))
sessions_strategy = st.lists(
    st.builds(
        Session,
        child_id=st.integers(1, 3),
        day=days,
        activity_id=st.sampled_from([10, 11]),
        present=st.booleans(),
        asked=st.sampled_from([MORNING, EVENING, frozenset()]),
        by_family=st.sampled_from([MORNING, EVENING, frozenset()]),
        booked=st.booleans(),
    ),
    max_size=40,
    unique_by=lambda s: s.key,
)


@given(sessions_strategy, st.integers(0, 5))
def test_properties(sessions, threshold):
    verdicts = missed_checkins(sessions, threshold)
    for s in sessions:
        verdict = verdicts[s.key]
        same_month = [
            o
            for o in sessions
            if o.missed
            and o.child_id == s.child_id
            and (o.day.year, o.day.month)
            == (
                s.day.year,
                s.day.month,
            )
        ]
        assert verdict.month_count == len(same_month)
        # Only a missed session is ever billed at its maximum because of this rule.
        assert verdict.max_span <= verdict.missed
        # Beyond the threshold every missed session of that month is at its maximum.
        if verdict.beyond and verdict.missed:
            assert verdict.max_span
        # At or below the threshold, a booked session is billed as booked.
        if not verdict.beyond and s.booked:
            assert not verdict.max_span
