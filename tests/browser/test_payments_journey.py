"""Issue 6's journey in Chromium: "the guardian pays two invoices with the demo provider, comes
back, sees the receipt and the balance at zero; the manager records a cheque for a third."

The reading chosen: all three invoices are family A's, and the third is issued after the card
payment (a balance can only be at zero after paying two invoices if no third one is owed yet).
On Wednesday 2 December 2026 the Martins owe October (24,60 €) and November (31,20 €); Claire,
on her phone, pays both by card at the simulated bank the demo serves (same tab, no pop-up),
comes back to the receipt (page and PDF) and reads "Vous êtes à jour". On 4 January 2027
December's invoice (18,40 €) is issued; on 8 January the manager, at her desk, records the
cheque the family brought for it, and the family is at zero again. A second journey refuses
the payment at the bank: nothing is credited.

axe checks every page visited (no serious or critical violation).
"""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from marmots.billing.balances import balance
from marmots.billing.models import Allocation, Payment
from marmots.billing.tests.factories import invoice
from marmots.billing.tests.month import pdf_text
from marmots.payments.models import Notification, OnlinePayment, ProviderSettings
from tests.browser.conftest import assert_accessible
from tests.browser.test_billing_journey import fits_the_screen, flat, log_in, new_page
from tests.house import at

DECEMBER_2 = datetime.date(2026, 12, 2)
JANUARY_4, JANUARY_8 = datetime.date(2027, 1, 4), datetime.date(2027, 1, 8)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
EMAIL = "claire.martin@example.org"
OCTOBER, NOVEMBER, DECEMBER = "24,60 €", "31,20 €", "18,40 €"
TOTAL = "55,80 €"  # 24,60 + 31,20
CHEQUE = "Chèque n° 0004512, Crédit Agricole des Savoie"


@pytest.fixture
def on_december_2():
    with time_machine.travel(at(DECEMBER_2, 10), tick=True):
        yield


@pytest.fixture
def open_page(browser, live_server):
    """`open_page(viewport)`: a new browser context (its own session), closed at the end even
    when the journey fails half-way."""
    contexts = []

    def open_one(viewport):
        page = new_page(browser, live_server, viewport)
        contexts.append(page.context)
        return page

    yield open_one
    for context in contexts:
        context.close()


@pytest.fixture
def demo_bank(settings, live_server, structure):
    """The structure takes card payments at the simulated bank, which sends the family back
    to the live server."""
    settings.MARMOTS_DEMO_BANK = True
    settings.SITE_URL = live_server.url
    return ProviderSettings.objects.create(structure=structure, kind=ProviderSettings.DUMMY)


@pytest.fixture
def owed(on_december_2, structure, family_a):
    """October and November, issued to the Martins at the start of each following month."""
    october = invoice(
        family_a,
        structure,
        [("Périscolaire d'octobre", "24.60")],
        month=datetime.date(2026, 10, 1),
        due=datetime.date(2026, 12, 2),
    )
    november = invoice(
        family_a,
        structure,
        [("Périscolaire de novembre", "31.20")],
        month=datetime.date(2026, 11, 1),
        due=datetime.date(2026, 12, 31),
    )
    return october, november


def opens_the_account(page, balance_words):
    page.get_by_role("link", name="Mon compte").first.click()
    page.get_by_role("heading", name="Mon compte", level=1).wait_for()
    expect(page.locator(".balance")).to_have_text(balance_words)
    assert_accessible(page)
    assert fits_the_screen(page)


def chooses_both(page, october, november):
    page.get_by_role("link", name="Payer mes factures").click()
    page.get_by_role("heading", name="Payer mes factures", level=1).wait_for()
    for each, amount, words in [
        (october, OCTOBER, "octobre 2026, échéance le 02/12/2026"),
        (november, NOVEMBER, "novembre 2026, échéance le 31/12/2026"),
    ]:
        box = page.get_by_role("checkbox", name=f"Facture {each.reference} ({words})")
        box.check()
        expect(box).to_be_checked()
        typed = page.get_by_label(f"Montant à payer pour la facture {each.reference}")
        expect(typed).to_have_value(amount.removesuffix(" €"))
    assert_accessible(page)
    assert fits_the_screen(page)
    page.get_by_role("button", name="Continuer").click()


