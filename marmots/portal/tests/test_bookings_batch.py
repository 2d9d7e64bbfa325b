"""Booking in a batch: tick in the calendar, check the summary, confirm, read the result."""

import datetime
import re

import pytest
import time_machine

from marmots.activities.models import Closure
from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, BookingRequest, SlotDay
from tests import factories as f
from tests.house import MONDAY, at, enroll

from .conftest import text

TUESDAY = MONDAY + datetime.timedelta(days=1)
WEDNESDAY = MONDAY + datetime.timedelta(days=2)
THURSDAY = MONDAY + datetime.timedelta(days=3)
FRIDAY = MONDAY + datetime.timedelta(days=4)
NOW = at(MONDAY, 9)


@pytest.fixture
def siblings(house, family_a, child_a):
    tom = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2018, 3, 1))
    for child in (child_a, tom):
        enroll(house, child, house.evening, house.holiday)
    return child_a, tom


def key(child, slot, day):
    return f"{child.pk}-{slot.pk}-{day.isoformat()}"


def post(client, url, data, when=NOW):
    with time_machine.travel(when, tick=False):
        return client.post(url, {"mois": "2026-12", "enfant": "tous", **data})


def hidden_fields(html):
    """The summary's hidden fields, as the browser would send them back."""
    found = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html):
        found.setdefault(name, []).append(value)
    return found


def test_two_siblings_booked_in_one_go(client_a, siblings, house):
    lea, tom = siblings
    snack, apc = house.snack_slot, house.apc_slot
    next_tuesday = TUESDAY + datetime.timedelta(days=7)
    wanted = [key(lea, snack, THURSDAY), key(tom, snack, THURSDAY), key(lea, snack, FRIDAY)]
    wanted.append(key(tom, apc, next_tuesday))
    response = post(
        client_a,
        "/portail/reservations/recapitulatif/",
        {"book": wanted, "apc": [key(tom, apc, next_tuesday)]},
    )
    html = text(response)
    assert "À réserver (4)" in html and "À annuler" not in html
    assert "avec récupération à la fin des APC" in html
    assert not Booking.objects.exists()  # nothing before "Valider"
    fields = hidden_fields(html)
    assert sorted(fields["add"]) == sorted(wanted)
    result = text(post(client_a, "/portail/reservations/valider/", fields))
    assert "Pris en compte (4)" in result and "Refusé" not in result
    assert result.count("Réservé.") == 4
    booked = {(b.child.first_name, b.date, b.with_apc) for b in Booking.objects.all()}
    assert booked == {
        ("Léa", THURSDAY, False),
        ("Tom", THURSDAY, False),
        ("Léa", FRIDAY, False),
        ("Tom", next_tuesday, True),
    }


def test_unticking_cancels_with_late_warning(client_a, siblings, house, guardian_a):
    lea, _ = siblings
    snack = house.snack_slot
    actions.book(
        guardian_a.user,
        [Change(lea, snack, TUESDAY), Change(lea, snack, THURSDAY)],
        now=at(datetime.date(2026, 11, 25), 9),
    )
    shown = [key(lea, snack, TUESDAY), key(lea, snack, THURSDAY)]
    html = text(post(client_a, "/portail/reservations/recapitulatif/", {"cell": shown}))
    assert "À annuler (2)" in html and "À réserver" not in html
    assert re.search(r"mardi 1er décembre 2026 – <strong>hors délai : facturé</strong>", html)
    assert "jeudi 3 décembre 2026 – sans frais" in html
    result = text(post(client_a, "/portail/reservations/valider/", hidden_fields(html)))
    assert "Annulé sans frais." in result
    assert "Annulé hors délai : la séance reste facturée" in result
    statuses = dict(Booking.objects.values_list("date", "status"))
    assert statuses == {TUESDAY: Booking.LATE_CANCELLED, THURSDAY: Booking.CANCELLED}


def test_bookings_not_shown_are_never_cancelled(client_a, siblings, house, guardian_a):
    lea, tom = siblings
    actions.book(guardian_a.user, [Change(tom, house.snack_slot, THURSDAY)], now=NOW)
    # The page showed only Léa: Tom's booking stays although it was not ticked.
    response = post(
        client_a,
        "/portail/reservations/recapitulatif/",
        {"book": [key(lea, house.snack_slot, FRIDAY)]},
    )
    assert "À annuler" not in text(response)


