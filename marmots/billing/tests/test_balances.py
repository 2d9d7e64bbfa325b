import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from marmots.billing import balances
from marmots.billing.models import Allocation, Invoice, InvoiceLine, Payment
from marmots.billing.money import fr_money, money

from .factories import invoice
from .factories import payment as make_payment

TODAY = datetime.date(2027, 1, 15)


def _pay(invoice_, amount, status=Payment.SUCCEEDED):
    payment = make_payment(
        structure=invoice_.structure,
        family=invoice_.family,
        method=Payment.CHEQUE,
        status=status,
        amount=Decimal(amount),
        received_on=TODAY,
    )
    Allocation.objects.create(payment=payment, invoice=invoice_, amount=Decimal(amount))
    return payment


def _credit(invoice_, amount):
    return Invoice.objects.create(
        structure=invoice_.structure,
        family=invoice_.family,
        kind=Invoice.CREDIT_NOTE,
        status=Invoice.ISSUED,
        series="AV",
        year=2026,
        number=invoice_.number,
        issued_at=invoice_.issued_at,
        due_date=invoice_.due_date,
        period_start=invoice_.period_start,
        period_end=invoice_.period_end,
        total=-Decimal(amount),
        corrects=invoice_,
    )


def test_outstanding_balance_and_overdue(structure, family_a, family_b):
    november = invoice(family_a, structure, [("a", "30.00"), ("b", "12.40")])
    december = invoice(family_a, structure, [("c", "10.00")], month=datetime.date(2026, 12, 1))
    invoice(family_b, structure, [("other", "99.00")])
    invoice(family_a, structure, [("draft", "5.00")], issued=False)
    _pay(november, "20.00")
    _pay(november, "5.00", status=Payment.FAILED)
    _credit(november, "2.40")

    rows = {i.pk: i for i in balances.unpaid_invoices(family_a, structure)}
    assert rows[november.pk].outstanding == Decimal("20.00")
    assert rows[november.pk].credited == Decimal("-2.40")
    assert rows[november.pk].paid == Decimal("20.00")
    assert rows[december.pk].outstanding == Decimal("10.00")
    assert balances.balance(family_a, structure) == Decimal("30.00")
    assert balances.balance(family_b) == Decimal("99.00")
    assert [i.pk for i in balances.overdue_invoices(family_a, TODAY)] == [november.pk]

    _pay(november, "20.00")
    assert [i.pk for i in balances.unpaid_invoices(family_a)] == [december.pk]


def test_lines_cannot_be_negative_unless_credit(structure, family_a):
    bill = invoice(family_a, structure, [("a", "1.00")])
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=bill, kind=InvoiceLine.ATTENDANCE, label="x", unit_price=-1, amount=-1
        )
    InvoiceLine.objects.create(
        invoice=bill, kind=InvoiceLine.AID, label="aide", unit_price=-1, amount=-1
    )


def test_money_rounds_half_up_and_speaks_french():
    assert money("2.345") == Decimal("2.35")
    assert money("-2.345") == Decimal("-2.35")
    assert fr_money(Decimal("1234.5")) == "1\u202f234,50\u00a0€"
    assert fr_money(Decimal("-0.6")) == "-0,60\u00a0€"
