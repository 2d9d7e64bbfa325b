"""A family's month of bookings: one row per day, one cell per child and time slot.

`build(children, first, last, now)` reads everything the calendar page shows in a fixed number
of queries, whatever the number of children and bookings: the validated enrollments, their
slots (with age groups), each structure's calendar (`context.load`), the places taken, the
day-specific capacities, the children's bookings and their pending requests. Every cell's state
is then computed in Python with the same rules the booking actions enforce; the actions check
them again when the family confirms.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from marmots.activities.models import Activity, TimeSlot
from marmots.enrollments.models import Enrollment

from . import capacity, context, deadlines, rules
from .models import Booking, BookingRequest, SlotDay

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
}


def cell_key(child_id, slot_id, day):
    """The form value naming one cell: "<child id>-<slot id>-<YYYY-MM-DD>"."""
    return f"{child_id}-{slot_id}-{day.isoformat()}"


@dataclass
class Cell:
    child: object
    slot: object
    day: datetime.date
    state: str
    text: str = ""
    booking: object = None
    request: object = None
    editable: bool = False  # the family may tick or untick it
    late: bool = False  # unticking it is a late cancellation (billed)
    ask: bool = False  # the activity takes requests only: the manager decides
    apc: bool = False  # APC pick-up may be ticked with it
    key: str = ""

    def __post_init__(self):
        self.key = cell_key(self.child.pk, self.slot.pk, self.day)

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


def month_span(year, month):
    first = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first, following - datetime.timedelta(days=1)


class _Data:
    """Everything the cells need, read once."""

    def __init__(self, children, first, last):
        enrollments = list(
            Enrollment.objects.filter(
                child__in=children,
                status=Enrollment.VALIDATED,
                start_date__lte=last,
                end_date__gte=first,
                activity__is_active=True,
            ).exclude(activity__kind=Activity.ANNUAL)
        )
        self.enrolled = defaultdict(list)
        for e in enrollments:
            self.enrolled[(e.child_id, e.activity_id)].append((e.start_date, e.end_date))
        self.slots = list(
            TimeSlot.objects.filter(activity_id__in={e.activity_id for e in enrollments})
            .select_related("activity__structure")
            .prefetch_related("age_groups")
            .order_by("activity__order", "activity__name", "start_time")
        )
        structures = {s.activity.structure_id: s.activity.structure for s in self.slots}
        self.calendars = {pk: context.load(st, first, last) for pk, st in structures.items()}
        slot_ids = [s.pk for s in self.slots]
        self.taken = capacity.taken_counts(slot_ids, first, last) if slot_ids else {}
        self.ages = _booked_ages([s for s in self.slots if s.age_groups.all()], first, last)
        self.slot_days = {
            (d.slot_id, d.date): d
            for d in SlotDay.objects.filter(
                slot_id__in=slot_ids, date__range=(first, last), capacity__isnull=False
            )
        }
        in_range = {"child__in": children, "date__range": (first, last)}
        self.bookings = {
            (b.child_id, b.slot_id, b.date): b
            for b in Booking.objects.filter(**in_range).exclude(status=Booking.CANCELLED)
        }
        self.requests = {
            (r.child_id, r.slot_id, r.date): r
            for r in BookingRequest.objects.filter(**in_range, status=BookingRequest.PENDING)
        }

    def enrolled_on(self, child, activity, day):
        return any(s <= day <= e for s, e in self.enrolled.get((child.pk, activity.pk), ()))


def _booked_ages(slots, first, last):
    """{(slot id, date): [ages of the booked children]} for slots with age groups."""
    if not slots:
        return {}
    ages = defaultdict(list)
    rows = Booking.objects.filter(
        slot__in=slots, date__range=(first, last), status=Booking.BOOKED
    ).values_list("slot_id", "date", "child__birth_date")
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
    """What the rules say about an activity on a day, computed once per page."""

    scheduled: bool
    closed: str | None
    opening: str | None


class _Rules:
    """The structure calendars' answers, remembered: many cells share an activity and a day."""

    def __init__(self, calendars, now):
        self.calendars, self.now = calendars, now
        self._days, self._deadlines = {}, {}

    def day(self, activity, day):
        key = (activity.pk, day)
        if key not in self._days:
            calendar = self.calendars[activity.structure_id]
            self._days[key] = _ActivityDay(
                _scheduled(calendar, activity, day),
                calendar.closed_reason(activity, day),
                calendar.opening_error(activity, day, self.now),
            )
        return self._days[key]

    def deadline(self, slot, day):
        key = (slot.pk, day)
        if key not in self._deadlines:
            calendar = self.calendars[slot.activity.structure_id]
            self._deadlines[key] = calendar.deadline(slot.activity, slot, day)
        return self._deadlines[key]

    def window(self, slot, day):
        """As StructureCalendar.window, with the deadline remembered."""
        if self.now >= deadlines.session_start(day, slot.start_time):
            return deadlines.STARTED
        if self.now >= self.deadline(slot, day):
            return deadlines.LATE
        return deadlines.FREE


