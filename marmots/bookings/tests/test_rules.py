"""The pure booking rules: open days, ages, places, APC (R9) and weekly-template dates."""

import datetime
from types import SimpleNamespace

import pytest

from marmots.activities.calendar import public_holidays
from marmots.bookings import rules

D = datetime.date
T = datetime.time
SCHOOL_SPANS = [(D(2026, 9, 1), D(2027, 7, 2))]
HOLIDAY_SPANS = [(D(2026, 10, 19), D(2026, 10, 30)), (D(2026, 12, 21), D(2027, 1, 1))]
CLOSURES = [(D(2026, 12, 7), D(2026, 12, 8), "formation de l'équipe")]
HOLIDAYS = public_holidays([2026, 2027])
EVENING_DAYS = [0, 1, 3, 4]
WEEKDAYS = [0, 1, 2, 3, 4]


def closed(day, *, weekdays=EVENING_DAYS, in_holidays=False, closures=CLOSURES):
    return rules.closed_reason(
        day,
        weekdays=weekdays,
        in_holidays=in_holidays,
        school_spans=SCHOOL_SPANS,
        holiday_spans=HOLIDAY_SPANS,
        closures=closures,
        public_holidays=HOLIDAYS,
    )


# -- closed_reason -----------------------------------------------------------------------------


def test_an_ordinary_school_day_is_open():
    assert closed(D(2026, 11, 30)) is None


def test_public_holiday():
    assert closed(D(2026, 11, 11), weekdays=WEEKDAYS) == "Jour férié (Armistice)."
    assert closed(D(2026, 12, 25), in_holidays=True, weekdays=WEEKDAYS) == "Jour férié (Noël)."


def test_public_holiday_is_told_before_a_closure():
    closures = [(D(2026, 11, 9), D(2026, 11, 13), "travaux")]
    assert closed(D(2026, 11, 11), weekdays=WEEKDAYS, closures=closures).startswith("Jour férié")
    assert closed(D(2026, 11, 12), closures=closures) == "Structure fermée : travaux."


def test_closure_covers_its_first_and_last_day():
    assert closed(D(2026, 12, 7)) == "Structure fermée : formation de l'équipe."
    assert closed(D(2026, 12, 8)) == "Structure fermée : formation de l'équipe."
    assert closed(D(2026, 12, 10)) is None


def test_weekday_not_run_by_the_activity():
    assert closed(D(2026, 12, 2)) == "Pas d'accueil ce jour-là."  # Wednesday
    assert closed(D(2026, 12, 5), weekdays=WEEKDAYS) == "Pas d'accueil ce jour-là."  # Saturday


def test_school_time_activity_closed_in_holidays_and_outside_the_school_year():
    message = "Pas d'accueil périscolaire pendant les vacances."
    assert closed(D(2026, 12, 22)) == message
    assert closed(D(2026, 10, 19)) == message
    assert closed(D(2026, 8, 31)) == message
    assert closed(D(2027, 7, 5)) == message


def test_holiday_activity_only_in_holidays():
    assert closed(D(2026, 12, 22), in_holidays=True, weekdays=WEEKDAYS) is None
    assert closed(D(2026, 12, 21), in_holidays=True, weekdays=WEEKDAYS) is None
    assert closed(D(2027, 1, 4), in_holidays=True, weekdays=WEEKDAYS) == (
        "Accueil ouvert pendant les vacances scolaires seulement."
    )


# -- age_on ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "born, day, age",
    [
        (D(2019, 5, 14), D(2026, 5, 13), 6),
        (D(2019, 5, 14), D(2026, 5, 14), 7),  # the birthday itself
        (D(2019, 5, 14), D(2026, 12, 31), 7),
        (D(2020, 12, 31), D(2026, 12, 30), 5),
        (D(2020, 12, 31), D(2027, 1, 1), 6),
        # Born on 29 February: one year older on 1 March in common years.
        (D(2020, 2, 29), D(2027, 2, 28), 6),
        (D(2020, 2, 29), D(2027, 3, 1), 7),
        (D(2020, 2, 29), D(2028, 2, 28), 7),
        (D(2020, 2, 29), D(2028, 2, 29), 8),
    ],
)
def test_age_on(born, day, age):
    assert rules.age_on(born, day) == age


