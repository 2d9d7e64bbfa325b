"""The payments journal and bank deposit slips in the back-office: staff read them, managers
make the slips."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from marmots.billing import deposits
from marmots.billing.models import DepositSlip, Payment
from marmots.billing.money import ZERO
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.core.downloads import attachment

from .forms_payments import DepositSlipForm, JournalFilterForm

PAGE_SIZE = 50
# The most payments offered for one slip (a bank takes a few dozen cheques at a time).
CANDIDATES = 200


def _received(request):
    return Payment.objects.filter(structure__in=request.structures, status=Payment.SUCCEEDED)


def _query(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@staff_required
@require_GET
def journal(request):
    """Received payments, newest first, filtered; the filtered count and total."""
    form = JournalFilterForm(request.GET)
    payments = form.filter(_received(request))
    totals = payments.aggregate(count=Count("pk"), total=Sum("amount"))
    rows = payments.select_related("family", "deposit_slip").order_by("-received_on", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "count": totals["count"],
        "total": totals["total"] or ZERO,
        "query": _query(request),
    }
    return render(request, "backoffice/deposits/journal.html", context)


@staff_required
@require_GET
def slip_list(request):
    slips = DepositSlip.objects.filter(structure__in=request.structures)
    slips = slips.annotate(count=Count("payments")).order_by("-deposited_on", "-pk")
    page = Paginator(slips, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "backoffice/deposits/slips.html", {"page": page, "query": ""})


def _candidates(request, method):
    """The received payments of `method` on no slip yet, oldest first (at most CANDIDATES)."""
    waiting = _received(request).filter(method=method, deposit_slip__isnull=True)
    return list(waiting.select_related("family").order_by("received_on", "pk")[:CANDIDATES])


@require_http_methods(["GET", "POST"])
@manager_required
def slip_create(request):
    structures = list(request.structures.order_by("name"))
    if request.method == "POST":
        form = DepositSlipForm(request.POST, structures=structures)
        if form.is_valid():
            data = form.cleaned_data
            try:
                slip = deposits.create_deposit_slip(
                    data["structure"],
                    request.user,
                    data["moyen"],
                    data["reglements"],
                    data["remis_le"],
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, f"Bordereau {slip.number} établi.")
                return redirect("backoffice:deposit_slip", slip.pk)
        method, ticked, status = (
            request.POST.get("moyen", ""),
            request.POST.getlist("reglements"),
            400,
        )
    else:
        method = request.GET.get("moyen") or Payment.CHEQUE
        form = DepositSlipForm(
            structures=structures, initial={"moyen": method, "remis_le": timezone.localdate()}
        )
        ticked, status = None, 200
    candidates = _candidates(request, method) if method in deposits.DEPOSIT_METHODS else []
    context = {
        "form": form,
        "method": method,
        "methods": form.fields["moyen"].choices,
        "candidates": candidates,
        "ticked": None if ticked is None else {str(pk) for pk in ticked},
        "limit": CANDIDATES,
    }
    return render(request, "backoffice/deposits/create.html", context, status=status)


def _slip(request, pk):
    slips = DepositSlip.objects.filter(structure__in=request.structures)
    return get_or_404(slips.select_related("structure", "created_by"), pk=pk)


@staff_required
@require_GET
def slip_detail(request, pk):
    slip = _slip(request, pk)
    return render(request, "backoffice/deposits/slip.html", deposits.slip_context(slip))


@staff_required
@require_GET
def slip_pdf(request, pk):
    slip = _slip(request, pk)
    return attachment(deposits.slip_pdf(slip), deposits.slip_filename(slip))
