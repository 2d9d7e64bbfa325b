"""The direct debits a family will see on its bank statement: those of a batch already made
(date fixed) and, for its unpaid invoices not yet in a batch, the date they are planned for.

`upcoming_debits(family)` is what the portal shows (template `debits/_upcoming.html`):
"Prélèvement prévu le 10/12/2026 : 22,90 €".
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from marmots.billing.balances import unpaid_invoices
from marmots.billing.models import Invoice, Payment
from marmots.billing.money import ZERO, money

from . import rules
from .models import DebitBatch, DebitItem, Mandate
from .queries import credit_parts, held


@dataclass
class Upcoming:
    date: datetime.date
    amount: Decimal
    invoice: Invoice
    in_batch: bool  # False: the planned date, fixed when the manager makes the batch


def _in_batches(family):
    items = DebitItem.objects.filter(
        invoice__family=family,
        payment__status=Payment.PENDING,
        batch__status=DebitBatch.GENERATED,
    ).select_related("batch", "invoice")
    return [Upcoming(i.batch.collection_date, i.amount, i.invoice, True) for i in items]


def _planned(family, today):
    mandates = (
        Mandate.objects.for_family(family)
        .filter(status=Mandate.ACTIVE, structure__debit_settings__enabled=True)
        .select_related("structure__debit_settings")
    )
    found = []
    for mandate in mandates:
        day = mandate.structure.debit_settings.collection_day
        invoices = unpaid_invoices(family, mandate.structure).exclude(held())
        credit = credit_parts(mandate.structure, [family.pk])  # spent before debiting
        for invoice in invoices:
            amount = money(invoice.outstanding) - credit.get(invoice.pk, ZERO)
            if amount > 0:
                date = rules.expected_date(invoice.period_start, day, today)
                found.append(Upcoming(date, amount, invoice, False))
    return found


def upcoming_debits(family, today=None):
    """[Upcoming] of the family, soonest first."""
    today = today or timezone.localdate()
    found = _in_batches(family) + _planned(family, today)
    return sorted(found, key=lambda u: (u.date, u.invoice.pk))
