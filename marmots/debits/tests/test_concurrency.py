"""Races of the batch actions (PostgreSQL, real threads). Two batches made at once never
debit an invoice twice: the structure's settings row is locked while a batch reads what is
due. A collection racing a credit note or a manual payment never over-allocates an invoice:
it locks the families' rows before it reads what their invoices still owe. Without the locks,
the races are real."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from marmots.billing import settling
from marmots.billing.actions import credit_note
from marmots.billing.balances import balance, with_outstanding
from marmots.billing.models import Invoice, Payment
from marmots.billing.money import money
from marmots.billing.payments import record_payment
from marmots.billing.tests.factories import invoice
from marmots.debits import actions
from marmots.debits.models import DebitBatch, DebitItem, DebitSettings
from tests.concurrency import race
from tests.house import at

from .conftest import COLLECTION, NOVEMBER


def make(creditor, manager):
    return lambda: actions.make_batch(creditor.structure, NOVEMBER, manager)


def debited_invoices():
    return sorted(DebitItem.objects.values_list("invoice", flat=True))


@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_debit_each_invoice_once(
    postgres, creditor, mandate_a, mandate_b, invoices, manager
):
    results = race(make(creditor, manager), make(creditor, manager))

    made = [r for r in results if isinstance(r, DebitBatch)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == len(refused) == 1, results
    assert refused[0].messages == [actions.NOTHING_DUE]
    assert debited_invoices() == sorted(i.pk for i in invoices)


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_an_invoice_is_debited_twice(
    postgres, creditor, mandate_a, mandate_b, invoices, manager, monkeypatch
):
    both_locked = threading.Barrier(2)

    def unlocked(structure):
        """_lock_structure without select_for_update: both read what is due together."""
        settings = DebitSettings.objects.get(structure=structure)
        both_locked.wait(timeout=30)
        return settings

    def no_family_lock(structure):
        pass

    monkeypatch.setattr(actions, "_lock_structure", unlocked)
    monkeypatch.setattr(actions, "_lock_families", no_family_lock)
    results = race(make(creditor, manager), make(creditor, manager))

    assert all(isinstance(r, DebitBatch) for r in results), results
    assert debited_invoices() == sorted(i.pk for i in invoices for _ in range(2))


def paid(bill):
    found = with_outstanding(Invoice.objects.filter(pk=bill.pk)).get()
    return money(found.paid), money(found.outstanding)


@pytest.fixture
def collecting(creditor, mandate_a, invoices, manager, time_machine):
    """A's November batch (22,90 and 5,10), on its collection day."""
    batch = actions.make_batch(creditor.structure, NOVEMBER, manager)
    time_machine.move_to(at(COLLECTION, 9))
    return batch


def collect(batch, manager):
    return lambda: actions.mark_collected(batch, manager)


def a_credit_note(bill, manager):
    return lambda: credit_note(bill, manager, "Sortie annulée", amount=Decimal("10.00"))


@pytest.mark.django_db(transaction=True)
def test_a_collection_racing_a_credit_note_settles_what_is_owed(
    postgres, collecting, structure, invoices, family_a, manager
):
    a1 = invoices[0]
    results = race(collect(collecting, manager), a_credit_note(a1, manager))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert paid(a1) == (Decimal("12.90"), Decimal("0.00"))  # whichever came first
    assert settling.available_credit(family_a, structure) == Decimal("10.00")
    assert balance(family_a) == Decimal("-10.00")


@pytest.mark.django_db(transaction=True)
def test_without_the_family_lock_a_collection_over_allocates(
    postgres, collecting, invoices, manager, monkeypatch
):
    both_read = threading.Barrier(2)
    cap, release = actions._cap_allocations, settling.release_overpaid

    def cap_then_wait(payments):
        found = cap(payments)
        both_read.wait(timeout=30)
        return found

    def release_then_wait(bill):
        found = release(bill)
        both_read.wait(timeout=30)
        return found

    monkeypatch.setattr(actions, "_lock_families", lambda family_ids: None)
    monkeypatch.setattr(actions, "_cap_allocations", cap_then_wait)
    monkeypatch.setattr(settling, "release_overpaid", release_then_wait)
    a1 = invoices[0]
    results = race(collect(collecting, manager), a_credit_note(a1, manager))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert paid(a1) == (Decimal("22.90"), Decimal("-10.00"))  # paid beyond what it owes


@pytest.mark.django_db(transaction=True)
def test_a_collection_racing_a_manual_payment_never_over_allocates(
    postgres, collecting, structure, invoices, family_a, manager
):
    later = invoice(family_a, structure, [("Sortie au lac", "30.00")])  # after the file
    a_credit_note(invoices[0], manager)()  # the collection frees 10,00 for `later`

    def cash():
        return record_payment(
            structure,
            family_a,
            manager,
            Payment.CASH,
            "30.00",
            COLLECTION,
            allocations={later: "30.00"},
        )

    collected, paying = race(collect(collecting, manager), cash)

    assert isinstance(collected, DebitBatch), collected
    if isinstance(paying, ValidationError):  # the collection first: 20,00 left to pay
        assert paid(later) == (Decimal("10.00"), Decimal("20.00"))
        assert settling.available_credit(family_a, structure) == Decimal("0.00")
    else:  # the cash first: the freed 10,00 stays a credit
        assert isinstance(paying, Payment), paying
        assert paid(later) == (Decimal("30.00"), Decimal("0.00"))
        assert settling.available_credit(family_a, structure) == Decimal("10.00")
    owed = sum(paid(bill)[1] for bill in [*invoices[:2], later])
    assert balance(family_a) == owed - settling.available_credit(family_a, structure)
