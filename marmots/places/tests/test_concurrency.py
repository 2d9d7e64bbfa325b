"""The allocation under concurrency on PostgreSQL: two hand adjustments for the last place, and
a confirmation racing a booking made on a family's behalf, never exceed the places."""

import time

import pytest
from django.core.exceptions import ValidationError

from marmots.bookings import actions as booking_actions
from marmots.bookings.models import Booking
from marmots.bookings.tests.test_concurrency import race
from marmots.places import actions, facts
from marmots.places.models import AllocationWish
from tests import factories as f
from tests.house import enroll

from . import scenario as sc
from .scenario import D21, D22, D23


def slowly(monkeypatch):
    """Every thread counts the places, then pauses before it writes."""
    rooms = facts.rooms

    def rooms_then_pause(*args, **kwargs):
        result = rooms(*args, **kwargs)
        time.sleep(0.05)
        return result

    monkeypatch.setattr(facts, "rooms", rooms_then_pause)


def attempt(call, *args, **kwargs):
    def run():
        try:
            call(*args, **kwargs)
            return "ok"
        except ValidationError as error:
            return error.messages[0]

    return run


@pytest.mark.django_db(transaction=True)
def test_two_managers_grant_the_last_place_once(postgres, house, manager, monkeypatch):
    s = sc.build(house, manager)
    sc.ask_all(s)
    actions.propose(manager, s.allocation, now=sc.AFTER_CLOSE)
    lea = AllocationWish.objects.get(child__first_name="Léa", date=D23)
    actions.adjust(manager, lea, False, now=sc.AFTER_CLOSE)  # one place free on 23/12
    ines = AllocationWish.objects.select_related("request__allocation__period__structure")
    nina = ines.get(child__first_name="Nina", date=D23)
    ines = ines.get(child__first_name="Inès", date=D23)
    slowly(monkeypatch)
    results = race(
        [
            attempt(actions.adjust, manager, ines, True, now=sc.AFTER_CLOSE),
            attempt(actions.adjust, manager, nina, True, now=sc.AFTER_CLOSE),
        ]
    )
    assert sorted(r == "ok" for r in results) == [False, True]
    assert AllocationWish.objects.filter(date=D23, proposed=True).count() == 2


@pytest.mark.django_db(transaction=True)
def test_confirmation_and_a_booking_on_behalf_never_overbook(postgres, house, manager, monkeypatch):
    s = sc.build(house, manager)
    sc.ask_all(s)
    actions.propose(manager, s.allocation, now=sc.AFTER_CLOSE)
    late = f.ChildFactory(family=s.durand.family, first_name="Léon")
    enroll(house, late, house.holiday)
    camp = s.camp
    lea = AllocationWish.objects.get(child__first_name="Léa", date=D23)
    actions.adjust(manager, lea, False, now=sc.AFTER_CLOSE)
    ines = AllocationWish.objects.get(child__first_name="Inès", date=D23)
    actions.adjust(manager, ines, True, now=sc.AFTER_CLOSE)
    slowly(monkeypatch)
    # 21/12 is full in the proposal: Léon's booking there and the confirmation race.
    results = race(
        [
            attempt(actions.confirm, manager, s.allocation, now=sc.AFTER_CLOSE),
            lambda: (
                booking_actions.book(
                    manager, [booking_actions.Change(late, camp, D21)], now=sc.AFTER_CLOSE
                )[0].code
            ),
        ]
    )
    for day, places in ((D21, 3), (D22, 5), (D23, 3)):
        booked = Booking.objects.filter(slot=camp, date=day, status=Booking.BOOKED).count()
        assert booked <= places
    confirmed, booked = results
    assert (confirmed == "ok") != (booked == "booked"), results
