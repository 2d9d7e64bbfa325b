"""Bookings through the API: the same actions as the portal, ids out of reach answer 404, and
every crafted payload is refused in French without changing anything."""

import datetime

import pytest
import time_machine
from django.test import Client

from marmots.bookings.models import Booking, SlotDay
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.house import MONDAY, at, enroll

DAY = datetime.timedelta(days=1)
THURSDAY = MONDAY + 3 * DAY
BOOK, CANCEL, LIST = "/api/v1/bookings", "/api/v1/bookings/cancel", "/api/v1/bookings"


@pytest.fixture(autouse=True)
def _monday_morning():
    with time_machine.travel(at(MONDAY, 9), tick=False):
        yield


@pytest.fixture
def lea(house, child_a):
    enroll(house, child_a, house.evening)
    return child_a


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def change(child, slot, day, **extra):
    return {"child_id": child.pk, "slot_id": slot.pk, "date": day.isoformat(), **extra}


def written():
    return (
        list(Booking.objects.values_list("pk", "status")),
        AuditEntry.objects.count(),
    )


def test_guardian_books_then_cancels(api_a, house, lea):
    days = [THURSDAY, THURSDAY + DAY]
    response = post(api_a, BOOK, {"changes": [change(lea, house.snack_slot, d) for d in days]})

    assert response.status_code == 200
    outcomes = response.json()["outcomes"]
    bookings = list(Booking.objects.order_by("date"))
    assert outcomes[0] == {
        "child_id": lea.pk,
        "slot_id": house.snack_slot.pk,
        "date": "2026-12-03",
        "result": "booked",
        "code": "booked",
        "message": "Réservé.",
        "booking_id": bookings[0].pk,
    }
    assert [o["booking_id"] for o in outcomes] == [b.pk for b in bookings]
    assert not bookings[0].booked_on_behalf

    response = post(api_a, CANCEL, {"changes": [change(lea, house.snack_slot, THURSDAY)]})
    (outcome,) = response.json()["outcomes"]
    assert (outcome["result"], outcome["code"], outcome["message"]) == (
        "cancelled",
        "cancelled",
        "Annulé sans frais.",
    )
    assert outcome["booking_id"] == bookings[0].pk
    assert Booking.objects.get(pk=bookings[0].pk).status == Booking.CANCELLED


def test_cancelling_nothing_is_refused(api_a, house, lea):
    response = post(api_a, CANCEL, {"changes": [change(lea, house.snack_slot, THURSDAY)]})
    (outcome,) = response.json()["outcomes"]
    assert outcome["code"] == "no_booking" and outcome["booking_id"] is None


def _past_deadline(house, lea, family):
    return change(lea, house.snack_slot, MONDAY + DAY)


def _beyond_capacity(house, lea, family):
    SlotDay.objects.create(slot=house.snack_slot, date=THURSDAY, capacity=0)
    return change(lea, house.snack_slot, THURSDAY)


def _not_enrolled(house, lea, family):
    return change(f.ChildFactory(family=family, first_name="Tom"), house.snack_slot, THURSDAY)


def _pending_enrollment(house, lea, family):
    f.EnrollmentFactory(child=lea, activity=house.morning)
    return change(lea, house.morning.slots.first(), THURSDAY)


def _closed_day(house, lea, family):
    return change(lea, house.snack_slot, MONDAY + 2 * DAY)


def _holidays(house, lea, family):
    return change(lea, house.snack_slot, datetime.date(2026, 12, 22))


def _apc_on_thursday(house, lea, family):
    return change(lea, house.apc_slot, THURSDAY, with_apc=True)


@pytest.mark.parametrize(
    "craft, code, message",
    [
        (_past_deadline, "deadline", "sont closes depuis le vendredi 27/11 à 8h30"),
        (_beyond_capacity, "full", "Complet : plus aucune place ce jour-là."),
        (_not_enrolled, "not_enrolled", "Tom n'a pas d'inscription validée"),
        (_pending_enrollment, "not_enrolled", "Léa n'a pas d'inscription validée"),
        (_closed_day, "closed", "Pas d'accueil ce jour-là."),
        (_holidays, "closed", "Pas d'accueil périscolaire pendant les vacances."),
        (_apc_on_thursday, "apc", "n'est possible que le mardi"),
    ],
)
def test_refusals_say_why_in_french_and_change_nothing(
    api_a, house, lea, family_a, craft, code, message
):
    data = {"changes": [craft(house, lea, family_a)]}
    before = written()

    response = post(api_a, BOOK, data)

    assert response.status_code == 200
    (outcome,) = response.json()["outcomes"]
    assert (outcome["result"], outcome["code"]) == ("refused", code)
    assert message in outcome["message"]
    assert outcome["booking_id"] is None
    assert written() == before


