"""The dashboard shows booking requests (with "Retirer") and absences awaiting a certificate."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from marmots.bookings import absences, actions
from marmots.bookings.actions import Change
from marmots.bookings.models import BookingRequest
from tests.house import MONDAY, at, enroll

from .conftest import PDF, text

THURSDAY = MONDAY + datetime.timedelta(days=3)


@pytest.fixture
def ask_only(house, child_a):
    house.morning.families_may_add = False
    house.morning.save()
    enroll(house, child_a, house.morning, house.evening)
    return house.morning.slots.first()


def dashboard(client, when=None):
    with time_machine.travel(when or at(MONDAY, 9), tick=False):
        return text(client.get("/portail/tableau-de-bord/"))


def test_pending_booking_request_can_be_withdrawn(client_a, ask_only, child_a, guardian_a):
    with time_machine.travel(at(MONDAY, 8), tick=False):
        actions.book(guardian_a.user, [Change(child_a, ask_only, THURSDAY)])
    request = BookingRequest.objects.get()
    html = dashboard(client_a)
    assert "1 demande en attente du gestionnaire" in html
    assert "Demande de réservation de Léa : Périscolaire matin 7h00-7h30" in html
    assert "jeudi 3 décembre 2026" in html
    response = client_a.post(
        f"/portail/reservations/demandes/{request.pk}/retirer/",
        {"next": "/portail/tableau-de-bord/"},
    )
    assert response["Location"] == "/portail/tableau-de-bord/"
    html = dashboard(client_a)
    assert "Aucune demande en attente du gestionnaire" in html and "Retirée" in html
    assert "/retirer/" not in html


def test_refused_request_shows_the_reason(client_a, ask_only, child_a, guardian_a, manager):
    from marmots.bookings import requests

    actions.book(guardian_a.user, [Change(child_a, ask_only, THURSDAY)], now=at(MONDAY, 8))
    requests.decide_request(
        manager, BookingRequest.objects.get(), accept=False, reason="Plus de place"
    )
    html = dashboard(client_a)
    assert "Refusée" in html and "Réponse du gestionnaire : Plus de place" in html


def test_absences_awaiting_a_certificate(client_a, house, child_a, guardian_a, structure):
    enroll(house, child_a, house.evening)
    friday = THURSDAY + datetime.timedelta(days=1)
    outcomes = actions.book(
        guardian_a.user,
        [Change(child_a, house.snack_slot, THURSDAY), Change(child_a, house.snack_slot, friday)],
        now=at(MONDAY, 8),
    )
    structure.certificate_auto_excuse = False
    structure.save()
    thursday, fri = (o.booking for o in outcomes)
    # Past the deadlines (an illness declared in time is a free cancellation).
    absences.declare_absence(guardian_a.user, thursday, now=at(THURSDAY, 7))
    absences.declare_absence(
        guardian_a.user, fri, SimpleUploadedFile("c.pdf", PDF), now=at(THURSDAY, 7)
    )
    html = dashboard(client_a, at(THURSDAY, 9))
    assert "Absences pour maladie : certificat médical" in html
    assert "certificat à fournir au plus tard le dimanche 6 décembre 2026" in html
    assert "certificat reçu, en attente de validation par la structure" in html
    assert f'href="/portail/reservations/{thursday.pk}/"' in html


def test_another_familys_requests_and_absences_stay_hidden(client_b, ask_only, child_a, guardian_a):
    actions.book(guardian_a.user, [Change(child_a, ask_only, THURSDAY)], now=at(MONDAY, 8))
    html = dashboard(client_b)
    assert "Léa" not in html and "Absences pour maladie" not in html