def _places(data, child, slot, day):
    """(French "full" message or None, places left or None when unlimited)."""
    places = capacity.places_on(slot, data.slot_days.get((slot.pk, day)))
    taken = data.taken.get((slot.pk, day), 0)
    groups = list(slot.age_groups.all())
    ages = data.ages.get((slot.pk, day), [])
    age = rules.age_on(child.birth_date, day)
    full = rules.capacity_error(places=places, taken=taken, age=age, groups=groups, taken_ages=ages)
    left = None if places is None else places - taken
    group = rules.group_for(age, groups)
    if group is not None:
        in_group = group.capacity - sum(1 for a in ages if group.min_age <= a <= group.max_age)
        left = in_group if left is None else min(left, in_group)
    return full, left


def _booked_cell(cell, known):
    booking, activity, slot, day = cell.booking, cell.slot.activity, cell.slot, cell.day
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
    window = known.window(slot, day)
    if cell.request is not None:
        cell.text = "Demande d'annulation en attente"
    elif window == deadlines.FREE:
        limit = deadlines.fr_deadline(known.deadline(slot, day))
        cell.text = f"annulable sans frais jusqu'au {limit}"
        cell.editable = True
    elif window == deadlines.LATE:
        cell.text = "annulation hors délai : facturée"
        cell.editable = cell.late = True
    else:
        cell.text = "séance commencée ou passée"
    cell.ask = cell.editable and not activity.families_may_cancel
    return cell


def _open_cell(cell, data, known):
    """A day the child has no live booking on."""
    activity, slot, day = cell.slot.activity, cell.slot, cell.day
    facts = known.day(activity, day)
    window = known.window(slot, day)
    if facts.closed:
        cell.state, cell.text = CLOSED, facts.closed
    elif facts.opening:
        cell.state, cell.text = NOT_OPEN, facts.opening
    elif window != deadlines.FREE:
        cell.state = DEADLINE
        if window == deadlines.STARTED:
            cell.text = "Séance commencée ou passée"
        else:
            limit = deadlines.fr_deadline(known.deadline(slot, day))
            cell.text = f"Réservations closes depuis le {limit}"
    else:
        full, left = _places(data, cell.child, slot, day)
        if full:
            cell.state, cell.text = FULL, full
        else:
            cell.state, cell.editable = FREE, True
            cell.text = "" if left is None else f"{left} place{'s' if left > 1 else ''}"
            cell.ask = not activity.families_may_add
            cell.apc = slot.apc_pickup and day.weekday() == rules.TUESDAY
    return cell


