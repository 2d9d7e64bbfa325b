"""A month of bookings and attendance written straight to the database, for the engine's tests.

The worked month (test_worked_month.py) goes through the real booking, kiosk and register
actions; these helpers set up the other tests quickly on the `house` and `tariffs` fixtures.
"""

import datetime

from marmots.bookings.models import Booking
from marmots.checkin.models import CheckinEvent, Kiosk, RegisterMark
from tests import factories as f
from tests.house import at, enroll

NOVEMBER = datetime.date(2026, 11, 1)
OCTOBER = datetime.date(2026, 10, 1)
# When the tests start and issue November's runs.
DECEMBER_2 = at(datetime.date(2026, 12, 2), 9)
# School days of November 2026.
MON_2, TUE_3, THU_5, FRI_6 = (datetime.date(2026, 11, d) for d in (2, 3, 5, 6))
MON_9 = datetime.date(2026, 11, 9)


def slot(activity, hour, minute=0):
    return activity.slots.get(start_time=datetime.time(hour, minute))


def book(child, slot_, day, status=Booking.BOOKED, excused=False, reason=""):
    enrollment = child.enrollments.get(activity=slot_.activity)
    return Booking.objects.create(
        child=child,
        slot=slot_,
        date=day,
        enrollment=enrollment,
        status=status,
        excused=excused,
        excuse_reason=reason,
    )


def kiosk_of(structure):
    return Kiosk.objects.get_or_create(structure=structure, name="Entrée")[0]


def event(child, activity, day, kind, hour, minute=0, kiosk=None):
    """The family's kiosk event (a staff one when `kiosk` is None)."""
    moment = at(day, hour, minute)
    fields = {"source": CheckinEvent.STAFF, "by_family": False, "reason": "oubli"}
    if kiosk is not None:
        nonce = f"{child.pk}-{activity.pk}-{day:%m%d}-{kind}"
        fields = {"source": CheckinEvent.KIOSK, "by_family": True, "kiosk": kiosk, "nonce": nonce}
    return CheckinEvent.objects.create(
        child=child, activity=activity, date=day, kind=kind, at=moment, **fields
    )


def mark(child, activity, day, present=True):
    return RegisterMark.objects.create(child=child, activity=activity, date=day, present=present)


def evening_with_departure(house, child, day, hour, minute=0):
    """Booked 16:30-17:30, marked present, checked out by the family at hour:minute."""
    book(child, house.snack_slot, day)
    mark(child, house.evening, day)
    event(
        child, house.evening, day, CheckinEvent.DEPARTURE, hour, minute, kiosk_of(house.structure)
    )


def review_all(run, manager):
    """The manager reviews every anomaly of the run."""
    from marmots.billing import actions

    for anomaly in run.anomalies.all():
        actions.review_anomaly(anomaly, manager, note="Vu")


def family_with_child(house, name, quotient=None, *activities, **child_fields):
    """A family of the structure with a guardian and one child enrolled in `activities`."""
    family = f.FamilyFactory(name=name, structures=[house.structure])
    f.GuardianFactory(family=family, user__first_name="Alex", user__last_name=name)
    if quotient is not None:
        f.QuotientFactory(family=family, value=quotient)
    child = f.ChildFactory(family=family, first_name=f"Enfant {name}", **child_fields)
    enroll(house, child, *(activities or (house.evening,)))
    return family, child


def issue_month(structure, month, manager):
    """Start, review and issue the month's run through the actions; returns the run."""
    from marmots.billing import actions

    run = actions.start_run(structure, month, manager)
    assert run.status == "drafted", run.error
    review_all(run, manager)
    return actions.issue_run(run, manager)


def pdf_text(content):
    import io

    from pypdf import PdfReader

    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
