"""What a family may ask for in allocation mode: the periods (`family_periods`, `state_of`) and,
per child, the days (and slots) of each activity the child has a validated enrollment for, on
the days it runs, or why the child cannot ask. Shared by the portal and the API; only what the
request form offers: `places.actions.save_request` re-checks it all.
"""

import datetime
import re
from dataclasses import dataclass, field

from marmots.activities.models import Period, TimeSlot
from marmots.bookings import context
from marmots.enrollments.models import Enrollment
from marmots.families.models import Child
from marmots.places.models import Allocation

KEY_RE = re.compile(r"^(\d{1,10})-(\d{1,10})-(\d{4}-\d{2}-\d{2})$")
NO_ENROLLMENT = (
    "pas d'inscription validée pour cette période : demandez-la dans « Mes inscriptions »."
)
PENDING = "son inscription attend encore la validation de la structure."
NO_DAY = "l'accueil n'a lieu aucun jour couvert par son inscription pendant cette période."
OPEN, NOT_YET, CLOSED, CONFIRMED = "open", "not_yet", "closed", "confirmed"


def family_periods(family):
    """Periods in allocation mode of the structures the family uses."""
    return Period.objects.filter(
        structure__in=family.structures.all(), places_mode=Period.ALLOCATION
    ).select_related("structure", "allocation")


def state_of(period, allocation, now):
    """Where the period's round stands for families: open, not_yet, closed or confirmed."""
    if allocation.status == Allocation.CONFIRMED or period.allocated_at:
        return CONFIRMED
    if now >= period.requests_close_at:
        return CLOSED
    if period.registration_opens_at and now < period.registration_opens_at:
        return NOT_YET
    return OPEN


def key(child_id, slot_id, day):
    """The form's value of one wish: "<child id>-<slot id>-<YYYY-MM-DD>"."""
    return f"{child_id}-{slot_id}-{day:%Y-%m-%d}"


@dataclass
class Cell:
    day: datetime.date
    slot: object
    key: str
    checked: bool = False
    preference: int = 1


@dataclass
class ChildChoices:
    child: object
    activities: list = field(default_factory=list)  # [(activity, [Cell])]
    reason: str = ""  # why the child cannot ask, when it has no cell


def _days(first, last):
    while first <= last:
        yield first
        first += datetime.timedelta(days=1)


def _cells(child, enrollment, period, calendar, slots):
    activity = enrollment.activity
    first = max(period.start_date, enrollment.start_date)
    last = min(period.end_date, enrollment.end_date)
    return [
        Cell(day, slot, key(child.pk, slot.pk, day))
        for day in _days(first, last)
        if calendar.closed_reason(activity, day) is None
        and getattr(calendar.period_of(activity, day), "pk", None) == period.pk
        for slot in slots.get(activity.pk, [])
    ]


def choices(family, period, selected=None):
    """[ChildChoices] for every child of the family, in a fixed number of queries; the cells
    whose key is in `selected` ({key: preference}) come ticked."""
    enrollments = (
        Enrollment.objects.for_family(family)
        .filter(
            activity__structure_id=period.structure_id,
            activity__is_active=True,
            status__in=[Enrollment.VALIDATED, Enrollment.PENDING],
            start_date__lte=period.end_date,
            end_date__gte=period.start_date,
        )
        .select_related("activity")
        .order_by("activity__order", "activity__name", "start_date")
    )
    enrollments = list(enrollments)
    slots = {}
    activity_ids = {e.activity_id for e in enrollments}
    for slot in TimeSlot.objects.filter(activity_id__in=activity_ids).order_by("start_time"):
        slots.setdefault(slot.activity_id, []).append(slot)
    calendar = context.load(period.structure, period.start_date, period.end_date)
    result = []
    for child in Child.objects.for_family(family):
        mine = [e for e in enrollments if e.child_id == child.pk]
        entry = ChildChoices(child)
        for enrollment in (e for e in mine if e.status == Enrollment.VALIDATED):
            cells = _cells(child, enrollment, period, calendar, slots)
            for cell in cells:
                if cell.key in (selected or {}):
                    cell.checked, cell.preference = True, selected[cell.key]
            if cells:
                entry.activities.append((enrollment.activity, cells))
        if not entry.activities:
            validated = any(e.status == Enrollment.VALIDATED for e in mine)
            entry.reason = NO_DAY if validated else PENDING if mine else NO_ENROLLMENT
        result.append(entry)
    return result
