"""A child's month of bookings as a grid: the days x the child's slots in the user's structures.

Loaded in a fixed number of queries: the enrollments, the slots, the bookings and, per
structure, its calendar (the days each activity runs).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from marmots.activities.models import TimeSlot
from marmots.bookings import context, deadlines
from marmots.bookings.models import Booking
from marmots.enrollments.models import Enrollment

NOT_ENROLLED = "Pas d'inscription validée ce jour-là."


def status_text(booking):
    """What happened to a booking, in French, as the grid shows it."""
    if booking.status == Booking.BOOKED:
        text = "Réservé par la structure" if booking.booked_on_behalf else "Réservé"
        return f"{text}, récupération APC" if booking.with_apc else text
    text = booking.get_status_display()
    if booking.status == Booking.CANCELLED and booking.cancelled_on_behalf:
        text += " par la structure"
    if booking.excused:
        text += " – excusé"
    elif booking.certificate:
        text += " – certificat à approuver"
    return text


@dataclass
class Cell:
    slot: object
    day: datetime.date
    booking: Booking | None
    closed: str | None
    late_now: bool = False

    @property
    def key(self):
        return cell_key(self.slot.pk, self.day)

    @property
    def status(self):
        return self.booking.status if self.booking else None

    @property
    def label(self):
        return status_text(self.booking) if self.booking else ""

    @property
    def can_add(self):
        return self.closed is None and self.status != Booking.BOOKED

    @property
    def can_cancel(self):
        return self.status == Booking.BOOKED

    @property
    def apc_possible(self):
        return self.slot.apc_pickup and self.day.weekday() == 1


def cell_key(slot_id, day):
    return f"{slot_id}:{day:%Y-%m-%d}"


def child_slots(structures, child, first, last):
    """(validated enrollments, slots) of the child in `structures` over the span: the slots of
    the activities the child is enrolled in, and of any booking the child has then."""
    enrollments = list(
        Enrollment.objects.filter(
            child=child,
            status=Enrollment.VALIDATED,
            activity__structure__in=structures,
            start_date__lte=last,
            end_date__gte=first,
        )
    )
    booked = Q(bookings__child=child, bookings__date__range=(first, last))
    enrolled = Q(activity_id__in={e.activity_id for e in enrollments})
    slots = (
        TimeSlot.objects.filter(enrolled | booked, activity__structure__in=structures)
        .distinct()
        .select_related("activity__structure")
        .order_by("activity__order", "activity__name", "start_time")
    )
    return enrollments, list(slots)


def _shown_bookings(child, slots, first, last):
    """{(slot id, day): the live booking, else the latest cancelled one}."""
    shown = {}
    rows = Booking.objects.filter(child=child, slot__in=slots, date__range=(first, last))
    for booking in rows.order_by("booked_at", "pk"):
        key = (booking.slot_id, booking.date)
        current = shown.get(key)
        if current is None or current.status == Booking.CANCELLED:
            shown[key] = booking
    return shown


def _enrolled(enrollments, slot, day):
    return any(
        e.activity_id == slot.activity_id and e.start_date <= day <= e.end_date for e in enrollments
    )


def build(structures, child, first, last, now=None):
    """(slots, [(day, [Cell])]) for the days between `first` and `last` where a slot is open
    to the child or a booking exists."""
    now = now or timezone.now()
    enrollments, slots = child_slots(structures, child, first, last)
    if not slots:
        return [], []
    shown = _shown_bookings(child, slots, first, last)
    owners = {slot.activity.structure_id: slot.activity.structure for slot in slots}
    calendars = {pk: context.load(s, first, last) for pk, s in owners.items()}
    rows = []
    day = first
    while day <= last:
        cells = []
        for slot in slots:
            calendar = calendars[slot.activity.structure_id]
            closed = calendar.closed_reason(slot.activity, day)
            if closed is None and not _enrolled(enrollments, slot, day):
                closed = NOT_ENROLLED
            window = calendar.window(now, slot.activity, slot, day)
            cells.append(
                Cell(slot, day, shown.get((slot.pk, day)), closed, window != deadlines.FREE)
            )
        if any(cell.booking or not cell.closed for cell in cells):
            rows.append((day, cells))
        day += datetime.timedelta(days=1)
    return slots, rows
