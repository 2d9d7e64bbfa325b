"""Issue 4's journey in Chromium, on a tablet-sized screen: the manager creates a kiosk in the
back-office and reads its pairing code; the tablet pairs; a guardian identifies with the family
PIN and checks Léa in at the morning arrival. In the evening the network is cut: the guardian
identifies again (from the tablet's cache) and checks both children out; minutes later the
network returns, the queue is sent, and the back-office register shows the departures at their
original times. The server's clock moves with time-machine, the tablet's with Playwright's.

Then the tablet's other paths: a family seen online on Monday checks in offline on Tuesday, a
tablet set to UTC still works in Paris time, a clock off by minutes is shown to the staff, a
batch the server refuses as a whole is split down to its bad event."""

import datetime
import json
import re
import uuid

import pytest
import time_machine
from playwright.sync_api import expect

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.checkin import devices
from marmots.checkin.models import CheckinEvent
from marmots.checkin.tests.conftest import book
from tests import factories as f
from tests.browser.conftest import assert_accessible
from tests.house import MONDAY, PARIS, at, enroll

PIN = "428615"
TABLET = {"width": 1024, "height": 768}
TUESDAY = MONDAY + datetime.timedelta(days=1)


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


def new_context(browser, live_server, timezone_id="Europe/Paris"):
    context = browser.new_context(
        locale="fr-FR", timezone_id=timezone_id, viewport=TABLET, service_workers="allow"
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
    tablet.get_by_text("Arrivée : 7h40").wait_for()
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
    assert tablet.get_by_text("Arrivée : 7h40").is_visible()
    assert_accessible(tablet)
    button(tablet, "Départ", "Léa", "Périscolaire soir").click()
    button(tablet, "Départ", "Tom", "Périscolaire soir").click()
    assert tablet.get_by_text("Départ : 17h02").count() == 2
    assert tablet.get_by_text("Bonne soirée !").is_visible()
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


def paired_by_link(page, house, manager):
    """Pairs the tablet through the link of a new kiosk, at 7:39 on MONDAY, then pauses its
    clock at 7:40 (from then on, the tablet's time moves on request); returns the kiosk."""
    kiosk, code = devices.create_kiosk(manager, house.structure, "Entrée")
    page.clock.install(time=at(MONDAY, 7, 39))
    page.goto(page.base_url + f"/kiosque/?code={code}")
    expect(page.get_by_label("Code d'appairage")).to_have_value(code)
    page.get_by_role("button", name="Appairer").click()
    page.get_by_role("heading", name="Bonjour ! Tapez votre code famille").wait_for()
    page.clock.pause_at(at(MONDAY, 7, 40))
    return kiosk


@pytest.fixture
def tablet(browser, live_server, house, manager, siblings):
    """A tablet paired at 7:40 on MONDAY (server and tablet clocks), with the server's clock
    travelling; yields (tablet, kiosk, traveller)."""
    page = new_context(browser, live_server)
    with time_machine.travel(at(MONDAY, 7, 40), tick=True) as traveller:
        kiosk = paired_by_link(page, house, manager)
        yield page, kiosk, traveller
    page.context.close()


def test_offline_unknown_family_then_the_pad_locks(tablet):
    page, _, _ = tablet
    page.context.set_offline(True)
    for _ in range(4):
        type_digits(page, "975310")
        expect(page.locator("#erreur-accueil")).to_have_text(
            "Hors ligne : cette famille n'a pas encore été vue sur cette tablette. "
            "Signalez-vous à l'équipe."
        )
    type_digits(page, PIN)  # the right PIN, but never seen online on this tablet
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
    page.get_by_text("Arrivée : 7h40").wait_for()
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
        "Pointage refusé pour Léa : l'heure de la tablette est dans le futur : "
        "vérifiez son horloge."
    )
    assert page.get_by_text("Arrivée :").count() == 0  # the optimistic mark withdrawn
    expect(page.locator("#file")).to_have_text("Aucun pointage en attente")
    page.get_by_text("Équipe", exact=True).click()
    expect(page.locator("#refus-nombre")).to_have_text("1 pointage refusé.")
    assert page.locator("#refuses li").all_inner_texts() == [
        "Léa – Périscolaire matin – Arrivée du 30/11 7h40 : "
        "l'heure de la tablette est dans le futur : vérifiez son horloge."
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


def test_a_family_seen_on_monday_checks_in_offline_on_tuesday(tablet, house, manager, siblings):
    page, _, traveller = tablet
    lea, _ = siblings
    book(manager, lea, house.morning.slots.all(), TUESDAY)
    type_pin(page, PIN)  # online on Monday: the tablet keeps the family's next days
    page.get_by_role("button", name="Terminer").click()

    # Tuesday 7:35, the Wi-Fi is down: the first check-in of the day works from the cache.
    page.context.set_offline(True)
    traveller.move_to(at(TUESDAY, 7, 35))
    page.clock.set_system_time(at(TUESDAY, 7, 35))
    type_pin(page, PIN)
    assert page.locator("#famille-source").is_visible()
    morning = page.locator(".session", has_text="Périscolaire matin")
    expect(morning.locator(".slots")).to_have_text("7h00-8h30")  # Tuesday's booking
    assert page.get_by_text("Arrivée : 7h40").count() == 0  # Monday's arrival is Monday's
    button(page, "Arrivée", "Léa", "Périscolaire matin").click()
    page.get_by_text("Arrivée : 7h35").wait_for()
    page.get_by_text("Bonne journée !").wait_for()
    expect(page.locator("#file")).to_have_text("1 pointage en attente d'envoi")
    assert not CheckinEvent.objects.exists()

    traveller.move_to(at(TUESDAY, 7, 50))
    page.context.set_offline(False)
    expect(page.locator("#file")).to_have_text("Aucun pointage en attente")
    event = CheckinEvent.objects.get()
    assert (event.child, event.activity, event.date, event.kind) == (
        lea,
        house.morning,
        TUESDAY,
        "arrival",
    )
    assert event.at == at(TUESDAY, 7, 35)
    assert event.received_at >= at(TUESDAY, 7, 50)


def test_a_tablet_set_to_utc_works_in_paris_time(browser, live_server, house, manager, siblings):
    lea, _ = siblings
    page = new_context(browser, live_server, timezone_id="UTC")
    with time_machine.travel(at(MONDAY, 7, 40), tick=True) as traveller:
        paired_by_link(page, house, manager)
        assert page.evaluate("new Date().getHours()") == 6  # 6:40 in UTC
        expect(page.locator("#horloge")).to_have_text("7h40")
        type_pin(page, PIN)
        assert button(page, "Départ", "Léa", "Périscolaire soir").count() == 0
        button(page, "Arrivée", "Léa", "Périscolaire matin").click()
        page.get_by_text("Arrivée : 7h40").wait_for()
        expect(page.locator("#file")).to_have_text("Aucun pointage en attente")
        event = CheckinEvent.objects.get()
        assert (event.date, event.activity, event.at) == (MONDAY, house.morning, at(MONDAY, 7, 40))

        # 16:40 in Paris, 15:40 in UTC: the evening departure is open.
        traveller.move_to(at(MONDAY, 16, 40))
        page.clock.set_system_time(at(MONDAY, 16, 40))
        page.get_by_role("button", name="Terminer").click()
        type_pin(page, PIN)
        button(page, "Départ", "Léa", "Périscolaire soir").click()
        page.get_by_text("Départ : 16h40").wait_for()
        page.get_by_text("Bonne soirée !").wait_for()
        expect(page.locator("#file")).to_have_text("Aucun pointage en attente")
    departure = CheckinEvent.objects.get(kind="departure")
    assert (departure.date, departure.at) == (MONDAY, at(MONDAY, 16, 40))
    page.context.close()


def test_a_tablet_clock_off_by_minutes_is_shown(tablet):
    page, _, traveller = tablet
    warning = "L'horloge de la tablette a 10 minutes d'écart : réglez-la"
    traveller.move_to(at(MONDAY, 7, 30))  # the tablet's clock is 10 minutes ahead
    page.reload()
    expect(page.locator("#ecart-horloge")).to_have_text(warning)
    page.get_by_text("Équipe", exact=True).click()
    expect(page.locator("#equipe-ecart")).to_have_text(warning)
    page.clock.resume()  # axe needs the timers
    assert_accessible(page)
    traveller.move_to(at(MONDAY, 7, 40))  # set right
    page.reload()
    expect(page.locator("#ecart-horloge")).to_be_hidden()


def queued(grant, child, activity, moment, **extra):
    """An arrival as the tablet keeps it in its queue."""
    return {
        "nonce": str(uuid.uuid4()),
        "grant": grant,
        "child_id": child.pk,
        "activity_id": activity.pk,
        "kind": "arrival",
        "device_time": moment.isoformat(),
        "date": f"{moment:%Y-%m-%d}",
        "time": f"{moment:%H:%M}",
        "family_id": child.family_id,
        "child_name": child.first_name,
        "activity": activity.name,
        **extra,
    }


def test_a_batch_refused_as_a_whole_is_split_down_to_its_bad_event(tablet, house, siblings):
    page, kiosk, _ = tablet
    lea, _ = siblings
    thursday, friday = MONDAY - datetime.timedelta(days=4), MONDAY - datetime.timedelta(days=3)
    grant = devices.grant_for(kiosk, lea.family, thursday)
    bad = queued(grant, lea, house.morning, at(MONDAY, 7, 35), child_id="x")
    queue = [
        queued(grant, lea, house.morning, at(thursday, 7, 35)),
        queued(grant, lea, house.morning, at(friday, 7, 35)),
        bad,
        queued(grant, lea, house.morning, at(MONDAY, 7, 35)),
    ]
    older = [{**bad, "detail": f"Refus {n}."} for n in range(24)]  # refused earlier
    page.evaluate(
        "([queue, refused]) => {"
        " localStorage.setItem('marmots.kiosk.queue', JSON.stringify(queue));"
        " localStorage.setItem('marmots.kiosk.refused', JSON.stringify(refused)); }",
        [queue, older],
    )
    sizes = []

    def too_large_over_two(route):
        events = route.request.post_data_json["events"]
        sizes.append(len(events))
        if len(events) > 2:
            body = json.dumps({"detail": "Envoi trop volumineux.", "code": "trop_volumineux"})
            route.fulfill(status=413, content_type="application/json", body=body)
        else:
            route.continue_()

    page.route("**/api/v1/kiosk/events", too_large_over_two)
    page.reload()  # the tablet restarts and sends its queue
    expect(page.locator("#file")).to_have_text("Aucun pointage en attente")
    page.get_by_text("Équipe", exact=True).click()

    assert sizes == [4, 2, 2, 1, 1]
    days = sorted(CheckinEvent.objects.values_list("date", flat=True))
    assert days == [thursday, friday, MONDAY]
    # Every refused event is kept; the panel shows how many, and the 20 latest.
    expect(page.locator("#refus-nombre")).to_have_text(
        "25 pointages refusés : voici les 20 plus récents."
    )
    items = page.locator("#refuses li")
    expect(items).to_have_count(20)
    assert items.first.inner_text().startswith(
        "Léa – Périscolaire matin – Arrivée du 30/11 7h35 : données invalides."
    )
    assert items.last.inner_text().endswith(" : refus 18.")
    assert len(page.evaluate("JSON.parse(localStorage.getItem('marmots.kiosk.refused'))")) == 25
