"""A family's month of bookings: one row per day, one cell per child and time slot.

`build(children, first, last, now)` reads everything the calendar page shows in a fixed number
of queries, whatever the number of children and bookings: the validated enrollments with their
slots, each structure's calendar (`context.load`, with the age groups), the children's bookings
and their pending requests; then, if some cell is free to book, the places taken and the
day-specific capacities (one query) and the ages in age groups; the children's live
waiting-list entries with their positions (one query). Every cell's state is then
computed in Python with the same rules the booking actions enforce, each rule's answer once per
slot and day; the actions check them again when the family confirms. The page writes the cells
with `portal_bookings.booking_days`.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Value, Window
from django.db.models.functions import Cast, RowNumber

from marmots.activities.models import Activity, TimeSlot
from marmots.core.french import ordinal
from marmots.enrollments.models import Enrollment

from . import capacity, context, deadlines, rules
from .models import Booking, BookingRequest, SlotDay, WaitlistEntry

BOOKED = "booked"
FREE = "free"
FULL = "full"
CLOSED = "closed"
DEADLINE = "deadline"
NOT_OPEN = "not_open"
REQUESTED = "requested"
LATE = "late"
ABSENT = "absent"
EXCUSED = "excused"
WAITING = "waiting"
OFFERED = "offered"

STATE_LABELS = {
    BOOKED: "Réservé",
    FREE: "Libre",
    FULL: "Complet",
    CLOSED: "Fermé",
    DEADLINE: "Délai dépassé",
    NOT_OPEN: "Pas encore ouvert",
    REQUESTED: "Demande en attente",
    LATE: "Annulé hors délai",
    ABSENT: "Absent (maladie)",
    EXCUSED: "Excusé",
    WAITING: "Liste d'attente",
    OFFERED: "Place proposée",
}


def cell_key(child_id, slot_id, day):
    """The form value naming one cell: "<child id>-<slot id>-<YYYY-MM-DD>"."""
    return f"{child_id}-{slot_id}-{day.isoformat()}"


@dataclass(slots=True)
class Cell:
    child: object
    slot: object
    day: datetime.date
    state: str
    text: str = ""
    booking: object = None  # the live booking's row: pk, status, with_apc, excused, certificate
    request: object = None
    editable: bool = False  # the family may tick or untick it
    late: bool = False  # unticking it is a late cancellation (billed)
    ask: bool = False  # the activity takes requests only: the manager decides
    apc: bool = False  # APC pick-up may be ticked with it
    wait: bool = False  # full: the child may join the day's waiting list
    entry: object = None  # the child's live waiting-list entry for the cell
    key: str = ""  # see cell_key

    def __post_init__(self):
        self.key = self.key or cell_key(self.child.pk, self.slot.pk, self.day)

    @property
    def checked(self):
        return self.booking is not None and self.booking.status == Booking.BOOKED

    @property
    def label(self):
        return STATE_LABELS[self.state]

    @property
    def name(self):
        """ "Périscolaire soir 16h30-17h30"."""
        return f"{self.slot.activity.name} {self.slot.label}"


@dataclass
class ChildDay:
    child: object
    cells: list


@dataclass
class Day:
    day: datetime.date
    children: list

    @property
    def cells(self):
        return [cell for row in self.children for cell in row.cells]

    @property
    def weekend(self):
        return self.day.weekday() >= 5


@dataclass
class Month:
    first: datetime.date
    last: datetime.date
    children: list
    days: list = field(default_factory=list)

    @property
    def shown_days(self):
        """Days with something to show; weekends without any session are left out."""
        return [d for d in self.days if d.cells or not d.weekend]


class _Data:
    """Everything the cells need, read once. What only free cells need (places taken, the
    day-specific capacities, the ages in age groups) is read when the first one asks for it."""

    def __init__(self, children, first, last, pending=None):
        self.first, self.last = first, last
        self.slots, self.enrolled = _enrolled_slots(children, first, last)
        structures = {s.activity.structure_id: s.activity.structure for s in self.slots}
        self.calendars = {pk: context.load(st, first, last) for pk, st in structures.items()}
        self.slot_ids = [s.pk for s in self.slots]
        self.bookings = _live_bookings(children, first, last) if self.slots else {}
        if pending is None:
            pending = BookingRequest.objects.filter(
                child__in=children, status=BookingRequest.PENDING
            )
        child_ids = {c.pk for c in children}
        self.requests = {
            (r.child_id, r.slot_id, r.date): r
            for r in pending
            if r.child_id in child_ids and first <= r.date <= last
        }
        self.entries = _live_entries(children, first, last) if self.slots else {}

    @cached_property
    def places(self):
        """({(slot id, date): live bookings}, {(slot id, date): places where the manager set
        that day's own figure}), in one query."""
        span = {"slot_id__in": self.slot_ids, "date__range": (self.first, self.last)}
        # Typed: PostgreSQL reads two untyped NULLs of a UNION as text.
        no_number = Cast(Value(None), IntegerField())
        bookings, offers = capacity.holding(self.slot_ids, self.first, self.last)
        taken = bookings.values_list("slot_id", "date").annotate(
            taken=Count("pk"), places=no_number
        )
        offered = offers.values_list("slot_id", "date").annotate(
            taken=Count("pk"), places=no_number
        )
        own = (
            SlotDay.objects.filter(**span, capacity__isnull=False)
            .annotate(taken=no_number, places=F("capacity"))
            .values_list("slot_id", "date", "taken", "places")
        )
        counts, capacities = {}, {}
        for slot_id, day, n, places in taken.union(offered, own, all=True):
            if n is None:
                capacities[(slot_id, day)] = places
            else:
                counts[(slot_id, day)] = counts.get((slot_id, day), 0) + n
        return counts, capacities

    @cached_property
    def groups(self):
        """{slot id: [age groups]}, for the slots that have some (from the calendars)."""
        groups = {}
        for calendar in self.calendars.values():
            groups.update(calendar.age_groups)
        return {pk: groups[pk] for pk in self.slot_ids if pk in groups}

    @cached_property
    def ages(self):
        """{(slot id, date): [ages of the booked children]} for slots with age groups."""
        return _booked_ages(list(self.groups), self.first, self.last)


def _enrolled_slots(children, first, last):
    """([slots of the validated enrollments, in page order], {(child id, activity id):
    {(first day, last day)}}), in one query: a row per slot and enrollment."""
    enrollment = "activity__enrollments__"
    rows = (
        TimeSlot.objects.filter(
            **{
                f"{enrollment}child_id__in": [c.id for c in children],
                f"{enrollment}status": Enrollment.VALIDATED,
                f"{enrollment}start_date__lte": last,
                f"{enrollment}end_date__gte": first,
            },
            activity__is_active=True,
        )
        .exclude(activity__kind=Activity.ANNUAL)
        .annotate(
            enrolled_child=F(f"{enrollment}child_id"),
            enrolled_from=F(f"{enrollment}start_date"),
            enrolled_until=F(f"{enrollment}end_date"),
        )
        .select_related("activity__structure")
        .order_by("activity__order", "activity__name", "start_time")
    )
    slots, enrolled = {}, defaultdict(set)
    for row in rows:
        slots.setdefault(row.pk, row)
        span = (row.enrolled_from, row.enrolled_until)
        enrolled[(row.enrolled_child, row.activity_id)].add(span)
    return list(slots.values()), enrolled


def _live_bookings(children, first, last):
    """{(child id, slot id, date): row} of the children's bookings not cancelled in time."""
    rows = (
        Booking.objects.filter(child_id__in=[c.id for c in children], date__range=(first, last))
        .exclude(status=Booking.CANCELLED)
        .order_by()  # the model's ordering joins the slots
        .values_list(
            "pk",
            "child_id",
            "slot_id",
            "date",
            "status",
            "with_apc",
            "excused",
            "certificate",
            named=True,
        )
    )
    return {(b.child_id, b.slot_id, b.date): b for b in rows}


def _live_entries(children, first, last):
    """{(child id, slot id, date): entry} of the children's live waiting-list entries, each
    with its `position` in its line, in one query: the lines holding one of the children,
    numbered in `waitlist.LINE_ORDER` (as `waitlist.positions`), kept for the children."""
    from .waitlist import LINE_ORDER

    child_ids = {c.id for c in children}
    theirs = WaitlistEntry.objects.filter(
        child_id__in=child_ids,
        slot_id=OuterRef("slot_id"),
        date=OuterRef("date"),
        status__in=WaitlistEntry.LIVE,
    )
    rows = (
        WaitlistEntry.objects.filter(Exists(theirs), date__range=(first, last))
        .filter(status__in=WaitlistEntry.LIVE)
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("slot_id"), F("date")], order_by=list(LINE_ORDER)
            )
        )
        .order_by()
        .only("pk", "child_id", "slot_id", "date", "status", "offer_expires_at", "token")
    )
    return {(e.child_id, e.slot_id, e.date): e for e in rows if e.child_id in child_ids}