def _cell(data, known, child, slot, day):
    key = (child.pk, slot.pk, day)
    booking, request = data.bookings.get(key), data.requests.get(key)
    if booking is None and not known.day(slot.activity, day).scheduled:
        return None
    cell = Cell(child, slot, day, FREE, booking=booking, request=request)
    if booking is not None:
        return _booked_cell(cell, known)
    if request is not None:
        cell.state, cell.text = REQUESTED, "Demande de réservation en attente"
        return cell
    return _open_cell(cell, data, known)


def build(children, first, last, now):
    """The Month of `children` (a list, loaded) from `first` to `last` as seen at `now`."""
    data = _Data(children, first, last)
    known = _Rules(data.calendars, now)
    result = Month(first, last, children)
    day = first
    while day <= last:
        rows = []
        for child in children:
            cells = [
                _cell(data, known, child, slot, day)
                for slot in data.slots
                if data.enrolled_on(child, slot.activity, day)
            ]
            cells = [c for c in cells if c is not None]
            if cells:
                rows.append(ChildDay(child, cells))
        result.days.append(Day(day, rows))
        day += datetime.timedelta(days=1)
    return result


@dataclass
class Line:
    """One change of a batch as the summary shows it."""

    change: object
    note: str = ""
    warning: bool = False
    late: bool = False  # shown as a late (billed) cancellation

    @property
    def key(self):
        """The cell's form value (see cell_key)."""
        return cell_key(self.change.child.pk, self.change.slot.pk, self.change.date)


def plan(shown, wanted):
    """(adds, cancels) turning the live bookings into the wanted state.

    `shown`: Changes of the editable cells the page showed (only these may be cancelled);
    `wanted`: Changes of the cells ticked. One query.
    """
    everything = list(shown) + list(wanted)
    if not everything:
        return [], []
    booked = set(
        Booking.objects.filter(
            child_id__in={c.child.pk for c in everything},
            slot_id__in={c.slot.pk for c in everything},
            date__range=(min(c.date for c in everything), max(c.date for c in everything)),
            status=Booking.BOOKED,
        ).values_list("child_id", "slot_id", "date")
    )
    wanted_keys = {c.key for c in wanted}
    adds = [c for c in wanted if c.key not in booked]
    cancels = [c for c in shown if c.key in booked and c.key not in wanted_keys]
    return adds, cancels


def _calendars_for(changes):
    structures = {c.slot.activity.structure_id: c.slot.activity.structure for c in changes}
    first, last = min(c.date for c in changes), max(c.date for c in changes)
    return {pk: context.load(st, first, last) for pk, st in structures.items()}


def _add_line(change):
    notes = []
    if not change.slot.activity.families_may_add:
        notes.append("sur demande : la structure doit la valider")
    if change.with_apc:
        notes.append("avec récupération à la fin des APC")
    return Line(change, ", ".join(notes))


def _cancel_line(change, calendar, now):
    activity = change.slot.activity
    window = calendar.window(now, activity, change.slot, change.date)
    if window == deadlines.STARTED:
        return Line(change, "séance commencée : elle ne peut plus être annulée", True)
    if not activity.families_may_cancel:
        return Line(change, "sur demande : la structure doit la valider")
    if window == deadlines.LATE:
        return Line(change, "hors délai : facturé", True, late=True)
    return Line(change, "sans frais")


def describe(adds, cancels, now):
    """([Line] to book, [Line] to cancel) for the summary page."""
    calendars = _calendars_for(list(adds) + list(cancels)) if cancels else {}
    return (
        [_add_line(c) for c in adds],
        [_cancel_line(c, calendars[c.slot.activity.structure_id], now) for c in cancels],
    )


def pending_requests(family):
    """The family's booking requests the manager has not handled yet."""
    return (
        BookingRequest.objects.for_family(family)
        .filter(status=BookingRequest.PENDING)
        .select_related("child", "slot__activity")
    )


def absences_awaiting(family):
    """Declared absences not excused yet: the certificate is due or awaits the manager."""
    return (
        Booking.objects.for_family(family)
        .filter(status=Booking.ABSENT, excused=False)
        .select_related("child", "slot__activity__structure")
    )
