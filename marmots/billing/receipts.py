"""The receipt of a received payment (card, cheque, cash, debit...), as a page context and as
a PDF rendered by WeasyPrint from `billing/pdf/receipt.html`.

A receipt shows the payment as received and how it is allocated to invoices on the day it is
printed ("situation au JJ/MM/AAAA"), with what is still unallocated (a credit the next invoice
uses). Allocations change after the payment (`apply_credit` uses the credit, a credit note
frees part of it), so a receipt printed again later may show another allocation; the amount,
date, method and number never change. No snapshot is stored.
"""

from django.template.loader import render_to_string
from django.utils import timezone

from .invoicing import payer_address, payer_name
from .models import Payment
from .money import ZERO, money


def receipt_filename(payment) -> str:
    return f"recu-{payment.receipt_number or payment.pk}.pdf"


def context(payment):
    """What a receipt shows (the portal page and the PDF)."""
    guardians = list(payment.family.guardians.order_by("pk"))
    allocations = list(payment.allocations.select_related("invoice").order_by("invoice__due_date"))
    allocated = money(sum((a.amount for a in allocations), ZERO))
    online = getattr(payment, "online", None) if payment.method == Payment.CARD else None
    return {
        "payment": payment,
        "structure": payment.structure,
        "payer_name": payment.payer or payer_name(guardians, payment.family.name),
        "payer_address": "" if payment.payer else payer_address(guardians),
        "allocations": allocations,
        "allocated": allocated,
        "credit": money(payment.amount - allocated),
        "online": online,
        "printed_on": timezone.localdate(),
    }


def receipt_pdf(payment) -> bytes:
    """The receipt of a received payment as PDF bytes."""
    from weasyprint import HTML

    payment = Payment.objects.select_related("structure", "family").get(pk=payment.pk)
    if payment.status != Payment.SUCCEEDED:
        raise ValueError("Only a received payment has a receipt.")
    html = render_to_string("billing/pdf/receipt.html", context(payment))
    return HTML(string=html).write_pdf()