def test_refusals_say_why_and_change_nothing(client_a, siblings, house):
    lea, tom = siblings
    SlotDay.objects.create(slot=house.snack_slot, date=FRIDAY, capacity=0)
    monday = MONDAY + datetime.timedelta(days=7)
    Closure.objects.create(
        structure=house.structure, start_date=monday, end_date=monday, reason="Formation"
    )
    morning = house.morning.slots.first()
    adds = [
        key(lea, house.snack_slot, TUESDAY),  # past its deadline
        key(lea, house.snack_slot, FRIDAY),  # full
        key(lea, morning, THURSDAY),  # not enrolled in the morning sessions
        key(lea, house.snack_slot, WEDNESDAY),  # no evening session on Wednesdays
        key(tom, house.snack_slot, monday),  # closed
    ]
    html = text(post(client_a, "/portail/reservations/valider/", {"add": adds}))
    assert "Refusé (5)" in html and "Pris en compte" not in html
    assert (
        "Les réservations du mardi 01/12/2026 sont closes depuis le vendredi 27/11 à 8h30." in html
    )
    assert "Complet : plus aucune place ce jour-là." in html
    assert "Léa n'a pas d'inscription validée à « Périscolaire matin »" in html
    assert "Pas d'accueil ce jour-là." in html
    assert "Structure fermée : Formation." in html
    assert not Booking.objects.exists()


def test_place_taken_between_summary_and_confirm(client_a, siblings, house, family_b, guardian_b):
    lea, _ = siblings
    SlotDay.objects.create(slot=house.snack_slot, date=THURSDAY, capacity=1)
    html = text(
        post(
            client_a,
            "/portail/reservations/recapitulatif/",
            {"book": [key(lea, house.snack_slot, THURSDAY)]},
        )
    )
    hugo = f.ChildFactory(family=family_b, first_name="Hugo")
    enroll(house, hugo, house.evening)
    actions.book(guardian_b.user, [Change(hugo, house.snack_slot, THURSDAY)], now=NOW)
    result = text(post(client_a, "/portail/reservations/valider/", hidden_fields(html)))
    assert "Refusé (1)" in result and "Complet : plus aucune place ce jour-là." in result
    assert not lea.bookings.exists()


def test_ask_only_activity_sends_a_request(client_a, child_a, house):
    house.morning.families_may_add = False
    house.morning.save()
    enroll(house, child_a, house.morning)
    slot = house.morning.slots.first()
    html = text(
        post(
            client_a,
            "/portail/reservations/recapitulatif/",
            {"book": [key(child_a, slot, THURSDAY)]},
        )
    )
    assert "sur demande : la structure doit la valider" in html
    result = text(post(client_a, "/portail/reservations/valider/", hidden_fields(html)))
    assert "Demande envoyée : la structure doit la valider." in result
    assert BookingRequest.objects.get().status == BookingRequest.PENDING
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "url, field",
    [
        ("/portail/reservations/recapitulatif/", "book"),
        ("/portail/reservations/recapitulatif/", "cell"),
        ("/portail/reservations/valider/", "add"),
        ("/portail/reservations/valider/", "cancel"),
    ],
)
def test_another_familys_child_or_unknown_slot_is_404(
    client_a, siblings, house, child_b, url, field
):
    lea, _ = siblings
    for value in [key(child_b, house.snack_slot, THURSDAY), f"{lea.pk}-999999-2026-12-03"]:
        assert post(client_a, url, {field: [value]}).status_code == 404
    assert not Booking.objects.exists() and not BookingRequest.objects.exists()


@pytest.mark.parametrize(
    "value, message",
    [
        ("1-1-2026-02-30", "Date invalide : « 2026-02-30 »"),
        ("abc", "Une case envoyée n'est pas valide"),
        ("1-1-03/12/2026", "Une case envoyée n'est pas valide"),
    ],
)
@pytest.mark.parametrize(
    "url", ["/portail/reservations/recapitulatif/", "/portail/reservations/valider/"]
)
def test_malformed_values_change_nothing(client_a, siblings, house, url, value, message):
    lea, _ = siblings
    data = {
        "book": [value, key(lea, house.snack_slot, THURSDAY)],
        "add": [value, key(lea, house.snack_slot, THURSDAY)],
    }
    response = post(client_a, url, data)
    assert response.status_code == 302
    assert response["Location"] == "/portail/reservations/?mois=2026-12&enfant=tous"
    with time_machine.travel(NOW, tick=False):
        html = text(client_a.get(response["Location"]))
    assert message in html and "Rien n'a été modifié" in html
    assert not Booking.objects.exists()


def test_summary_without_change_goes_back(client_a, siblings):
    response = post(client_a, "/portail/reservations/recapitulatif/", {})
    assert response.status_code == 302
    with time_machine.travel(NOW, tick=False):
        assert "Aucun changement" in text(client_a.get(response["Location"]))


def test_get_on_batch_urls_is_refused(client_a, siblings):
    assert client_a.get("/portail/reservations/recapitulatif/").status_code == 405
    assert client_a.get("/portail/reservations/valider/").status_code == 405