def test_another_familys_child_is_not_found(api_b, house, lea):
    for url in (BOOK, CANCEL):
        response = post(api_b, url, {"changes": [change(lea, house.snack_slot, THURSDAY)]})
        assert response.status_code == 404
        assert response.json() == {"detail": "Enfant introuvable."}
    assert not Booking.objects.exists()


def test_a_slot_out_of_reach_is_not_found(api_a, house, lea, other_structure):
    elsewhere = f.TimeSlotFactory(activity__structure=other_structure)
    for slot_id in (elsewhere.pk, 999999):
        data = {"changes": [{**change(lea, house.snack_slot, THURSDAY), "slot_id": slot_id}]}
        response = post(api_a, BOOK, data)
        assert response.status_code == 404
        assert response.json() == {"detail": "Tranche horaire introuvable."}
    assert not Booking.objects.exists()


def _one(**replace):
    return {"child_id": 0, "slot_id": 0, "date": "2026-12-03", **replace}


@pytest.mark.parametrize(
    "data, status, message",
    [
        ({}, 422, "changes : champ obligatoire"),
        ({"changes": []}, 422, "Aucun changement demandé."),
        ({"changes": {"a": 1}}, 422, "changes : valeur invalide"),
        ({"changes": [_one(date="2026-13-01")]}, 422, "date invalide"),
        ({"changes": [_one(date="2026-12-03\x00")]}, 422, "date invalide"),
        ({"changes": [_one(child_id="abc")]}, 422, "nombre entier attendu"),
        ({"changes": [_one(child_id="1\x00")]}, 422, "nombre entier attendu"),
        ({"changes": [_one(with_apc="peut-être")]}, 422, "with_apc : valeur invalide"),
        (
            {"changes": [_one(date="1900-01-01")]},
            422,
            "Date hors des dates possibles : 01/01/1900.",
        ),
        ({"changes": [_one(date="9999-12-31")]}, 422, "Date hors des dates possibles"),
        ({"changes": [_one()] * 501}, 422, "Trop de changements en une fois : 500 au plus."),
    ],
)
def test_malformed_payloads_are_refused_in_french(api_a, lea, data, status, message):
    before = written()

    response = post(api_a, BOOK, data)

    assert response.status_code == status
    assert message in response.json()["detail"]
    assert written() == before


def test_a_body_that_is_not_json_is_refused_in_french(api_a, lea):
    response = api_a.post(BOOK, "changes=1", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.json()["detail"] == "Le corps de la requête n'est pas un JSON valide."


def test_manager_books_on_behalf_past_the_deadline(api_manager, house, lea):
    response = post(api_manager, BOOK, {"changes": [change(lea, house.snack_slot, MONDAY + DAY)]})

    (outcome,) = response.json()["outcomes"]
    assert outcome["result"] == "booked"
    assert Booking.objects.get().booked_on_behalf is True


def test_manager_session_books_on_behalf(client_manager, house, lea):
    response = post(client_manager, BOOK, {"changes": [change(lea, house.snack_slot, THURSDAY)]})
    assert response.json()["outcomes"][0]["code"] == "booked"


def test_staff_and_other_managers_cannot_book(api_staff, api_other_manager, house, lea):
    data = {"changes": [change(lea, house.snack_slot, THURSDAY)]}
    response = post(api_staff, BOOK, data)
    assert response.status_code == 403
    assert response.json() == {"detail": "Action réservée au gestionnaire."}
    response = post(api_other_manager, BOOK, data)
    assert response.status_code == 404
    assert not Booking.objects.exists()


def test_session_writes_need_the_csrf_token(guardian_a, house, lea):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(guardian_a.user)
    response = post(browser, BOOK, {"changes": [change(lea, house.snack_slot, THURSDAY)]})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Booking.objects.exists()


# Listing and availability


@pytest.fixture
def booked(api_a, house, lea, child_b, guardian_b):
    enroll(house, child_b, house.evening)
    post(api_a, BOOK, {"changes": [change(lea, house.snack_slot, THURSDAY)]})
    api_b = Client()
    api_b.force_login(guardian_b.user)
    post(api_b, BOOK, {"changes": [change(child_b, house.snack_slot, THURSDAY)]})
    return Booking.objects.get(child=lea)


def test_list_shows_the_familys_bookings_with_their_free_cancellation_deadline(
    api_a, booked, lea, house, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = api_a.get(LIST, {"from": "2026-11-30", "to": "2026-12-31"})

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": booked.pk,
            "child_id": lea.pk,
            "slot_id": house.snack_slot.pk,
            "activity": "Périscolaire soir",
            "date": "2026-12-03",
            "status": "booked",
            "with_apc": False,
            "excused": False,
            "free_until": "2026-12-01T08:30:00+01:00",
        }
    ]
    assert api_a.get(LIST, {"from": "2026-12-04"}).json() == []
    assert len(api_a.get(LIST, {"child_id": lea.pk}).json()) == 1


