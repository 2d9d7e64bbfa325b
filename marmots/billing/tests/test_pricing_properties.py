"""Properties of the pricing function over random months (hypothesis)."""

import dataclasses
import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from marmots.billing.facts import AidRule
from marmots.billing.money import money
from marmots.billing.pricing import total
from marmots.billing.pricing_spans import length, minutes, slot_span

from .pricing_facts import (
    ACTIVITIES,
    CHILDREN,
    DEMO,
    EVENING,
    HOLIDAY,
    LATE_PICKUP,
    MORNING,
    D,
    book,
    family,
    price,
    session,
)

AIDS = (
    AidRule(
        1,
        "CAF",
        "Aide aux vacances",
        frozenset({HOLIDAY.id, EVENING.id}),
        "per_unit",
        datetime.date(2026, 11, 1),
        datetime.date(2026, 12, 31),
        amount=D("3.00"),
    ),
    AidRule(
        2,
        "CE",
        "Aide du CE",
        frozenset({MORNING.id, EVENING.id}),
        "percent",
        datetime.date(2026, 11, 10),
        datetime.date(2026, 11, 20),
        percent=D("33.33"),
    ),
)
STATUSES = ["booked", "cancelled", "late", "absent"]


def _moment(activity):
    low = minutes(activity.start) - 60
    high = minutes(activity.end) + 60
    return st.integers(low // 5, high // 5).map(lambda m: datetime.time(m * 5 // 60, m * 5 % 60))


@st.composite
def sessions(draw):
    activity = draw(st.sampled_from(list(ACTIVITIES.values())))
    bookings = []
    for slot in activity.slots:
        if draw(st.booleans()):
            status = draw(st.sampled_from(STATUSES))
            excused = status in ("late", "absent") and draw(st.booleans())
            bookings.append(book(slot.id, status, excused, "motif" if excused else ""))
    present = draw(st.booleans())
    missed = present and bool(activity.family_events) and draw(st.booleans())
    beyond = missed and draw(st.booleans())
    return session(
        activity,
        datetime.date(2026, 11, draw(st.integers(2, 30))),
        *bookings,
        child=draw(st.sampled_from(list(CHILDREN.values()))),
        present=present,
        arrival=draw(st.none() | _moment(activity)) if present else None,
        departure=draw(st.none() | _moment(activity)) if present else None,
        missed=missed,
        month_missed=4 if beyond else int(missed),
        beyond=beyond,
        max_span=missed and (beyond or not any(b.status == "booked" for b in bookings)),
        missed_threshold=3,
    )


def months():
    """Unique sessions per child, day and activity."""
    return st.lists(sessions(), max_size=12).map(
        lambda found: list({(s.child_id, s.day, s.activity_id): s for s in found}.values())
    )


quotients = st.none() | st.integers(0, 3000)


@settings(max_examples=200, deadline=None)
@given(months(), quotients, st.none() | st.integers(0, 3000))
def test_every_line_adds_up(month, quotient, fallback):
    fam = family(quotient, fallback_quotient=fallback)
    lines = price(*month, fam=fam, tariffs=(*DEMO, LATE_PICKUP), aids=AIDS)
    for line in lines:
        assert line.amount == money(line.quantity * line.unit_price)
        assert line.amount >= 0 or line.kind in ("aid", "credit")
        if line.kind in ("aid", "credit"):
            assert line.amount < 0
    assert total(lines) >= 0


@settings(max_examples=200, deadline=None)
@given(months(), quotients)
def test_each_child_priced_alone_gives_its_subtotal_and_they_add_up(month, quotient):
    """A child's lines do not depend on a sibling's sessions: pricing each child's sessions
    alone gives that child's subtotal, and the subtotals make the family's total."""
    fam = family(quotient)
    tariffs = (*DEMO, LATE_PICKUP)
    lines = price(*month, fam=fam, tariffs=tariffs, aids=AIDS)
    alone = {
        child: total(
            price(*[s for s in month if s.child_id == child], fam=fam, tariffs=tariffs, aids=AIDS)
        )
        for child in CHILDREN
    }
    subtotals = {child: total(x for x in lines if x.child_id == child) for child in CHILDREN}
    assert alone == subtotals
    assert sum(alone.values()) == total(lines)


@settings(max_examples=200, deadline=None)
@given(months())
def test_charged_sessions_bill_at_least_their_booked_minutes(month):
    lines = price(*month)
    billed = {
        (x.child_id, x.day, x.activity_id): x.minutes_billed
        for x in lines
        if x.kind == "attendance"
    }
    for s in month:
        activity = ACTIVITIES[s.activity_id]
        charged = [
            slot_span(slot)
            for b in s.bookings
            for slot in activity.slots
            if slot.id == b.slot_id
            and (b.status == "booked" or (b.status in ("late", "absent") and not b.excused))
        ]
        if charged and activity in (MORNING, EVENING):
            assert billed[(s.child_id, s.day, s.activity_id)] >= length(charged)


@settings(max_examples=200, deadline=None)
@given(months(), st.integers(0, 3000), st.integers(0, 3000))
def test_price_grows_with_the_quotient(month, low, high):
    low, high = sorted((low, high))
    cheap = total(price(*month, fam=family(low)))
    dear = total(price(*month, fam=family(high)))
    unknown = total(price(*month, fam=family(None)))
    assert cheap <= dear <= unknown


@settings(max_examples=100, deadline=None)
@given(months())
def test_sessions_cancelled_in_time_and_absent_bill_nothing(month):
    cancelled = [
        dataclasses.replace(
            s,
            bookings=tuple(dataclasses.replace(b, status="cancelled") for b in s.bookings),
            present=False,
            missed=False,
            max_span=False,
        )
        for s in month
    ]
    assert price(*cancelled) == []
