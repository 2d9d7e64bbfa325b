"""Issue 3's journey in Chromium, as the guardian of two enrolled siblings, the server's clock
moved with time-machine: book from the month calendar, save and apply a weekly template after
its preview, cancel in time and late, declare an illness with its certificate; a booking past
its deadline is refused with its reason. axe checks every page on the way."""

import datetime
import re

import pytest
import time_machine

from marmots.bookings.models import Booking
from tests import factories as f
from tests.browser.conftest import assert_accessible
from tests.house import MONDAY, at, enroll

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
DECEMBER = "/portail/reservations/?mois=2026-12&enfant=tous"


def december(number):
    return datetime.date(2026, 12, number)


@pytest.fixture
def siblings(house, child_a, guardian_a):
    tom = f.ChildFactory(family=child_a.family, first_name="Tom")
    for child in (child_a, tom):
        enroll(house, child, house.evening)
    return child_a, tom


def key(house, child, day):
    return f"{child.pk}-{house.snack_slot.pk}-{day.isoformat()}"


def status(house, child, day):
    booking = Booking.objects.get(child=child, slot=house.snack_slot, date=day)
    return booking.status, booking.excused


def log_in(page, guardian):
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(guardian.user.email)
    page.get_by_label("Mot de passe").fill(f.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/portail/$"))


def open_booking(page, child, day):
    """From the calendar, the "Détails" link of the child's 16h30 booking that day."""
    page.goto(page.base_url + DECEMBER)
    name = f"Détails de la réservation de {child.first_name}, Périscolaire soir 16h30-17h30"
    page.get_by_role("link", name=re.compile(f"^{name}, .* {day.day} décembre 2026$")).click()
    page.wait_for_url(re.compile(r"/portail/reservations/\d+/$"))


def book_both_siblings_from_the_calendar(page, house, children):
    page.goto(page.base_url + DECEMBER)
    assert_accessible(page)
    days = (december(3), december(4))
    for child in children:
        for day in days:
            page.locator(f"#c-{key(house, child, day)}").check()
    page.get_by_role("button", name="Voir le récapitulatif").click()
    page.get_by_role("heading", name="À réserver (4)").wait_for()
    assert page.locator("section[aria-labelledby=a-reserver] li").count() == 4
    assert Booking.objects.count() == 0
    assert_accessible(page)
    page.get_by_role("button", name="Valider", exact=True).click()
    page.get_by_role("heading", name="Pris en compte (4)").wait_for()
    lines = page.locator("li.result-booked").all_inner_texts()
    assert len(lines) == 4 and all(line.endswith(" : Réservé.") for line in lines)
    assert page.locator("li.result-refused").count() == 0
    assert_accessible(page)
    page.get_by_role("link", name="Revenir au calendrier").click()
    limits = {december(3): "mardi 01/12 à 8h30", december(4): "mercredi 02/12 à 8h30"}
    for child in children:
        for day in days:
            state = page.locator(f"#d-{key(house, child, day)}").inner_text()
            assert state == f"Réservé annulable sans frais jusqu'au {limits[day]}"
            assert page.locator(f"#c-{key(house, child, day)}").is_checked()


def save_and_apply_the_weekly_template(page, house, lea):
    page.goto(page.base_url + f"/portail/semaine-type/{lea.pk}/")
    assert_accessible(page)
    page.get_by_label("Lundi, 16h30-17h30", exact=True).check()
    page.get_by_label("Jeudi, 16h30-17h30", exact=True).check()
    page.get_by_role("button", name="Enregistrer la semaine type").click()
    page.get_by_text("Semaine type de Léa enregistrée.").wait_for()
    assert "Lundi, 16h30-17h30 (Périscolaire soir)" in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Appliquer la semaine type sur une période").click()
    assert_accessible(page)
    page.get_by_label("Léa Martin").check()
    page.get_by_label("Du").fill("2026-12-07")
    page.get_by_label("Au (inclus)").fill("2026-12-18")
    page.get_by_role("button", name="Voir l'aperçu").click()
    page.get_by_role("heading", name="Sera réservé (4)").wait_for()
    dates = ["lundi 7", "jeudi 10", "lundi 14", "jeudi 17"]
    lines = page.locator("section[aria-labelledby=reserve] li").all_inner_texts()
    assert [f"Léa – {d} décembre 2026 – Périscolaire soir 16h30-17h30" for d in dates] == lines
    assert "4 séances seront réservées" in page.locator(".weekly-count").inner_text()
    assert Booking.objects.filter(child=lea).count() == 2  # the preview wrote nothing
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer").click()
    page.get_by_role("heading", name="Semaine type appliquée").wait_for()
    assert "4 séances réservées" in page.locator(".weekly-count").inner_text()
    assert page.locator("section[aria-labelledby=reserve] li").all_inner_texts() == lines
    assert_accessible(page)
    booked = Booking.objects.filter(child=lea, status=Booking.BOOKED, date__gte=december(7))
    assert sorted(b.date.day for b in booked) == [7, 10, 14, 17]


def cancel_in_time(page, house, lea):
    open_booking(page, lea, december(14))
    assert "Annulable sans frais jusqu'au jeudi 10/12 à 8h30" in page.content()
    assert_accessible(page)
    page.get_by_role("button", name="Annuler sans frais").click()
    page.locator(".messages").get_by_text("Annulé sans frais.").wait_for()
    assert status(house, lea, december(14)) == (Booking.CANCELLED, False)


def book_on_a_stale_page_past_the_deadline(page, house, tom, traveller):
    """The calendar was loaded before Thursday 8:30; Monday 07/12 is ticked and sent after."""
    page.goto(page.base_url + DECEMBER)
    page.locator(f"#c-{key(house, tom, december(7))}").check()
    traveller.move_to(at(december(3), 10))
    page.get_by_role("button", name="Voir le récapitulatif").click()
    page.get_by_role("button", name="Valider", exact=True).click()
    page.get_by_role("heading", name="Refusé (1)").wait_for()
    assert page.locator("li.result-refused").inner_text() == (
        "Tom – Périscolaire soir 16h30-17h30 – lundi 7 décembre 2026 : "
        "Les réservations du lundi 07/12/2026 sont closes depuis le jeudi 03/12 à 8h30."
    )
    assert_accessible(page)
    assert not Booking.objects.filter(child=tom, date=december(7)).exists()
    # Reloaded, the calendar no longer offers the day.
    page.goto(page.base_url + DECEMBER)
    assert page.locator(f"#c-{key(house, tom, december(7))}").count() == 0
    assert page.locator(f"#d-{key(house, tom, december(7))}").inner_text() == (
        "Délai dépassé Réservations closes depuis le jeudi 03/12 à 8h30"
    )


def cancel_late(page, house, tom):
    open_booking(page, tom, december(4))
    warning = page.locator(".callout").inner_text()
    assert "délai d'annulation sans frais est passé (le mercredi 02/12 à 8h30)" in warning
    assert "hors délai : facturée" in warning
    assert_accessible(page)
    page.get_by_role("button", name="Annuler hors délai (facturé)").click()
    page.locator(".messages").get_by_text("Annulé hors délai : la séance reste facturée").wait_for()
    assert "Cette annulation hors délai est facturée" in page.content()
    assert_accessible(page)
    assert status(house, tom, december(4)) == (Booking.LATE_CANCELLED, False)


def declare_illness_with_certificate(page, house, lea, tmp_path):
    open_booking(page, lea, december(10))
    assert page.get_by_role("heading", name="Déclarer une absence pour maladie").is_visible()
    assert_accessible(page)
    certificate = tmp_path / "certificat.pdf"
    certificate.write_bytes(PDF)
    page.get_by_label("Certificat médical (facultatif : PDF, JPEG ou PNG)").set_input_files(
        str(certificate)
    )
    page.get_by_role("button", name="Déclarer l'absence").click()
    page.locator(".messages").get_by_text("Absence pour maladie enregistrée.").wait_for()
    assert "Absence excusée : Maladie : certificat médical fourni." in page.content()
    assert_accessible(page)
    assert status(house, lea, december(10)) == (Booking.ABSENT, True)


def test_bookings_journey_of_a_family_with_two_children(
    page, house, guardian_a, siblings, tmp_path
):
    lea, tom = siblings
    with time_machine.travel(at(MONDAY, 9), tick=True) as traveller:
        log_in(page, guardian_a)
        book_both_siblings_from_the_calendar(page, house, siblings)
        save_and_apply_the_weekly_template(page, house, lea)
        cancel_in_time(page, house, lea)
        book_on_a_stale_page_past_the_deadline(page, house, tom, traveller)
        cancel_late(page, house, tom)
        traveller.move_to(at(december(10), 7, 45))
        declare_illness_with_certificate(page, house, lea, tmp_path)
    assert Booking.objects.filter(status=Booking.BOOKED).count() == 5
