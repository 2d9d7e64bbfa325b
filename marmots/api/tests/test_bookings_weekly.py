"""The weekly template through the API: saved under the rules, previewed without writing,
applied through the booking actions; another family's child answers 404."""

import datetime

import pytest
import time_machine

from marmots.bookings.models import Booking, BookingRequest, SlotDay, TemplateEntry
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.house import MONDAY, at, enroll

PREVIEW, APPLY = "/api/v1/weekly-template/preview", "/api/v1/weekly-template/apply"


@pytest.fixture(autouse=True)
def _monday_morning():
    with time_machine.travel(at(MONDAY, 9), tick=False):
        yield


@pytest.fixture
def lea(house, child_a):
    enroll(house, child_a, house.evening)
    return child_a


def url(child):
    return f"/api/v1/children/{child.pk}/weekly-template"


def put(client, child, entries):
    return client.put(url(child), {"entries": entries}, content_type="application/json")


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


def counts():
    return [m.objects.count() for m in (Booking, BookingRequest, AuditEntry, SlotDay)]


def test_save_then_read_the_template(api_a, house, lea):
    assert api_a.get(url(lea)).json() == {"child_id": lea.pk, "entries": []}
    entries = [
        {"slot_id": house.snack_slot.pk, "weekday": 0},
        {"slot_id": house.apc_slot.pk, "weekday": 1, "weeks": "even", "with_apc": True},
    ]

    response = put(api_a, lea, entries)

    assert response.status_code == 200
    assert response.json() == api_a.get(url(lea)).json()
    assert response.json()["entries"][1] == {
        "slot_id": house.apc_slot.pk,
        "slot": "17h30-18h00",
        "activity_id": house.evening.pk,
        "activity": "Périscolaire soir",
        "weekday": 1,
        "weeks": "even",
        "with_apc": True,
    }
    assert AuditEntry.objects.filter(action="weekly_template.save").count() == 1
    assert put(api_a, lea, []).json()["entries"] == []


@pytest.mark.parametrize(
    "entry, status, message",
    [
        ({"weekday": 2}, 422, "« Périscolaire soir » n'a pas lieu le mercredi."),
        ({"weekday": 9}, 422, "Jour de la semaine invalide."),
        ({"weekday": 1, "with_apc": True}, 422, "n'est possible que le mardi"),
        ({"weekday": 0, "weeks": "parfois"}, 422, "weeks : valeur non autorisée"),
        ({"weekday": "lundi"}, 422, "weekday : nombre entier attendu"),
        ({"weekday": 0, "slot_id": 999999}, 404, "Tranche horaire introuvable."),
        ({"weekday": 0, "slot_id": "x"}, 422, "slot_id : nombre entier attendu"),
    ],
)
def test_bad_lines_are_refused_and_keep_the_template(api_a, house, lea, entry, status, message):
    put(api_a, lea, [{"slot_id": house.snack_slot.pk, "weekday": 4}])
    entry = {"slot_id": house.snack_slot.pk, **entry}

    response = put(api_a, lea, [entry])

    assert response.status_code == status
    assert message in response.json()["detail"]
    assert list(TemplateEntry.objects.values_list("weekday", flat=True)) == [4]


def test_a_slot_without_a_validated_enrollment_is_refused(api_a, house, lea):
    response = put(api_a, lea, [{"slot_id": house.morning.slots.first().pk, "weekday": 0}])
    assert response.status_code == 422
    assert "n'a pas d'inscription validée à « Périscolaire matin »" in response.json()["detail"]
    assert not TemplateEntry.objects.exists()


def test_another_familys_child_is_not_found(api_b, house, lea):
    assert api_b.get(url(lea)).status_code == 404
    response = put(api_b, lea, [{"slot_id": house.snack_slot.pk, "weekday": 0}])
    assert response.status_code == 404
    assert response.json() == {"detail": "Enfant introuvable."}
    assert not TemplateEntry.objects.exists()


