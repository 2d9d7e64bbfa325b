"""Shared data of the check-in back-office tests: Léa and Hugo in the morning and evening
sessions of MONDAY, a kiosk, kiosk events, and the pages' URLs."""

import datetime

import pytest

from marmots.bookings.models import Booking
from marmots.checkin.models import CheckinEvent, Kiosk, digest
from tests.house import MONDAY, enroll

DAY = f"{MONDAY:%Y-%m-%d}"
REGISTER = "/gestion/pointage/"
MARK = "/gestion/pointage/presence/"
ADD_EVENT = "/gestion/pointage/pointages/ajouter/"


def correct_url(event):
    return f"/gestion/pointage/pointages/{event.pk}/corriger/"


def book(child, slot, day=MONDAY):
    enrollment = child.enrollments.get(activity=slot.activity)
    return Booking.objects.create(child=child, slot=slot, date=day, enrollment=enrollment)


def slots(activity):
    return list(activity.slots.order_by("start_time"))


def kiosk_event(kiosk, child, activity, moment, kind=CheckinEvent.ARRIVAL):
    return CheckinEvent.objects.create(
        child=child,
        activity=activity,
        date=moment.date(),
        kind=kind,
        at=moment,
        device_time=moment,
        source=CheckinEvent.KIOSK,
        by_family=True,
        kiosk=kiosk,
        nonce=f"n-{child.pk}-{moment:%d%H%M}-{kind}",
    )


def register(client, activity, day=MONDAY, **params):
    return client.get(REGISTER, {"date": f"{day:%Y-%m-%d}", "activite": activity.pk, **params})


def mark(client, child, activity, present=True, day=MONDAY, **headers):
    data = {"enfant": child.pk, "activite": activity.pk, "date": f"{day:%Y-%m-%d}"}
    return client.post(MARK, data | {"present": "1" if present else "0"}, headers=headers)


def row_of(page, child):
    """The HTML of the child's row on the register page."""
    start = page.index(f'id="enfant-{child.pk}"')
    return page[start : page.index("</li>", page.index("</dl>", start))]


@pytest.fixture
def kiosk(house):
    return Kiosk.objects.create(structure=house.structure, name="Entrée", token_hash=digest("t"))


@pytest.fixture
def session(house, child_a, child_b):
    """MONDAY: Léa (PAI, allergic) booked 7h30-8h30 in the morning and 16h30-17h30 in the
    evening; Hugo booked 7h00-7h30 in the morning."""
    child_a.allergies, child_a.pai = "Arachide", True
    child_a.save()
    enroll(house, child_a, house.morning, house.evening)
    enroll(house, child_b, house.morning)
    morning = slots(house.morning)
    book(child_a, morning[1])
    book(child_a, morning[2])
    book(child_a, house.snack_slot)
    book(child_b, morning[0])
    return house


ONE_DAY = datetime.timedelta(days=1)
