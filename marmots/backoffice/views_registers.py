"""Read-only booking pages for the team: the day's registers and the fill-rate chart."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from marmots.activities.models import Activity
from marmots.bookings import capacity, fill, rules
from marmots.bookings.context import load as load_calendar
from marmots.bookings.models import Booking, SlotDay
from marmots.core.access import staff_required
from marmots.portal.frdates import long_date, month_label, shift_month

from .forms_bookings import DayCapacityForm, DayForm, FillForm
from .scope import owned
from .views_waitlist import mark_waiting, waiting_lines


@dataclass
class SlotRegister:
    """One slot's register: its booked children, by age group when the slot has groups; the
    day's places (None: unlimited) and the places held (bookings and open waiting-list
    offers), set by `mark_places`."""

    slot: object
    groups: list = field(default_factory=list)  # [(AgeGroupCapacity or None, [Booking])]
    places: int | None = None
    held: int = 0

    @property
    def count(self):
        return sum(len(rows) for _, rows in self.groups)

    @property
    def offered(self):
        """Places offered from the waiting list, not answered yet."""
        return max(0, self.held - self.count)


def _by_name(bookings):
    return sorted(bookings, key=lambda b: (b.child.last_name.lower(), b.child.first_name.lower()))


def _slot_register(slot, booked):
    groups = list(slot.age_groups.all())
    if not groups:
        return SlotRegister(slot, [(None, _by_name(booked))])
    rows = defaultdict(list)
    for booking in booked:
        group = rules.group_for(booking.age, groups)
        rows[group.pk if group else None].append(booking)
    sections = [(group, _by_name(rows.get(group.pk, []))) for group in groups]
    if rows.get(None):
        sections.append((None, _by_name(rows[None])))
    return SlotRegister(slot, sections)


def _running(activity, calendars, day, booked_slots):
    """Whether the activity's register is shown: it runs that day, or someone is booked."""
    if any(slot.pk in booked_slots for slot in activity.slots.all()):
        return True
    if activity.kind == Activity.ANNUAL or not activity.slots.all():
        return False
    return calendars[activity.structure_id].closed_reason(activity, day) is None


def day_register(request, activities, day):
    """[(activity, [SlotRegister])] and the day's late cancellations and absences."""
    calendars = {s.pk: load_calendar(s, day, day) for s in request.structures}
    bookings = (
        Booking.objects.filter(slot__activity__in=activities, date=day)
        .exclude(status=Booking.CANCELLED)
        .select_related("child__family", "slot__activity")
    )
    booked, late = defaultdict(list), []
    for booking in bookings:
        booking.age = booking.child.age_on(day)
        if booking.status == Booking.BOOKED:
            booked[booking.slot_id].append(booking)
        else:
            late.append(booking)
    registers = [
        (activity, [_slot_register(s, booked[s.pk]) for s in activity.slots.all()])
        for activity in activities
        if _running(activity, calendars, day, booked)
    ]
    return registers, _by_name(late)


def mark_places(registers, day):
    """Set `places` (the day's own figure when the manager set one) and `held` on each slot
    register of the day: two queries for the page."""
    slot_registers = [register for _, slots in registers for register in slots]
    slot_ids = [register.slot.pk for register in slot_registers]
    slot_days = {row.slot_id: row for row in SlotDay.objects.filter(slot_id__in=slot_ids, date=day)}
    held = capacity.taken_counts(slot_ids, day, day)
    for register in slot_registers:
        register.places = capacity.places_on(register.slot, slot_days.get(register.slot.pk))
        register.held = held.get((register.slot.pk, day), 0)


def _activities(request):
    return owned(request, Activity).filter(is_active=True).order_by("order", "name")


@staff_required
@require_GET
def register(request):
    activities = _activities(request)
    form = DayForm(request.GET, activities=activities, today=timezone.localdate())
    if not form.is_valid():
        context = {"form": form, "registers": [], "late": []}
        return render(request, "backoffice/bookings/register.html", context, status=400)
    day, chosen = form.cleaned_data["date"], form.cleaned_data["activite"]
    if chosen:
        activities = activities.filter(pk=chosen.pk)
    shown = list(activities.prefetch_related("slots__age_groups"))
    registers, late = day_register(request, shown, day)
    mark_places(registers, day)
    mark_waiting(registers, day)
    one_day = datetime.timedelta(days=1)
    context = {
        "form": form,
        "day": day,
        "day_label": long_date(day),
        "previous": day - one_day,
        "next": day + one_day,
        "chosen": chosen,
        "registers": registers,
        "late": late,
    }
    return render(request, "backoffice/bookings/register.html", context)


@staff_required
@require_GET
def fill_rate(request):
    activities = (
        owned(request, Activity)
        .filter(slots__isnull=False)
        .exclude(kind=Activity.ANNUAL)
        .distinct()
        .select_related("structure")
        .order_by("order", "name")
    )
    form = FillForm(request.GET, activities=activities, today=timezone.localdate())
    if not form.is_valid():
        return render(request, "backoffice/bookings/fill.html", {"form": form}, status=400)
    first, last = form.bounds()
    activity = form.cleaned_data["activite"]
    slots = list(activity.slots.all())
    days = fill.month_fill(activity, first, last, slots)
    context = {
        "form": form,
        "activity": activity,
        "slots": slots,
        "days": [(day, long_date(day.date)) for day in days],
        "summary": fill.summarise(days),
        "month": month_label(first),
        "previous": f"{shift_month(first, -1):%Y-%m}",
        "next": f"{shift_month(first, 1):%Y-%m}",
        "capacity_form": DayCapacityForm(slots=activity.slots.all()),
        "waiting": waiting_lines(slots, first, last),
    }
    return render(request, "backoffice/bookings/fill.html", context)
