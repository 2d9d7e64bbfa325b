"""Invoices written straight to the database, for pages that only display them.

The invoicing engine's own tests go through `actions`; these helpers let the portal and the
back-office tests start from an issued invoice without running a month.
"""

import datetime
import itertools
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from marmots.billing.actions import give_receipt_number
from marmots.billing.models import Invoice, InvoiceLine, Payment

_numbers = itertools.count(1)


def invoice(family, structure, lines, *, issued=True, month=datetime.date(2026, 11, 1), due=None):
    """An invoice of `family` for `month` with `lines`: [(label, amount)] or dicts of
    `InvoiceLine` fields (amount as str or Decimal)."""
    last = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    rows = [
        {"label": line[0], "amount": Decimal(line[1])} if isinstance(line, tuple) else dict(line)
        for line in lines
    ]
    for row in rows:
        row["amount"] = Decimal(row["amount"])
        row.setdefault("kind", InvoiceLine.ATTENDANCE)
        row.setdefault("unit_price", row["amount"])
    fields = {}
    if issued:
        fields = {
            "status": Invoice.ISSUED,
            "year": month.year,
            "number": next(_numbers),
            "issued_at": timezone.now(),
            "due_date": due or last + datetime.timedelta(days=30),
        }
    result = Invoice.objects.create(
        structure=structure,
        family=family,
        series="FA",
        period_start=month,
        period_end=last - datetime.timedelta(days=1),
        total=sum((r["amount"] for r in rows), Decimal("0.00")),
        payer_name=family.name,
        **fields,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=result, order=i, **row) for i, row in enumerate(rows)
    )
    return result


def payment(**fields):
    """A payment written directly (status received unless told), with its receipt number."""
    made = Payment(**fields)
    with transaction.atomic():
        if made.status == Payment.SUCCEEDED:
            give_receipt_number(made)
        made.save()
    return made