def _booked_ages(slot_ids, first, last):
    """{(slot id, date): [ages of the children holding a place: booked, or offered one]}."""
    if not slot_ids:
        return {}
    ages = defaultdict(list)
    bookings, offers = capacity.holding(slot_ids, first, last)
    columns = ("slot_id", "date", "child__birth_date")
    rows = bookings.values_list(*columns).union(offers.values_list(*columns), all=True)
    for slot_id, day, birth in rows:
        ages[(slot_id, day)].append(rules.age_on(birth, day))
    return ages


def _scheduled(calendar, activity, day):
    """The activity normally runs that day (closures and public holidays aside)."""
    return (
        rules.closed_reason(
            day,
            weekdays=activity.weekdays,
            in_holidays=activity.in_holidays,
            school_spans=calendar.school_spans,
            holiday_spans=calendar.holiday_spans,
            closures=(),
            public_holidays={},
        )
        is None
    )


@dataclass
class _ActivityDay:
    """What the rules say about an activity on a day (closures and opening only matter on the
    days it is scheduled)."""

    scheduled: bool
    closed: str | None = None
    opening: str | None = None


class _Rules:
    """The structure calendars' answers as seen at `now`, each computed when first asked and
    remembered: many cells share a slot and a day, many slots an activity."""

    def __init__(self, calendars, now):
        self.calendars, self.now = calendars, now
        self._days, self._windows = {}, {}

    def day(self, activity, day):
        key = (activity.id, day)
        if key not in self._days:
            calendar = self.calendars[activity.structure_id]
            if _scheduled(calendar, activity, day):
                self._days[key] = _ActivityDay(
                    True,
                    calendar.closed_reason(activity, day),
                    calendar.allocation_error(activity, day)
                    or calendar.opening_error(activity, day, self.now),
                )
            else:
                self._days[key] = _ActivityDay(False)
        return self._days[key]

    def window(self, slot, day):
        """(window, the deadline in French: "mardi 01/12 à 8h30"), as StructureCalendar.window."""
        key = (slot.id, day)
        if key not in self._windows:
            activity = slot.activity
            deadline = self.calendars[activity.structure_id].deadline(activity, slot, day)
            if self.now >= deadlines.session_start(day, slot.start_time):
                window = deadlines.STARTED
            elif self.now >= deadline:
                window = deadlines.LATE
            else:
                window = deadlines.FREE
            self._windows[key] = window, deadlines.fr_deadline(deadline)
        return self._windows[key]


