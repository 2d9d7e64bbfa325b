"""Ask-only activities: the family's requests, the manager's decisions, the family's withdrawal."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.bookings import actions, requests
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, BookingRequest
from marmots.core.models import AuditEntry
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)
NOW = at(MONDAY, 9)


@pytest.fixture
def ask_only(house, child_a, child_b):
    house.evening.families_may_add = False
    house.evening.families_may_cancel = False
    house.evening.save()
    enroll(house, child_a, house.evening)
    enroll(house, child_b, house.evening)
    return house


@pytest.fixture
def add_request(ask_only, child_a, guardian_a):
    (outcome,) = actions.book(
        guardian_a.user, [Change(child_a, ask_only.snack_slot, THURSDAY)], now=NOW
    )
    assert outcome.result == actions.REQUESTED
    return BookingRequest.objects.get()


def fresh(request):
    return BookingRequest.objects.get(pk=request.pk)


def test_manager_accepts_and_the_booking_is_made_on_behalf(add_request, manager, child_a):
    requests.decide_request(manager, add_request, accept=True, now=at(MONDAY, 10))
    request = fresh(add_request)
    assert request.status == BookingRequest.ACCEPTED
    assert request.decided_by == manager and request.decided_at == at(MONDAY, 10)
    booking = Booking.objects.get(child=child_a)
    assert booking.status == Booking.BOOKED and booking.booked_on_behalf
    assert AuditEntry.objects.filter(action="booking_request.accepted", actor=manager).exists()


def test_manager_refuses_with_a_reason(add_request, manager):
    requests.decide_request(manager, add_request, accept=False, reason="Sortie prévue")
    request = fresh(add_request)
    assert (request.status, request.reason) == (BookingRequest.REFUSED, "Sortie prévue")
    assert not Booking.objects.exists()


def test_refusal_needs_a_reason(add_request, manager):
    with pytest.raises(ValidationError) as error:
        requests.decide_request(manager, add_request, accept=False, reason="  ")
    assert error.value.messages == ["Indiquez le motif du refus : la famille le lira."]
    assert fresh(add_request).status == BookingRequest.PENDING


@pytest.mark.parametrize("who", ["staff", "other_manager", "guardian_a", "guardian_b"])
def test_only_the_structures_manager_decides(add_request, who, request):
    person = request.getfixturevalue(who)
    user = getattr(person, "user", person)
    with pytest.raises(PermissionDenied):
        requests.decide_request(user, add_request, accept=True)
    assert fresh(add_request).status == BookingRequest.PENDING
    assert not Booking.objects.exists()


def test_a_request_is_decided_once(add_request, manager):
    requests.decide_request(manager, add_request, accept=False, reason="Complet")
    with pytest.raises(ValidationError) as error:
        requests.decide_request(manager, add_request, accept=True)
    assert error.value.messages == ["Cette demande a déjà été traitée."]
    assert not Booking.objects.exists()


def test_accepting_for_a_full_slot_fails_and_the_request_waits(
    add_request, ask_only, manager, child_b
):
    slot = ask_only.snack_slot
    slot.capacity = 1
    slot.save()
    actions.book(manager, [Change(child_b, slot, THURSDAY)], now=NOW)
    with pytest.raises(ValidationError) as error:
        requests.decide_request(manager, add_request, accept=True, now=at(MONDAY, 10))
    assert error.value.messages == ["Complet : plus aucune place ce jour-là."]
    assert fresh(add_request).status == BookingRequest.PENDING
    assert list(Booking.objects.values_list("child__first_name", flat=True)) == ["Hugo"]
    assert not AuditEntry.objects.filter(action="booking_request.accepted").exists()


def test_accepting_a_cancellation_request(ask_only, manager, guardian_a, child_a):
    change = Change(child_a, ask_only.snack_slot, THURSDAY)
    actions.book(manager, [change], now=NOW)
    (outcome,) = actions.cancel(guardian_a.user, [change], now=NOW)
    assert outcome.result == actions.REQUESTED
    request = BookingRequest.objects.get(action=BookingRequest.CANCEL)
    requests.decide_request(manager, request, accept=True, now=at(MONDAY, 10))
    booking = Booking.objects.get()
    assert booking.status == Booking.CANCELLED and booking.cancelled_on_behalf


def test_family_withdraws_its_request(add_request, guardian_a):
    requests.withdraw_request(guardian_a.user, add_request, now=at(MONDAY, 10))
    assert fresh(add_request).status == BookingRequest.WITHDRAWN
    assert AuditEntry.objects.filter(action="booking_request.withdrawn").exists()


@pytest.mark.parametrize("who", ["guardian_b", "manager"])
def test_only_the_family_withdraws(add_request, who, request):
    person = request.getfixturevalue(who)
    user = getattr(person, "user", person)
    with pytest.raises(PermissionDenied):
        requests.withdraw_request(user, add_request)
    assert fresh(add_request).status == BookingRequest.PENDING


def test_a_decided_request_cannot_be_withdrawn(add_request, manager, guardian_a):
    requests.decide_request(manager, add_request, accept=True, now=at(MONDAY, 10))
    with pytest.raises(ValidationError, match="déjà été traitée"):
        requests.withdraw_request(guardian_a.user, add_request)
    assert fresh(add_request).status == BookingRequest.ACCEPTED


def test_a_second_request_for_the_same_day_is_refused(add_request, ask_only, guardian_a, child_a):
    (outcome,) = actions.book(
        guardian_a.user, [Change(child_a, ask_only.snack_slot, THURSDAY)], now=NOW
    )
    assert outcome.message == "Une demande est déjà en attente pour ce jour."
    assert BookingRequest.objects.count() == 1
