"""Fill rate: booked places against places, per day and slot, for the manager's chart.

`month_fill(activity, first, last)` reads the activity's slots, the structure's calendar (the
days the activity runs), the live bookings counted in one aggregate query and the days whose
places the manager changed: a fixed number of queries whatever the month holds.
`level(taken, places)` is the pure rule that colours a cell.
"""

import datetime
from dataclasses import dataclass

from . import capacity, context
from .models import SlotDay

EMPTY = "empty"  # nobody booked
LOW = "low"  # under 40 %
MID = "mid"  # 40 % to under 75 %
HIGH = "high"  # 75 % to under 100 %
FULL = "full"  # every place taken (or more, if the places were lowered afterwards)
OPEN = "open"  # some bookings, no limit on places


def level(taken, places):
    """How full a slot is on a day, as one of the levels above."""
    if taken == 0:
        return EMPTY
    if places is None:
        return OPEN
    if taken >= places:
        return FULL
    ratio = taken / places
    if ratio >= 0.75:
        return HIGH
    return MID if ratio >= 0.4 else LOW


@dataclass(frozen=True)
class Cell:
    slot: object
    taken: int
    places: int | None

    @property
    def level(self):
        return level(self.taken, self.places)

    @property
    def percent(self):
        """Share of the places taken, 0-100 (None when places are unlimited)."""
        if self.places is None:
            return None
        if self.places == 0:
            return 100
        return min(round(100 * self.taken / self.places), 100)

    @property
    def full(self):
        return self.level == FULL


@dataclass(frozen=True)
class Day:
    date: datetime.date
    cells: list

    @property
    def full(self):
        return any(cell.full for cell in self.cells)

    @property
    def empty(self):
        return all(cell.taken == 0 for cell in self.cells)


@dataclass(frozen=True)
class Summary:
    days: int
    full_days: int
    empty_days: int
    taken: int
    places: int | None

    @property
    def percent(self):
        if not self.places:
            return None
        return round(100 * self.taken / self.places)


def summarise(days):
    """Counts over the month: days open, full, empty; places taken of those offered."""
    cells = [cell for day in days for cell in day.cells]
    limited = [cell for cell in cells if cell.places is not None]
    return Summary(
        days=len(days),
        full_days=sum(1 for day in days if day.full),
        empty_days=sum(1 for day in days if day.empty),
        taken=sum(cell.taken for cell in cells),
        places=sum(cell.places for cell in limited) if limited else None,
    )


def _days(first, last):
    day = first
    while day <= last:
        yield day
        day += datetime.timedelta(days=1)


def month_fill(activity, first, last, slots=None):
    """[Day] for each day between `first` and `last` the activity runs, one Cell per slot
    (`slots`: the activity's slots, when the caller has them already)."""
    slots = list(activity.slots.all()) if slots is None else slots
    calendar = context.load(activity.structure, first, last)
    open_days = [d for d in _days(first, last) if calendar.closed_reason(activity, d) is None]
    if not slots or not open_days:
        return []
    slot_ids = [slot.pk for slot in slots]
    taken = capacity.taken_counts(slot_ids, first, last)
    changed = SlotDay.objects.filter(
        slot_id__in=slot_ids, date__range=(first, last), capacity__isnull=False
    )
    own_places = {(row.slot_id, row.date): row.capacity for row in changed}
    return [
        Day(
            day,
            [
                Cell(
                    slot,
                    taken.get((slot.pk, day), 0),
                    own_places.get((slot.pk, day), slot.capacity),
                )
                for slot in slots
            ],
        )
        for day in open_days
    ]
