"""Shared set-up of the portal's waiting-list tests: the snack slot has one place on Thursday
and Friday, taken by family B's Hugo, while family A's Léa and Tom (siblings) are enrolled.
Test modules import the fixtures under their *_fixture names."""

import datetime
import re

import pytest
import time_machine
from django.test import Client

from marmots.bookings import actions, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import SlotDay
from tests import factories as f
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)
FRIDAY = MONDAY + datetime.timedelta(days=4)
NOW = at(MONDAY, 9)


def key(child, slot, day):
    return f"{child.pk}-{slot.pk}-{day.isoformat()}"


def hidden_fields(html):
    """The summary's hidden fields, as the browser would send them back."""
    found = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html):
        found.setdefault(name, []).append(value)
    return found


def get(client, url, when=NOW, **kwargs):
    with time_machine.travel(when, tick=False):
        return client.get(url, **kwargs)


def post(client, url, data=None, when=NOW, **kwargs):
    with time_machine.travel(when, tick=False):
        return client.post(url, data or {}, **kwargs)


@pytest.fixture(name="siblings")
def siblings_fixture(house, family_a, child_a):
    tom = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2018, 3, 1))
    for child in (child_a, tom):
        enroll(house, child, house.evening)
    return child_a, tom


@pytest.fixture(name="full_days")
def full_days_fixture(house, child_b, guardian_b):
    """Thursday's and Friday's snack slot hold one place each, booked by Hugo (family B)."""
    slot = house.snack_slot
    enroll(house, child_b, house.evening)
    for day in (THURSDAY, FRIDAY):
        SlotDay.objects.create(slot=slot, date=day, capacity=1)
    outcomes = actions.book(
        guardian_b.user, [Change(child_b, slot, d) for d in (THURSDAY, FRIDAY)], now=NOW
    )
    assert all(o.ok for o in outcomes)
    return slot


def other_family(house, name="Petit"):
    """(user, child) of one more family enrolled in the evening activity."""
    family = f.FamilyFactory(name=name, structures=[house.structure])
    guardian = f.GuardianFactory(family=family)
    child = f.ChildFactory(family=family, first_name=f"Enfant{name}")
    enroll(house, child, house.evening)
    return guardian.user, child


def join(user, child, slot, day, when=NOW):
    (outcome,) = waitlist.join(user, [Change(child, slot, day)], now=when)
    assert outcome.code == "waitlisted", outcome.message
    return child.waitlist_entries.get(slot=slot, date=day, status__in=("waiting", "offered"))


def client_of(user):
    client = Client()
    client.force_login(user)
    return client