def test_the_template_is_for_families(api_manager, lea):
    response = api_manager.get(url(lea))
    assert response.status_code == 403
    assert response.json() == {"detail": "Cet espace est réservé aux familles."}


@pytest.fixture
def mondays(api_a, house, lea):
    put(api_a, lea, [{"slot_id": house.snack_slot.pk, "weekday": 0}])
    return lea


def test_preview_writes_nothing_then_apply_books_what_it_announced(api_a, house, mondays):
    SlotDay.objects.create(
        slot=house.snack_slot, date=MONDAY + datetime.timedelta(days=7), capacity=0
    )
    period = {"child_ids": [mondays.pk], "from": "2026-11-30", "to": "2026-12-31"}
    before = counts()

    response = post(api_a, PREVIEW, period)

    assert counts() == before
    assert response.status_code == 200
    preview = response.json()
    assert (preview["count"], preview["requested"], preview["skipped"]) == (1, 0, 4)
    assert [(line["date"], line["code"]) for line in preview["lines"]] == [
        ("2026-11-30", "deadline"),
        ("2026-12-07", "full"),
        ("2026-12-14", "booked"),
        ("2026-12-21", "closed"),
        ("2026-12-28", "closed"),
    ]
    assert preview["lines"][3]["message"] == "Pas d'accueil périscolaire pendant les vacances."
    assert preview["lines"][2]["will_book"] is True

    response = post(api_a, APPLY, period)

    assert response.status_code == 200
    applied = response.json()
    assert applied["count"] == 1
    booking = Booking.objects.get()
    assert booking.date == datetime.date(2026, 12, 14)
    assert [o["booking_id"] for o in applied["outcomes"] if o["code"] == "booked"] == [booking.pk]
    again = post(api_a, PREVIEW, period).json()
    assert again["count"] == 0
    assert [line["code"] for line in again["lines"]][2] == "already"


@pytest.mark.parametrize(
    "period, status, message",
    [
        ({"child_ids": []}, 422, "Choisissez au moins un enfant."),
        ({"child_ids": [999999]}, 404, "Enfant introuvable."),
        ({"to": "2026-11-01"}, 422, "La date de fin doit suivre la date de début."),
        ({"to": "2027-12-31"}, 422, "Choisissez une période d'un an au plus."),
        ({"to": "2026-12-31\x00"}, 422, "to : date invalide"),
        ({"from": None}, 422, "from : "),
        ({"child_ids": "tous"}, 422, "child_ids : valeur invalide"),
        ({"from": "1900-01-01"}, 422, "Date hors des dates possibles"),
    ],
)
@pytest.mark.parametrize("path", [PREVIEW, APPLY])
def test_bad_periods_are_refused_in_french(api_a, mondays, path, period, status, message):
    data = {"child_ids": [mondays.pk], "from": "2026-12-01", "to": "2026-12-31", **period}
    before = counts()

    response = post(api_a, path, data)

    assert response.status_code == status
    assert message in response.json()["detail"]
    assert counts() == before


def test_another_familys_child_cannot_be_previewed_or_applied(api_b, mondays):
    for path in (PREVIEW, APPLY):
        data = {"child_ids": [mondays.pk], "from": "2026-12-01", "to": "2026-12-31"}
        response = post(api_b, path, data)
        assert response.status_code == 404
        assert response.json() == {"detail": "Enfant introuvable."}
    assert not Booking.objects.exists()


def test_siblings_in_one_preview(api_a, house, mondays, family_a):
    tom = f.ChildFactory(family=family_a, first_name="Tom")
    enroll(house, tom, house.evening)
    put(api_a, tom, [{"slot_id": house.snack_slot.pk, "weekday": 0}])
    data = {"child_ids": [mondays.pk, tom.pk], "from": "2026-12-14", "to": "2026-12-14"}

    lines = post(api_a, PREVIEW, data).json()["lines"]

    assert sorted(line["child_id"] for line in lines) == sorted([mondays.pk, tom.pk])
    assert all(line["will_book"] for line in lines)
