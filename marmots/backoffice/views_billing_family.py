"""A family's billing account in the back-office: balance, invoices with what remains to pay,
credit notes, payments, the quotient; and a payment received by the structure."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from marmots.billing import actions
from marmots.billing.balances import balance, with_outstanding
from marmots.billing.models import Invoice, Payment
from marmots.billing.money import fr_money
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.families.rules import quotient_state

from . import scope
from .forms_billing import PaymentForm


def account_url(family):
    return reverse("backoffice:billing_family", args=[family.pk])


def _structures(request, family):
    """The user's structures that the family uses (its balance is shown for each)."""
    return list(request.structures.filter(families=family).order_by("name"))


def _context(request, family, form=None):
    today = timezone.localdate()
    structures = _structures(request, family)
    invoices = Invoice.objects.for_family(family).filter(structure__in=request.structures)
    issued = with_outstanding(invoices).select_related("structure")
    quotient = family.quotients.first()
    if form is None and request.is_manager and structures:
        form = PaymentForm(structures=structures, initial={"recu_le": today})
    return {
        "family": family,
        "balances": [(structure, balance(family, structure)) for structure in structures],
        "invoices": issued.order_by("-period_start", "-number"),
        "drafts": invoices.filter(status=Invoice.DRAFT).order_by("-period_start", "pk"),
        "credit_notes": invoices.filter(kind=Invoice.CREDIT_NOTE, status=Invoice.ISSUED)
        .select_related("corrects")
        .order_by("-issued_at", "-pk"),
        "payments": Payment.objects.for_family(family)
        .filter(structure__in=request.structures)
        .prefetch_related("allocations__invoice"),
        "quotient": quotient,
        "quotient_state": quotient_state(quotient, today),
        "today": today,
        "form": form,
    }


@staff_required
@require_GET
def family_account(request, pk):
    family = get_or_404(scope.families(request), pk=pk)
    return render(request, "backoffice/billing/family.html", _context(request, family))


@require_POST
@manager_required
def payment_add(request, pk):
    family = get_or_404(scope.families(request), pk=pk)
    form = PaymentForm(request.POST, structures=_structures(request, family))
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = actions.record_payment(
                data["structure"],
                family,
                request.user,
                data["moyen"],
                data["montant"],
                data["recu_le"],
                reference=data["reference"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Règlement de {fr_money(payment.amount)} enregistré.")
            return redirect(account_url(family))
    context = _context(request, family, form)
    return render(request, "backoffice/billing/family.html", context, status=400)
