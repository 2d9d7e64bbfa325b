"""A batch and the family's other money: its credit is spent before anything is debited, and
a debit collected after a credit note corrected its invoice (issued while the batch waited)
settles only what was still owed; the rest is the family's credit, spent at once on its other
unpaid invoices. Card and manual payments cannot settle an invoice in a pending debit."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from marmots.billing.actions import credit_note
from marmots.billing.balances import balance, with_outstanding
from marmots.billing.models import Invoice, Payment
from marmots.billing.money import money
from marmots.billing.payments import record_payment
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
    return money(found.paid), money(found.outstanding)


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


def collect(batch, manager, time_machine):
    time_machine.move_to(at(COLLECTION, 9))
    return actions.mark_collected(batch, manager)


def test_a_credit_note_while_the_debit_waits_leaves_a_credit(
    creditor, structure, mandate_a, invoices, family_a, manager, time_machine
):
    a1, a2, _ = invoices
    batch = actions.make_batch(structure, NOVEMBER, manager)  # 22,90 and 5,10 to debit
    credit_note(a1, manager, "Sortie annulée", amount=Decimal("10.00"))
    assert paid(a1) == (Decimal("0.00"), Decimal("12.90"))  # nothing released: still pending

    collect(batch, manager, time_machine)  # the bank collects the 22,90 of the file

    debit = batch.items.get(invoice=a1).payment
    assert debit.status == Payment.SUCCEEDED and debit.receipt_number  # money received
    assert list(debit.allocations.values_list("invoice", "amount")) == [(a1.pk, Decimal("12.90"))]
    assert paid(a1) == (Decimal("12.90"), Decimal("0.00"))
    assert paid(a2) == (Decimal("5.10"), Decimal("0.00"))
    assert available_credit(family_a, structure) == Decimal("10.00")  # nothing else to pay
    assert balance(family_a) == -available_credit(family_a, structure)
    entry = AuditEntry.objects.get(action="debit_batch.collect")
    assert entry.after == {"received": 2, "credit": {a1.reference: "10.00"}}


def test_what_the_collection_frees_settles_the_other_invoices_at_once(
    creditor, structure, mandate_a, invoices, family_a, manager, time_machine
):
    a1, _, _ = invoices
    batch = actions.make_batch(structure, NOVEMBER, manager)
    later = invoice(family_a, structure, [("Sortie au lac", "30.00")])  # after the file
    credit_note(a1, manager, "Sortie annulée", amount=Decimal("10.00"))

    collect(batch, manager, time_machine)

    assert paid(later) == (Decimal("10.00"), Decimal("20.00"))  # not at the next run
    assert available_credit(family_a, structure) == Decimal("0.00")
    assert balance(family_a) == Decimal("20.00")
    spent = AuditEntry.objects.get(action="payment.credit_apply")
    assert spent.family_id == family_a.pk and spent.actor == manager
    debit = batch.items.get(invoice=a1).payment
    assert spent.after["allocated"] == [
        {"receipt": debit.receipt_number, "invoice": later.reference, "amount": "10.00"}
    ]


def test_a_full_credit_note_collected_then_rejected(
    creditor, structure, mandate_a, invoices, family_a, manager, time_machine
):
    a1, a2, _ = invoices
    batch = actions.make_batch(structure, NOVEMBER, manager)
    later = invoice(family_a, structure, [("Sortie au lac", "30.00")])
    credit_note(a1, manager, "Absence justifiée")  # the whole invoice
    collect(batch, manager, time_machine)

    item = batch.items.get(invoice=a1)
    assert not item.payment.allocations.filter(invoice=a1).exists()
    assert paid(later) == (Decimal("22.90"), Decimal("7.10"))  # the freed 22,90
    assert balance(family_a) == Decimal("7.10")

    actions.reject_item(item, manager, "MD06 – contestation du débiteur")

    item.payment.refresh_from_db()
    assert item.payment.status == Payment.FAILED
    assert paid(a1) == (Decimal("0.00"), Decimal("0.00"))  # corrected: nothing to pay
    assert paid(a2) == (Decimal("5.10"), Decimal("0.00"))
    assert paid(later) == (Decimal("0.00"), Decimal("30.00"))  # the money never came
    assert available_credit(family_a, structure) == Decimal("0.00")
    assert balance(family_a) == Decimal("30.00")
    again = actions.make_batch(structure, NOVEMBER, manager)
    assert list(again.items.values_list("invoice", "amount")) == [(later.pk, Decimal("30.00"))]


def test_an_invoice_in_a_pending_debit_takes_no_manual_payment(
    creditor, structure, mandate_a, invoices, family_a, manager
):
    a1, _, _ = invoices
    actions.make_batch(structure, NOVEMBER, manager)
    with pytest.raises(ValidationError, match="en cours de prélèvement"):
        record_payment(
            structure, family_a, manager, Payment.CASH, "22.90", NOVEMBER, allocations={a1: "22.90"}
        )
    assert paid(a1) == (Decimal("0.00"), Decimal("22.90"))


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
