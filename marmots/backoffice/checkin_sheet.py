"""The attendance sheet ("feuille de présence") of one session: what staff read and tick.

Rows come from `marmots.checkin.attendance` (the same reading as billing: bookings, register
marks, effective events); this module adds the children, the events with their corrections and
the badges, in a fixed number of queries whatever the number of children.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from marmots.activities.models import Activity, Structure
from marmots.bookings.context import load as load_calendar
from marmots.bookings.models import Booking
from marmots.checkin import attendance, rules
from marmots.checkin.models import CheckinEvent
from marmots.enrollments.models import Enrollment
from marmots.families.models import Child, Family

SEARCH_LIMIT = 20

FAMILY = ("Pointé par la famille", "ok")
NOT_ARRIVED = ("Réservé, pas arrivé", "wait")
NO_DEPARTURE = ("Pas de départ enregistré", "bad")
MISSED = ("Oubli de pointage", "bad")


@dataclass
class Row:
    child: Child
    attendance: attendance.Attendance
    spans: list  # "7h00-8h30" of the booked slots, contiguous ones merged
    arrivals: list = field(default_factory=list)  # effective arrival events, in time order
    departures: list = field(default_factory=list)  # effective departure events
    corrections: list = field(default_factory=list)  # [CheckinEvent replacing another]
    badges: list = field(default_factory=list)  # [(label, css class)]

    @property
    def name(self):
        return f"{self.child.last_name} {self.child.first_name}"


def day_sessions(activities, structures, day):
    """[(activity, booked children)] of the day: activities with bookings, and the kiosk ones
    that run that day."""
    counts = dict(
        Booking.objects.filter(slot__activity__in=activities, date=day, status=Booking.BOOKED)
        .values_list("slot__activity")
        .annotate(n=Count("child", distinct=True))
    )
    calendars = {s.pk: load_calendar(s, day, day) for s in structures}
    return [
        (a, counts.get(a.pk, 0))
        for a in activities
        if counts.get(a.pk)
        or (
            a.kiosk_events != Activity.KIOSK_NONE
            and calendars[a.structure_id].closed_reason(a, day) is None
        )
    ]


def merged_spans(slots):
    """[(start, end)] -> ["7h00-8h30"], contiguous or overlapping slots merged."""
    return [rules.fr_span(start, end) for start, end in rules.merge_spans(slots)]


def _opening(activity):
    """(first slot start, last slot end) of the activity: the kiosk's session, whose end is
    the closing time."""
    slots = [(s.start_time, s.end_time) for s in activity.slots.all()]
    if not slots:
        return None
    return min(s for s, _ in slots), max(e for _, e in slots)


def _after(now, day, moment):
    return now > timezone.make_aware(datetime.datetime.combine(day, moment))


def badges(row, activity, day, now):
    """The row's badges at `now` (an aware datetime). Booked but absent counts from the first
    booked slot; the missing departure and the missed check-in from the closing time and the
    kiosk's windows, as the kiosk computes them."""
    found, a = [], row.attendance
    if a.by_family:
        found.append(FAMILY)
    opening = _opening(activity)
    if opening is None:
        return found
    start, end = opening
    first_booked = min((s for s, _ in a.booked_slots), default=start)
    if a.booked and not a.present and _after(now, day, first_booked):
        found.append(NOT_ARRIVED)
    asks_departure = activity.kiosk_events in (Activity.KIOSK_DEPARTURE, Activity.KIOSK_BOTH)
    if a.present and asks_departure and a.departure is None and _after(now, day, end):
        found.append(NO_DEPARTURE)
    windows = rules.windows(a.asked, start, end)
    missing = a.asked - a.by_family
    if a.present and any(_after(now, day, windows[kind].end) for kind in missing):
        found.append(MISSED)
    return found


def _events(activity, day, children):
    """{child id: [events]} of the session, corrections included, in time order."""
    events = CheckinEvent.objects.filter(activity=activity, date=day).select_related("recorded_by")
    if children is not None:
        events = events.filter(child__in=children)
    by_child = defaultdict(list)
    for event in events.order_by("at", "pk"):
        by_child[event.child_id].append(event)
    return by_child


def _attach_events(row, events):
    by_pk = {e.pk: e for e in events}
    replaced = {e.replaces_id for e in events if e.replaces_id}
    for event in events:
        if event.replaces_id:
            event.replaced = by_pk.get(event.replaces_id)
            row.corrections.append(event)
        if event.pk not in replaced and not event.voided:
            kind_list = row.arrivals if event.kind == CheckinEvent.ARRIVAL else row.departures
            kind_list.append(event)


def sheet(activity, day, now, children=None):
    """[Row] of `activity` on `day`, sorted by name; `children` narrows it (one row, htmx)."""
    found = [
        a
        for a in attendance.sessions(activity.structure, day, day, children=children)
        if a.activity_id == activity.pk
    ]
    kids = Child.objects.in_bulk([a.child_id for a in found])
    events = _events(activity, day, children)
    rows = []
    for a in found:
        row = Row(kids[a.child_id], a, merged_spans(a.booked_slots))
        _attach_events(row, events.get(a.child_id, []))
        row.badges = badges(row, activity, day, now)
        rows.append(row)
    return sorted(rows, key=lambda r: (r.child.last_name.lower(), r.child.first_name.lower()))


def search_children(activity, day, query, exclude=()):
    """Children of the activity's structure whose name matches `query`, those with a validated
    enrollment in the activity that day first (`enrolled` true on them)."""
    words = query.split()
    if not words:
        return []
    families = Family.objects.using(Structure.objects.filter(pk=activity.structure_id))
    enrolled = Enrollment.objects.filter(
        child=OuterRef("pk"),
        activity=activity,
        status=Enrollment.VALIDATED,
        start_date__lte=day,
        end_date__gte=day,
    )
    children = Child.objects.filter(family__in=families.values("pk")).exclude(pk__in=exclude)
    for word in words:
        children = children.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    children = children.annotate(enrolled=Exists(enrolled))
    return list(children.order_by("-enrolled", "last_name", "first_name")[:SEARCH_LIMIT])