def _places(data, child, slot, day):
    """(French "full" message or None, places left or None when unlimited)."""
    key = (slot.id, day)
    counts, capacities = data.places
    places = capacities.get(key, slot.capacity)  # as capacity.places_on
    taken = counts.get(key, 0)
    groups = data.groups.get(slot.id, ())
    ages = data.ages.get(key, []) if groups else []
    age = rules.age_on(child.birth_date, day)
    full = rules.capacity_error(places=places, taken=taken, age=age, groups=groups, taken_ages=ages)
    left = None if places is None else places - taken
    group = rules.group_for(age, groups)
    if group is not None:
        in_group = group.capacity - sum(1 for a in ages if group.min_age <= a <= group.max_age)
        left = in_group if left is None else min(left, in_group)
    return full, left


def _booked_cell(cell, known):
    booking, slot = cell.booking, cell.slot
    if booking.status == Booking.LATE_CANCELLED:
        cell.state = EXCUSED if booking.excused else LATE
        cell.text = (
            "Annulé hors délai, excusé" if booking.excused else "Annulé hors délai : facturé"
        )
        return cell
    if booking.status == Booking.ABSENT:
        cell.state = EXCUSED if booking.excused else ABSENT
        if booking.excused:
            cell.text = "Absence excusée"
        elif booking.certificate:
            cell.text = "Certificat en attente de validation"
        else:
            cell.text = "Certificat médical à fournir"
        return cell
    cell.state = BOOKED
    window, limit = known.window(slot, cell.day)
    if cell.request is not None:
        cell.text = "Demande d'annulation en attente"
    elif window == deadlines.FREE:
        cell.text = f"annulable sans frais jusqu'au {limit}"
        cell.editable = True
    elif window == deadlines.LATE:
        cell.text = "annulation hors délai : facturée"
        cell.editable = cell.late = True
    else:
        cell.text = "séance commencée ou passée"
    cell.ask = cell.editable and not slot.activity.families_may_cancel
    return cell


