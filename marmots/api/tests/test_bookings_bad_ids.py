"""Bookings API: ids and dates beyond what the database or Python can hold answer 404 / 422
in French, never a server error."""

import pytest
import time_machine

from marmots.bookings.models import Booking, TemplateEntry
from tests.house import MONDAY, at, enroll

HUGE = 10**20  # more than a 64-bit id: SQLite's driver raises OverflowError on it


@pytest.fixture(autouse=True)
def _monday():
    with time_machine.travel(at(MONDAY, 9), tick=False):
        yield


def post(client, url, data, method="post"):
    return getattr(client, method)(url, data, content_type="application/json")


@pytest.mark.parametrize("field", ["child_id", "slot_id"])
def test_huge_ids_in_a_booking_are_not_found(api_a, house, child_a, field):
    enroll(house, child_a, house.evening)
    change = {"child_id": child_a.pk, "slot_id": house.snack_slot.pk, "date": "2026-12-03"}
    for url in ["/api/v1/bookings", "/api/v1/bookings/cancel"]:
        response = post(api_a, url, {"changes": [{**change, field: HUGE}]})
        assert response.status_code == 404
        assert response.json()["detail"] in ("Enfant introuvable.", "Tranche horaire introuvable.")
    assert not Booking.objects.exists()


def test_huge_ids_elsewhere_are_not_found(api_a, house, child_a):
    enroll(house, child_a, house.evening)
    template = f"/api/v1/children/{child_a.pk}/weekly-template"
    response = post(api_a, template, {"entries": [{"slot_id": HUGE, "weekday": 0}]}, "put")
    assert response.status_code == 404 and not TemplateEntry.objects.exists()
    period = {"child_ids": [HUGE], "from": "2026-12-01", "to": "2026-12-31"}
    assert post(api_a, "/api/v1/weekly-template/preview", period).status_code == 404
    assert api_a.get("/api/v1/bookings", {"child_id": HUGE}).status_code == 404
    assert api_a.get("/api/v1/availability", {"activity_id": HUGE}).status_code == 404


def test_availability_from_the_last_day_python_knows(api_a, house, child_a):
    response = api_a.get("/api/v1/availability", {"from": "9999-12-31"})
    assert response.status_code == 422
    assert response.json()["detail"] == "Date hors des dates possibles : 31/12/9999."


def test_annual_activity_cannot_be_booked_by_the_session(api_a, house, child_a):
    enroll(house, child_a, house.circus)
    change = {"child_id": child_a.pk, "slot_id": house.circus.slots.get().pk, "date": "2026-12-08"}
    response = post(api_a, "/api/v1/bookings", {"changes": [change]})
    (outcome,) = response.json()["outcomes"]
    assert outcome["result"] == "refused" and outcome["code"] == "not_bookable"
    assert not Booking.objects.exists()
