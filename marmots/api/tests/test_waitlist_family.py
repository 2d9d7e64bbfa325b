"""Waiting lists through the API, for families: join the lines of full days, see positions,
accept or decline an offered place; another family's entry answers 404 and changes nothing."""

import datetime

import pytest
import time_machine

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, SlotDay, WaitlistEntry
from tests import factories as f
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)
LIST = "/api/v1/waitlist"
NOW = at(MONDAY, 9)


@pytest.fixture(autouse=True)
def _monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def full(house, child_a, child_b):
    """Thursday's snack slot has one place, taken by Tom."""
    enroll(house, child_a, house.evening)
    enroll(house, child_b, house.evening)
    family = f.FamilyFactory(structures=[house.structure])
    guardian = f.GuardianFactory(family=family)
    tom = f.ChildFactory(family=family, first_name="Tom")
    enroll(house, tom, house.evening)
    SlotDay.objects.create(slot=house.snack_slot, date=THURSDAY, capacity=1)
    (outcome,) = actions.book(guardian.user, [Change(tom, house.snack_slot, THURSDAY)])
    assert outcome.ok, outcome.message
    return guardian.user, tom


def post(client, url, data=None):
    return client.post(url, data, content_type="application/json")


def join(client, child, slot, day=THURSDAY):
    body = {"changes": [{"child_id": child.pk, "slot_id": slot.pk, "date": day.isoformat()}]}
    return post(client, LIST, body)


def free_the_place(full, house):
    (outcome,) = actions.cancel(full[0], [Change(full[1], house.snack_slot, THURSDAY)])
    assert outcome.ok, outcome.message


def states():
    return list(WaitlistEntry.objects.order_by("pk").values_list("pk", "status")), list(
        Booking.objects.order_by("pk").values_list("pk", "status")
    )


def test_families_join_a_full_day_and_see_their_position(
    api_a, api_b, house, full, child_a, child_b
):
    slot = house.snack_slot
    first = join(api_a, child_a, slot)
    assert first.status_code == 200, first.content
    (outcome,) = first.json()["outcomes"]
    entry = WaitlistEntry.objects.get()
    assert outcome == {
        "child_id": child_a.pk,
        "slot_id": slot.pk,
        "date": "2026-12-03",
        "result": "waitlisted",
        "code": "waitlisted",
        "message": "Léa est sur la liste d'attente du jeudi 03/12/2026 (position 1).",
        "entry_id": entry.pk,
        "position": 1,
    }
    assert join(api_b, child_b, slot).json()["outcomes"][0]["position"] == 2

    (mine,) = api_b.get(LIST).json()
    assert (mine["child_id"], mine["status"], mine["position"]) == (child_b.pk, "waiting", 2)
    assert mine["offer_expires_at"] is None and mine["source"] == "family"
    assert mine["activity"] == "Périscolaire soir" and mine["slot"] == "16h30-17h30"
    assert [e["child_id"] for e in api_a.get(LIST).json()] == [child_a.pk]
    assert api_a.get(LIST, {"child_id": child_a.pk}).json()[0]["id"] == entry.pk
    response = api_a.get(LIST, {"child_id": child_b.pk})
    assert response.status_code == 404 and response.json() == {"detail": "Enfant introuvable."}


def test_joining_a_day_with_a_place_left_is_refused_with_code_free(api_a, house, full, child_a):
    friday = THURSDAY + datetime.timedelta(days=1)
    response = join(api_a, child_a, house.snack_slot, friday)
    assert response.status_code == 200
    (outcome,) = response.json()["outcomes"]
    assert (outcome["result"], outcome["code"], outcome["entry_id"]) == ("refused", "free", None)
    assert outcome["message"].startswith("Il reste une place le vendredi 04/12/2026 pour Léa")
    assert not WaitlistEntry.objects.exists()


def test_joining_twice_is_refused(api_a, house, full, child_a):
    join(api_a, child_a, house.snack_slot)
    (outcome,) = join(api_a, child_a, house.snack_slot).json()["outcomes"]
    assert outcome["code"] == "already_waiting"
    assert WaitlistEntry.objects.count() == 1


def test_joining_for_another_familys_child_is_404(api_b, house, full, child_a):
    response = join(api_b, child_a, house.snack_slot)
    assert response.status_code == 404
    assert response.json() == {"detail": "Enfant introuvable."}
    assert not WaitlistEntry.objects.exists()


def test_family_accepts_its_offer(api_a, api_b, house, full, child_a, child_b):
    join(api_a, child_a, house.snack_slot)
    join(api_b, child_b, house.snack_slot)
    free_the_place(full, house)
    (offer, waiting) = api_a.get(LIST).json() + api_b.get(LIST).json()
    assert (offer["status"], offer["position"]) == ("offered", 1)
    assert offer["offer_expires_at"].startswith("2026-12-01T")
    assert (waiting["status"], waiting["position"]) == ("waiting", 2)

    response = post(api_a, f"{LIST}/{offer['id']}/accept")
    assert response.status_code == 200, response.content
    body = response.json()
    booking = Booking.objects.get(child=child_a, date=THURSDAY)
    assert (body["status"], body["position"], body["booking_id"]) == ("booked", None, booking.pk)
    assert booking.status == Booking.BOOKED


def test_family_b_cannot_accept_or_decline_as_offer(api_a, api_b, house, full, child_a, child_b):
    join(api_a, child_a, house.snack_slot)
    join(api_b, child_b, house.snack_slot)
    free_the_place(full, house)
    offer = WaitlistEntry.objects.get(child=child_a)
    before = states()
    for verb in ("accept", "decline"):
        response = post(api_b, f"{LIST}/{offer.pk}/{verb}")
        assert response.status_code == 404
        assert response.json() == {"detail": "Inscription en liste d'attente introuvable."}
    assert states() == before
    assert not Booking.objects.filter(child=child_b).exists()


def test_declining_passes_the_place_to_the_next(api_a, api_b, house, full, child_a, child_b):
    join(api_a, child_a, house.snack_slot)
    join(api_b, child_b, house.snack_slot)
    free_the_place(full, house)
    offer = WaitlistEntry.objects.get(child=child_a)
    response = post(api_a, f"{LIST}/{offer.pk}/decline")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["position"]) == ("declined", None)
    assert WaitlistEntry.objects.get(child=child_b).status == "offered"


def test_an_expired_offer_is_refused_in_french(api_a, api_b, house, full, child_a, child_b):
    join(api_a, child_a, house.snack_slot)
    join(api_b, child_b, house.snack_slot)
    free_the_place(full, house)
    offer = WaitlistEntry.objects.get(child=child_a)
    with time_machine.travel(NOW + datetime.timedelta(hours=25), tick=False):
        response = post(api_a, f"{LIST}/{offer.pk}/accept")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Cette offre a expiré")
    assert not Booking.objects.filter(child=child_a).exists()
    assert WaitlistEntry.objects.get(child=child_b).status == "offered"


def test_a_manager_has_no_family_list(api_manager, full):
    response = api_manager.get(LIST)
    assert response.status_code == 403
    assert response.json() == {"detail": "Cet espace est réservé aux familles."}


@pytest.mark.parametrize("entry_id", [0, 2**63, 999999])
def test_unknown_ids_are_404(api_a, full, entry_id):
    assert post(api_a, f"{LIST}/{entry_id}/accept").status_code == 404
