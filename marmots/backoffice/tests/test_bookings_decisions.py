"""Excuses, medical certificates and booking requests: the manager decides, staff read."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marmots.bookings import absences, actions
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, BookingRequest
from marmots.core.models import AuditEntry
from marmots.families.tests.conftest import PDF
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)
FRIDAY = MONDAY + datetime.timedelta(days=4)


@pytest.fixture
def late(house, child_a, guardian_a):
    """Léa's Friday snack slot, cancelled late (billable)."""
    enroll(house, child_a, house.evening)
    change = Change(child_a, house.snack_slot, FRIDAY)
    actions.book(guardian_a.user, [change], now=at(MONDAY, 9))
    (outcome,) = actions.cancel(guardian_a.user, [change], now=at(FRIDAY, 8))
    return outcome.booking


@pytest.fixture
def ill(house, child_b, guardian_b, structure):
    """Hugo ill on Thursday, certificate attached, the manager approves certificates."""
    structure.certificate_auto_excuse = False
    structure.save()
    enroll(house, child_b, house.evening)
    (outcome,) = actions.book(
        guardian_b.user, [Change(child_b, house.snack_slot, THURSDAY)], now=at(MONDAY, 9)
    )
    certificate = SimpleUploadedFile("certificat.pdf", PDF, content_type="application/pdf")
    return absences.declare_absence(
        guardian_b.user, outcome.booking, certificate, now=at(THURSDAY, 7)
    )


def fresh(booking):
    return Booking.objects.get(pk=booking.pk)


def excuse(client, booking, reason):
    return client.post(
        f"/gestion/reservations/excuses/{booking.pk}/excuser/", {f"e{booking.pk}-reason": reason}
    )


def test_team_sees_what_waits(client_staff, late, ill):
    page = client_staff.get("/gestion/reservations/excuses/").content.decode()
    certificates, others = page.split("Annulations hors délai et absences non excusées")
    assert "Hugo" in certificates and "Léa" not in certificates
    assert "Léa" in others and "Annulé hors délai" in others
    # Staff read only: no forms, no certificate link.
    assert "excuser/" not in page and "certificat/" not in page


def test_manager_excuses_a_late_cancellation(client_manager, late, manager):
    response = excuse(client_manager, late, "Erreur de la structure")
    assert response.status_code == 302
    booking = fresh(late)
    assert booking.excused and booking.excuse_reason == "Erreur de la structure"
    assert not booking.billable and booking.excused_by == manager
    assert AuditEntry.objects.filter(action="booking.excuse").exists()
    page = client_manager.get("/gestion/reservations/excuses/").content.decode()
    assert "excusé, ne sera pas facturé" in page and "Rien à excuser." in page


@pytest.mark.parametrize("reason", ["", "   "])
def test_excuse_without_reason_is_refused(client_manager, late, reason):
    response = excuse(client_manager, late, reason)
    assert response.status_code == 400
    assert "Indiquez le motif de l&#x27;excuse." in response.content.decode()
    assert not fresh(late).excused