def _open_cell(cell, data, known, facts):
    """A day the child has no live booking on (`facts`: the activity's day)."""
    activity, slot, day = cell.slot.activity, cell.slot, cell.day
    window, limit = known.window(slot, day)
    if facts.closed:
        cell.state, cell.text = CLOSED, facts.closed
    elif facts.opening:
        cell.state, cell.text = NOT_OPEN, facts.opening
    elif window != deadlines.FREE:
        cell.state = DEADLINE
        if window == deadlines.STARTED:
            cell.text = "Séance commencée ou passée"
        else:
            cell.text = f"Réservations closes depuis le {limit}"
    else:
        full, left = _places(data, cell.child, slot, day)
        if full:
            cell.state, cell.text, cell.wait = FULL, full, activity.families_may_add
        else:
            cell.state, cell.editable = FREE, True
            cell.text = "" if left is None else f"{left} place{'s' if left > 1 else ''}"
            cell.ask = not activity.families_may_add
            cell.apc = slot.apc_pickup and day.weekday() == rules.TUESDAY
    return cell


def _waiting_cell(cell, entry):
    """The child is on the day's waiting list: its position, or the place offered."""
    cell.entry = entry
    if entry.status == WaitlistEntry.OFFERED:
        cell.state = OFFERED
        cell.text = f"jusqu'au {deadlines.fr_deadline(entry.offer_expires_at)}"
    else:
        cell.state = WAITING
        position = entry.position
        cell.text = f"en {ordinal(position, feminine=True)} position" if position else ""
    return cell


def _cell(data, known, child, slot, day):
    """The Cell of `child` in `slot` on `day`, or None when there is nothing to show."""
    key = (child.id, slot.id, day)
    booking, request = data.bookings.get(key), data.requests.get(key)
    facts = known.day(slot.activity, day)
    if booking is None and not facts.scheduled:
        return None
    cell = Cell(child, slot, day, FREE, booking=booking, request=request, key=cell_key(*key))
    if booking is not None:
        return _booked_cell(cell, known)
    if request is not None:
        cell.state, cell.text = REQUESTED, "Demande de réservation en attente"
        return cell
    entry = data.entries.get(key)
    if entry is not None:
        return _waiting_cell(cell, entry)
    return _open_cell(cell, data, known, facts)


def build(children, first, last, now, pending=None):
    """The Month of `children` (a list, loaded) from `first` to `last` as seen at `now`.

    `pending`: the family's pending booking requests when the caller has them already (see
    `pending_requests`); read otherwise."""
    data = _Data(children, first, last, pending)
    known = _Rules(data.calendars, now)
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    cells = defaultdict(list)  # {(date, child id): [Cell]}, in the slots' order
    for child in children:
        for slot in data.slots:
            spans = data.enrolled.get((child.id, slot.activity_id), ())
            for day in days if spans else ():
                if any(start <= day <= end for start, end in spans):
                    cell = _cell(data, known, child, slot, day)
                    if cell is not None:
                        cells[(day, child.id)].append(cell)
    result = Month(first, last, children)
    for day in days:
        rows = [ChildDay(c, cells[(day, c.id)]) for c in children if (day, c.id) in cells]
        result.days.append(Day(day, rows))
    return result
