"""Family portal: "Payer mes factures" (R4) – choose the invoices and amounts, check the recap
and the e-mail, pay by card at the structure's provider (same tab, no pop-up, no JavaScript
needed), come back to the result and the receipt (page and PDF).

One payment per structure: a family owing to several structures pays each on its own.
Everything is read through `for_family(request.family)`: another family's attempt or receipt
answers 404.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marmots.activities.models import Structure
from marmots.billing import receipts
from marmots.billing.models import Payment
from marmots.billing.money import money
from marmots.core.access import get_or_404, guardian_required
from marmots.core.downloads import attachment
from marmots.payments import actions
from marmots.payments.models import OnlinePayment, ProviderSettings
from marmots.payments.views import remote_addr

TEMPLATES = "portal/payments/"


@dataclass
class Group:
    structure: Structure
    offered: bool
    invoices: list = field(default_factory=list)

    @property
    def payable(self):
        return [i for i in self.invoices if not i.in_debit]


def _groups(family):
    """The family's unpaid invoices by structure, each marked whether it pays online."""
    invoices = list(actions.payable(family))
    offering = set(
        ProviderSettings.objects.exclude(kind="")
        .filter(structure__in={i.structure_id for i in invoices})
        .values_list("structure_id", flat=True)
    )
    groups = {}
    for invoice in invoices:
        invoice.typed = f"{money(invoice.outstanding):.2f}".replace(".", ",")
        group = groups.setdefault(
            invoice.structure_id, Group(invoice.structure, invoice.structure_id in offering)
        )
        group.invoices.append(invoice)
    return list(groups.values())


def _choose_page(request, error=None, status=200):
    context = {"groups": _groups(request.family), "error": error}
    return render(request, TEMPLATES + "choose.html", context, status=status)


@guardian_required
@require_GET
def choose(request):
    return _choose_page(request)


def _asked(data):
    """(structure, {invoice id: typed amount}) from the choice form's fields."""
    structure = get_or_404(Structure.objects.all(), pk=data.get("structure") or 0)
    ids = data.getlist("facture")
    return structure, {pk: data.get(f"montant-{pk}", "") for pk in ids}


def _recap_page(request, structure, amounts, email, error=None, status=200):
    try:
        _, _, chosen, total = actions.check_payment(request.family, structure, amounts)
    except ValidationError as refusal:
        return _choose_page(request, error=" ".join(refusal.messages), status=400)
    context = {
        "structure": structure,
        "chosen": chosen,
        "total": total,
        "email": email,
        "error": error,
    }
    return render(request, TEMPLATES + "recap.html", context, status=status)


@guardian_required
@require_GET
def recap(request):
    structure, amounts = _asked(request.GET)
    return _recap_page(request, structure, amounts, request.user.email)


@guardian_required
@require_POST
def start(request):
    structure, amounts = _asked(request.POST)
    email = request.POST.get("email", "")
    try:
        started = actions.start_online_payment(
            request.family, request.user, structure, amounts, email
        )
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
        return _recap_page(request, structure, amounts, email, error=error, status=400)
    if started.form is not None:
        context = {"attempt": started.online_payment, "form": started.form}
        return render(request, TEMPLATES + "to_bank.html", context)
    return redirect(started.url)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def payment_return(request, reference):
    """Where the provider sends the family back. When the return carries the provider's data
    (signed or checked with the provider), it is judged like a notification first, then the
    family is sent to the same page without it (a plain GET, which carries the session)."""
    query = request.META.get("QUERY_STRING", "")
    body = request.body.decode("utf-8", "replace") if request.method == "POST" else ""
    if not (query or body):
        return _result(request, reference)
    attempt = get_object_or_404(OnlinePayment, reference=reference)
    provider = ProviderSettings.objects.filter(structure_id=attempt.structure_id).first()
    if provider is not None:
        actions.handle_notification(
            provider, "return", request.method, query, body, remote_addr(request)
        )
    return redirect("portal:payment_return", reference=reference)


@guardian_required
def _result(request, reference):
    attempt = get_or_404(
        OnlinePayment.objects.for_family(request.family).select_related("payment", "structure"),
        reference=reference,
    )
    context = {"attempt": attempt, "asked": attempt.invoices_asked.select_related("invoice")}
    if request.headers.get("HX-Request"):
        return render(request, TEMPLATES + "_result.html", context)
    return render(request, TEMPLATES + "result.html", context)


def _received(request, pk):
    payments = Payment.objects.for_family(request.family).filter(status=Payment.SUCCEEDED)
    return get_or_404(payments.select_related("structure", "family"), pk=pk)


@guardian_required
@require_GET
def receipt(request, pk):
    payment = _received(request, pk)
    return render(request, TEMPLATES + "receipt.html", receipts.context(payment))


@guardian_required
@require_GET
def receipt_download(request, pk):
    payment = _received(request, pk)
    return attachment(receipts.receipt_pdf(payment), receipts.receipt_filename(payment))
