"""People and days for the waiting-list tests: a full Thursday and families lining up for it.

THURSDAY's snack slot (16:30) in school time: cancelled free until Tuesday 8:30, late after.
"""

import datetime

from marmots.activities.models import TimeSlot
from marmots.bookings import actions, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, SlotDay, WaitlistEntry
from tests import factories as f
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)
NOW = at(MONDAY, 9)
LATE = at(MONDAY + datetime.timedelta(days=2), 9)  # Wednesday: past Tuesday 8:30
STARTS = at(THURSDAY, 16, 30)
FULL = "Complet : plus aucune place ce jour-là."
CAMP_DAY = datetime.date(2026, 12, 22)
CAMP_NOW = at(datetime.date(2026, 11, 25), 9)
FOUR = datetime.date(2022, 3, 1)  # 4 on CAMP_DAY
SEVEN = datetime.date(2019, 5, 14)  # 7 on CAMP_DAY


def newcomer(house, activity=None, birth_date=SEVEN):
    """A family with one guardian and one child enrolled in `activity` (the evening one)."""
    family = f.FamilyFactory(structures=[house.structure])
    guardian = f.GuardianFactory(family=family)
    child = f.ChildFactory(family=family, birth_date=birth_date)
    enroll(house, child, activity or house.evening)
    return guardian.user, child


def loaded(slot):
    return TimeSlot.objects.select_related("activity__structure").get(pk=slot.pk)


def full_day(house, places, *, slot=None, day=THURSDAY, now=NOW):
    """`places` on the day, each booked by its own family: (slot, [(user, child)])."""
    slot = loaded(slot or house.snack_slot)
    SlotDay.objects.update_or_create(slot=slot, date=day, defaults={"capacity": places})
    people = [newcomer(house) for _ in range(places)]
    for user, child in people:
        (outcome,) = actions.book(user, [Change(child, slot, day)], now=now)
        assert outcome.ok, outcome.message
    return slot, people


def line_up(people, slot, day=THURSDAY, now=NOW):
    """Each family joins the day's line, in order: [(user, child, entry)]."""
    lined = []
    for user, child in people:
        (outcome,) = waitlist.join(user, [Change(child, slot, day)], now=now)
        assert outcome.code == waitlist.WAITLISTED, outcome.message
        lined.append((user, child, WaitlistEntry.objects.get(child=child, status="waiting")))
    return lined


def cancel(user, child, slot, day=THURSDAY, now=NOW):
    (outcome,) = actions.cancel(user, [Change(child, slot, day)], now=now)
    assert outcome.ok, outcome.message
    return outcome


def statuses(lined):
    return [WaitlistEntry.objects.get(pk=e.pk).status for *_, e in lined]


def held(slot, day=THURSDAY):
    """Places held: live bookings and open offers."""
    return (
        Booking.objects.filter(slot=slot, date=day, status=Booking.BOOKED).count()
        + WaitlistEntry.objects.filter(slot=slot, date=day, status="offered").count()
    )
