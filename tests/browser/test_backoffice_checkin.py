"""The check-in back-office in Chromium: the manager creates a kiosk and sees its pairing code
and QR code; a staff member, on a phone, ticks a child present and corrects a kiosk event with
a reason. axe finds no serious or critical violation."""

import re

import pytest
import time_machine

from marmots.bookings.models import Booking
from marmots.checkin.models import CheckinEvent, Kiosk, RegisterMark, digest
from tests.browser.conftest import assert_accessible
from tests.house import MONDAY, at, enroll

REGISTER = "/gestion/pointage/?date=2026-11-30&activite={pk}"


def login(page, client, user):
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": page.base_url}])


@pytest.fixture
def morning(house, child_a, child_b):
    """Léa and Hugo booked on MONDAY morning; Léa checked in on the kiosk at 7:42."""
    child_a.allergies, child_a.pai = "Arachide", True
    child_a.save()
    slot = house.morning.slots.order_by("start_time").first()
    for child in (child_a, child_b):
        (enrollment,) = enroll(house, child, house.morning)
        Booking.objects.create(child=child, slot=slot, date=MONDAY, enrollment=enrollment)
    kiosk = Kiosk.objects.create(structure=house.structure, name="Entrée", token_hash=digest("t"))
    CheckinEvent.objects.create(
        child=child_a,
        activity=house.morning,
        date=MONDAY,
        kind="arrival",
        at=at(MONDAY, 7, 42),
        device_time=at(MONDAY, 7, 42),
        source="kiosk",
        by_family=True,
        kiosk=kiosk,
        nonce="browser-1",
    )
    return house


def test_manager_creates_a_kiosk_and_sees_its_code(page, client, manager, structure):
    login(page, client, manager)
    page.goto(page.base_url + "/gestion/")
    page.get_by_role("link", name="Pointage", exact=True).click()
    page.get_by_role("link", name="Tablettes de pointage").click()
    assert_accessible(page)
    page.get_by_label("Nom de la tablette").fill("Entrée de l'école")
    page.get_by_role("button", name="Créer la tablette").click()
    page.get_by_role("heading", name="Appairer la tablette « Entrée de l'école »").wait_for()
    code = page.locator("#code-appairage").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    qr = page.get_by_role("img", name="QR code d'appairage", exact=True)
    assert qr.is_visible() and qr.bounding_box()["width"] > 150
    assert code not in page.url
    assert_accessible(page)
    page.get_by_role("link", name="Retour aux tablettes").click()
    page.get_by_text("En attente d'appairage").wait_for()


def test_staff_ticks_present_and_corrects_on_a_phone(page, client, staff, morning, child_a):
    with time_machine.travel(at(MONDAY, 8, 40), tick=False):
        login(page, client, staff)
        page.goto(page.base_url + REGISTER.format(pk=morning.morning.pk))
        page.get_by_role("heading", name="Martin Léa").wait_for()
        assert_accessible(page)
        present = page.get_by_role("button", name="Présent : Martin Léa")
        box = present.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 100
        present.click()
        page.locator(f'#enfant-{child_a.pk} button[aria-pressed="true"]').wait_for()
        assert RegisterMark.objects.get(child=child_a).present
        page.get_by_role("link", name="Corriger l'arrivée de Martin Léa").click()
        page.get_by_role("heading", name="Corriger l'arrivée de Martin Léa").wait_for()
        assert_accessible(page)
        page.get_by_label("Nouvelle heure").fill("07:50")
        page.get_by_label("Motif").fill("Pointée à l'avance par erreur")
        page.get_by_role("button", name="Enregistrer la correction").click()
        page.get_by_text("Pointage corrigé : l'ancien reste dans l'historique.").wait_for()
        row = page.locator(f"#enfant-{child_a.pk}")
        assert "7h50" in row.inner_text()
        row.get_by_text("Corrections (1)").click()
        assert "Pointée à l'avance par erreur" in row.inner_text()
        assert_accessible(page)
    old = CheckinEvent.objects.get(nonce="browser-1")
    assert old.at == at(MONDAY, 7, 42) and not old.voided
    assert CheckinEvent.objects.get(replaces=old).at == at(MONDAY, 7, 50)
