"""Issue 4's journey in Chromium, on a tablet-sized screen: the manager creates a kiosk in the
back-office and reads its pairing code; the tablet pairs; a guardian identifies with the family
PIN and checks Léa in at the morning arrival. In the evening the network is cut: the guardian
identifies again (from the tablet's cache) and checks both children out; minutes later the
network returns, the queue is sent, and the back-office register shows the departures at their
original times. The server's clock moves with time-machine, the tablet's with Playwright's."""

import datetime
import re

import pytest
import time_machine
from playwright.sync_api import expect

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.checkin import devices
from marmots.checkin.models import CheckinEvent
from tests import factories as f
from tests.browser.conftest import assert_accessible
from tests.house import MONDAY, PARIS, at, enroll

PIN = "428615"
TABLET = {"width": 1024, "height": 768}


@pytest.fixture
def siblings(house, child_a, guardian_a):
    """Léa booked in the morning 7:30-8:30 and, with Tom, in the evening; the family PIN set."""
    tom = f.ChildFactory(family=child_a.family, first_name="Tom")
    enroll(house, child_a, house.morning, house.evening)
    enroll(house, tom, house.evening)
    morning = house.morning.slots.filter(start_time__gte=datetime.time(7, 30))
    changes = [Change(child_a, slot, MONDAY) for slot in morning]
    changes += [Change(child, house.snack_slot, MONDAY) for child in (child_a, tom)]
    outcomes = actions.book(guardian_a.user, changes, now=at(MONDAY - datetime.timedelta(7), 9))
    assert all(o.ok for o in outcomes)
    assert devices.set_pin(guardian_a.user, child_a.family, PIN) is None
    return child_a, tom


def new_context(browser, live_server):
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport=TABLET, service_workers="allow"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    page.blocked = []  # what the Content-Security-Policy refused
    page.on(
        "console", lambda m: "Content Security Policy" in m.text and page.blocked.append(m.text)
    )
    return page


def manager_creates_a_kiosk(page, manager):
    """Logs in through the login form, creates the kiosk, returns its pairing code."""
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(manager.email)
    page.get_by_label("Mot de passe").fill(f.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/gestion/"))
    page.goto(page.base_url + "/gestion/pointage/tablettes/")
    page.get_by_label("Nom de la tablette").fill("Entrée principale")
    page.get_by_role("button", name="Créer la tablette").click()
    code = page.locator(".pairing-code").first.inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code.strip()), code
    return code.strip()


def pair(tablet, code):
    tablet.goto(tablet.base_url + "/kiosque/")
    tablet.get_by_role("heading", name="Appairer cette tablette").wait_for()
    assert_accessible(tablet)
    tablet.get_by_label("Code d'appairage").fill(code.lower().replace("-", " "))
    tablet.get_by_role("button", name="Appairer").click()
    tablet.get_by_role("heading", name="Bonjour ! Tapez votre code famille").wait_for()
    assert_accessible(tablet)


def type_pin(tablet, pin):
    pad = tablet.get_by_role("group", name="Clavier du code famille")
    for digit in pin:
        pad.get_by_role("button", name=digit, exact=True).click()
    tablet.get_by_role("heading", name="Famille Martin").wait_for()


def button(tablet, kind, child, activity):
    return tablet.get_by_role("button", name=f"{kind} de {child} ({activity})")


def waiting(tablet):
    return tablet.locator("#file").inner_text()


def check_lea_in(tablet, lea, house):
    type_pin(tablet, PIN)
    assert_accessible(tablet)
    evening = tablet.locator(".session", has_text="Périscolaire soir")
    assert evening.nth(0).get_by_text("Rien à pointer maintenant").is_visible()
    assert button(tablet, "Départ", "Léa", "Périscolaire soir").count() == 0
    button(tablet, "Arrivée", "Léa", "Périscolaire matin").click()
    tablet.get_by_text("Arrivé(e) à 7h40").wait_for()
    tablet.get_by_text("Bonne journée !").wait_for()
    expect(tablet.locator("#file")).to_have_text("Aucun pointage en attente")
    event = CheckinEvent.objects.get(kind="arrival")
    assert (event.child, event.activity, event.date) == (lea, house.morning, MONDAY)
    assert event.at.astimezone(PARIS).strftime("%H:%M") == "07:40"
    # Four seconds after the tap, back to the start screen by itself.
    tablet.clock.fast_forward("00:04")
    tablet.get_by_role("heading", name="Bonjour ! Tapez votre code famille").wait_for()


