"""Lock order (PostgreSQL): every action writing a family's payments locks the family's row
before any number series or invoice. Issuing a run while a payment is recorded never deadlocks,
even when the drafts' series is the receipt series (renamed prefixes); a credit note and a
payment on the same invoice both go through and never settle more than is due (without the
credit note's family lock, they deadlock)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import OperationalError

from marmots.billing import actions, payments, settling
from marmots.billing.balances import settings_for, with_outstanding
from marmots.billing.models import Allocation, Invoice, InvoicingRun, Payment
from tests.concurrency import race
from tests.house import enroll

from .factories import invoice, payment
from .month import DECEMBER_2, MON_2, NOVEMBER, book, review_all

D = Decimal
RECEIVED = datetime.date(2026, 11, 6)


def meet(mine, other):
    """Say this side is there, then wait (a second at most) for the other side."""
    mine.set()
    other.wait(timeout=1)


@pytest.fixture
def renamed_prefixes(house, tariffs, family_a, child_a, manager, time_machine):
    """November drafted for family A (which has a credit), then the prefixes renamed: the
    drafts keep "FA" and the receipts now use "FA" too (one sequence row for both)."""
    time_machine.move_to(DECEMBER_2)
    enroll(house, child_a, house.evening)
    book(child_a, house.snack_slot, MON_2)
    payment(
        structure=house.structure,
        family=family_a,
        amount=D("100"),
        method=Payment.CHEQUE,
        received_on=RECEIVED,
        reference="n° 1",
    )
    run = actions.start_run(house.structure, NOVEMBER, manager)
    assert run.status == InvoicingRun.DRAFTED, run.error
    review_all(run, manager)
    billing = settings_for(house.structure)
    billing.invoice_series, billing.receipt_series = "FX", "FA"
    billing.save()
    return run


def rendezvous(monkeypatch):
    """The issue waits, its numbers taken, for the payment to hold the family lock (and the
    payment, the lock held, for the issue): without the family locked first, the deadlock."""
    numbered, family_locked = threading.Event(), threading.Event()
    mark_issued, automatic_parts = actions._mark_issued, settling.automatic_parts

    def issue_waits(*args):
        meet(numbered, family_locked)
        return mark_issued(*args)

    def payment_waits(*args):
        meet(family_locked, numbered)
        return automatic_parts(*args)

    monkeypatch.setattr(actions, "_mark_issued", issue_waits)
    monkeypatch.setattr(settling, "automatic_parts", payment_waits)


@pytest.mark.django_db(transaction=True)
def test_issuing_while_a_payment_is_recorded_never_deadlocks(
    postgres, house, family_a, manager, renamed_prefixes, monkeypatch
):
    run = renamed_prefixes
    rendezvous(monkeypatch)

    results = race(
        lambda: actions.issue_run(run, manager),
        lambda: payments.record_payment(
            house.structure, family_a, manager, Payment.CASH, D("5"), RECEIVED
        ),
    )

    assert isinstance(results[0], InvoicingRun) and isinstance(results[1], Payment), results
    november = Invoice.objects.get(run=run)
    assert november.reference.startswith("FA-2026-")
    numbers = {november.number, int(results[1].receipt_number.rsplit("-", 1)[1])}
    assert numbers == {1, 2}  # one series, no gap
    # The credit paid November; what is left (and the cash) is still the family's credit.
    assert with_outstanding(Invoice.objects.filter(pk=november.pk)).get().outstanding == 0
    left = D("105") - november.total
    assert settling.available_credit(family_a, house.structure) == left


@pytest.fixture
def owed(structure, family_a):
    return invoice(family_a, structure, [("Novembre", "22.90")])


def note_meanwhile(monkeypatch, structure, family, owed, manager):
    """(payment, credit note) of the same invoice: the payment reads what remains to pay, then
    waits (a second at most) for the credit note of 10 €, which starts once it was read."""
    read, noted = threading.Event(), threading.Event()
    automatic_parts = settling.automatic_parts

    def then_wait(*args):
        parts = automatic_parts(*args)
        meet(read, noted)
        return parts

    monkeypatch.setattr(settling, "automatic_parts", then_wait)

    def note():
        read.wait(timeout=1)
        made = actions.credit_note(owed, manager, "Absence justifiée", amount="10")
        noted.set()
        return made

    def pay():
        return payments.record_payment(
            structure, family, manager, Payment.CASH, D("22.90"), RECEIVED
        )

    return pay, note


def allocated_to(invoice_):
    return sum(Allocation.objects.filter(invoice=invoice_).values_list("amount", flat=True), D(0))


@pytest.mark.django_db(transaction=True)
def test_a_credit_note_and_a_payment_at_once_never_overpay_the_invoice(
    postgres, structure, family_a, manager, owed, monkeypatch
):
    pay, note = note_meanwhile(monkeypatch, structure, family_a, owed, manager)

    results = race(pay, note)

    assert isinstance(results[0], Payment) and isinstance(results[1], Invoice), results
    assert allocated_to(owed) == D("12.90")  # what is due after the note
    assert settling.available_credit(family_a, structure) == D("10")


@pytest.mark.django_db(transaction=True)
def test_without_the_family_lock_the_credit_note_leaves_the_invoice_overpaid(
    postgres, structure, family_a, manager, owed, monkeypatch
):
    pay, note = note_meanwhile(monkeypatch, structure, family_a, owed, manager)
    lock_family, noting = settling.lock_family, set()

    def not_for_the_note(family):
        if threading.get_ident() not in noting:
            lock_family(family)

    def unlocked_note():
        noting.add(threading.get_ident())
        return note()

    monkeypatch.setattr(settling, "lock_family", not_for_the_note)
    results = race(pay, unlocked_note)

    # The note holds the invoice and waits for the family (its own row refers to it), the
    # payment holds the family and waits for the invoice (its allocation refers to it).
    failed = [r for r in results if isinstance(r, OperationalError)]
    assert len(failed) == 1 and "deadlock" in str(failed[0]), results
