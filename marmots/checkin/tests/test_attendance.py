"""Attendance as billing reads it: bookings, the register and the effective events, per session."""

import datetime

import pytest

from marmots.bookings.models import Booking
from marmots.checkin import attendance
from marmots.checkin.models import CheckinEvent, Kiosk, RegisterMark
from tests import factories as f
from tests.house import MONDAY, at, enroll

pytestmark = pytest.mark.django_db
TUESDAY = MONDAY + datetime.timedelta(days=1)
DECEMBER_1 = datetime.date(2026, 12, 1)


@pytest.fixture
def kiosk(house):
    return Kiosk.objects.create(structure=house.structure, name="Entrée")


def book(child, slot, day, status=Booking.BOOKED):
    enrollment = child.enrollments.get(activity=slot.activity)
    return Booking.objects.create(
        child=child, slot=slot, date=day, enrollment=enrollment, status=status
    )


def kiosk_event(kiosk, child, activity, moment, kind):
    return CheckinEvent.objects.create(
        child=child,
        activity=activity,
        date=moment.date(),
        kind=kind,
        at=moment,
        device_time=moment,
        source=CheckinEvent.KIOSK,
        by_family=True,
        kiosk=kiosk,
        nonce=f"n-{child.pk}-{moment:%d%H%M}-{kind}",
    )


def mark(child, activity, day, present=True):
    return RegisterMark.objects.create(child=child, activity=activity, date=day, present=present)


@pytest.fixture
def lea(house, child_a):
    enroll(house, child_a, house.morning, house.evening)
    return child_a


def test_sessions_join_bookings_register_and_events(house, lea, kiosk, child_b):
    enroll(house, child_b, house.evening)
    slots = list(house.morning.slots.order_by("start_time"))
    book(lea, slots[1], MONDAY)
    book(lea, slots[2], MONDAY)
    book(lea, house.snack_slot, MONDAY, status=Booking.CANCELLED)
    kiosk_event(kiosk, lea, house.morning, at(MONDAY, 7, 40), CheckinEvent.ARRIVAL)
    mark(lea, house.morning, MONDAY)
    mark(child_b, house.evening, MONDAY)  # present without booking nor kiosk event

    rows = attendance.sessions(house.structure, MONDAY, MONDAY)

    by_key = {(a.child_id, a.activity_id): a for a in rows}
    morning = by_key[(lea.pk, house.morning.pk)]
    assert morning.booked_slots == [
        (datetime.time(7, 30), datetime.time(8)),
        (datetime.time(8), datetime.time(8, 30)),
    ]
    assert morning.arrival == at(MONDAY, 7, 40) and morning.departure is None
    assert morning.present and morning.by_family == {"arrival"}
    assert not morning.session().missed
    assert morning.max_span == (datetime.time(7), datetime.time(8, 30))
    hugo = by_key[(child_b.pk, house.evening.pk)]
    assert not hugo.booked and hugo.present and hugo.session().missed
    # The cancelled evening booking is not a session.
    assert (lea.pk, house.evening.pk) not in by_key


def test_a_booked_child_who_never_came_is_a_session_not_present(house, lea):
    book(lea, house.snack_slot, MONDAY)
    (row,) = attendance.sessions(house.structure, MONDAY, MONDAY)
    assert row.booked and not row.present and not row.session().missed


def test_corrections_replace_and_voids_withdraw(house, lea, kiosk, manager):
    book(lea, house.snack_slot, MONDAY)
    wrong = kiosk_event(kiosk, lea, house.evening, at(MONDAY, 18, 40), CheckinEvent.DEPARTURE)
    CheckinEvent.objects.create(
        child=lea,
        activity=house.evening,
        date=MONDAY,
        kind=CheckinEvent.DEPARTURE,
        at=at(MONDAY, 18, 10),
        source=CheckinEvent.STAFF,
        by_family=True,
        recorded_by=manager,
        replaces=wrong,
        reason="La famille a pointé en partant du parking.",
    )
    (row,) = attendance.sessions(house.structure, MONDAY, MONDAY)
    assert row.departure == at(MONDAY, 18, 10)
    assert row.by_family == {"departure"}

    other = kiosk_event(kiosk, lea, house.evening, at(TUESDAY, 17, 0), CheckinEvent.DEPARTURE)
    CheckinEvent.objects.create(
        child=lea,
        activity=house.evening,
        date=TUESDAY,
        kind=CheckinEvent.DEPARTURE,
        at=other.at,
        source=CheckinEvent.STAFF,
        by_family=False,
        voided=True,
        recorded_by=manager,
        replaces=other,
        reason="Mauvais enfant.",
    )
    mark(lea, house.evening, TUESDAY)
    tuesday = attendance.sessions(house.structure, TUESDAY, TUESDAY)[0]
    assert tuesday.departure is None and tuesday.session().missed


