"""The offer link of the e-mail: accept (the booking is made and shown) or decline (the next
family is offered the place); another family's or an unknown link is 404; an expired offer
explains itself and books nothing."""

import datetime

import pytest

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, WaitlistEntry
from tests.factories import PASSWORD
from tests.house import MONDAY, at

from .conftest import text
from .waitlist_helpers import (  # noqa: F401  (fixtures)
    NOW,
    THURSDAY,
    client_of,
    full_days_fixture,
    get,
    join,
    other_family,
    post,
    siblings_fixture,
)

TUESDAY_LATE = at(MONDAY + datetime.timedelta(days=1), 10)  # after the 24-hour offer


@pytest.fixture
def offered(siblings, full_days, guardian_a, guardian_b, child_b, house, mailoutbox):
    """Léa was first in Thursday's line, family C second; Hugo's cancellation freed the place:
    it is offered to Léa until Tuesday 9:00."""
    lea, _ = siblings
    entry = join(guardian_a.user, lea, full_days, THURSDAY)
    user_c, child_c = other_family(house)
    join(user_c, child_c, full_days, THURSDAY)
    (outcome,) = actions.cancel(guardian_b.user, [Change(child_b, full_days, THURSDAY)], now=NOW)
    assert outcome.ok
    entry.refresh_from_db()
    assert entry.status == "offered"
    mailoutbox.clear()
    return entry, user_c


def offer_url(entry):
    return f"/portail/liste-attente/offre/{entry.token}/"


def test_accept_books_and_shows_the_booking(client_a, offered):
    entry, _ = offered
    html = text(get(client_a, offer_url(entry)))
    assert "Place proposée pour Léa" in html
    assert "jeudi 3 décembre 2026" in html and "Périscolaire soir – 16h30-17h30" in html
    assert "mardi 1er décembre 2026 à 9h00" in html
    assert 'name="reponse" value="accepter">Accepter la place' in html
    response = post(client_a, offer_url(entry), {"reponse": "accepter"})
    booking = Booking.objects.get(child=entry.child, date=THURSDAY, status=Booking.BOOKED)
    assert response.status_code == 302
    assert response["Location"] == f"/portail/reservations/{booking.pk}/"
    html = text(get(client_a, response["Location"]))
    assert "Place acceptée : Léa est inscrit(e) le jeudi 3 décembre 2026" in html
    assert "Réservation de Léa" in html
    entry.refresh_from_db()
    assert entry.status == "booked" and entry.booking == booking
    html = text(get(client_a, offer_url(entry)))  # the link again: said so, no buttons
    assert "Vous avez accepté cette place" in html and "Accepter la place" not in html
    assert f'href="/portail/reservations/{booking.pk}/"' in html


def test_another_family_or_an_unknown_token_is_404(offered, guardian_b):
    entry, user_c = offered
    bookings = Booking.objects.count()
    for user in (guardian_b.user, user_c):
        client = client_of(user)
        assert get(client, offer_url(entry)).status_code == 404
        assert post(client, offer_url(entry), {"reponse": "accepter"}).status_code == 404
        assert post(client, offer_url(entry), {"reponse": "refuser"}).status_code == 404
        assert post(client, f"/portail/liste-attente/{entry.pk}/quitter/").status_code == 404
    entry.refresh_from_db()
    assert entry.status == "offered" and Booking.objects.count() == bookings
    client = client_of(guardian_b.user)
    assert get(client, "/portail/liste-attente/offre/inconnu/").status_code == 404
    assert "Léa" not in text(get(client, "/portail/liste-attente/"))


def test_the_link_asks_to_log_in_then_comes_back(client, offered, guardian_a):
    entry, _ = offered
    response = get(client, offer_url(entry))
    assert response.status_code == 302
    assert response["Location"] == f"/compte/connexion/?next={offer_url(entry)}"
    response = post(
        client,
        response["Location"],
        {"email": guardian_a.user.email, "password": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == offer_url(entry)


def test_expired_offer_explains_and_books_nothing(client_a, offered):
    entry, _ = offered
    bookings = Booking.objects.count()
    html = text(get(client_a, offer_url(entry), when=TUESDAY_LATE))
    assert (
        "Cette offre a expiré le mardi 1er décembre 2026 à 9h00 : la place est passée à la "
        "suite de la liste d'attente." in html
    )
    assert "Accepter la place" not in html
    response = post(client_a, offer_url(entry), {"reponse": "accepter"}, when=TUESDAY_LATE)
    assert response.status_code == 302 and response["Location"] == offer_url(entry)
    html = text(get(client_a, offer_url(entry), when=TUESDAY_LATE))
    assert html.count("Cette offre a expiré") == 2  # the refusal, and the page's state
    assert Booking.objects.count() == bookings
    entry.refresh_from_db()
    assert entry.status == "expired"
    assert WaitlistEntry.objects.get(status="offered").child != entry.child  # family C now


def test_decline_offers_the_place_to_the_next_family(
    client_a, offered, mailoutbox, django_capture_on_commit_callbacks
):
    entry, user_c = offered
    bookings = Booking.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client_a, offer_url(entry), {"reponse": "refuser"})
    assert response.status_code == 302 and response["Location"] == "/portail/liste-attente/"
    html = text(get(client_a, response["Location"]))
    assert "Place refusée : la place est passée à la suite de la liste d'attente." in html
    assert "Offre refusée" in html  # in the recent ones
    entry.refresh_from_db()
    assert entry.status == "declined"
    following = WaitlistEntry.objects.get(status="offered")
    assert following.child.family.guardians.get().user == user_c
    assert len(mailoutbox) == 1 and following.token in mailoutbox[0].body
    assert Booking.objects.count() == bookings


def test_a_bad_answer_changes_nothing(client_a, offered):
    entry, _ = offered
    response = post(client_a, offer_url(entry), {"reponse": "peut-être"})
    assert response.status_code == 302
    assert "Choisissez « Accepter la place » ou « Refuser »." in text(
        get(client_a, response["Location"])
    )
    entry.refresh_from_db()
    assert entry.status == "offered"
    assert client_a.put(offer_url(entry)).status_code == 405