def check_both_out_offline(tablet):
    tablet.context.set_offline(True)
    tablet.get_by_text("Hors ligne : les pointages sont gardés sur la tablette").wait_for()
    type_pin(tablet, PIN)
    assert tablet.get_by_text("Hors ligne : informations gardées sur la tablette.").is_visible()
    assert tablet.get_by_text("Arrivé(e) à 7h40").is_visible()
    assert_accessible(tablet)
    button(tablet, "Départ", "Léa", "Périscolaire soir").click()
    button(tablet, "Départ", "Tom", "Périscolaire soir").click()
    assert tablet.get_by_text("Parti(e) à 17h02").count() == 2
    assert waiting(tablet) == "2 pointages en attente d'envoi"


def register_shows_the_departures(office, house, siblings):
    """The back-office register of the evening: both departures at the tablet's time."""
    office.goto(
        office.base_url + f"/gestion/pointage/?date={MONDAY:%Y-%m-%d}&activite={house.evening.pk}"
    )
    for child in siblings:
        row = office.locator(f"#enfant-{child.pk}")
        departure = row.locator("dd").nth(1)
        expect(departure.locator(".event strong")).to_have_text("17h02")
        assert "(tablette)" in departure.inner_text()
    assert_accessible(office)


def test_kiosk_journey_pair_check_in_then_out_offline(
    browser, live_server, house, manager, siblings
):
    lea, tom = siblings
    office = new_context(browser, live_server)
    tablet = new_context(browser, live_server)
    with time_machine.travel(at(MONDAY, 7, 40), tick=True) as traveller:
        code = manager_creates_a_kiosk(office, manager)
        # The tablet's clock runs (axe needs its timers), from the server's time.
        tablet.clock.install(time=at(MONDAY, 7, 40))
        pair(tablet, code)
        check_lea_in(tablet, lea, house)

        traveller.move_to(at(MONDAY, 17, 2))
        tablet.clock.set_system_time(at(MONDAY, 17, 2))
        check_both_out_offline(tablet)
        tablet.clock.fast_forward("05:00")  # the tablet retries every 15 s, still offline
        assert waiting(tablet) == "2 pointages en attente d'envoi"
        assert not CheckinEvent.objects.filter(kind="departure").exists()

        traveller.move_to(at(MONDAY, 17, 8))
        tablet.context.set_offline(False)
        expect(tablet.locator("#file")).to_have_text("Aucun pointage en attente")
        expect(tablet.locator("#reseau")).to_have_text("En ligne")
        departures = CheckinEvent.objects.filter(kind="departure").order_by("child__first_name")
        assert [e.child.first_name for e in departures] == ["Léa", "Tom"]
        for event in departures:
            assert event.at.astimezone(PARIS).strftime("%H:%M") == "17:02"
            assert event.date == MONDAY and event.activity == house.evening
            assert event.received_at >= at(MONDAY, 17, 8)
        register_shows_the_departures(office, house, siblings)
    assert tablet.blocked == []
    office.context.close()
    tablet.context.close()


# The tablet's other paths, on a tablet paired through the pre-filled pairing link.


@pytest.fixture
def tablet(browser, live_server, house, manager, siblings):
    """A tablet paired at 7:40 on MONDAY (server and tablet clocks), with the server's clock
    travelling; yields (tablet, kiosk, traveller)."""
    page = new_context(browser, live_server)
    with time_machine.travel(at(MONDAY, 7, 40), tick=True) as traveller:
        kiosk, code = devices.create_kiosk(manager, house.structure, "Entrée")
        page.clock.install(time=at(MONDAY, 7, 39))
        page.goto(page.base_url + f"/kiosque/?code={code}")
        expect(page.get_by_label("Code d'appairage")).to_have_value(code)
        page.get_by_role("button", name="Appairer").click()
        page.get_by_role("heading", name="Bonjour ! Tapez votre code famille").wait_for()
        page.clock.pause_at(at(MONDAY, 7, 40))  # from now on, the tablet's time moves on request
        yield page, kiosk, traveller
    page.context.close()


def test_offline_unknown_family_then_the_pad_locks(tablet):
    page, _, _ = tablet
    page.context.set_offline(True)
    for _ in range(4):
        type_digits(page, "975310")
        expect(page.locator("#erreur-accueil")).to_have_text(
            "Hors ligne : cette famille n'a pas encore été vue aujourd'hui sur cette tablette. "
            "Signalez l'arrivée à l'équipe."
        )
    type_digits(page, PIN)  # the right PIN, but never seen online today
    expect(page.locator("#erreur-accueil")).to_have_text(
        "Trop d'essais : la saisie est bloquée jusqu'à 7h45."
    )
    assert page.get_by_role("button", name="1", exact=True).is_disabled()
    page.clock.fast_forward("05:01")
    expect(page.get_by_role("button", name="1", exact=True)).to_be_enabled()
    expect(page.locator("#erreur-accueil")).to_have_text("")


