"""Invoices and credit notes in the back-office: the filtered list, one invoice with its
explained lines, payments and credit notes, its PDF, and a credit note to correct it."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from marmots.billing import actions, pdf
from marmots.billing.balances import with_outstanding
from marmots.billing.models import Invoice, Payment
from marmots.billing.money import ZERO
from marmots.billing.presentation import group_lines
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.core.downloads import attachment

from .forms_billing import CreditNoteForm, InvoiceFilterForm

PAGE_SIZE = 50


@dataclass(frozen=True)
class Figures:
    """What was credited (zero or negative), paid and what remains of an issued invoice."""

    credited: Decimal
    paid: Decimal
    outstanding: Decimal
    overdue: bool


def invoices_of(request):
    return Invoice.objects.filter(structure__in=request.structures)


def invoice_url(invoice):
    return reverse("backoffice:billing_invoice", args=[invoice.pk])


def figures(invoices, today):
    """{invoice id: Figures} of the issued invoices among `invoices` (one query)."""
    rows = with_outstanding(Invoice.objects.filter(pk__in=[i.pk for i in invoices]))
    values = rows.values_list("pk", "due_date", "credited", "paid", "outstanding")
    return {
        pk: Figures(credited, paid, outstanding, outstanding > 0 and due < today)
        for pk, due, credited, paid, outstanding in values
    }


def _unpaid(invoices):
    return with_outstanding(invoices).filter(outstanding__gt=0)


@staff_required
@require_GET
def invoice_list(request):
    form = InvoiceFilterForm(request.GET)
    invoices = form.filter(invoices_of(request), _unpaid)
    invoices = invoices.select_related("family", "corrects", "structure")
    ordered = invoices.order_by("-period_start", "family__name", "kind", "number", "pk")
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    found = figures(page.object_list, timezone.localdate())
    rows = [(invoice, found.get(invoice.pk)) for invoice in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": rows, "query": query.urlencode()}
    return render(request, "backoffice/billing/invoices.html", context)


def _detail(request, invoice, form=None):
    today = timezone.localdate()
    own = figures([invoice], today).get(invoice.pk)
    remaining = invoice.total + own.credited if own else ZERO
    can_credit = request.is_manager and own is not None and remaining > 0
    return {
        "invoice": invoice,
        "groups": group_lines(invoice.lines.select_related("child", "activity")),
        "figures": own,
        "remaining": remaining,
        "credit_notes": invoice.credit_notes.order_by("issued_at", "pk"),
        "allocations": invoice.allocations.filter(payment__status=Payment.SUCCEEDED)
        .select_related("payment")
        .order_by("payment__received_on", "pk"),
        "form": (form or CreditNoteForm()) if can_credit else None,
    }


def _invoice(request, pk):
    related = ("family", "structure", "corrects", "run", "created_by")
    return get_or_404(invoices_of(request).select_related(*related), pk=pk)


@staff_required
@require_GET
def invoice_detail(request, pk):
    invoice = _invoice(request, pk)
    return render(request, "backoffice/billing/invoice.html", _detail(request, invoice))


@staff_required
@require_GET
def invoice_pdf(request, pk):
    invoice = _invoice(request, pk)
    return attachment(pdf.invoice_pdf(invoice), pdf.invoice_filename(invoice))


@require_POST
@manager_required
def credit_note(request, pk):
    invoice = _invoice(request, pk)
    form = CreditNoteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            note = actions.credit_note(invoice, request.user, data["motif"], amount=data["montant"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Avoir {note.reference} émis ({invoice.reference}).")
            return redirect(invoice_url(invoice))
    context = _detail(request, invoice, form)
    if context["form"] is None:  # nothing left to credit: say so on the page
        messages.error(request, " ".join(form.non_field_errors()) or "Aucun avoir possible.")
        return redirect(invoice_url(invoice))
    return render(request, "backoffice/billing/invoice.html", context, status=400)
