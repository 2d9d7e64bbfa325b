"""One booking's page: cancel in time or late, declare an illness, attach the certificate."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking
from tests.house import MONDAY, at, enroll

from .conftest import EXE, PDF, text

THURSDAY = MONDAY + datetime.timedelta(days=3)


@pytest.fixture
def booking(house, child_a, guardian_a):
    enroll(house, child_a, house.evening)
    (outcome,) = actions.book(
        guardian_a.user, [Change(child_a, house.snack_slot, THURSDAY)], now=at(MONDAY, 8)
    )
    return outcome.booking


def page(client, booking, when):
    with time_machine.travel(when, tick=False):
        return text(client.get(f"/portail/reservations/{booking.pk}/"))


def post(client, booking, action, when, data=None):
    with time_machine.travel(when, tick=False):
        response = client.post(f"/portail/reservations/{booking.pk}/{action}/", data or {})
        assert response.status_code == 302
        assert response["Location"] == f"/portail/reservations/{booking.pk}/"
        return text(client.get(response["Location"]))


def test_cancel_in_time(client_a, booking):
    html = page(client_a, booking, at(MONDAY, 9))
    assert "Réservation de Léa" in html and "jeudi 3 décembre 2026" in html
    assert "Annulable sans frais jusqu'au mardi 01/12 à 8h30." in html
    assert "Annuler sans frais" in html
    html = post(client_a, booking, "annuler", at(MONDAY, 9))
    assert "Annulé sans frais." in html
    booking.refresh_from_db()
    assert booking.status == Booking.CANCELLED
    assert "Annuler sans frais</button>" not in html


def test_cancel_late_is_warned_and_billed(client_a, booking):
    html = page(client_a, booking, at(MONDAY + datetime.timedelta(days=1), 9))
    assert "hors délai : facturée" in html and "Annuler hors délai (facturé)" in html
    assert '<input type="hidden" name="hors_delai" value="1">' in html
    late = at(MONDAY + datetime.timedelta(days=1), 9)
    html = post(client_a, booking, "annuler", late, {"hors_delai": "1"})
    assert "Annulé hors délai : la séance reste facturée" in html
    booking.refresh_from_db()
    assert booking.status == Booking.LATE_CANCELLED and booking.billable


def test_no_cancel_once_started(client_a, booking):
    html = page(client_a, booking, at(THURSDAY, 16, 45))
    assert "Annuler" not in html and "Déclarer l'absence" not in html
    html = post(client_a, booking, "annuler", at(THURSDAY, 16, 45))
    assert "La séance a déjà commencé" in html
    booking.refresh_from_db()
    assert booking.status == Booking.BOOKED


def test_ill_the_same_morning_with_certificate(client_a, booking):
    certificate = SimpleUploadedFile("certificat.pdf", PDF, content_type="application/pdf")
    html = post(client_a, booking, "absence", at(THURSDAY, 7, 45), {"certificat": certificate})
    assert "Absence pour maladie enregistrée." in html
    assert "Absence excusée : Maladie : certificat médical fourni." in html
    booking.refresh_from_db()
    assert booking.status == Booking.ABSENT and booking.excused and not booking.billable


def test_ill_then_certificate_later(client_a, booking, structure):
    structure.certificate_auto_excuse = False
    structure.save()
    html = post(client_a, booking, "absence", at(THURSDAY, 7, 45))
    assert "À fournir au plus tard le dimanche 6 décembre 2026" in html
    certificate = SimpleUploadedFile("certificat.pdf", PDF, content_type="application/pdf")
    html = post(
        client_a,
        booking,
        "certificat",
        at(THURSDAY + datetime.timedelta(days=2), 9),
        {"certificat": certificate},
    )
    assert "Certificat médical envoyé." in html
    assert "en attente de validation par la structure" in html
    booking.refresh_from_db()
    assert booking.certificate and not booking.excused


def test_certificate_refused_when_late_or_not_a_document(client_a, booking):
    post(client_a, booking, "absence", at(THURSDAY, 7, 45))
    exe = SimpleUploadedFile("virus.pdf", EXE)
    html = post(client_a, booking, "certificat", at(THURSDAY, 9), {"certificat": exe})
    assert "Le fichier doit être un PDF, une image JPEG ou PNG." in html
    html = post(client_a, booking, "certificat", at(THURSDAY, 9))
    assert "Choisissez le fichier du certificat médical." in html
    late = at(THURSDAY + datetime.timedelta(days=4), 9)
    assert "Le délai pour fournir le certificat est passé" in page(client_a, booking, late)
    pdf = SimpleUploadedFile("certificat.pdf", PDF)
    html = post(client_a, booking, "certificat", late, {"certificat": pdf})
    assert "Le délai pour fournir le certificat est dépassé" in html
    booking.refresh_from_db()
    assert not booking.certificate


def test_no_absence_once_started(client_a, booking):
    html = post(client_a, booking, "absence", at(THURSDAY, 16, 31))
    assert "La séance a déjà commencé : prévenez directement la structure." in html
    booking.refresh_from_db()
    assert booking.status == Booking.BOOKED


@pytest.mark.parametrize("action", ["annuler", "absence", "certificat"])
def test_actions_answer_post_only(client_a, booking, action):
    assert client_a.get(f"/portail/reservations/{booking.pk}/{action}/").status_code == 405


def test_illness_form_only_once_cancelling_is_billed(client_a, booking):
    assert "Déclarer une absence pour maladie" not in page(client_a, booking, at(MONDAY, 9))
    assert "Enfant malade ? Annulez simplement" in page(client_a, booking, at(MONDAY, 9))
    tuesday = at(MONDAY + datetime.timedelta(days=1), 9)
    assert "Déclarer une absence pour maladie" in page(client_a, booking, tuesday)
