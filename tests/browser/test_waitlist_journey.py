"""Issue 7's first journey in Chromium: "two families want the last place; one gets it, the
other joins the waiting list; the first cancels; the second receives the offer by e-mail (real
SMTP on loopback), accepts it from the link, and sees the booking."

On Monday 30 November 2026 at 9:00, Thursday 3 December's 16h30 after-school slot has one
place left (the manager set that day to 1). Claire Martin books it for Léa on her phone; Paul
Bernard finds the day "Complet" for Hugo, joins its waiting list from the calendar and reads
his position, 1. Claire cancels (in time, free); the place is offered to Hugo for 24 hours in
the same transaction, and the offer's e-mail reaches the SMTP server on loopback. Paul opens
its link in a fresh browser (he is asked to log in), accepts, and finds the booking in his
calendar and "Place obtenue" on his waiting-list page. axe checks every page visited.
"""

import re

import pytest
import time_machine
from playwright.sync_api import expect

from marmots.bookings.models import Booking, SlotDay, WaitlistEntry
from marmots.core.models import AuditEntry
from tests.browser.conftest import assert_accessible
from tests.browser.places_helpers import (  # noqa: F401  (open_page_fixture: the open_page fixture)
    PHONE,
    body_of,
    fill_login,
    fits_the_screen,
    log_in,
    mails_to,
    open_page_fixture,
)
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY.replace(day=3, month=12)
DECEMBER = "/portail/reservations/?mois=2026-12&enfant=tous"
DAY = "jeudi 3 décembre 2026"
FREE_UNTIL = "annulable sans frais jusqu'au mardi 01/12 à 8h30"


@pytest.fixture
def last_place(house, child_a, guardian_a, child_b, guardian_b):
    """Léa (family A) and Hugo (family B) go to the evening activity; the manager left one
    place on Thursday's 16h30 slot."""
    for child in (child_a, child_b):
        enroll(house, child, house.evening)
    SlotDay.objects.create(slot=house.snack_slot, date=THURSDAY, capacity=1)
    return house.snack_slot


def key(child, slot):
    return f"{child.pk}-{slot.pk}-{THURSDAY.isoformat()}"


def state(page, child, slot):
    return page.locator(f"#d-{key(child, slot)}")


def checked(page):
    assert_accessible(page)
    assert fits_the_screen(page)


def books_the_last_place(page, lea, slot):
    page.goto(page.base_url + DECEMBER)
    expect(state(page, lea, slot)).to_have_text("Libre 1 place")
    checked(page)
    page.locator(f"#c-{key(lea, slot)}").check()
    page.get_by_role("button", name="Voir le récapitulatif").click()
    page.get_by_role("heading", name="À réserver (1)").wait_for()
    checked(page)
    page.get_by_role("button", name="Valider", exact=True).click()
    page.get_by_role("heading", name="Pris en compte (1)").wait_for()
    expect(page.locator("li.result-booked")).to_have_text(re.compile(r" : Réservé\.$"))
    checked(page)


def joins_the_waiting_list(page, hugo, slot):
    page.goto(page.base_url + DECEMBER)
    expect(state(page, hugo, slot)).to_have_text("Complet Complet : plus aucune place ce jour-là.")
    assert page.locator(f"#c-{key(hugo, slot)}").count() == 0  # nothing to book
    checked(page)
    join = page.get_by_label(
        f"rejoindre la liste d'attente (Hugo, Périscolaire soir 16h30-17h30, {DAY})"
    )
    join.check()
    page.get_by_role("button", name="Voir le récapitulatif").click()
    page.get_by_role("heading", name="Liste d'attente (1)").wait_for()
    expect(page.locator("section[aria-labelledby=liste-attente] li")).to_contain_text(
        "vous avez 24 h pour l'accepter"
    )
    assert not WaitlistEntry.objects.exists()  # the summary writes nothing
    checked(page)
    page.get_by_role("button", name="Valider", exact=True).click()
    page.get_by_role("heading", name="Pris en compte (1)").wait_for()
    expect(
        page.get_by_text("Hugo est sur la liste d'attente du jeudi 03/12/2026 (position 1).")
    ).to_be_visible()
    checked(page)

    page.get_by_role("link", name="Revenir au calendrier").click()
    expect(state(page, hugo, slot)).to_have_text("Liste d'attente en 1re position")
    checked(page)
    page.get_by_role(
        "link",
        name=f"Détails de la liste d'attente de Hugo, {slot.activity.name} {slot.label}, {DAY}",
    ).click()
    page.get_by_role("heading", name="Liste d'attente", level=1).wait_for()
    expect(page.get_by_role("heading", name="En cours (1)")).to_be_visible()
    expect(page.locator("section[aria-labelledby=en-cours] li")).to_contain_text(
        "Liste d'attente 1re position"
    )
    checked(page)


