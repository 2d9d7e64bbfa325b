"""The family's side: the result page (with htmx polling while pending), the receipts (page
and PDF) of any received payment, and another family's answering 404."""

import datetime
from decimal import Decimal

import pytest

from marmots.billing.models import Allocation, Payment
from marmots.billing.receipts import receipt_filename, receipt_pdf
from marmots.billing.tests.factories import payment
from marmots.billing.tests.month import pdf_text
from marmots.payments import demo_bank
from marmots.payments.models import Notification, OnlinePayment

from .conftest import BANK, query_of, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(client_a, structure, owed, dummy):
    """Family A paid November in full and 5,00 € of December by card."""
    november, december = owed
    asked = query_of(start(client_a, structure, {november: "22.90", december: "5"}).url)
    client_a.post(BANK, {**asked, "decision": "accept"})
    return OnlinePayment.objects.get()


@pytest.fixture
def cheque(structure, family_a, owed):
    november, _ = owed
    made = payment(
        structure=structure,
        family=family_a,
        method=Payment.CHEQUE,
        amount=Decimal("30.00"),
        received_on=datetime.date(2027, 1, 5),
        reference="Chèque 1234567",
    )
    Allocation.objects.create(payment=made, invoice=november, amount=Decimal("22.90"))
    return made


def test_the_receipt_page_and_pdf(client_a, card, owed):
    november, december = owed
    paid = card.payment
    page = client_a.get(f"/portail/paiement/recus/{paid.pk}/")
    assert page.status_code == 200
    assert paid.receipt_number in page.text and "27,90" in page.text
    assert november.reference in page.text and december.reference in page.text

    pdf = client_a.get(f"/portail/paiement/recus/{paid.pk}/pdf/")

    assert pdf["Content-Type"] == "application/pdf"
    assert f"recu-{paid.receipt_number}.pdf" in pdf["Content-Disposition"]
    text = pdf_text(pdf.content)
    assert f"Reçu n° {paid.receipt_number}" in text
    assert "Les Petits Montagnards" in text and "Claire Martin" in text
    assert "carte bancaire en ligne" in text and card.reference in text
    assert november.reference in text and "22,90" in text and "5,00" in text


def test_a_manual_payment_has_its_receipt_with_the_credit_left(client_a, cheque):
    page = client_a.get(f"/portail/paiement/recus/{cheque.pk}/")
    assert "Chèque 1234567" in page.text and "7,10" in page.text

    text = pdf_text(receipt_pdf(cheque))

    assert "chèque" in text and "Chèque 1234567" in text
    assert "Avoir restant en faveur de la famille" in text and "7,10" in text
    assert receipt_filename(cheque) == f"recu-{cheque.receipt_number}.pdf"


def test_another_family_gets_404(client, guardian_b, card, cheque):
    client.force_login(guardian_b.user)
    for url in [
        f"/portail/paiement/retour/{card.reference}/",
        f"/portail/paiement/recus/{card.payment.pk}/",
        f"/portail/paiement/recus/{card.payment.pk}/pdf/",
        f"/portail/paiement/recus/{cheque.pk}/",
        f"/portail/paiement/recus/{cheque.pk}/pdf/",
        "/portail/paiement/retour/PLINCONNU000/",
    ]:
        assert client.get(url).status_code == 404, url


def test_a_pending_payment_has_no_receipt(client_a, structure, family_a, owed):
    pending = Payment.objects.create(
        structure=structure,
        family=family_a,
        method=Payment.DEBIT,
        status=Payment.PENDING,
        amount=Decimal("10"),
        received_on=datetime.date(2027, 2, 10),
    )
    assert client_a.get(f"/portail/paiement/recus/{pending.pk}/").status_code == 404


def test_the_result_polls_while_the_bank_has_not_answered(client_a, structure, owed, dummy):
    november, _ = owed
    start(client_a, structure, {november: "22.90"})
    attempt = OnlinePayment.objects.get()
    url = f"/portail/paiement/retour/{attempt.reference}/"

    page = client_a.get(url)

    assert "En attente de la confirmation de la banque" in page.text
    assert f'hx-get="{url}"' in page.text and 'aria-live="polite"' in page.text
    fragment = client_a.get(url, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="resultat-paiement"')
    assert "<html" not in fragment.text


def test_a_return_for_an_unknown_reference_is_404(client, owed, dummy):
    assert client.get("/portail/paiement/retour/PLINCONNU000/?transaction_id=x").status_code == 404


def test_the_return_needs_the_family_login(client, card):
    client.logout()
    response = client.get(f"/portail/paiement/retour/{card.reference}/")
    assert response.status_code == 302 and "/compte/" in response.url


def test_a_huge_return_is_read_whole_and_stored_cut(client_a, structure, owed, dummy):
    november, _ = owed
    start(client_a, structure, {november: "22.90"})
    attempt = OnlinePayment.objects.get()
    fields = [("transaction_id", attempt.transaction_id), ("amount", "22.90"), ("signed", "1")]
    signed = demo_bank.sign([*fields, ("ok", "1"), ("padding", "x" * 100_000)])

    back = client_a.get(f"/portail/paiement/retour/{attempt.reference}/?{signed}")

    assert back.status_code == 302
    note = Notification.objects.get(channel="return")
    assert note.outcome == Notification.CREDITED and note.query == signed[:4000]
    body = "z" * 100_000
    client_a.post(back.url, body, content_type="application/x-www-form-urlencoded")
    assert len(Notification.objects.latest("pk").body) == 4000
