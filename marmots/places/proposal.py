"""Who gets which days: the allocation proposal. Pure: no Django import.

A *unit* is what a request asks for one slot on one day: the children of the family asking it
together (brothers and sisters are never split: a unit is granted whole or not at all), with the
family's preference for that day and the request's rank. A *room* is a slot-day: its places
(None: unlimited), the ages of the children already holding a place (bookings, offered
waiting-list places) and its age groups, each with its own places.

`allocate` serves the units in rounds of preference (every first choice before any second
choice), and within a round in rank order; a unit is granted when all its children fit. It never
exceeds a room's places nor an age group's, and it is maximal: a unit left out does not fit
in what the others were granted (adding children never makes room, so a unit refused at its
turn still does not fit at the end).
"""

from dataclasses import dataclass

PLACES = "places"
GROUP = "group"
NO_GROUP = "no_group"


@dataclass(frozen=True)
class Group:
    label: str
    min_age: int
    max_age: int
    capacity: int

    def holds(self, age):
        return self.min_age <= age <= self.max_age


@dataclass(frozen=True)
class Room:
    places: int | None
    taken_ages: tuple = ()
    groups: tuple = ()  # (Group, ...)


@dataclass(frozen=True)
class Unit:
    key: tuple  # (request id, slot id, date): sortable
    day: tuple  # the room's key (slot id, date)
    rank: int
    ages: tuple  # ages on the day of the children asking together
    preference: int = 1


@dataclass(frozen=True)
class Block:
    """Why children do not fit: `kind` PLACES (the slot-day is full), GROUP (their age group is
    full) or NO_GROUP (no places for their age); `free` places left there for `needed`."""

    kind: str
    free: int = 0
    needed: int = 0
    places: int | None = None
    group: Group | None = None
    age: int | None = None


def group_of(age, groups):
    return next((g for g in groups if g.holds(age)), None)


def without_group(room, age):
    """True when `room` has age groups and none takes children of `age`: such a child never
    gets a place there."""
    return bool(room.groups) and group_of(age, room.groups) is None


def blocker(room, ages_in, ages):
    """The Block keeping the children aged `ages` out of `room`, where `ages_in` already hold
    places; None when they all fit."""
    if not ages:
        return None
    if room.groups:
        for age in ages:
            if group_of(age, room.groups) is None:
                return Block(NO_GROUP, needed=len(ages), age=age)
    if room.places is not None and len(ages_in) + len(ages) > room.places:
        free = max(0, room.places - len(ages_in))
        return Block(PLACES, free=free, needed=len(ages), places=room.places)
    for group in room.groups:
        needed = sum(1 for a in ages if group.holds(a))
        if not needed:
            continue
        held = sum(1 for a in ages_in if group.holds(a))
        if held + needed > group.capacity:
            free = max(0, group.capacity - held)
            return Block(GROUP, free=free, needed=needed, group=group)
    return None


def order(units):
    """The order units are served in: preference round, then rank."""
    return sorted(units, key=lambda u: (u.preference, u.rank, u.key))


def allocate(units, rooms):
    """The keys of the units granted. `rooms`: {day: Room}."""
    held = {day: list(room.taken_ages) for day, room in rooms.items()}
    granted = set()
    for unit in order(units):
        if blocker(rooms[unit.day], held[unit.day], unit.ages) is None:
            held[unit.day].extend(unit.ages)
            granted.add(unit.key)
    return granted


def ages_granted(units, granted):
    """{day: [ages granted there]}."""
    result = {}
    for unit in units:
        if unit.key in granted:
            result.setdefault(unit.day, []).extend(unit.ages)
    return result


def overflow(rooms, units, granted):
    """(day, Block) for the first slot-day whose granted children do not fit, else None."""
    by_day = ages_granted(units, granted)
    for day in sorted(by_day):
        room = rooms[day]
        block = blocker(room, room.taken_ages, tuple(by_day[day]))
        if block is not None:
            return day, block
    return None


def left_out(rooms, units, granted):
    """The first unit (in serving order) not granted although it fits beside every unit
    granted, else None. None for `allocate`'s result: it is maximal."""
    held = {day: list(room.taken_ages) for day, room in rooms.items()}
    for day, ages in ages_granted(units, granted).items():
        held[day].extend(ages)
    for unit in order(units):
        if unit.key not in granted and blocker(rooms[unit.day], held[unit.day], unit.ages) is None:
            return unit
    return None


def fill_rate(places, taken, granted):
    """The share of `places` held once `granted` are added to the `taken` ones (None when the
    places are unlimited or nil)."""
    if not places:
        return None
    return (taken + granted) / places


@dataclass(frozen=True)
class Fill:
    places: int | None
    taken: int
    granted: int
    asked: int

    @property
    def rate(self):
        return fill_rate(self.places, self.taken, self.granted)


def fill_rates(units, rooms, granted):
    """{day: Fill} for every room: places, already taken, granted and asked (children)."""
    asked, given = {}, {}
    for unit in units:
        asked[unit.day] = asked.get(unit.day, 0) + len(unit.ages)
        if unit.key in granted:
            given[unit.day] = given.get(unit.day, 0) + len(unit.ages)
    return {
        day: Fill(room.places, len(room.taken_ages), given.get(day, 0), asked.get(day, 0))
        for day, room in rooms.items()
    }
