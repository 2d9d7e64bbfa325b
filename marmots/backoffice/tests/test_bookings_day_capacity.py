"""The manager opens more (or fewer) places on one day of a slot, from the fill-rate page."""

import datetime

import pytest

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.bookings.models import SlotDay
from marmots.core.models import AuditEntry
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)
URL = "/gestion/reservations/remplissage/places/"


@pytest.fixture
def one_place(house, child_a, child_b, guardian_a):
    """The snack slot has one place; Léa took it on Thursday; Hugo is enrolled too."""
    slot = house.snack_slot
    slot.capacity = 1
    slot.save()
    enroll(house, child_a, house.evening)
    enroll(house, child_b, house.evening)
    actions.book(guardian_a.user, [Change(child_a, slot, THURSDAY)], now=at(MONDAY, 9))
    return slot


def _post(client, slot, places):
    return client.post(URL, {"slot": slot.pk, "date": THURSDAY.isoformat(), "places": places})


def test_more_places_on_one_day_let_another_family_book(
    client_manager, one_place, child_b, guardian_b
):
    (full,) = actions.book(
        guardian_b.user, [Change(child_b, one_place, THURSDAY)], now=at(MONDAY, 9)
    )
    assert full.code == "full"
    response = _post(client_manager, one_place, 2)
    assert response.status_code == 302
    assert response["Location"].endswith(f"?mois=2026-12&activite={one_place.activity_id}")
    assert SlotDay.objects.get(slot=one_place, date=THURSDAY).capacity == 2
    (booked,) = actions.book(
        guardian_b.user, [Change(child_b, one_place, THURSDAY)], now=at(MONDAY, 10)
    )
    assert booked.ok
    assert AuditEntry.objects.filter(action="slotday.capacity").count() == 1


def test_fewer_places_than_children_booked_is_refused(client_manager, one_place):
    response = _post(client_manager, one_place, 0)
    page = client_manager.get(response["Location"]).content.decode()
    assert "Places inchangées : 1 enfant déjà réservé ce jour-là" in page
    assert SlotDay.objects.get(slot=one_place, date=THURSDAY).capacity is None
    assert not AuditEntry.objects.filter(action="slotday.capacity").exists()


def test_empty_places_go_back_to_the_slot_figure(client_manager, one_place):
    _post(client_manager, one_place, 3)
    _post(client_manager, one_place, "")
    assert SlotDay.objects.get(slot=one_place, date=THURSDAY).capacity is None


@pytest.mark.parametrize("places", ["-1", "abc", "99999999"])
def test_bad_places_change_nothing(client_manager, one_place, places):
    response = _post(client_manager, one_place, places)
    page = client_manager.get(response["Location"]).content.decode()
    assert "Places inchangées" in page
    assert SlotDay.objects.get(slot=one_place, date=THURSDAY).capacity is None


def test_staff_cannot_change_places(client_staff, one_place):
    assert _post(client_staff, one_place, 5).status_code == 403
    assert SlotDay.objects.get(slot=one_place, date=THURSDAY).capacity is None


def test_another_structure_manager_cannot_reach_the_slot(client, other_manager, one_place):
    client.force_login(other_manager)
    _post(client, one_place, 5)
    assert SlotDay.objects.get(slot=one_place, date=THURSDAY).capacity is None


FILL = "/gestion/reservations/remplissage/?mois=2026-12&activite={}"


def test_the_fill_page_offers_the_form_to_the_manager(client_manager, one_place):
    page = client_manager.get(FILL.format(one_place.activity_id)).content.decode()
    assert "Places d'un jour" in page


def test_the_fill_page_hides_the_form_from_staff(client_staff, one_place):
    page = client_staff.get(FILL.format(one_place.activity_id)).content.decode()
    assert "Places d'un jour" not in page and "Remplissage" in page