# -- capacity_error ----------------------------------------------------------------------------

FULL = "Complet : plus aucune place ce jour-là."
LITTLE = SimpleNamespace(label="3-5 ans", min_age=3, max_age=5, capacity=2)
BIG = SimpleNamespace(label="6-11 ans", min_age=6, max_age=11, capacity=3)


def test_capacity_without_groups():
    assert rules.capacity_error(places=40, taken=39) is None
    assert rules.capacity_error(places=40, taken=40) == FULL
    assert rules.capacity_error(places=40, taken=41) == FULL
    assert rules.capacity_error(places=0, taken=0) == FULL


def test_no_places_set_means_unlimited():
    assert rules.capacity_error(places=None, taken=500) is None


def test_capacity_per_age_group():
    groups = [LITTLE, BIG]
    kwargs = {"places": 48, "groups": groups}
    assert rules.capacity_error(taken=1, age=4, taken_ages=[5], **kwargs) is None
    assert rules.capacity_error(taken=3, age=4, taken_ages=[3, 5, 8], **kwargs) == (
        "Complet pour les 3-5 ans (3-5 ans)."
    )
    # The little ones' group is full, the big ones' is not.
    assert rules.capacity_error(taken=3, age=6, taken_ages=[3, 5, 8], **kwargs) is None


def test_age_without_a_group():
    message = rules.capacity_error(places=48, taken=0, age=12, groups=[LITTLE, BIG])
    assert message == "Aucune place n'est prévue pour les enfants de 12 ans."


def test_the_slot_total_is_kept_even_with_room_in_the_group():
    assert rules.capacity_error(places=2, taken=2, age=6, groups=[BIG], taken_ages=[3, 4]) == FULL


# -- APC (R9) ----------------------------------------------------------------------------------

TUESDAY = D(2026, 12, 8)
CIRCUS = ("Cirque", [1], D(2026, 9, 1), D(2027, 7, 2), [(T(16, 30), T(18, 0))])


APC_START, APC_END = T(17, 30), T(18, 0)


def apc(day=TUESDAY, *, allows=True, start=APC_START, end=APC_END, annual=()):
    return rules.apc_error(
        day,
        slot_allows_apc=allows,
        slot_start=start,
        slot_end=end,
        child_name="Léa",
        annual_activities=list(annual),
    )


NOT_HERE = "La récupération à la fin des APC n'est possible que le mardi, à 17h30 ou 18h."


def test_apc_on_tuesday_on_an_apc_slot():
    assert apc() is None
    assert apc(start=T(18, 0), end=T(18, 30)) is None


def test_apc_only_on_tuesdays():
    for offset in (-1, 1, 2, 3):
        assert apc(TUESDAY + datetime.timedelta(days=offset)) == NOT_HERE


def test_apc_only_on_slots_that_allow_it():
    assert apc(allows=False, start=T(16, 30), end=T(17, 30)) == NOT_HERE


def test_apc_conflicts_with_an_annual_activity_at_the_same_time():
    assert apc(annual=[CIRCUS]) == (
        "Léa est récupéré(e) à la fin des APC le mardi : impossible en même temps que "
        "l'activité « Cirque », qui a lieu à ce moment-là."
    )


def test_apc_does_not_conflict_with_an_activity_at_another_time_or_day():
    late_theatre = ("Théâtre", [1], D(2026, 9, 1), D(2027, 7, 2), [(T(18, 30), T(19, 30))])
    thursday_dance = ("Danse", [3], D(2026, 9, 1), D(2027, 7, 2), [(T(16, 30), T(18, 0))])
    assert apc(annual=[late_theatre, thursday_dance]) is None
    # 18:00-18:30 starts when the circus ends: touching is not overlapping.
    assert apc(start=T(18, 0), end=T(18, 30), annual=[CIRCUS]) is None