def type_digits(page, digits):
    for digit in digits:
        page.get_by_role("button", name=digit, exact=True).click()


def test_card_online_then_offline_and_idle_return(tablet, guardian_a, family_a):
    page, _, _ = tablet
    card = devices.card_content(devices.key_for(family_a))
    for offline in (False, True):
        page.context.set_offline(offline)
        page.get_by_role("button", name="J'ai ma carte").click()
        page.get_by_label("Présentez la carte au lecteur ou saisissez son code").fill(card)
        page.keyboard.press("Enter")  # what a scanner sends after the code
        page.get_by_role("heading", name="Famille Martin").wait_for()
        assert page.locator("#famille-source").is_visible() is offline
        page.clock.fast_forward("00:21")  # 20 s without a tap: back to the start
        page.get_by_role("heading", name="Bonjour ! Tapez votre code famille").wait_for()


def test_a_lost_answer_is_sent_again_and_counted_once(tablet):
    page, _, _ = tablet
    lost = []

    def lose_the_answer(route):
        route.fetch()  # the server records the event...
        lost.append(True)
        route.abort()  # ...but the tablet never hears back

    page.route("**/api/v1/kiosk/events", lose_the_answer)
    type_pin(page, PIN)
    button(page, "Arrivée", "Léa", "Périscolaire matin").click()
    page.get_by_text("Arrivé(e) à 7h40").wait_for()
    expect(page.locator("#reseau")).to_contain_text("Hors ligne")  # the answer was lost
    expect(page.locator("#file")).to_have_text("1 pointage en attente d'envoi")
    assert lost and CheckinEvent.objects.count() == 1
    page.unroute("**/api/v1/kiosk/events")
    page.get_by_text("Équipe", exact=True).click()
    page.get_by_role("button", name="Envoyer maintenant").click()
    expect(page.locator("#file")).to_have_text("Aucun pointage en attente")
    assert CheckinEvent.objects.count() == 1


def test_a_refused_event_goes_to_the_staff_panel(tablet):
    page, _, traveller = tablet
    traveller.move_to(at(MONDAY, 7, 30))  # the tablet's clock is 10 minutes ahead
    type_pin(page, PIN)
    button(page, "Arrivée", "Léa", "Périscolaire matin").click()
    expect(page.locator("#erreur-famille")).to_have_text(
        "Pointage refusé pour Léa : L'heure de la tablette est dans le futur : "
        "vérifiez son horloge."
    )
    assert page.get_by_text("Arrivé(e) à").count() == 0  # the optimistic mark withdrawn
    expect(page.locator("#file")).to_have_text("Aucun pointage en attente")
    page.get_by_text("Équipe", exact=True).click()
    assert page.locator("#refuses li").all_inner_texts() == [
        "Léa – Périscolaire matin – Arrivée du 30/11 7h40 : "
        "L'heure de la tablette est dans le futur : vérifiez son horloge."
    ]
    assert not CheckinEvent.objects.exists()


def test_a_revoked_tablet_returns_to_pairing_and_keeps_its_queue(tablet, manager):
    page, kiosk, _ = tablet
    type_pin(page, PIN)
    page.context.set_offline(True)
    button(page, "Arrivée", "Léa", "Périscolaire matin").click()
    expect(page.locator("#file")).to_have_text("1 pointage en attente d'envoi")
    devices.revoke(manager, kiosk)
    page.context.set_offline(False)
    page.get_by_role("heading", name="Appairer cette tablette").wait_for()
    expect(page.locator("#erreur-appairage")).to_have_text(
        "Tablette inconnue ou révoquée : appairez-la de nouveau."
    )
    expect(page.locator("#non-transmis")).to_have_text(
        "1 pointage non transmis : gardé sur la tablette."
    )
    queue = page.evaluate("JSON.parse(localStorage.getItem('marmots.kiosk.queue'))")
    assert [(e["child_name"], e["kind"]) for e in queue] == [("Léa", "arrival")]
    assert not CheckinEvent.objects.exists()


def test_the_service_worker_opens_the_page_offline(tablet):
    page, _, _ = tablet
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    assert page.evaluate("caches.match('/kiosque/').then((r) => !!r)")
    page.context.set_offline(True)
    page.reload()
    page.get_by_role("heading", name="Bonjour ! Tapez votre code famille").wait_for()
    expect(page.locator("#reseau")).to_contain_text("Hors ligne")
