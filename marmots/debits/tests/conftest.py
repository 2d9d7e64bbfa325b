"""Direct debit fixtures: the structure as a creditor, mandates of families A and B, their
November 2026 invoices; today is Wednesday 2 December 2026 (the invoices are issued)."""

import datetime

import pytest

from marmots.billing.tests.factories import invoice
from marmots.debits import actions
from marmots.debits.models import DebitSettings
from tests.house import at

TODAY = datetime.date(2026, 12, 2)
NOVEMBER = datetime.date(2026, 11, 1)
# Thursday 10 December 2026: the settings' day in the month after November.
COLLECTION = datetime.date(2026, 12, 10)
CREDITOR_IBAN = "FR7630006000011234567890189"
CREDITOR_ICS = "FR72ZZZ123456"
IBAN_A = "FR1420041010050500013M02606"
IBAN_B = "DE89370400440532013000"


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(at(TODAY, 10))
    return TODAY


@pytest.fixture
def creditor(structure):
    return DebitSettings.objects.create(
        structure=structure,
        enabled=True,
        creditor_name="Les Petits Montagnards",
        creditor_id=CREDITOR_ICS,
        iban=CREDITOR_IBAN,
        bic="AGRIFRPP881",
        collection_day=10,
    )


@pytest.fixture
def mandate_a(structure, family_a, manager):
    return actions.create_mandate(
        structure,
        family_a,
        manager,
        holder="Claire Martin",
        iban="fr14 2004 1010 0505 0001 3m02 606",
        bic="PSSTFRPPLYO",
        signed_on=datetime.date(2026, 9, 1),
    )


@pytest.fixture
def mandate_b(structure, family_b, manager):
    return actions.create_mandate(
        structure,
        family_b,
        manager,
        holder="Paul Bernard",
        iban=IBAN_B,
        bic="COBADEFFXXX",
        signed_on=datetime.date(2026, 10, 15),
    )


@pytest.fixture
def invoices(structure, family_a, family_b):
    """November: A owes 22,90 and 5,10 (two invoices), B owes 48,00."""
    return (
        invoice(family_a, structure, [("Périscolaire soir", "22.90")]),
        invoice(family_a, structure, [("Adhésion", "5.10")]),
        invoice(family_b, structure, [("Mercredis", "48.00")]),
    )