def test_apc_does_not_conflict_outside_the_enrollment_dates():
    until_november = ("Cirque", [1], D(2026, 9, 1), D(2026, 11, 30), [(T(16, 30), T(18, 0))])
    from_january = ("Cirque", [1], D(2027, 1, 5), D(2027, 7, 2), [(T(16, 30), T(18, 0))])
    assert apc(annual=[until_november, from_january]) is None


def test_an_annual_activity_without_slots_conflicts_all_day():
    assert "Cirque" in apc(annual=[("Cirque", [1], D(2026, 9, 1), D(2027, 7, 2), [])])


# -- annual_conflict_error ---------------------------------------------------------------------


def conflict(weekdays, apc_days):
    return rules.annual_conflict_error(
        child_name="Léa", activity_name="Cirque", weekdays=weekdays, apc_days=apc_days
    )


def test_annual_conflict_names_the_first_apc_day():
    apc_days = [D(2026, 12, 15), D(2026, 12, 8)]
    assert conflict([1], apc_days) == (
        "Léa est récupéré(e) à la fin des APC le mardi 08/12/2026 : l'activité « Cirque » a "
        "lieu au même moment. Retirez d'abord la récupération APC."
    )


def test_no_annual_conflict_on_other_weekdays_or_without_apc():
    assert conflict([3], [D(2026, 12, 8)]) is None
    assert conflict([1], []) is None


# -- weekly templates --------------------------------------------------------------------------

MONDAY_ODD = D(2026, 11, 30)  # ISO week 49
MONDAY_EVEN = D(2026, 12, 7)  # ISO week 50


def test_week_parity():
    assert rules.week_matches(MONDAY_ODD, "all") and rules.week_matches(MONDAY_EVEN, "all")
    assert rules.week_matches(MONDAY_ODD, "odd") and not rules.week_matches(MONDAY_ODD, "even")
    assert rules.week_matches(MONDAY_EVEN, "even") and not rules.week_matches(MONDAY_EVEN, "odd")
    # Sunday belongs to the ISO week of the Monday before it.
    assert rules.week_matches(D(2026, 12, 6), "odd")


def test_week_parity_across_a_53_week_year():
    # 2026 has 53 ISO weeks: week 53 and week 1 of 2027 are both odd, back to back.
    assert rules.week_matches(D(2026, 12, 28), "odd")
    assert rules.week_matches(D(2027, 1, 4), "odd")
    assert rules.week_matches(D(2027, 1, 11), "even")


def entry(weekday, weeks="all", name=""):
    return SimpleNamespace(weekday=weekday, weeks=weeks, name=name)


def test_template_dates_every_week_and_even_weeks():
    monday = entry(0, name="lundi")
    tuesday_even = entry(1, "even", name="mardi pair")
    found = rules.template_dates([tuesday_even, monday], MONDAY_ODD, D(2026, 12, 13))
    assert [(day, e.name) for day, e in found] == [
        (D(2026, 11, 30), "lundi"),
        (D(2026, 12, 7), "lundi"),
        (D(2026, 12, 8), "mardi pair"),
    ]


def test_template_dates_odd_weeks_and_bounds_included():
    thursday_odd = entry(3, "odd")
    found = rules.template_dates([thursday_odd], D(2026, 12, 3), D(2026, 12, 17))
    assert [day for day, _ in found] == [D(2026, 12, 3), D(2026, 12, 17)]


def test_template_dates_keeps_several_slots_of_one_day_in_entry_order():
    first, second = entry(0, name="16h30"), entry(0, name="17h30")
    found = rules.template_dates([first, second], MONDAY_ODD, MONDAY_ODD)
    assert [e.name for _, e in found] == ["16h30", "17h30"]


def test_template_dates_empty_span():
    assert rules.template_dates([entry(0)], MONDAY_EVEN, MONDAY_ODD) == []
