"""The proposal rules (pure): rounds of preference, rank, siblings together, places and age
groups never exceeded, and nothing left out that would fit."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from marmots.places import proposal
from marmots.places.proposal import Group, Room, Unit

DAY = datetime.date(2026, 12, 21)
SMALL = Group("3-5 ans", 3, 5, 2)
BIG = Group("6-11 ans", 6, 11, 3)


def unit(request, ages, rank=None, preference=1, day=(1, DAY)):
    return Unit((request, day[0], day[1]), day, rank or request, tuple(ages), preference)


def test_first_choices_before_second_then_rank():
    rooms = {(1, DAY): Room(places=2)}
    units = [
        unit(1, [7], preference=2),  # best ranked, but its second choice
        unit(2, [7]),
        unit(3, [8]),
        unit(4, [9]),
    ]
    assert proposal.allocate(units, rooms) == {(2, 1, DAY), (3, 1, DAY)}


def test_siblings_granted_together_or_not_at_all():
    rooms = {(1, DAY): Room(places=4, taken_ages=(7,))}
    units = [unit(1, [7, 4]), unit(2, [8, 9]), unit(3, [10])]
    # 1 takes two places; 2 (two children) no longer fits in the one left; 3 does.
    assert proposal.allocate(units, rooms) == {(1, 1, DAY), (3, 1, DAY)}


def test_age_groups_and_children_without_a_group():
    rooms = {(1, DAY): Room(places=None, taken_ages=(4,), groups=(SMALL, BIG))}
    units = [unit(1, [4]), unit(2, [5]), unit(3, [12]), unit(4, [7])]
    assert proposal.allocate(units, rooms) == {(1, 1, DAY), (4, 1, DAY)}
    block = proposal.blocker(rooms[(1, DAY)], (4, 4), (5,))
    assert (block.kind, block.group, block.free) == (proposal.GROUP, SMALL, 0)
    assert proposal.blocker(rooms[(1, DAY)], (), (12,)).kind == proposal.NO_GROUP


def test_overflow_and_left_out():
    rooms = {(1, DAY): Room(places=2)}
    units = [unit(1, [7]), unit(2, [8]), unit(3, [9])]
    keys = [u.key for u in units]
    assert proposal.overflow(rooms, units, set(keys)) == (
        (1, DAY),
        proposal.Block(proposal.PLACES, free=2, needed=3, places=2),
    )
    assert proposal.overflow(rooms, units, set(keys[:2])) is None
    assert proposal.left_out(rooms, units, {keys[0]}) == units[1]
    assert proposal.left_out(rooms, units, {keys[0], keys[2]}) is None


def test_fill_rates():
    rooms = {(1, DAY): Room(places=4, taken_ages=(7,))}
    units = [unit(1, [7, 8]), unit(2, [9]), unit(3, [6, 6])]
    granted = proposal.allocate(units, rooms)
    fill = proposal.fill_rates(units, rooms, granted)[(1, DAY)]
    assert (fill.places, fill.taken, fill.granted, fill.asked, fill.rate) == (4, 1, 3, 5, 1)


# Properties ----------------------------------------------------------------------------------

DAYS = [(slot, DAY + datetime.timedelta(days=d)) for slot in (1, 2) for d in range(3)]
groups = st.one_of(
    st.just(()),
    st.tuples(
        st.builds(Group, st.just("3-5 ans"), st.just(3), st.just(5), st.integers(0, 4)),
        st.builds(Group, st.just("6-11 ans"), st.just(6), st.just(11), st.integers(0, 6)),
    ),
)
ages = st.integers(3, 12)
rooms = st.fixed_dictionaries(
    {
        day: st.builds(
            Room,
            places=st.one_of(st.none(), st.integers(0, 8)),
            taken_ages=st.lists(ages, max_size=4).map(tuple),
            groups=groups,
        )
        for day in DAYS
    }
)


@st.composite
def requests(draw):
    units = []
    for request in range(1, draw(st.integers(0, 12)) + 1):
        children = draw(st.lists(ages, min_size=1, max_size=3))
        rank = draw(st.integers(1, 20))
        for day in draw(st.lists(st.sampled_from(DAYS), unique=True, max_size=4)):
            preference = draw(st.integers(1, 3))
            units.append(Unit((request, *day), day, rank, tuple(children), preference))
    return units


def _in(group, ages_list):
    return sum(1 for a in ages_list if group.holds(a))


def _fits(room, granted_ages, ages):
    """Written apart from proposal.blocker: the children fit beside those already in."""
    held = list(room.taken_ages) + list(granted_ages)
    if room.places is not None and len(held) + len(ages) > room.places:
        return False
    for age in ages:
        matching = [g for g in room.groups if g.holds(age)]
        if room.groups and not matching:
            return False
    for group in room.groups:
        if _in(group, held) + _in(group, ages) > group.capacity and _in(group, ages):
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(rooms, requests())
def test_never_over_capacity_and_nothing_left_out(rooms, units):
    granted = proposal.allocate(units, rooms)
    by_day = proposal.ages_granted(units, granted)
    for day, room in rooms.items():
        new = by_day.get(day, [])
        if room.places is not None:
            assert len(new) <= max(0, room.places - len(room.taken_ages))
        for group in room.groups:
            free = max(0, group.capacity - _in(group, room.taken_ages))
            assert _in(group, new) <= free
        if room.groups:
            assert all(proposal.group_of(a, room.groups) for a in new)
    # Maximal: no unit left out would fit beside all the others granted.
    for u in units:
        if u.key not in granted:
            assert not _fits(rooms[u.day], by_day.get(u.day, []), u.ages), u
    assert proposal.left_out(rooms, units, granted) is None
    assert proposal.overflow(rooms, units, granted) is None
    # Each unit's children are granted together: counts add up by whole units.
    fills = proposal.fill_rates(units, rooms, granted)
    for day, fill in fills.items():
        assert fill.granted == len(by_day.get(day, []))
