"""Issue 5's journey in Chromium: on Wednesday 2 December 2026 the manager invoices November.
The run goes to the background worker as in production (the database task backend): the page
shows it waiting, then the draft once the worker has computed it; the manager marks its
anomaly (Léa stayed one evening without a booking) as seen and issues the invoices; the
worker e-mails the PDF. Then Léa's guardian, on a phone, opens "Mon compte", the invoice with
its explained lines, and downloads its PDF, read back with pypdf. axe checks every page.

Every amount is computed by hand from the demo prices (shared demo settings): family A's
quotient is 540, bracket 0-650, so périscolaire costs 0,60 € the half-hour, the snack 0,50 €,
attendance without a booking 1,00 € more, and the membership 20,00 € per child and year.
"""

import datetime
import re

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import expect

from marmots.billing.models import Invoice, InvoicingRun
from marmots.billing.tests.month import book, event, kiosk_of, mark, pdf_text, slot
from marmots.checkin.models import CheckinEvent
from tests import factories as f
from tests.browser.conftest import assert_accessible
from tests.house import at, enroll

DECEMBER_2 = datetime.date(2026, 12, 2)
MON_2, TUE_3, THU_5 = (datetime.date(2026, 11, d) for d in (2, 3, 5))
REFERENCE = "FA-2026-00001"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Monday 2 November, evening: booked 16:30-17:30, left at 18:10 (counts until 18:30).
EVENING_EXPLAINED = (
    "Réservé 16h30-17h30, présent 16h30-18h10 : 16h30-18h30 facturé, "
    "4 demi-heures x 0,60 € (QF 540, tranche 0-650) = 2,40 €"
)
# Thursday 5 November, evening: not booked, left at 17:20 (counts until 17:30).
UNBOOKED_EXPLAINED = (
    "Présent sans réservation 16h30-17h20 : 16h30-17h30 facturé, "
    "2 demi-heures x 0,60 € (QF 540, tranche 0-650) = 1,20 €"
)
# In the order of the invoice: membership; Monday 2 morning 7:30-8:30 (2 half-hours), evening
# 16:30-18:30 (4) and its snack; Tuesday 3 morning 7:00-8:30 (3); Thursday 5 evening
# 16:30-17:30 (2), its snack and the supplement for attendance without a booking.
AMOUNTS = ["20,00 €", "1,20 €", "2,40 €", "0,50 €", "1,80 €", "1,20 €", "0,50 €", "1,00 €"]
TOTAL = "28,60 €"  # 20,00 + 1,20 + 2,40 + 0,50 + 1,80 + 1,20 + 0,50 + 1,00


@pytest.fixture
def november(house, tariffs, child_a, guardian_a):
    """Léa's November: booked mornings and an evening, checked in and out on the kiosk and
    marked present by the team, and one evening without a booking."""
    enroll(house, child_a, house.morning, house.evening)
    kiosk = kiosk_of(house.structure)
    morning, evening = house.morning, house.evening
    for day, starts, arrival in [
        (MON_2, [(7, 30), (8,)], (7, 40)),
        (TUE_3, [(7,), (7, 30), (8,)], (7, 5)),
    ]:
        for start in starts:
            book(child_a, slot(morning, *start), day)
        event(child_a, morning, day, CheckinEvent.ARRIVAL, *arrival, kiosk=kiosk)
        mark(child_a, morning, day)
    book(child_a, house.snack_slot, MON_2)
    for day, departure in [(MON_2, (18, 10)), (THU_5, (17, 20))]:
        event(child_a, evening, day, CheckinEvent.DEPARTURE, *departure, kiosk=kiosk)
        mark(child_a, evening, day)
    return child_a


@pytest.fixture
def worker(settings):
    """Tasks wait in the database for the worker, as in production; `worker()` runs them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    def run():
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    return run


def new_page(browser, live_server, viewport):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    return page


def log_in(page, email, landing):
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(f.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(landing))


def flat(text):
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def start_november(page, worker):
    """The run waits for the worker; the page shows it, then reloads itself with the draft.
    The page's clock is paused while the worker runs, so no poll reaches the server then."""
    page.clock.install(time=at(DECEMBER_2, 9))
    page.goto(page.base_url + "/gestion/facturation/")
    expect(page.get_by_label("Mois à facturer")).to_have_value("2026-11")
    assert_accessible(page)
    page.get_by_role("button", name="Lancer le calcul").click()
    page.get_by_role("heading", name="Facturation de novembre 2026").wait_for()
    page.locator(".messages").get_by_text("Facturation de novembre 2026 lancée.").wait_for()
    status = page.locator("#etat-facturation")
    expect(status).to_contain_text("État : En attente")
    expect(page.get_by_role("progressbar", name="Avancement du calcul")).to_be_visible()
    assert InvoicingRun.objects.get().status == InvoicingRun.QUEUED
    assert_accessible(page)

    with page.expect_response(re.compile(r"/etat/$")):
        page.clock.pause_at(at(DECEMBER_2, 9, 30))  # fires the poll due, then nothing
    worker()
    assert InvoicingRun.objects.get().status == InvoicingRun.DRAFTED
    page.clock.resume()
    expect(status).to_contain_text("État : Brouillon à vérifier")
    expect(page.get_by_role("progressbar")).to_have_count(0)


