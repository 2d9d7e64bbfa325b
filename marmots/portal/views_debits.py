"""Family portal: the family's direct debit mandates and the debits to come.

Every query goes through `for_family(request.family)`: another family's mandate answers 404.
"""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from marmots.core.access import get_or_404, guardian_required
from marmots.debits.models import DebitItem, Mandate
from marmots.debits.upcoming import upcoming_debits


def mandates(family):
    return Mandate.objects.for_family(family).select_related("structure__debit_settings")


@guardian_required
@require_GET
def debits(request):
    family = request.family
    rows = list(mandates(family))
    context = {
        "active": [m for m in rows if m.status == Mandate.ACTIVE],
        "revoked": [m for m in rows if m.status == Mandate.REVOKED],
        "upcoming": upcoming_debits(family),
    }
    return render(request, "portal/debits/debits.html", context)


@guardian_required
@require_GET
def mandate_detail(request, pk):
    mandate = get_or_404(mandates(request.family).select_related("structure"), pk=pk)
    items = (
        DebitItem.objects.filter(mandate=mandate)
        .select_related("batch", "invoice", "payment")
        .order_by("-batch__collection_date", "-pk")
    )
    context = {"mandate": mandate, "items": items}
    return render(request, "portal/debits/mandate.html", context)
