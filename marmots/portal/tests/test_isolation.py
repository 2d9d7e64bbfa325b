"""Every portal URL with an id answers 404 to another family, for reading and writing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marmots.families import actions

from .conftest import PDF

URLS = [
    "/portail/famille/enfant/{child}/",
    "/portail/famille/enfant/{child}/modifier/",
    "/portail/famille/verification/{child}/",
    "/portail/documents/{document}/telecharger/",
]


@pytest.fixture
def ids_of_family_a(family_a, child_a, guardian_a, insurance):
    document = actions.upload_document(
        family_a, insurance, SimpleUploadedFile("a.pdf", PDF), guardian_a.user
    )
    return {"child": child_a.pk, "document": document.pk}


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_familys_ids_give_404(client_b, ids_of_family_a, child_a, url, method):
    response = getattr(client_b, method)(url.format(**ids_of_family_a), {"first_name": "X"})
    assert response.status_code == 404
    child_a.refresh_from_db()
    assert child_a.first_name == "Léa" and child_a.info_checked_at is None


@pytest.mark.parametrize("url", URLS)
def test_own_ids_answer(client_a, ids_of_family_a, url):
    assert client_a.get(url.format(**ids_of_family_a)).status_code == 200


@pytest.mark.parametrize(
    "url",
    URLS
    + [
        "/portail/famille/",
        "/portail/documents/",
        "/portail/coordonnees/",
        "/portail/tableau-de-bord/",
    ],
)
def test_staff_and_anonymous_are_kept_out(client, manager, ids_of_family_a, url):
    url = url.format(**ids_of_family_a)
    response = client.get(url)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    client.force_login(manager)
    assert client.get(url).status_code == 403


# Bookings (issue 3): every booking URL with an id, read and written by another family.
BOOKING_URLS = [
    "/portail/reservations/{booking}/",
    "/portail/reservations/{booking}/annuler/",
    "/portail/reservations/{booking}/absence/",
    "/portail/reservations/{booking}/certificat/",
    "/portail/reservations/demandes/{request}/retirer/",
]


@pytest.fixture
def booking_ids_of_family_a(house, child_a, guardian_a):
    import datetime

    import time_machine

    from marmots.bookings import actions as booking_actions
    from marmots.bookings.actions import Change
    from tests.house import MONDAY, at, enroll

    house.morning.families_may_add = False
    house.morning.save()
    enroll(house, child_a, house.evening, house.morning)
    thursday = MONDAY + datetime.timedelta(days=3)
    with time_machine.travel(at(MONDAY, 9), tick=False):
        booking_actions.book(
            guardian_a.user,
            [
                Change(child_a, house.snack_slot, thursday),
                Change(child_a, house.morning.slots.first(), thursday),
            ],
        )
    return {
        "booking": child_a.bookings.get().pk,
        "request": child_a.booking_requests.get().pk,
    }


@pytest.mark.parametrize("url", BOOKING_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_familys_bookings_give_404(client_b, booking_ids_of_family_a, url, method):
    from marmots.bookings.models import Booking, BookingRequest

    response = getattr(client_b, method)(url.format(**booking_ids_of_family_a))
    assert response.status_code == 404
    assert Booking.objects.get().status == Booking.BOOKED
    assert BookingRequest.objects.get().status == BookingRequest.PENDING


def test_another_familys_child_in_the_calendar_gives_404(client_b, child_a):
    assert client_b.get(f"/portail/reservations/?enfant={child_a.pk}").status_code == 404


def test_own_booking_page_answers(client_a, booking_ids_of_family_a):
    url = BOOKING_URLS[0].format(**booking_ids_of_family_a)
    assert client_a.get(url).status_code == 200


@pytest.mark.parametrize("url", [*BOOKING_URLS, "/portail/reservations/"])
def test_staff_and_anonymous_are_kept_out_of_bookings(
    client, manager, booking_ids_of_family_a, url
):
    url = url.format(**booking_ids_of_family_a)
    response = client.get(url)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    client.force_login(manager)
    assert client.get(url).status_code == 403
