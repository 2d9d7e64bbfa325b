"""Invoice and credit note PDFs, rendered by WeasyPrint from `billing/pdf/invoice.html`.

Rendered on demand from the stored rows: the lines never change once issued; what is paid
(allocations, credit notes) and what remains are as of the moment the PDF is made.
"""

from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from .balances import with_outstanding
from .models import Allocation, Invoice, InvoiceLine, Payment
from .money import ZERO, money
from .presentation import group_lines


def invoice_filename(invoice):
    if invoice.number is None:
        return f"facture-brouillon-{invoice.pk}.pdf"
    prefix = "avoir" if invoice.is_credit_note else "facture"
    return f"{prefix}-{invoice.reference}.pdf"


def _settlement(invoice):
    """(payments allocated, credit notes, paid, credited, what remains) of an invoice."""
    if invoice.is_credit_note or invoice.status != Invoice.ISSUED:
        return [], [], ZERO, ZERO, invoice.total
    allocations = list(
        Allocation.objects.filter(invoice=invoice, payment__status=Payment.SUCCEEDED)
        .select_related("payment")
        .order_by("payment__received_on", "pk")
    )
    credit_notes = list(
        invoice.credit_notes.filter(status=Invoice.ISSUED).order_by("issued_at", "pk")
    )
    row = with_outstanding(Invoice.objects.filter(pk=invoice.pk)).get()
    return allocations, credit_notes, money(row.paid), -money(row.credited), money(row.outstanding)


def context(invoice):
    lines = list(invoice.lines.select_related("child", "activity").order_by("order", "pk"))
    aids = [line for line in lines if line.kind == InvoiceLine.AID]
    billed = [line for line in lines if line.kind != InvoiceLine.AID]
    allocations, credit_notes, paid, credited, remaining = _settlement(invoice)
    return {
        "invoice": invoice,
        "structure": invoice.structure,
        "legal_mentions": getattr(
            getattr(invoice.structure, "billing_settings", None), "legal_mentions", ""
        ),
        "groups": group_lines(billed),
        "aids": aids,
        "gross": sum((line.amount for line in billed), ZERO),
        "aid_total": sum((line.amount for line in aids), Decimal("0.00")),
        "allocations": allocations,
        "credit_notes": credit_notes,
        "paid": paid,
        "credited": credited,
        "remaining": remaining,
        "printed_on": timezone.localdate(),
    }


def invoice_pdf(invoice) -> bytes:
    """The invoice (or credit note) as PDF bytes."""
    from weasyprint import HTML

    invoice = Invoice.objects.select_related(
        "structure__billing_settings", "family", "corrects"
    ).get(pk=invoice.pk)
    html = render_to_string("billing/pdf/invoice.html", context(invoice))
    return HTML(string=html).write_pdf()
