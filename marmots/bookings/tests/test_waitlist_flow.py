import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.bookings import actions, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, SlotDay, WaitlistEntry
from tests import factories as f
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)
NOW = at(MONDAY, 9)


def family(house):
    fam = f.FamilyFactory(structures=[house.structure])
    guardian = f.GuardianFactory(family=fam)
    child = f.ChildFactory(family=fam, birth_date=datetime.date(2019, 5, 14))
    enroll(house, child, house.evening)
    return guardian.user, child


@pytest.mark.django_db
def test_smoke(house, mailoutbox, django_capture_on_commit_callbacks):
    slot = house.snack_slot
    SlotDay.objects.create(slot=slot, date=THURSDAY, capacity=1)
    (ua, a), (ub, b) = family(house), family(house)
    (o,) = actions.book(ua, [Change(a, slot, THURSDAY)], now=NOW)
    assert o.ok, o.message
    (o,) = actions.book(ub, [Change(b, slot, THURSDAY)], now=NOW)
    assert o.code == "full"
    (o,) = waitlist.join(ub, [Change(b, slot, THURSDAY)], now=NOW)
    assert o.code == "waitlisted", o.message
    with django_capture_on_commit_callbacks(execute=True):
        (o,) = actions.cancel(ua, [Change(a, slot, THURSDAY)], now=NOW)
    assert o.ok
    entry = WaitlistEntry.objects.get()
    assert entry.status == "offered"
    assert len(mailoutbox) == 1 and entry.token in mailoutbox[0].body
    (o,) = actions.book(ua, [Change(a, slot, THURSDAY)], now=NOW)
    assert o.code == "full"
    with pytest.raises(PermissionDenied):
        waitlist.accept(ua, entry, now=NOW)
    booking = waitlist.accept(ub, entry, now=NOW)
    assert booking.status == Booking.BOOKED
    with pytest.raises(ValidationError):
        waitlist.accept(ub, entry, now=NOW)