def checks_the_recap(page, october, november):
    page.get_by_role("heading", name="Récapitulatif du paiement", level=1).wait_for()
    debt = page.locator("section[aria-labelledby=dette]")
    expect(debt.locator("tbody th")).to_have_text(
        [f"Facture {october.reference}", f"Facture {november.reference}"]
    )
    expect(debt.locator("tbody td")).to_have_text([OCTOBER, OCTOBER, NOVEMBER, NOVEMBER])
    expect(debt.locator(".balance")).to_have_text(f"Montant total : {TOTAL}")
    expect(page.get_by_label("E-mail pour le ticket de paiement")).to_have_value(EMAIL)
    assert_accessible(page)
    assert fits_the_screen(page)
    page.get_by_role("button", name="Payer par carte").click()


def at_the_bank(page, decision):
    """The simulated bank, in the same tab; the family accepts or refuses. Returns the
    attempt's reference."""
    page.get_by_role("heading", name="Paiement par carte (démonstration)").wait_for()
    assert len(page.context.pages) == 1  # no pop-up, no new tab
    attempt = OnlinePayment.objects.get(status=OnlinePayment.PENDING)
    facts = page.locator("section[aria-labelledby=commande] dd")
    expect(facts).to_have_text([TOTAL, "Les Petits Montagnards", EMAIL, attempt.reference])
    assert_accessible(page)
    assert fits_the_screen(page)
    page.get_by_role("button", name=decision).click()
    page.wait_for_url(re.compile(rf"/portail/paiement/retour/{attempt.reference}/$"))
    assert len(page.context.pages) == 1
    return attempt.reference


def sees_the_receipt(page, payment, october, november):
    result = page.locator("#resultat-paiement")
    expect(result.get_by_role("heading", level=2).first).to_have_text("Paiement reçu, merci !")
    expect(result).to_contain_text(f"Les Petits Montagnards a reçu {TOTAL} par carte.")
    expect(result.locator("ul > li")).to_have_text(
        [f"Facture {october.reference} : {OCTOBER}", f"Facture {november.reference} : {NOVEMBER}"]
    )
    assert_accessible(page)
    assert fits_the_screen(page)

    page.get_by_role("link", name=f"Voir le reçu {payment.receipt_number}").click()
    page.get_by_role("heading", name=f"Reçu {payment.receipt_number}", level=1).wait_for()
    facts = page.locator("section[aria-labelledby=recu] dd")
    expect(facts.nth(0)).to_have_text("02/12/2026")
    expect(facts.nth(3)).to_have_text(TOTAL)
    expect(page.locator("section[aria-labelledby=factures] li")).to_have_text(
        [f"Facture {october.reference} : {OCTOBER}", f"Facture {november.reference} : {NOVEMBER}"]
    )
    assert_accessible(page)
    assert fits_the_screen(page)


def downloads_the_receipt(page, payment, october, november):
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger le reçu (PDF)").click()
    download = info.value
    assert download.suggested_filename == f"recu-{payment.receipt_number}.pdf"
    with open(download.path(), "rb") as pdf:
        text = flat(pdf_text(pdf.read()))
    assert f"Reçu n° {payment.receipt_number}" in text
    assert f"Montant reçu {TOTAL}" in text
    assert f"{october.reference} du 01/10/2026 au 31/10/2026 {OCTOBER}" in text
    assert f"{november.reference} du 01/11/2026 au 30/11/2026 {NOVEMBER}" in text


def the_card_payment_is_credited_once(family_a, structure, october, november):
    attempt = OnlinePayment.objects.get()
    assert attempt.status == OnlinePayment.PAID and attempt.email == EMAIL
    payment = Payment.objects.get()
    assert attempt.payment == payment
    assert (payment.method, payment.status) == (Payment.CARD, Payment.SUCCEEDED)
    assert payment.amount == Decimal("55.80") and payment.receipt_number.startswith("RE-2026-")
    assert sorted(payment.allocations.values_list("invoice_id", "amount")) == sorted(
        [(october.pk, Decimal("24.60")), (november.pk, Decimal("31.20"))]
    )
    assert Notification.objects.filter(outcome=Notification.CREDITED).count() == 1
    assert balance(family_a, structure) == Decimal("0.00")
    return payment


def records_the_cheque(page, family, december):
    page.goto(page.base_url + f"/gestion/facturation/familles/{family.pk}/")
    page.get_by_role("heading", name="Facturation – famille Martin", level=1).wait_for()
    assert_accessible(page)
    form = page.locator("form", has=page.get_by_role("button", name="Enregistrer le règlement"))
    form.get_by_label("Moyen de paiement").select_option(label="Chèque")
    form.get_by_label("Montant (€)").fill("18,40")
    allocated = form.get_by_label(f"Montant affecté à la facture {december.reference}")
    expect(allocated).to_have_value(re.compile(r"^18[,.]40$"))  # prefilled as it is typed
    expect(form.get_by_label("Reçu le")).to_have_value("2027-01-08")
    form.get_by_label(re.compile(r"^Référence \(n° et banque du chèque")).fill(CHEQUE)
    expect(allocated).to_have_value(re.compile(r"^18[,.]40$"))
    form.get_by_role("button", name="Enregistrer le règlement").click()


