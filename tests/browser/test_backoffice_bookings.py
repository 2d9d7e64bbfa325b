"""The bookings back-office in Chromium: axe finds no serious or critical violation, and the
manager books on a family's behalf from the child's grid."""

import datetime

import pytest
import time_machine

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking
from tests.browser.conftest import assert_accessible
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)


def login(page, client, user):
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": page.base_url}])


@pytest.fixture
def booked(house, child_a, child_b, guardian_a, guardian_b):
    child_a.allergies, child_a.pai = "Arachide", True
    child_a.save()
    for child, guardian in ((child_a, guardian_a), (child_b, guardian_b)):
        enroll(house, child, house.evening)
        actions.book(guardian.user, [Change(child, house.snack_slot, THURSDAY)], now=at(MONDAY, 9))
    return house


def test_booking_pages_are_accessible(page, client, manager, booked, child_a):
    login(page, client, manager)
    for url in [
        "/gestion/reservations/registre/?date=2026-12-03",
        "/gestion/reservations/remplissage/?mois=2026-12",
        f"/gestion/reservations/enfant/{child_a.pk}/?mois=2026-12",
        "/gestion/reservations/excuses/",
        "/gestion/reservations/demandes/",
        "/gestion/periodes/",
        "/gestion/activites/",
    ]:
        page.goto(page.base_url + url)
        assert page.get_by_role("heading", level=1).count() == 1, url
        assert_accessible(page)


def test_manager_books_on_behalf_from_the_grid(page, client, manager, booked, child_a):
    with time_machine.travel(at(THURSDAY, 12), tick=False):
        login(page, client, manager)
        page.goto(page.base_url + f"/gestion/reservations/enfant/{child_a.pk}/?mois=2026-12")
        page.get_by_label("Réserver le vendredi 4 décembre, 16h30-17h30").check()
        page.get_by_role("button", name="Enregistrer les changements").click()
        page.get_by_text("vendredi 04/12/2026, Périscolaire soir 16h30-17h30 : Réservé.").wait_for()
    booking = Booking.objects.get(child=child_a, date=THURSDAY + datetime.timedelta(days=1))
    assert booking.booked_on_behalf
