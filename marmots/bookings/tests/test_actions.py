"""The booking actions, as every channel calls them: rules enforced, changes only when allowed."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, BookingRequest
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)


@pytest.fixture
def lea(house, child_a):
    enroll(house, child_a, house.evening, house.holiday)
    return child_a


def test_family_books_before_deadline(house, lea, guardian_a):
    # Thursday's deadline is Tuesday 8:30.
    (outcome,) = actions.book(
        guardian_a.user, [Change(lea, house.snack_slot, THURSDAY)], now=at(MONDAY, 9)
    )
    assert outcome.ok and outcome.result == actions.BOOKED
    assert Booking.objects.get().booked_on_behalf is False


def test_family_refused_after_deadline(house, lea, guardian_a):
    (outcome,) = actions.book(
        guardian_a.user,
        [Change(lea, house.snack_slot, THURSDAY)],
        now=at(MONDAY + datetime.timedelta(days=1), 8, 30),
    )
    assert not outcome.ok
    assert outcome.message == (
        "Les réservations du jeudi 03/12/2026 sont closes depuis le mardi 01/12 à 8h30."
    )
    assert not Booking.objects.exists()


def test_manager_books_past_deadline_on_behalf(house, lea, manager):
    (outcome,) = actions.book(
        manager, [Change(lea, house.snack_slot, THURSDAY)], now=at(THURSDAY, 12)
    )
    assert outcome.ok
    assert Booking.objects.get().booked_on_behalf is True


def test_other_family_refused(house, lea, guardian_b):
    with pytest.raises(PermissionDenied):
        actions.book(guardian_b.user, [Change(lea, house.snack_slot, THURSDAY)], now=at(MONDAY, 9))
    assert not Booking.objects.exists()


def test_without_enrollment_refused(house, child_b, guardian_b):
    (outcome,) = actions.book(
        guardian_b.user, [Change(child_b, house.snack_slot, THURSDAY)], now=at(MONDAY, 9)
    )
    assert "n'a pas d'inscription validée" in outcome.message
    assert not Booking.objects.exists()


def test_wednesday_closed_for_evening(house, lea, guardian_a):
    (outcome,) = actions.book(
        guardian_a.user,
        [Change(lea, house.snack_slot, MONDAY + datetime.timedelta(days=9))],
        now=at(MONDAY, 9),
    )
    assert outcome.message == "Pas d'accueil ce jour-là."


def test_cancel_in_time_then_late(house, lea, guardian_a):
    friday = MONDAY + datetime.timedelta(days=4)
    actions.book(
        guardian_a.user,
        [Change(lea, house.snack_slot, THURSDAY), Change(lea, house.snack_slot, friday)],
        now=at(MONDAY, 9),
    )
    (free,) = actions.cancel(
        guardian_a.user, [Change(lea, house.snack_slot, THURSDAY)], now=at(MONDAY, 10)
    )
    (late,) = actions.cancel(
        guardian_a.user, [Change(lea, house.snack_slot, friday)], now=at(THURSDAY, 10)
    )
    assert (free.result, late.result) == (actions.CANCELLED, actions.LATE)
    statuses = dict(Booking.objects.values_list("date", "status"))
    assert statuses == {THURSDAY: Booking.CANCELLED, friday: Booking.LATE_CANCELLED}


def test_capacity_and_age_groups(house, lea, guardian_a, family_a):
    from tests import factories as f

    house.camp_slot.age_groups.filter(min_age=6).update(capacity=1)
    sibling = f.ChildFactory(
        family=family_a, first_name="Tom", birth_date=datetime.date(2018, 3, 1)
    )
    enroll(house, sibling, house.holiday)
    day = datetime.date(2026, 12, 22)
    outcomes = actions.book(
        guardian_a.user,
        [Change(lea, house.camp_slot, day), Change(sibling, house.camp_slot, day)],
        now=at(datetime.date(2026, 11, 25), 9),
    )
    assert [o.ok for o in outcomes] == [True, False]
    assert outcomes[1].message == "Complet pour les 6-11 ans (6-11 ans)."


def test_holiday_not_open_yet(house, lea, guardian_a):
    (outcome,) = actions.book(
        guardian_a.user,
        [Change(lea, house.camp_slot, datetime.date(2026, 12, 22))],
        now=at(datetime.date(2026, 11, 23), 19, 59),
    )
    assert outcome.message == (
        "Les réservations pour « Vacances de Noël 2026 » ouvrent le lundi 23/11 à 20h00."
    )


def test_apc_conflicts_with_tuesday_circus(house, lea, guardian_a):
    enroll(house, lea, house.circus)
    tuesday = MONDAY + datetime.timedelta(days=8)
    (outcome,) = actions.book(
        guardian_a.user, [Change(lea, house.apc_slot, tuesday, with_apc=True)], now=at(MONDAY, 9)
    )
    assert "APC" in outcome.message and "Cirque" in outcome.message
    assert not Booking.objects.exists()


def test_ask_only_activity_creates_request(house, lea, guardian_a):
    house.evening.families_may_add = False
    house.evening.save()
    (outcome,) = actions.book(
        guardian_a.user, [Change(lea, house.snack_slot, THURSDAY)], now=at(MONDAY, 9)
    )
    assert outcome.result == actions.REQUESTED
    assert not Booking.objects.exists()
    assert BookingRequest.objects.get().action == BookingRequest.ADD


def test_late_cancelled_day_is_reinstated_by_the_manager_only(house, lea, guardian_a, manager):
    friday = MONDAY + datetime.timedelta(days=4)
    change = Change(lea, house.snack_slot, friday)
    actions.book(guardian_a.user, [change], now=at(MONDAY, 9))
    actions.cancel(guardian_a.user, [change], now=at(THURSDAY, 10))
    (family,) = actions.book(guardian_a.user, [change], now=at(THURSDAY, 10))
    assert not family.ok and Booking.objects.get().status == Booking.LATE_CANCELLED
    (again,) = actions.book(manager, [change], now=at(THURSDAY, 11))
    booking = Booking.objects.get()
    assert again.ok and booking.status == Booking.BOOKED
    assert booking.cancelled_at is None and booking.cancelled_by is None


def test_rules_changed_by_the_manager_apply_to_the_next_booking(house, lea, guardian_a):
    """The structure's rules are cached per process; every change renews them."""
    from marmots.activities.models import Closure
    from marmots.bookings.models import DeadlinePolicy

    friday = MONDAY + datetime.timedelta(days=4)
    actions.book(guardian_a.user, [Change(lea, house.snack_slot, THURSDAY)], now=at(MONDAY, 9))
    closure = Closure.objects.create(
        structure=house.structure, start_date=friday, end_date=friday, reason="pont"
    )
    (closed,) = actions.book(
        guardian_a.user, [Change(lea, house.snack_slot, friday)], now=at(MONDAY, 9)
    )
    assert closed.message == "Structure fermée : pont."
    closure.delete()
    policy = DeadlinePolicy.objects.get(structure=house.structure, period_kind="school_year")
    policy.days_before = 5
    policy.save()
    (late,) = actions.book(
        guardian_a.user, [Change(lea, house.snack_slot, friday)], now=at(MONDAY, 9)
    )
    assert late.code == "deadline"