def sees_the_invoice_paid(page, cheque, december):
    expect(page.locator(".messages")).to_contain_text(
        f"Règlement de {DECEMBER} enregistré. Reçu n° {cheque.receipt_number}."
    )
    row = page.locator("section[aria-labelledby=factures] tbody tr", has_text=december.reference)
    expect(row.locator("td.num").nth(3)).to_have_text("0,00 €")  # Reste dû
    expect(row.locator(".badge")).to_have_text("Payée")
    payments = page.locator("section[aria-labelledby=reglements] tbody tr")
    expect(payments.filter(has_text=CHEQUE)).to_contain_text(cheque.receipt_number)
    expect(page.locator(".card dl.facts dd").first).to_have_text("0,00 € à jour")
    assert_accessible(page)


def test_payments_journey_the_family_pays_two_invoices_the_manager_a_cheque_for_a_third(
    open_page, demo_bank, owed, structure, family_a, guardian_a, manager
):
    october, november = owed
    phone = open_page(PHONE)
    phone.goto(phone.base_url + "/compte/connexion/")
    assert_accessible(phone)
    log_in(phone, EMAIL, r"/portail/$")
    opens_the_account(phone, f"Solde à régler : {TOTAL}")
    chooses_both(phone, october, november)
    checks_the_recap(phone, october, november)
    at_the_bank(phone, "Accepter le paiement")
    payment = the_card_payment_is_credited_once(family_a, structure, october, november)
    sees_the_receipt(phone, payment, october, november)
    downloads_the_receipt(phone, payment, october, november)
    opens_the_account(phone, "Vous êtes à jour")
    expect(phone.locator("section[aria-labelledby=reglements]")).to_contain_text(
        f"Reçu {payment.receipt_number}"
    )

    with time_machine.travel(at(JANUARY_4, 9), tick=True):
        december = invoice(
            family_a,
            structure,
            [("Périscolaire de décembre", "18.40")],
            month=datetime.date(2026, 12, 1),
        )
    assert balance(family_a, structure) == Decimal("18.40")

    with time_machine.travel(at(JANUARY_8, 14), tick=True):
        office = open_page(DESKTOP)
        log_in(office, manager.email, r"/gestion/")
        records_the_cheque(office, family_a, december)
        cheque = Payment.objects.get(method=Payment.CHEQUE)
        assert (cheque.status, cheque.amount) == (Payment.SUCCEEDED, Decimal("18.40"))
        assert cheque.reference == CHEQUE and cheque.receipt_number.startswith("RE-2027-")
        sees_the_invoice_paid(office, cheque, december)
        assert list(cheque.allocations.values_list("invoice_id", "amount")) == [
            (december.pk, Decimal("18.40"))
        ]
        assert balance(family_a, structure) == Decimal("0.00")

        phone = open_page(PHONE)  # a month later: a new session
        log_in(phone, EMAIL, r"/portail/$")
        opens_the_account(phone, "Vous êtes à jour")


def test_payments_journey_a_refusal_at_the_bank_credits_nothing(
    open_page, demo_bank, owed, structure, family_a, guardian_a
):
    october, november = owed
    phone = open_page(PHONE)
    log_in(phone, EMAIL, r"/portail/$")
    opens_the_account(phone, f"Solde à régler : {TOTAL}")
    chooses_both(phone, october, november)
    checks_the_recap(phone, october, november)
    reference = at_the_bank(phone, "Refuser le paiement")

    result = phone.locator("#resultat-paiement")
    expect(result.get_by_role("heading", level=2).first).to_have_text("Paiement refusé")
    expect(result).to_contain_text(f"Rien n'a été encaissé pour ce paiement de {TOTAL}")
    assert_accessible(phone)
    assert OnlinePayment.objects.get(reference=reference).status == OnlinePayment.REFUSED
    assert not Payment.objects.exists() and not Allocation.objects.exists()
    assert not Notification.objects.filter(outcome=Notification.CREDITED).exists()
    assert balance(family_a, structure) == Decimal("55.80")

    opens_the_account(phone, f"Solde à régler : {TOTAL}")