@pytest.mark.parametrize(
    "params, status, message",
    [
        ({"child_id": "{child_b}"}, 404, "Enfant introuvable."),
        ({"from": "2026-12-10", "to": "2026-12-01"}, 422, "doit suivre la date de début"),
        ({"from": "2026-01-01", "to": "2027-06-01"}, 422, "Période trop longue : 366 jours"),
        ({"from": "2026-12-01\x00"}, 422, "date invalide"),
    ],
)
def test_bad_list_queries(api_a, booked, child_b, params, status, message):
    params = {k: v.format(child_b=child_b.pk) for k, v in params.items()}
    response = api_a.get(LIST, params)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_list_is_for_families(api_manager, booked):
    response = api_manager.get(LIST)
    assert response.status_code == 403
    assert response.json() == {"detail": "Cet espace est réservé aux familles."}


def test_availability_counts_places_per_slot_and_day(
    api_a, booked, house, django_assert_max_num_queries
):
    SlotDay.objects.filter(slot=house.snack_slot, date=THURSDAY).update(capacity=2)
    params = {"activity_id": house.evening.pk, "from": "2026-12-02", "to": "2026-12-03"}

    with django_assert_max_num_queries(12):  # 4 of them for the token and the family
        response = api_a.get("/api/v1/availability", params)

    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 6  # two days x three slots
    wednesday, thursday = rows[0], rows[3]
    assert wednesday["closed_reason"] == "Pas d'accueil ce jour-là."
    assert thursday == {
        "slot_id": house.snack_slot.pk,
        "date": "2026-12-03",
        "places": 2,
        "taken": 2,
        "left": 0,
        "closed_reason": None,
    }
    assert rows[4]["places"] == 40 and rows[4]["left"] == 40


def test_availability_defaults_to_every_activity_for_a_month(api_a, house, lea):
    rows = api_a.get("/api/v1/availability").json()
    slots = house.structure.activities.filter(is_active=True).values_list("slots", flat=True)
    assert len(rows) == 31 * len(slots)
    assert rows[0]["date"] == "2026-11-30"


def test_availability_for_the_managers_structure(api_manager, house):
    response = api_manager.get("/api/v1/availability", {"activity_id": house.evening.pk})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "params, status, message",
    [
        ({"activity_id": "{other}"}, 404, "Activité introuvable."),
        ({"activity_id": "999999"}, 404, "Activité introuvable."),
        ({"from": "2026-12-01", "to": "2027-02-01"}, 422, "Période trop longue : 62 jours"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, 422, "doit suivre la date de début"),
        ({"activity_id": "x"}, 422, "nombre entier attendu"),
    ],
)
def test_bad_availability_queries(api_a, lea, other_structure, params, status, message):
    other = f.ActivityFactory(structure=other_structure)
    params = {k: v.format(other=other.pk) for k, v in params.items()}
    response = api_a.get("/api/v1/availability", params)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_the_schema_documents_the_booking_routes(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    documented = {(method, path) for path, ops in paths.items() for method in ops}
    assert {
        ("post", "/api/v1/bookings"),
        ("post", "/api/v1/bookings/cancel"),
        ("get", "/api/v1/bookings"),
        ("get", "/api/v1/availability"),
        ("get", "/api/v1/children/{child_id}/weekly-template"),
        ("put", "/api/v1/children/{child_id}/weekly-template"),
        ("post", "/api/v1/weekly-template/preview"),
        ("post", "/api/v1/weekly-template/apply"),
    } <= documented
    parameters = {p["name"] for p in paths["/api/v1/bookings"]["get"]["parameters"]}
    assert {"from", "to", "child_id"} <= parameters