def test_manager_views_and_approves_a_certificate(client_manager, ill):
    response = client_manager.get(f"/gestion/reservations/excuses/{ill.pk}/certificat/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    response = client_manager.post(f"/gestion/reservations/excuses/{ill.pk}/approuver/")
    assert response.status_code == 302
    booking = fresh(ill)
    assert booking.excused and booking.excuse_reason == absences.CERTIFICATE_REASON
    # Approved: nothing waits any more, approving again finds nothing.
    again = client_manager.post(f"/gestion/reservations/excuses/{ill.pk}/approuver/")
    assert again.status_code == 404


def test_staff_cannot_excuse_approve_or_open_certificates(client_staff, late, ill):
    assert excuse(client_staff, late, "Erreur").status_code == 403
    assert (
        client_staff.post(f"/gestion/reservations/excuses/{ill.pk}/approuver/").status_code == 403
    )
    assert (
        client_staff.get(f"/gestion/reservations/excuses/{ill.pk}/certificat/").status_code == 403
    )
    assert not fresh(late).excused and not fresh(ill).excused


def test_another_structures_manager_gets_404(client, other_manager, late, ill):
    client.force_login(other_manager)
    assert excuse(client, late, "Erreur").status_code == 404
    assert client.post(f"/gestion/reservations/excuses/{ill.pk}/approuver/").status_code == 404
    assert client.get(f"/gestion/reservations/excuses/{ill.pk}/certificat/").status_code == 404
    page = client.get("/gestion/reservations/excuses/").content.decode()
    assert "Léa" not in page and "Hugo" not in page
    assert not fresh(late).excused and not fresh(ill).excused


def test_excuses_page_runs_bounded_queries(
    client_manager, late, ill, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        client_manager.get("/gestion/reservations/excuses/")


# Booking requests ------------------------------------------------------------------------------


@pytest.fixture
def asked(house, child_a, guardian_a):
    """Léa asks for Thursday: the evening activity lets families only ask."""
    house.evening.families_may_add = False
    house.evening.save()
    enroll(house, child_a, house.evening)
    (outcome,) = actions.book(
        guardian_a.user, [Change(child_a, house.snack_slot, THURSDAY)], now=at(MONDAY, 9)
    )
    assert outcome.result == actions.REQUESTED
    return BookingRequest.objects.get()


def decide(client, request, decision, note=""):
    return client.post(
        f"/gestion/reservations/demandes/{request.pk}/decision/",
        {f"r{request.pk}-decision": decision, f"r{request.pk}-note": note},
    )


def test_home_counts_pending_requests(client_staff, ill, asked):
    page = client_staff.get("/gestion/").content.decode()
    requests_card = page.split("Demandes de réservation</h3>")[1].split("</section>")[0]
    assert '<p class="counter">1</p>' in requests_card
    certificates_card = page.split("Certificats médicaux à approuver</h3>")[1]
    assert '<p class="counter">1</p>' in certificates_card.split("</section>")[0]


def test_manager_accepts_a_request(client_manager, asked, manager):
    page = client_manager.get("/gestion/reservations/demandes/").content.decode()
    assert "Réserver : Léa Martin, jeudi 3 décembre 2026" in page
    response = decide(client_manager, asked, "accept")
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == BookingRequest.ACCEPTED and asked.decided_by == manager
    assert Booking.objects.get().booked_on_behalf


def test_refusal_needs_a_reason(client_manager, asked):
    response = decide(client_manager, asked, "refuse")
    assert response.status_code == 400
    assert "Expliquez à la famille pourquoi la demande est refusée." in response.content.decode()
    asked.refresh_from_db()
    assert asked.status == BookingRequest.PENDING
    response = decide(client_manager, asked, "refuse", "Complet ce jour-là")
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == BookingRequest.REFUSED and asked.reason == "Complet ce jour-là"
    assert not Booking.objects.exists()


def test_an_accepted_request_the_rules_refuse_shows_why(client_manager, asked, house):
    slot = house.snack_slot
    slot.capacity = 0
    slot.save()
    response = decide(client_manager, asked, "accept")
    assert response.status_code == 400
    assert "Complet : plus aucune place ce jour-là." in response.content.decode()
    asked.refresh_from_db()
    assert asked.status == BookingRequest.PENDING and not Booking.objects.exists()


def test_staff_cannot_decide(client_staff, asked):
    page = client_staff.get("/gestion/reservations/demandes/").content.decode()
    assert "Léa Martin" in page and "decision/" not in page
    assert decide(client_staff, asked, "accept").status_code == 403
    asked.refresh_from_db()
    assert asked.status == BookingRequest.PENDING


def test_another_structures_manager_cannot_decide(client, other_manager, asked):
    client.force_login(other_manager)
    assert decide(client, asked, "accept").status_code == 404
    assert "Léa" not in client.get("/gestion/reservations/demandes/").content.decode()
    asked.refresh_from_db()
    assert asked.status == BookingRequest.PENDING
