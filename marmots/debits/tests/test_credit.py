"""A batch and the family's other money: its credit is spent before anything is debited, and
a debit collected after the invoice was paid another way (by card, while the batch waited)
settles only what was still owed; the rest is the family's credit."""

import datetime
from decimal import Decimal

import pytest

from marmots.billing.balances import balance, with_outstanding
from marmots.billing.models import Allocation, Invoice, Payment
from marmots.billing.settling import available_credit
from marmots.billing.tests.factories import invoice, payment
from marmots.core.models import AuditEntry
from marmots.debits import actions
from marmots.debits.models import DebitBatch
from tests.house import at

from .conftest import COLLECTION, NOVEMBER

pytestmark = pytest.mark.django_db


def paid(invoice):
    """(paid, outstanding) of the invoice, from its received payments."""
    found = with_outstanding(Invoice.objects.filter(pk=invoice.pk)).get()
    return found.paid, found.outstanding


def card(structure, family, allocated):
    """A card payment credited by the bank's notification, as the online payment does it:
    received, allocated to the invoices asked within what each owes (pending debits do not
    count as paid)."""
    made = payment(
        structure=structure,
        family=family,
        method=Payment.CARD,
        amount=sum(allocated.values(), Decimal("0.00")),
        received_on=datetime.date(2026, 12, 5),
        reference="PLCARTE0001",
    )
    for bill, amount in allocated.items():
        Allocation.objects.create(payment=made, invoice=bill, amount=amount)
    return made


def cheque(structure, family, amount):
    """A cheque received and not allocated: the family's credit."""
    return payment(
        structure=structure,
        family=family,
        method=Payment.CHEQUE,
        amount=Decimal(amount),
        received_on=datetime.date(2026, 11, 20),
        reference="Chèque 1234567 Crédit Agricole",
    )


def test_an_invoice_paid_by_card_then_collected_is_paid_once(
    creditor, structure, mandate_a, invoices, family_a, manager, time_machine
):
    a1, a2, _ = invoices
    batch = actions.make_batch(structure, NOVEMBER, manager)  # the card payment is under way
    card(structure, family_a, {a1: Decimal("22.90")})  # the bank's notification: credited

    time_machine.move_to(at(COLLECTION, 9))
    actions.mark_collected(batch, manager)

    assert paid(a1) == (Decimal("22.90"), Decimal("0.00"))
    assert paid(a2) == (Decimal("5.10"), Decimal("0.00"))
    debit = batch.items.get(invoice=a1).payment
    assert debit.status == Payment.SUCCEEDED and debit.receipt_number  # money received
    assert not debit.allocations.exists()
    assert available_credit(family_a, structure) == Decimal("22.90")  # usable
    assert balance(family_a) == Decimal("-22.90")
    entry = AuditEntry.objects.get(action="debit_batch.collect")
    assert entry.after == {"received": 2, "credit": {a1.reference: "22.90"}}


def test_a_part_paid_by_card_leaves_the_debit_the_rest(
    creditor, structure, mandate_a, invoices, family_a, manager, time_machine
):
    a1, _, _ = invoices
    batch = actions.make_batch(structure, NOVEMBER, manager)
    card(structure, family_a, {a1: Decimal("10.00")})

    time_machine.move_to(at(COLLECTION, 9))
    actions.mark_collected(batch, manager)

    debit = batch.items.get(invoice=a1).payment
    assert list(debit.allocations.values_list("invoice", "amount")) == [(a1.pk, Decimal("12.90"))]
    assert paid(a1) == (Decimal("22.90"), Decimal("0.00"))
    assert available_credit(family_a, structure) == Decimal("10.00")


def test_the_credit_is_spent_before_debiting(
    client_manager, creditor, structure, mandate_a, mandate_b, invoices, family_a, family_b
):
    a1, a2, b = invoices
    cheque(structure, family_a, "30.00")  # A owes 28,00: nothing to debit
    cheque(structure, family_b, "8.00")
    preview = client_manager.get("/gestion/prelevements/preparer/", {"mois": "2026-11"})
    text = preview.content.decode()
    assert "1 prélèvement pour un total de 40,00" in text and "avoir de 8,00" in text

    client_manager.post("/gestion/prelevements/preparer/", {"mois": "2026-11"})

    batch = DebitBatch.objects.get()
    assert list(batch.items.values_list("invoice", "amount")) == [(b.pk, Decimal("40.00"))]
    assert batch.total == Decimal("40.00")
    assert paid(a1)[1] == paid(a2)[1] == Decimal("0.00")
    assert available_credit(family_a, structure) == Decimal("2.00")
    assert available_credit(family_b, structure) == Decimal("0.00")
    spent = AuditEntry.objects.filter(action="payment.credit_apply")
    assert sorted(spent.values_list("family_id", flat=True)) == sorted([family_a.pk, family_b.pk])


def test_the_credit_settles_the_oldest_invoices_first(
    creditor, structure, mandate_a, invoices, family_a, manager
):
    a1, a2, _ = invoices
    october = invoice(family_a, structure, [("Octobre", "6.00")], month=datetime.date(2026, 10, 1))
    cheque(structure, family_a, "10.00")

    batch = actions.make_batch(structure, NOVEMBER, manager)

    # October (6,00) then 4,00 of November's first invoice: 18,90 and 5,10 are debited.
    assert dict(batch.items.values_list("invoice", "amount")) == {
        a1.pk: Decimal("18.90"),
        a2.pk: Decimal("5.10"),
    }
    assert paid(october)[1] == Decimal("0.00")
