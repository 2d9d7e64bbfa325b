"""The month grid builder: each cell's state, seen at a given moment, in bounded queries."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marmots.activities.models import Closure
from marmots.bookings import absences, actions, batch, month
from marmots.bookings.actions import Change
from marmots.bookings.models import SlotDay
from marmots.portal.frdates import month_bounds
from tests import factories as f
from tests.house import MONDAY, at, enroll

from .conftest import PDF

TUESDAY = MONDAY + datetime.timedelta(days=1)
WEDNESDAY = MONDAY + datetime.timedelta(days=2)
THURSDAY = MONDAY + datetime.timedelta(days=3)
FRIDAY = MONDAY + datetime.timedelta(days=4)
DECEMBER = month_bounds(datetime.date(2026, 12, 1))
LAST_WEEK = at(datetime.date(2026, 11, 25), 9)


def cells(grid):
    """{(child first name, slot label, date): cell}"""
    return {(c.child.first_name, c.slot.label, c.day): c for day in grid.days for c in day.cells}


@pytest.fixture
def lea(house, child_a):
    enroll(house, child_a, house.evening, house.holiday)
    return child_a


def test_month_span():
    first = datetime.date(2026, 12, 1)
    assert month_bounds(first) == (first, datetime.date(2026, 12, 31))
    first = datetime.date(2027, 2, 1)
    assert month_bounds(first) == (first, datetime.date(2027, 2, 28))


def test_free_cells_show_places_and_apc_on_tuesdays(house, lea):
    grid = cells(month.build([lea], *DECEMBER, at(MONDAY, 9)))
    free = grid[("Léa", "16h30-17h30", THURSDAY)]
    assert (free.state, free.text, free.editable, free.apc) == (
        month.FREE,
        "40 places",
        True,
        False,
    )
    next_tuesday = TUESDAY + datetime.timedelta(days=7)
    assert grid[("Léa", "17h30-18h00", next_tuesday)].apc is True
    assert grid[("Léa", "16h30-17h30", next_tuesday)].apc is False
    assert grid[("Léa", "17h30-18h00", THURSDAY)].apc is False


def test_days_without_session_have_no_cell(house, lea):
    grid = month.build([lea], *DECEMBER, at(MONDAY, 9))
    by_day = {d.day: d for d in grid.days}
    assert by_day[WEDNESDAY].cells == []  # no evening session on Wednesdays
    assert by_day[datetime.date(2026, 12, 5)].cells == []  # Saturday
    assert datetime.date(2026, 12, 5) not in {d.day for d in grid.shown_days}
    # In the holidays, the camp replaces the evening sessions.
    holiday = by_day[datetime.date(2026, 12, 21)].cells
    assert [c.slot.label for c in holiday] == ["Journée avec repas"]


def test_booked_cell_says_until_when_it_cancels_free(house, lea, guardian_a):
    actions.book(guardian_a.user, [Change(lea, house.snack_slot, THURSDAY)], now=at(MONDAY, 8))
    grid = cells(month.build([lea], *DECEMBER, at(MONDAY, 9)))
    booked = grid[("Léa", "16h30-17h30", THURSDAY)]
    assert booked.state == month.BOOKED and booked.checked and booked.editable
    assert booked.text == "annulable sans frais jusqu'au mardi 01/12 à 8h30"
    late = cells(month.build([lea], *DECEMBER, at(TUESDAY, 9)))[("Léa", "16h30-17h30", THURSDAY)]
    assert (late.text, late.editable, late.late) == ("annulation hors délai : facturée", True, True)
    started = cells(month.build([lea], *DECEMBER, at(THURSDAY, 17)))
    assert started[("Léa", "16h30-17h30", THURSDAY)].editable is False


def test_deadline_full_and_closed(house, lea):
    SlotDay.objects.create(slot=house.snack_slot, date=FRIDAY, capacity=0)
    monday = MONDAY + datetime.timedelta(days=7)
    Closure.objects.create(
        structure=house.structure, start_date=monday, end_date=monday, reason="Formation"
    )
    grid = cells(month.build([lea], *DECEMBER, at(MONDAY, 9)))
    past = grid[("Léa", "16h30-17h30", TUESDAY)]
    assert past.state == month.DEADLINE and not past.editable
    assert past.text == "Réservations closes depuis le vendredi 27/11 à 8h30"
    full = grid[("Léa", "16h30-17h30", FRIDAY)]
    assert (full.state, full.text) == (month.FULL, "Complet : plus aucune place ce jour-là.")
    assert grid[("Léa", "17h30-18h00", FRIDAY)].state == month.FREE
    closed = grid[("Léa", "16h30-17h30", monday)]
    assert (closed.state, closed.text) == (month.CLOSED, "Structure fermée : Formation.")


def test_age_group_places(house, lea, family_b, guardian_b):
    """Léa (7) sees the places left in the 6-11 group."""
    house.camp_slot.age_groups.filter(min_age=6).update(capacity=1)
    hugo = f.ChildFactory(family=family_b, first_name="Hugo")
    enroll(house, hugo, house.holiday)
    day = datetime.date(2026, 12, 22)
    grid = cells(month.build([lea], *DECEMBER, at(MONDAY, 9)))
    assert grid[("Léa", "Journée avec repas", day)].text == "1 place"
    actions.book(guardian_b.user, [Change(hugo, house.camp_slot, day)], now=at(MONDAY, 9))
    grid = cells(month.build([lea], *DECEMBER, at(MONDAY, 9)))
    assert grid[("Léa", "Journée avec repas", day)].text == "Complet pour les 6-11 ans (6-11 ans)."


def test_holidays_not_open_yet(house, lea):
    grid = cells(month.build([lea], *DECEMBER, at(datetime.date(2026, 11, 23), 19)))
    cell = grid[("Léa", "Journée avec repas", datetime.date(2026, 12, 21))]
    assert cell.state == month.NOT_OPEN and not cell.editable
    assert "ouvrent le lundi 23/11 à 20h00" in cell.text


def test_late_absent_excused_and_requested(house, lea, guardian_a):
    next_week = THURSDAY + datetime.timedelta(days=7)
    actions.book(
        guardian_a.user,
        [Change(lea, house.snack_slot, TUESDAY), Change(lea, house.snack_slot, next_week)],
        now=LAST_WEEK,
    )
    actions.cancel(guardian_a.user, [Change(lea, house.snack_slot, TUESDAY)], now=at(MONDAY, 9))
    booking = lea.bookings.get(date=next_week)
    # Past its deadline (Tuesday 8/12 8:30): declared before, it is a free cancellation.
    absences.declare_absence(guardian_a.user, booking, now=at(next_week, 7))
    house.morning.families_may_add = False
    house.morning.save()
    enroll(house, lea, house.morning)
    morning_slot = house.morning.slots.first()
    actions.book(guardian_a.user, [Change(lea, morning_slot, FRIDAY)], now=at(MONDAY, 9))
    grid = cells(month.build([lea], *DECEMBER, at(next_week, 8)))
    late = grid[("Léa", "16h30-17h30", TUESDAY)]
    assert (late.state, late.text) == (month.LATE, "Annulé hors délai : facturé")
    absent = grid[("Léa", "16h30-17h30", next_week)]
    assert (absent.state, absent.text) == (month.ABSENT, "Certificat médical à fournir")
    requested = grid[("Léa", morning_slot.label, FRIDAY)]
    assert requested.state == month.REQUESTED and not requested.editable
    assert grid[("Léa", morning_slot.label, next_week + datetime.timedelta(days=7))].ask is True
    absences.attach_certificate(
        guardian_a.user, booking, SimpleUploadedFile("c.pdf", PDF), now=at(next_week, 10)
    )
    grid = cells(month.build([lea], *DECEMBER, at(next_week, 11)))
    assert grid[("Léa", "16h30-17h30", next_week)].state == month.EXCUSED


def test_plan_adds_and_cancels_against_live_bookings(house, lea, guardian_a):
    actions.book(guardian_a.user, [Change(lea, house.snack_slot, THURSDAY)], now=at(MONDAY, 8))
    thursday, friday = (
        Change(lea, house.snack_slot, THURSDAY),
        Change(lea, house.snack_slot, FRIDAY),
    )
    adds, cancels = batch.plan(shown=[thursday], wanted=[friday])
    assert (adds, cancels) == ([friday], [thursday])
    # A booking the page did not show is never cancelled.
    assert batch.plan(shown=[], wanted=[friday]) == ([friday], [])
    assert batch.plan(shown=[thursday], wanted=[thursday]) == ([], [])
