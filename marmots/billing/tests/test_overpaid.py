"""A credit note on an invoice already paid: what it leaves over-paid becomes the family's credit
(the newest allocations shrink), used at once on its other unpaid invoices; the reminders, the
account and `apply_credit` see one and the same credit."""

import datetime
from decimal import Decimal

import pytest

from marmots.billing import actions, payments, reminders, settling
from marmots.billing.balances import settings_for, unpaid_invoices
from marmots.billing.models import Allocation, Payment
from marmots.core.models import AuditEntry

from .factories import invoice

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.date(2026, 11, 20)
OCTOBER = datetime.date(2026, 10, 1)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.UTC), tick=False)


def remind_at_10_days(structure):
    billing = settings_for(structure)
    billing.reminder_days = "10"
    billing.save()


def pay(structure, family, manager, amount, allocations, method=Payment.CASH, day=TODAY):
    return payments.record_payment(
        structure, family, manager, method, amount, day, allocations=allocations
    )


def test_a_credit_note_on_a_paid_invoice_pays_the_next_one_and_nobody_is_reminded(
    structure, family_a, manager
):
    remind_at_10_days(structure)
    paid = invoice(family_a, structure, [("Octobre", "50.00")], month=OCTOBER)
    late = invoice(family_a, structure, [("Goûters", "15.00")], due=TODAY - 15 * DAY)
    cash = pay(structure, family_a, manager, "50", {paid.pk: D("50")})

    note = actions.credit_note(paid, manager, "Sortie annulée", amount="20")

    assert note.total == D("-20.00")
    assert Allocation.objects.get(payment=cash, invoice=paid).amount == D("30.00")
    assert Allocation.objects.get(payment=cash, invoice=late).amount == D("15.00")
    assert not unpaid_invoices(family_a, structure).exists()  # the portal asks nothing
    assert settling.available_credit(family_a, structure) == D("5.00")
    assert reminders.review(structure, TODAY) == ([], [])
    entry = AuditEntry.objects.get(action="invoice.credit_note")
    assert entry.after["released"] == [{"receipt": cash.receipt_number, "amount": "20.00"}]
    assert AuditEntry.objects.get(action="payment.credit_apply").actor == manager


def test_the_newest_allocations_shrink_first(structure, family_a, manager):
    paid = invoice(family_a, structure, [("Octobre", "50.00")], month=OCTOBER)
    cheque = pay(structure, family_a, manager, "30", {paid.pk: D("30")}, day=TODAY - 5 * DAY)
    pay(structure, family_a, manager, "20", {paid.pk: D("20")})

    actions.credit_note(paid, manager, "Absences justifiées", amount="35")

    assert list(Allocation.objects.values_list("payment_id", "amount")) == [(cheque.pk, D("15.00"))]
    assert settling.available_credit(family_a, structure) == D("35.00")
    assert payments.apply_credit(family_a, structure, manager) == []  # nothing else to pay


def test_a_credit_note_within_what_remains_frees_nothing(structure, family_a, manager):
    paid = invoice(family_a, structure, [("Octobre", "50.00")], month=OCTOBER)
    pay(structure, family_a, manager, "20", {paid.pk: D("20")})

    actions.credit_note(paid, manager, "Geste commercial", amount="20")

    assert Allocation.objects.get().amount == D("20.00")
    assert settling.available_credit(family_a, structure) == D("0.00")
    assert unpaid_invoices(family_a, structure).get().outstanding == D("10.00")
    assert AuditEntry.objects.get(action="invoice.credit_note").after["released"] == []


def test_the_reminders_count_only_the_money_left_of_payments(structure, family_a, manager):
    """The reminders' credit is `settling.credits`: a payment left unallocated covers the
    overdue invoice (apply_credit would pay it), nothing else does."""
    remind_at_10_days(structure)
    late = invoice(family_a, structure, [("Goûters", "15.00")], due=TODAY - 15 * DAY)
    due, _ = reminders.review(structure, TODAY)
    assert [item.invoice for item in due] == [late]

    pay(structure, family_a, manager, "15", {late.pk: D("0")})  # kept as a credit
    due, skipped = reminders.review(structure, TODAY)
    assert due == [] and [(s.invoice, s.reason) for s in skipped] == [(late, reminders.COVERED)]
    assert len(payments.apply_credit(family_a, structure, manager)) == 1