def review_and_issue(page):
    anomalies = page.locator("section[aria-labelledby=anomalies]")
    expect(anomalies.get_by_role("heading", level=3)).to_have_text(
        ["Présence sans réservation (1)"]
    )
    expect(anomalies.locator("li.anomaly")).to_contain_text(
        "Léa, Périscolaire soir, jeudi 05/11/2026 : "
        "présence sans réservation (facturée avec le supplément)"
    )
    issue = page.get_by_role("button", name="Émettre les factures")
    expect(issue).to_be_disabled()
    expect(page.locator("#emission-raison")).to_contain_text("1 anomalie à vérifier")
    drafts = page.locator("section[aria-labelledby=factures]")
    expect(drafts.get_by_role("heading")).to_have_text("Factures en brouillon (1)")
    row = ["Martin", "Brouillon de Martin", str(len(AMOUNTS)), TOTAL]
    expect(drafts.locator("tbody td")).to_have_text(row)
    assert_accessible(page)

    anomalies.get_by_role("button", name=re.compile(r"^Vu : Martin")).click()
    expect(anomalies.locator(".badge.ok")).to_have_text("Vu")
    expect(issue).to_be_enabled()
    expect(page.locator("#emission-raison")).to_have_count(0)
    assert_accessible(page)

    issue.click()
    page.locator(".messages").get_by_text("Factures émises : les familles les reçoivent").wait_for()
    expect(page.locator("#etat-facturation")).to_contain_text("État : Émise")
    issued = page.locator("section[aria-labelledby=factures]")
    expect(issued.get_by_role("heading")).to_have_text("Factures émises (1)")
    expect(issued.get_by_role("link", name=REFERENCE)).to_be_visible()
    expect(issued.locator("tbody td.num")).to_have_text(TOTAL)
    assert_accessible(page)


def sees_the_account(page):
    page.get_by_role("link", name="Mon compte").first.click()
    page.get_by_role("heading", name="Mon compte", level=1).wait_for()
    expect(page.locator(".balance")).to_have_text(f"Solde à régler : {TOTAL}")
    card = page.locator("li.card", has=page.get_by_role("heading", name=f"Facture {REFERENCE}"))
    expect(card.locator("dd").nth(1)).to_have_text(TOTAL)  # Montant
    expect(card.locator("dd").nth(4)).to_have_text("01/01/2027")  # due 30 days after issue
    assert_accessible(page)
    assert fits_the_screen(page)
    card.get_by_role("link", name=f"Voir le détail de la facture {REFERENCE}").click()


def sees_the_explained_lines(page):
    page.get_by_role("heading", name=f"Facture {REFERENCE}", level=1).wait_for()
    summary = page.locator("section[aria-labelledby=resume] dl")
    expect(summary).to_contain_text("Quotient familial540")
    expect(summary).to_contain_text(f"Total de la facture{TOTAL}")
    lines = page.locator("section[aria-labelledby=lignes] ul.lines > li")
    expect(lines).to_have_count(len(AMOUNTS))
    amounts = [
        flat(x).rsplit(" : ", 1)[1] for x in lines.locator("p:first-child").all_inner_texts()
    ]
    assert amounts == AMOUNTS
    explained = [flat(x) for x in lines.locator("p.hint").all_inner_texts()]
    assert EVENING_EXPLAINED in explained
    assert UNBOOKED_EXPLAINED in explained
    assert_accessible(page)
    assert fits_the_screen(page)


def downloads_the_pdf(page):
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    download = info.value
    assert download.suggested_filename == f"facture-{REFERENCE}.pdf"
    with open(download.path(), "rb") as pdf:
        text = flat(pdf_text(pdf.read()))
    assert f"Facture n° {REFERENCE}" in text
    assert f"Total de la facture {TOTAL}" in text
    assert EVENING_EXPLAINED in text


def fits_the_screen(page):
    """Nothing wider than the phone: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_billing_journey_the_manager_issues_november_the_family_reads_it(
    browser, live_server, november, manager, guardian_a, worker, smtp_server
):
    with time_machine.travel(at(DECEMBER_2, 9), tick=True):
        office = new_page(browser, live_server, DESKTOP)
        log_in(office, manager.email, r"/gestion/")
        start_november(office, worker)
        review_and_issue(office)
        office.context.close()
        assert Invoice.objects.get().reference == REFERENCE

        worker()  # the e-mails queued by the issue
        (message,) = smtp_server
        assert message["To"] == guardian_a.user.email
        (attachment,) = message.iter_attachments()
        assert attachment.get_filename() == f"facture-{REFERENCE}.pdf"

        phone = new_page(browser, live_server, PHONE)
        log_in(phone, guardian_a.user.email, r"/portail/$")
        sees_the_account(phone)
        sees_the_explained_lines(phone)
        downloads_the_pdf(phone)
        phone.context.close()