def cancels(page, lea, slot):
    page.goto(page.base_url + DECEMBER)
    expect(state(page, lea, slot)).to_have_text(f"Réservé {FREE_UNTIL}")
    name = f"Détails de la réservation de Léa, {slot.activity.name} {slot.label}, {DAY}"
    page.get_by_role("link", name=name).click()
    page.get_by_role("heading", name="Réservation de Léa", level=1).wait_for()
    checked(page)
    page.get_by_role("button", name="Annuler sans frais").click()
    page.locator(".messages").get_by_text("Annulé sans frais.").wait_for()
    checked(page)


def the_offer_arrives(smtp_server, guardian_b):
    (mail,) = mails_to(smtp_server, guardian_b.user.email)
    assert mail["Subject"].strip() == f"Une place s'est libérée – Hugo, {DAY}"
    body = body_of(mail).replace("\r\n", "\n")
    assert "Elle vous est réservée jusqu'au mardi 1er décembre 2026 à 9h0" in body
    (link,) = re.findall(r"^(http://\S+/portail/liste-attente/offre/[\w-]+/)$", body, re.M)
    return link


def accepts_from_the_link(page, link, hugo, slot, email):
    page.goto(link)  # a fresh browser: the portal asks who is there first
    expect(page).to_have_url(re.compile(r"/compte/connexion/\?next="))
    checked(page)
    fill_login(page, email, re.escape(link) + "$")
    page.get_by_role("heading", name="Place proposée pour Hugo", level=1).wait_for()
    checked(page)
    page.get_by_role("button", name=re.compile(r"^Accepter la place")).click()
    page.wait_for_url(re.compile(r"/portail/reservations/\d+/$"))
    expect(page.locator(".messages")).to_contain_text(
        f"Place acceptée : Hugo est inscrit(e) le {DAY} (Périscolaire soir 16h30-17h30)."
    )
    checked(page)

    page.goto(page.base_url + DECEMBER)
    expect(state(page, hugo, slot)).to_have_text(f"Réservé {FREE_UNTIL}")
    expect(page.locator(f"#c-{key(hugo, slot)}")).to_be_checked()
    checked(page)
    page.get_by_role("link", name="Liste d'attente").first.click()
    page.get_by_role("heading", name="Liste d'attente", level=1).wait_for()
    expect(page.get_by_role("heading", name="En cours (0)")).to_be_visible()
    done = page.locator("section[aria-labelledby=recents] li")
    expect(done).to_contain_text("Place obtenue")
    expect(done.get_by_role("link", name=re.compile("^Voir la réservation"))).to_be_visible()
    checked(page)


def test_waitlist_journey_the_freed_last_place_goes_to_the_family_waiting(
    open_page, last_place, child_a, guardian_a, child_b, guardian_b, smtp_server
):
    slot, lea, hugo = last_place, child_a, child_b
    with time_machine.travel(at(MONDAY, 9), tick=True):
        claire = open_page(PHONE)
        log_in(claire, guardian_a.user.email)
        books_the_last_place(claire, lea, slot)

        paul = open_page(PHONE)
        log_in(paul, guardian_b.user.email)
        joins_the_waiting_list(paul, hugo, slot)

        cancels(claire, lea, slot)
        entry = WaitlistEntry.objects.get()
        assert entry.status == WaitlistEntry.OFFERED
        paul.goto(paul.base_url + DECEMBER)  # his calendar shows the place offered
        expect(state(paul, hugo, slot)).to_have_text(
            re.compile(r"^Place proposée jusqu'au mardi 01/12 à 9h0\d$")
        )
        paul.context.close()

        link = the_offer_arrives(smtp_server, guardian_b)
        assert link == f"{claire.base_url}/portail/liste-attente/offre/{entry.token}/"
        elsewhere = open_page(PHONE)
        accepts_from_the_link(elsewhere, link, hugo, slot, guardian_b.user.email)

    lea_booking = Booking.objects.get(child=lea)
    assert lea_booking.status == Booking.CANCELLED
    (hugo_booking,) = Booking.objects.filter(child=hugo)
    assert (hugo_booking.status, hugo_booking.slot, hugo_booking.date) == (
        Booking.BOOKED,
        slot,
        THURSDAY,
    )
    entry.refresh_from_db()
    assert (entry.status, entry.booking) == (WaitlistEntry.BOOKED, hugo_booking)
    assert Booking.objects.filter(slot=slot, date=THURSDAY, status=Booking.BOOKED).count() == 1
    claire, paul = guardian_a.user.pk, guardian_b.user.pk
    trail = AuditEntry.objects.filter(action__regex=r"^(booking|waitlist)\.").order_by("pk")
    assert list(trail.values_list("action", "actor_id", "family_id")) == [
        ("booking.book", claire, lea.family_id),
        ("waitlist.join", paul, hugo.family_id),
        ("booking.cancel", claire, lea.family_id),
        ("waitlist.offer", None, hugo.family_id),  # given by the cancellation's transaction
        ("booking.book_from_waitlist", paul, hugo.family_id),
        ("waitlist.accept", paul, hugo.family_id),
    ]
    assert len(mails_to(smtp_server, guardian_b.user.email)) == 1
    assert not mails_to(smtp_server, guardian_a.user.email, timeout=0)
