"""Shared data of the allocation screen tests (back-office, portal, API).

The Christmas holidays 2026 are in allocation mode: requests from the opening (Monday 23
November, 20:00) until Monday 7 December at noon. The holiday camp has ONE place a day (no age
groups), so that two families asking the same day cannot both get it. Léa (family A) and Hugo
(family B) are enrolled in the camp for the holidays.
"""

import datetime
from contextlib import contextmanager

import pytest
import time_machine

from marmots.bookings import context
from marmots.places import actions
from tests.house import at, build, enroll

BEFORE_OPENING = at(datetime.date(2026, 11, 20), 10)
OPEN = at(datetime.date(2026, 11, 25), 10)
CLOSE = at(datetime.date(2026, 12, 7), 12)
AFTER_CLOSE = at(datetime.date(2026, 12, 8), 10)
DAY1 = datetime.date(2026, 12, 28)
DAY2 = datetime.date(2026, 12, 29)
PORTAL = "/portail/attribution/"
GESTION = "/gestion/attribution/"


@contextmanager
def clock(moment):
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture(name="house")
def house_fixture(structure, manager, child_a, child_b):
    """The house in allocation mode (import `house_fixture` to use the `house` fixture)."""
    house = build(structure)
    enroll(house, child_a, house.holiday)
    enroll(house, child_b, house.holiday)
    camp = house.camp_slot
    camp.age_groups.all().delete()
    camp.capacity = 1
    camp.save()
    context.forget(structure.pk)
    actions.configure(
        manager, house.christmas, mode="allocation", requests_close_at=CLOSE, now=BEFORE_OPENING
    )
    return house


def key(child, slot, day):
    return f"{child.pk}-{slot.pk}-{day:%Y-%m-%d}"


def request_data(house, child, days, **extra):
    """POST data of the portal request form asking `days` of the camp for `child`."""
    keys = [key(child, house.camp_slot, day) for day in days]
    return {"jour": keys, **{f"pref-{k}": "1" for k in keys}, **extra}


def period_url(house):
    return f"{PORTAL}{house.christmas.pk}/"
