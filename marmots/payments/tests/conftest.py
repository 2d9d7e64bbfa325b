"""Online payment fixtures: family A owes two invoices; the structure's provider is the demo
(simulated bank), SystemPay or PayFiP with test credentials."""

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from marmots.billing.models import Allocation, Payment
from marmots.billing.tests.factories import invoice
from marmots.debits.models import DebitBatch, DebitItem, Mandate
from marmots.payments.models import Notification, OnlinePayment, ProviderSettings

PAY = "/portail/paiement/"
RECAP = "/portail/paiement/recapitulatif/"
START = "/portail/paiement/payer/"
BANK = "/paiement/banque-simulee/"
# The environment variable holding SystemPay's key in the tests.
KEY_ENV = "MARMOTS_PAYMENT_TEST_SYSTEMPAY_KEY"


@pytest.fixture
def owed(structure, family_a):
    """November (22,90 €) and December (10,00 €), issued to family A."""
    november = invoice(family_a, structure, [("Novembre", "22.90")])
    december = invoice(
        family_a, structure, [("Décembre", "10.00")], month=datetime.date(2026, 12, 1)
    )
    return november, december


@pytest.fixture
def dummy(structure, settings):
    settings.MARMOTS_DEMO_BANK = True
    return ProviderSettings.objects.create(structure=structure, kind=ProviderSettings.DUMMY)


def choice(structure, amounts):
    """The choice form's fields: {invoice: amount}."""
    data = {"structure": structure.pk, "facture": [i.pk for i in amounts]}
    data.update({f"montant-{i.pk}": str(a) for i, a in amounts.items()})
    return data


def start(client, structure, amounts, email="claire.martin@example.org"):
    """POST "Payer par carte" from the recap page."""
    return client.post(START, {**choice(structure, amounts), "email": email})


def counts():
    """Rows an online payment may write: a refusal changes none of them."""
    return (
        OnlinePayment.objects.count(),
        Payment.objects.count(),
        Notification.objects.filter(outcome=Notification.CREDITED).count(),
    )


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def debit_payment(structure, family, owed_invoice, day=datetime.date(2027, 2, 10)):
    """A direct debit payment sent to the bank, not collected yet, allocated to the invoice
    (what `marmots.debits` writes when it sends a batch)."""
    payment = Payment.objects.create(
        structure=structure,
        family=family,
        method=Payment.DEBIT,
        status=Payment.PENDING,
        amount=owed_invoice.total,
        received_on=day,
    )
    Allocation.objects.create(payment=payment, invoice=owed_invoice, amount=owed_invoice.total)
    return payment


def pending_debit(structure, family, owed_invoice, day=datetime.date(2027, 2, 10)):
    """The invoice in a direct debit batch not collected yet."""
    mandate = Mandate.objects.create(
        structure=structure,
        family=family,
        reference="RUM-MARTIN-1",
        holder="Claire Martin",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        signed_on=datetime.date(2026, 9, 1),
    )
    batch = DebitBatch.objects.create(
        structure=structure,
        collection_date=day,
        message_id="MSG-TEST-1",
        total=owed_invoice.total,
        xml="<Document/>",
    )
    return DebitItem.objects.create(
        batch=batch,
        invoice=owed_invoice,
        mandate=mandate,
        amount=owed_invoice.total,
        sequence_type=DebitItem.FRST,
        end_to_end_id="E2E-1",
        payment=debit_payment(structure, family, owed_invoice, day),
    )
