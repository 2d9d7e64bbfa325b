"""Shared data of the back-office waiting-list tests: Thursday's snack slot has one place,
taken by Tom; Léa (family A), Hugo (family B) and Emma wait for it, in that order. The clock
stands on Monday 9:00."""

import datetime
from dataclasses import dataclass

import pytest
import time_machine

from marmots.bookings import actions, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import SlotDay, WaitlistEntry
from tests import factories as f
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)
NOW = at(MONDAY, 9)
LIST = "/gestion/listes-attente/"


def promote_url(entry):
    return f"{LIST}{entry.pk}/en-tete/"


def remove_url(entry):
    return f"{LIST}{entry.pk}/retirer/"


@dataclass
class Line:
    slot: object
    booker: object  # (guardian user, child) holding the place
    lea: WaitlistEntry
    hugo: WaitlistEntry
    emma: WaitlistEntry

    @property
    def entries(self):
        return [self.lea, self.hugo, self.emma]

    def statuses(self):
        return [WaitlistEntry.objects.get(pk=e.pk).status for e in self.entries]


def _family(house, name, first_name):
    family = f.FamilyFactory(name=name, structures=[house.structure])
    guardian = f.GuardianFactory(family=family)
    child = f.ChildFactory(family=family, first_name=first_name, last_name=name)
    enroll(house, child, house.evening)
    return guardian.user, child


def _join(user, child, slot, minutes):
    (outcome,) = waitlist.join(
        user, [Change(child, slot, THURSDAY)], now=NOW + datetime.timedelta(minutes=minutes)
    )
    assert outcome.code == "waitlisted", outcome.message
    return WaitlistEntry.objects.get(child=child, status=WaitlistEntry.WAITING)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def line(house, frozen, guardian_a, child_a, guardian_b, child_b):
    slot = house.snack_slot
    SlotDay.objects.create(slot=slot, date=THURSDAY, capacity=1)
    booker = _family(house, "Durand", "Tom")
    (outcome,) = actions.book(booker[0], [Change(booker[1], slot, THURSDAY)], now=NOW)
    assert outcome.ok, outcome.message
    enroll(house, child_a, house.evening)
    enroll(house, child_b, house.evening)
    emma = _family(house, "Petit", "Emma")
    return Line(
        slot,
        booker,
        _join(guardian_a.user, child_a, slot, 1),
        _join(guardian_b.user, child_b, slot, 2),
        _join(*emma, slot, 3),
    )


def free_the_place(line):
    """Tom's family cancels: the place is offered to the first in line."""
    (outcome,) = actions.cancel(line.booker[0], [Change(line.booker[1], line.slot, THURSDAY)])
    assert outcome.ok, outcome.message


def join_siblings(house, line):
    """Jade and Noé Roux join Thursday's line together, after Emma: [Jade's, Noé's] entries."""
    user, jade = _family(house, "Roux", "Jade")
    noe = f.ChildFactory(family=jade.family, first_name="Noé", last_name="Roux")
    enroll(house, noe, house.evening)
    changes = [Change(jade, line.slot, THURSDAY), Change(noe, line.slot, THURSDAY)]
    later = NOW + datetime.timedelta(minutes=4)
    assert [o.code for o in waitlist.join(user, changes, now=later)] == ["waitlisted"] * 2
    return [WaitlistEntry.objects.get(child=child) for child in (jade, noe)]
