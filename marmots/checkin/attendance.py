"""Attendance as billing and the pages read it: one `Attendance` per session (child, day,
activity), built from bookings, the staff register and the effective check-in events (those
not replaced by a correction and not voided), in four queries whatever the number of rows.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from marmots.activities.models import Activity, Structure
from marmots.bookings.models import Booking

from . import rules
from .models import CheckinEvent, RegisterMark


@dataclass
class Attendance:
    child_id: int
    day: datetime.date
    activity_id: int
    booked_slots: list = field(default_factory=list)  # [(start, end)] of the booked slots
    marked: bool | None = None  # the register: True present, False unticked, None untouched
    arrival: datetime.datetime | None = None  # first effective arrival, kiosk or staff
    departure: datetime.datetime | None = None  # last effective departure
    by_family: set = field(default_factory=set)  # kinds checked on the kiosk by the family
    asked: frozenset = frozenset()  # kinds asked of families where the missed rule applies
    max_span: tuple | None = None  # (start, end) billed when the rule says so
    charged: bool = False  # a booking cancelled late or absent, not excused: billed as booked

    @property
    def booked(self):
        return bool(self.booked_slots)

    @property
    def present(self):
        """The register decides when staff touched it (unticking a child the kiosk checked in
        by mistake makes it absent); otherwise any arrival or departure means present."""
        if self.marked is not None:
            return self.marked
        return bool(self.arrival or self.departure)

    def session(self):
        return rules.Session(
            child_id=self.child_id,
            day=self.day,
            activity_id=self.activity_id,
            present=self.present,
            asked=self.asked,
            by_family=frozenset(self.by_family),
            booked=self.booked or self.charged,  # the rule reads what billing bills as booked
        )


def sessions(structure, first, last, children=None):
    """Every session of `structure` from `first` to `last` with a booking (status booked), a
    register mark or an effective event; `children` (ids or objects) narrows it. A booking
    cancelled late or absent (not excused) makes no session of its own: it flags `charged`
    on a session the register or the events show."""
    rules_of = {a.pk: _rule(a) for a in Activity.objects.filter(structure=structure)}
    rows = {}

    def row(child_id, day, activity_id):
        key = (child_id, day, activity_id)
        if key not in rows:
            asked, max_span = rules_of[activity_id]
            rows[key] = Attendance(child_id, day, activity_id, asked=asked, max_span=max_span)
        return rows[key]

    scope = {"date__range": (first, last)}
    if children is not None:
        scope["child__in"] = children
    charged = _add_bookings(row, structure, scope)
    _add_marks(row, structure, scope)
    _add_events(row, structure, scope)
    for key in charged & rows.keys():
        rows[key].charged = True
    return sorted(rows.values(), key=lambda a: (a.day, a.activity_id, a.child_id))


def _rule(activity):
    """(events asked of families, maximum span) where the missed check-in rule applies."""
    if activity.missed_checkin_rule:
        return frozenset(activity.family_events), (activity.max_span_start, activity.max_span_end)
    return frozenset(), None


def _add_bookings(row, structure, scope):
    """Adds the booked slots; returns the keys of the sessions with a booking billed as booked
    though not kept (cancelled late or absent, not excused)."""
    charged_statuses = [Booking.LATE_CANCELLED, Booking.ABSENT]
    bookings = (
        Booking.objects.filter(slot__activity__structure=structure, **scope)
        .filter(Q(status=Booking.BOOKED) | Q(status__in=charged_statuses, excused=False))
        .values_list(
            "child_id", "date", "slot__activity_id", "slot__start_time", "slot__end_time", "status"
        )
    )
    charged = set()
    for child_id, day, activity_id, start, end, status in bookings:
        if status == Booking.BOOKED:
            row(child_id, day, activity_id).booked_slots.append((start, end))
        else:
            charged.add((child_id, day, activity_id))
    return charged


def _add_marks(row, structure, scope):
    marks = RegisterMark.objects.filter(activity__structure=structure, **scope).values_list(
        "child_id", "date", "activity_id", "present"
    )
    for child_id, day, activity_id, present in marks:
        row(child_id, day, activity_id).marked = present


def _add_events(row, structure, scope):
    events = (
        effective_events()
        .filter(activity__structure=structure, **scope)
        .values_list("child_id", "date", "activity_id", "kind", "at", "by_family")
    )
    zone = timezone.get_current_timezone()
    for child_id, day, activity_id, kind, at, by_family in events:
        attendance = row(child_id, day, activity_id)
        at = at.astimezone(zone)  # timezone.localtime(at), without its lookup per event
        if kind == CheckinEvent.ARRIVAL and (attendance.arrival is None or at < attendance.arrival):
            attendance.arrival = at
        if kind == CheckinEvent.DEPARTURE and (
            attendance.departure is None or at > attendance.departure
        ):
            attendance.departure = at
        if by_family:
            attendance.by_family.add(kind)


def effective_events():
    """Events that count: not replaced by a correction and not voided."""
    return CheckinEvent.objects.filter(replaced_by__isnull=True, voided=False)


@dataclass
class MissedMonth:
    count: int
    threshold: int
    sessions: list  # the missed sessions (Attendance), in date order

    @property
    def warning(self):
        return rules.warning_level(self.count, self.threshold)


def missed_by_child(children, first, last):
    """{child id: MissedMonth} over `first`..`last` (usually one calendar month) for children
    already scoped by the caller. A child whose family uses several structures is counted per
    structure, and the structure with the most missed check-ins is reported."""
    children = list(children)
    structures = Structure.objects.filter(families__children__in=children).distinct()
    months = defaultdict(list)
    for structure in structures:
        missed = defaultdict(list)
        for attendance in sessions(structure, first, last, children=children):
            if attendance.session().missed:
                missed[attendance.child_id].append(attendance)
        for child in children:
            found = missed.get(child.pk, [])
            months[child.pk].append(
                MissedMonth(len(found), structure.missed_checkin_threshold, found)
            )
    return {
        child.pk: max(months[child.pk], key=lambda m: m.count, default=MissedMonth(0, 0, []))
        for child in children
    }


def with_verdicts(structure, first, last, children=None):
    """[(Attendance, rules.Verdict)] for billing, from `first` to `last`: each session with
    what the missed check-in rule says of it. The rule counts per child and calendar month, so
    the months around the range are read whole, whatever range is asked."""
    month_start = first.replace(day=1)
    following = (last.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    rows = sessions(structure, month_start, following - datetime.timedelta(days=1), children)
    verdicts = rules.missed_checkins(
        (a.session() for a in rows), structure.missed_checkin_threshold
    )
    return [
        (a, verdicts[(a.child_id, a.day, a.activity_id)]) for a in rows if first <= a.day <= last
    ]
