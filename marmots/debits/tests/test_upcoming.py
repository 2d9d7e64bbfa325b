"""What a family sees coming: the debits of a batch made, then the planned ones."""

import datetime
from decimal import Decimal

import pytest

from marmots.billing.models import Payment
from marmots.billing.tests.factories import invoice, payment
from marmots.debits import actions
from marmots.debits.upcoming import upcoming_debits
from tests.house import at

from .conftest import COLLECTION, NOVEMBER

pytestmark = pytest.mark.django_db


def seen(family):
    return [(u.date, u.amount, u.invoice.reference, u.in_batch) for u in upcoming_debits(family)]


def test_planned_before_the_batch_then_fixed_by_it(
    creditor, mandate_a, invoices, family_a, manager
):
    a1, a2, _ = invoices
    planned = [
        (COLLECTION, Decimal("22.90"), a1.reference, False),
        (COLLECTION, Decimal("5.10"), a2.reference, False),
    ]
    assert seen(family_a) == planned

    actions.make_batch(creditor.structure, NOVEMBER, manager)

    assert seen(family_a) == [(d, amount, ref, True) for d, amount, ref, _ in planned]


def test_nothing_without_an_active_mandate_or_with_debit_off(
    creditor, mandate_a, invoices, family_a, family_b, manager
):
    assert seen(family_b) == []  # B has no mandate
    creditor.enabled = False
    creditor.save()
    assert seen(family_a) == []
    creditor.enabled = True
    creditor.save()
    actions.revoke_mandate(mandate_a, manager)
    assert seen(family_a) == []


def test_collected_cancelled_and_rejected_debits(
    creditor, mandate_a, invoices, family_a, manager, time_machine, structure
):
    batch = actions.make_batch(creditor.structure, NOVEMBER, manager)
    a1, a2, _ = invoices
    actions.reject_item(batch.items.get(invoice=a2), manager, "AM04")
    time_machine.move_to(at(COLLECTION, 9))
    actions.mark_collected(batch, manager)
    # A1 collected; A2 rejected: due again, for January's collection (the 10th is a Sunday).
    assert seen(family_a) == [(datetime.date(2027, 1, 11), Decimal("5.10"), a2.reference, False)]

    december = invoice(
        family_a, structure, [("Décembre", "7.00")], month=datetime.date(2026, 12, 1)
    )
    batch = actions.make_batch(structure, datetime.date(2026, 12, 1), manager)
    assert [r[2:] for r in seen(family_a)] == [(a2.reference, True), (december.reference, True)]
    actions.cancel_batch(batch, manager)
    assert [r[2:] for r in seen(family_a)] == [(a2.reference, False), (december.reference, False)]


def test_the_planned_debits_count_the_credit_first(creditor, mandate_a, invoices, family_a):
    a1, a2, _ = invoices
    payment(
        structure=creditor.structure,
        family=family_a,
        method=Payment.TRANSFER,
        amount=Decimal("20.00"),
        received_on=datetime.date(2026, 11, 30),
    )
    assert seen(family_a) == [
        (COLLECTION, Decimal("2.90"), a1.reference, False),
        (COLLECTION, Decimal("5.10"), a2.reference, False),
    ]
