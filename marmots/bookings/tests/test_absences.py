"""Illness, medical certificates and excuses, through the actions every channel calls."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from marmots.bookings import absences, actions
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking
from marmots.core.models import AuditEntry
from marmots.families.tests.conftest import EXE, PDF, PNG
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)  # session 16:30, deadline Tuesday 8:30
BAD_TYPE = "Le fichier doit être un PDF, une image JPEG ou PNG."


def pdf():
    return SimpleUploadedFile("certificat.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def booking(house, child_a, guardian_a):
    enroll(house, child_a, house.evening)
    (outcome,) = actions.book(
        guardian_a.user, [Change(child_a, house.snack_slot, THURSDAY)], now=at(MONDAY, 9)
    )
    return outcome.booking


def fresh(booking):
    return Booking.objects.get(pk=booking.pk)


# -- declaring an illness ----------------------------------------------------------------------


def test_family_declares_the_same_morning_before_the_session(booking, guardian_a):
    absences.declare_absence(guardian_a.user, booking, now=at(THURSDAY, 7, 45))
    booking = fresh(booking)
    assert booking.status == Booking.ABSENT
    assert booking.cancelled_by == guardian_a.user and not booking.cancelled_on_behalf
    assert booking.billable  # until a certificate excuses it
    assert AuditEntry.objects.filter(action="booking.absence", actor=guardian_a.user).exists()


def test_illness_declared_before_the_deadline_is_a_free_cancellation(booking, guardian_a):
    absences.declare_absence(guardian_a.user, booking, now=at(MONDAY, 18))
    booking = fresh(booking)
    assert booking.status == Booking.CANCELLED
    assert not booking.billable and not booking.certificate


def test_family_cannot_declare_once_the_session_started(booking, guardian_a):
    with pytest.raises(ValidationError) as error:
        absences.declare_absence(guardian_a.user, booking, now=at(THURSDAY, 16, 30))
    assert error.value.messages == [
        "La séance a déjà commencé : prévenez directement la structure."
    ]
    assert fresh(booking).status == Booking.BOOKED


def test_manager_declares_after_the_start_on_behalf(booking, manager):
    absences.declare_absence(manager, booking, now=at(THURSDAY, 17))
    booking = fresh(booking)
    assert booking.status == Booking.ABSENT and booking.cancelled_on_behalf


@pytest.mark.parametrize("who", ["guardian_b", "staff", "other_manager"])
def test_others_cannot_declare(booking, who, request):
    person = request.getfixturevalue(who)
    user = getattr(person, "user", person)
    with pytest.raises(PermissionDenied):
        absences.declare_absence(user, booking, now=at(THURSDAY, 7))
    assert fresh(booking).status == Booking.BOOKED


def test_an_absence_cannot_be_declared_twice(booking, guardian_a):
    absences.declare_absence(guardian_a.user, booking, now=at(THURSDAY, 7))
    with pytest.raises(ValidationError, match="n'est plus active"):
        absences.declare_absence(guardian_a.user, booking, now=at(THURSDAY, 8))


# -- the certificate ---------------------------------------------------------------------------


def test_certificate_with_the_declaration_excuses_at_once(booking, guardian_a):
    absences.declare_absence(guardian_a.user, booking, pdf(), now=at(THURSDAY, 7))
    booking = fresh(booking)
    assert booking.excused and booking.excuse_reason == absences.CERTIFICATE_REASON
    assert booking.certificate.name.endswith(".pdf")
    assert booking.certificate.read() == PDF
    assert not booking.billable


def test_certificate_within_the_days_allowed(booking, guardian_a, structure):
    assert structure.certificate_days == 3
    absences.declare_absence(guardian_a.user, booking, now=at(THURSDAY, 7))
    assert absences.certificate_due(fresh(booking)) == THURSDAY + datetime.timedelta(days=3)
    image = SimpleUploadedFile("scan.png", PNG, content_type="image/png")
    last_day = THURSDAY + datetime.timedelta(days=3)
    absences.attach_certificate(guardian_a.user, booking, image, now=at(last_day, 23, 59))
    booking = fresh(booking)
    assert booking.excused and booking.certificate.name.endswith(".png")
    assert AuditEntry.objects.filter(action="booking.certificate").count() == 1


def test_certificate_refused_after_the_days_allowed(booking, guardian_a):
    absences.declare_absence(guardian_a.user, booking, now=at(THURSDAY, 7))
    too_late = THURSDAY + datetime.timedelta(days=4)
    with pytest.raises(ValidationError) as error:
        absences.attach_certificate(guardian_a.user, booking, pdf(), now=at(too_late, 0, 1))
    assert error.value.messages == [
        "Le délai pour fournir le certificat est dépassé (jusqu'au dimanche 06/12/2026)."
    ]
    booking = fresh(booking)
    assert not booking.certificate and not booking.excused


def test_manager_attaches_a_certificate_after_the_days_allowed(booking, guardian_a, manager):
    absences.declare_absence(guardian_a.user, booking, now=at(THURSDAY, 7))
    later = THURSDAY + datetime.timedelta(days=20)
    absences.attach_certificate(manager, booking, pdf(), now=at(later, 9))
    assert fresh(booking).excused


def test_certificate_needs_a_declared_absence(booking, guardian_a):
    with pytest.raises(ValidationError, match="Déclarez d'abord l'absence"):
        absences.attach_certificate(guardian_a.user, booking, pdf(), now=at(THURSDAY, 7))


def test_without_auto_excuse_the_manager_approves(booking, guardian_a, manager, structure):
    structure.certificate_auto_excuse = False
    structure.save()
    absences.declare_absence(guardian_a.user, booking, pdf(), now=at(THURSDAY, 7))
    booking = fresh(booking)
    assert booking.certificate and not booking.excused and booking.billable
    with pytest.raises(PermissionDenied):
        absences.approve_certificate(guardian_a.user, booking, now=at(THURSDAY, 9))
    absences.approve_certificate(manager, booking, now=at(THURSDAY, 9))
    booking = fresh(booking)
    assert booking.excused and booking.excused_by == manager and not booking.billable


def test_no_approval_without_a_certificate(booking, guardian_a, manager):
    absences.declare_absence(guardian_a.user, booking, now=at(THURSDAY, 7))
    with pytest.raises(ValidationError, match="Aucun certificat"):
        absences.approve_certificate(manager, fresh(booking), now=at(THURSDAY, 9))
    assert not fresh(booking).excused


def test_a_bad_file_with_the_declaration_changes_nothing(booking, guardian_a):
    exe = SimpleUploadedFile("certificat.pdf", EXE, content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        absences.declare_absence(guardian_a.user, booking, exe, now=at(THURSDAY, 7))
    assert error.value.messages == [BAD_TYPE]
    assert fresh(booking).status == Booking.BOOKED
    assert not AuditEntry.objects.filter(action="booking.absence").exists()


def test_a_bad_file_later_changes_nothing(booking, guardian_a):
    absences.declare_absence(guardian_a.user, booking, now=at(THURSDAY, 7))
    empty = SimpleUploadedFile("vide.pdf", b"", content_type="application/pdf")
    exe = SimpleUploadedFile("certificat.pdf", EXE, content_type="application/pdf")
    with pytest.raises(ValidationError, match="Le fichier est vide."):
        absences.attach_certificate(guardian_a.user, booking, empty, now=at(THURSDAY, 9))
    with pytest.raises(ValidationError, match=BAD_TYPE):
        absences.attach_certificate(guardian_a.user, booking, exe, now=at(THURSDAY, 9))
    booking = fresh(booking)
    assert not booking.certificate and not booking.excused and booking.status == Booking.ABSENT


# -- the manager excuses a late cancellation ---------------------------------------------------


@pytest.fixture
def late(booking, guardian_a, child_a, house):
    (outcome,) = actions.cancel(
        guardian_a.user, [Change(child_a, house.snack_slot, THURSDAY)], now=at(THURSDAY, 10)
    )
    assert outcome.result == actions.LATE
    return outcome.booking


def test_manager_excuses_a_late_cancellation_with_a_reason(late, manager):
    absences.excuse(manager, late, "  Hospitalisation du parent  ", now=at(THURSDAY, 11))
    booking = fresh(late)
    assert booking.excused and booking.excuse_reason == "Hospitalisation du parent"
    assert booking.excused_by == manager and not booking.billable
    entry = AuditEntry.objects.get(action="booking.excuse")
    assert entry.actor == manager and entry.after["excused"] is True


def test_excuse_needs_a_reason(late, manager):
    with pytest.raises(ValidationError) as error:
        absences.excuse(manager, late, "   ", now=at(THURSDAY, 11))
    assert error.value.messages == ["Indiquez le motif de l'excuse."]
    assert not fresh(late).excused


@pytest.mark.parametrize("who", ["staff", "other_manager", "guardian_a"])
def test_only_the_structures_manager_excuses(late, who, request):
    person = request.getfixturevalue(who)
    user = getattr(person, "user", person)
    with pytest.raises(PermissionDenied):
        absences.excuse(user, late, "Gentillesse", now=at(THURSDAY, 11))
    assert not fresh(late).excused


def test_a_live_booking_cannot_be_excused(booking, manager):
    with pytest.raises(ValidationError, match="Seules une annulation hors délai"):
        absences.excuse(manager, booking, "Pourquoi pas", now=at(THURSDAY, 11))


def test_an_excuse_is_given_once(late, manager):
    absences.excuse(manager, late, "Maladie", now=at(THURSDAY, 11))
    with pytest.raises(ValidationError, match="déjà excusée"):
        absences.excuse(manager, late, "Encore", now=at(THURSDAY, 12))
    assert fresh(late).excuse_reason == "Maladie"
