"""A receipt shows the payment's allocation as it stands on the day it is printed, and says so:
printed again after the credit was used, it shows the new allocation and its date."""

import datetime

import pytest

from marmots.billing import payments
from marmots.billing.models import Payment
from marmots.billing.receipts import receipt_pdf

from .factories import invoice
from .month import pdf_text

pytestmark = pytest.mark.django_db


def text(payment):
    return " ".join(pdf_text(receipt_pdf(payment)).split())


def test_a_reprint_says_it_shows_the_situation_of_its_day(
    structure, family_a, manager, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC), tick=False)
    cheque = payments.record_payment(
        structure,
        family_a,
        manager,
        Payment.CHEQUE,
        "30",
        datetime.date(2026, 11, 19),
        "n° 77 Banque Alpine",
    )
    first = text(cheque)
    assert "Factures réglées (situation au 20/11/2026)" in first
    assert "Aucune facture : le montant reste au crédit de la famille." in first
    assert "Avoir restant en faveur de la famille 30,00 €" in first

    time_machine.move_to(datetime.datetime(2026, 12, 2, 9, tzinfo=datetime.UTC), tick=False)
    november = invoice(family_a, structure, [("Novembre", "22.90")])
    payments.apply_credit(family_a, structure, manager)
    again = text(cheque)

    assert "Factures réglées (situation au 02/12/2026)" in again
    assert november.reference in again and "Avoir restant en faveur de la famille 7,10 €" in again
    assert "situation au 02/12/2026 : ils peuvent évoluer ensuite" in again
    assert f"Reçu n° {cheque.receipt_number}" in again and "Reçu le 19/11/2026" in again