def test_four_missed_evenings_are_beyond_the_threshold(house, lea):
    days = [MONDAY - datetime.timedelta(days=d) for d in (0, 3, 4, 6)]  # 30, 27, 26, 24/11
    for day in days:
        book(lea, house.snack_slot, day)
        mark(lea, house.evening, day)
    mark(lea, house.evening, DECEMBER_1)
    missed = attendance.missed_by_child([lea], datetime.date(2026, 11, 1), MONDAY)
    assert missed[lea.pk].count == 4 and missed[lea.pk].threshold == 3
    assert missed[lea.pk].warning == "depasse"
    december = attendance.missed_by_child([lea], DECEMBER_1, datetime.date(2026, 12, 31))
    assert december[lea.pk].count == 1 and december[lea.pk].warning is None


def test_a_child_with_nothing_missed_counts_zero(house, lea, child_b):
    result = attendance.missed_by_child([lea, child_b], MONDAY, MONDAY)
    assert result[lea.pk].count == 0 and result[child_b.pk].count == 0


def test_the_sessions_of_a_month_cost_four_queries(house, lea, kiosk, django_assert_num_queries):
    for n in range(20):
        child = f.ChildFactory(family=lea.family, first_name=f"Enfant{n}")
        enroll(house, child, house.evening)
        book(child, house.snack_slot, MONDAY)
        mark(child, house.evening, MONDAY)
        kiosk_event(kiosk, child, house.evening, at(MONDAY, 18), CheckinEvent.DEPARTURE)
    with django_assert_num_queries(4):
        rows = attendance.sessions(house.structure, datetime.date(2026, 11, 1), MONDAY)
    assert len(rows) == 20


def test_billing_reads_each_session_with_its_verdict(house, lea, kiosk):
    november = [MONDAY - datetime.timedelta(days=d) for d in (0, 3, 4, 6, 7)]  # 5 school days
    for day in november[:4]:  # four evenings present, the family never checked out
        book(lea, house.snack_slot, day)
        mark(lea, house.evening, day)
    book(lea, house.snack_slot, november[4])
    kiosk_event(kiosk, lea, house.evening, at(november[4], 17, 20), CheckinEvent.DEPARTURE)
    rows = attendance.with_verdicts(house.structure, datetime.date(2026, 11, 1), MONDAY)
    verdicts = {a.day: v for a, v in rows}
    assert [verdicts[d].max_span for d in november] == [True] * 4 + [False]
    departures = {a.day: a.departure for a, _ in rows}
    assert departures[november[4]] == at(november[4], 17, 20)


def test_a_late_cancellation_is_booked_for_the_missed_checkin_rule(house, lea):
    """Cancelled late (billed as booked), the child came anyway and the family forgot the
    kiosk: a missed check-in billed as booked, not at the maximum span. Excused, it is no
    booking: the maximum span. The register still shows no booked slot."""
    late = book(lea, house.snack_slot, MONDAY, status=Booking.LATE_CANCELLED)
    mark(lea, house.evening, MONDAY)
    absent = book(lea, house.snack_slot, TUESDAY, status=Booking.ABSENT)
    mark(lea, house.evening, TUESDAY)
    first, last = datetime.date(2026, 11, 1), TUESDAY

    verdicts = {a.day: v for a, v in attendance.with_verdicts(house.structure, first, last)}
    assert verdicts[MONDAY].missed and not verdicts[MONDAY].max_span
    assert verdicts[TUESDAY].missed and not verdicts[TUESDAY].max_span
    rows = attendance.sessions(house.structure, MONDAY, TUESDAY)
    assert [(row.booked, row.booked_slots) for row in rows] == [(False, [])] * 2

    for booking in (late, absent):
        booking.excused, booking.excuse_reason = True, "certificat médical"
        booking.save()
    verdicts = {a.day: v for a, v in attendance.with_verdicts(house.structure, first, last)}
    assert verdicts[MONDAY].max_span and verdicts[TUESDAY].max_span


def test_a_late_cancellation_alone_makes_no_session(house, lea):
    book(lea, house.snack_slot, MONDAY, status=Booking.LATE_CANCELLED)
    assert attendance.sessions(house.structure, MONDAY, MONDAY) == []


def test_billing_a_part_of_a_month_still_counts_the_whole_month(house, lea):
    november = [MONDAY - datetime.timedelta(days=d) for d in (0, 3, 4, 6)]  # 30, 27, 26, 24/11
    for day in november:
        mark(lea, house.evening, day)
    rows = attendance.with_verdicts(house.structure, MONDAY, DECEMBER_1)
    ((row, verdict),) = rows
    assert row.day == MONDAY and verdict.month_count == 4 and verdict.max_span
