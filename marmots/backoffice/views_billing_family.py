"""A family's billing account in the back-office: balance, credit, invoices with what remains
to pay, credit notes, payments and their receipts, the quotient; a payment received by the
structure with its allocation to invoices; the family's credit used on its unpaid invoices."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from marmots.activities.models import StaffMembership
from marmots.billing import payments
from marmots.billing.balances import balance, with_outstanding
from marmots.billing.models import Invoice, Payment
from marmots.billing.money import fr_money
from marmots.billing.settling import available_credit
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.core.downloads import attachment
from marmots.families.rules import quotient_state

from . import scope
from .forms_billing import StructureForm
from .forms_payments import PaymentForm, allocation_groups


def account_url(family):
    return reverse("backoffice:billing_family", args=[family.pk])


def _structures(request, family):
    """The user's structures that the family uses (its balance is shown for each)."""
    return list(request.structures.filter(families=family).order_by("name"))


def _managed(request, structures):
    """Those of `structures` the user manages (a payment is recorded in one of them)."""
    return [s for s in structures if request.staff_roles.get(s.pk) == StaffMembership.MANAGER]


def _payment_form(family, structures, data=None):
    url = reverse("backoffice:billing_payment_allocation", args=[family.pk])
    initial = {"recu_le": timezone.localdate()}
    return PaymentForm(data, structures=structures, initial=initial, allocation_url=url)


def _chosen_structure(structures, data):
    """The structure the payment is for: the only one, or the one chosen in `data`."""
    if len(structures) == 1:
        return structures[0]
    wanted = (data or {}).get("structure")
    return next((s for s in structures if str(s.pk) == wanted), None)


def _context(request, family, form=None):
    today = timezone.localdate()
    structures = _structures(request, family)
    invoices = Invoice.objects.for_family(family).filter(structure__in=request.structures)
    issued = with_outstanding(invoices).select_related("structure")
    quotient = family.quotients.first()
    managed = _managed(request, structures)
    if form is None and managed:
        form = _payment_form(family, managed)
    posted = form.data if form is not None and form.is_bound else None
    chosen = _chosen_structure(managed, posted)
    return {
        "family": family,
        "balances": [
            (structure, balance(family, structure), available_credit(family, structure))
            for structure in structures
        ],
        "several": len(structures) > 1,
        "managed": managed,
        "invoices": issued.order_by("-period_start", "-number"),
        "drafts": invoices.filter(status=Invoice.DRAFT).order_by("-period_start", "pk"),
        "credit_notes": invoices.filter(kind=Invoice.CREDIT_NOTE, status=Invoice.ISSUED)
        .select_related("corrects")
        .order_by("-issued_at", "-pk"),
        "payments": Payment.objects.for_family(family)
        .filter(structure__in=request.structures)
        .select_related("deposit_slip")
        .prefetch_related("allocations__invoice"),
        "quotient": quotient,
        "quotient_state": quotient_state(quotient, today),
        "today": today,
        "form": form,
        "groups": allocation_groups(family, managed, chosen=chosen, posted=posted),
        "chosen": chosen,
        "choose": len(managed) > 1,
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
    form = _payment_form(family, _managed(request, _structures(request, family)), request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = payments.record_payment(
                data["structure"],
                family,
                request.user,
                data["moyen"],
                data["montant"],
                data["recu_le"],
                reference=data["reference"],
                payer=data["payeur"],
                allocations=data["affectation"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            left = payment.amount - sum(a.amount for a in payment.allocations.all())
            note = f" {fr_money(left)} restent en avoir disponible." if left > 0 else ""
            messages.success(
                request,
                f"Règlement de {fr_money(payment.amount)} enregistré. "
                f"Reçu n° {payment.receipt_number}.{note}",
            )
            return redirect(account_url(family))
    context = _context(request, family, form)
    return render(request, "backoffice/billing/family.html", context, status=400)


@require_GET
@manager_required
def payment_allocation(request, pk):
    """htmx: the allocation fields prefilled for the amount being typed."""
    family = get_or_404(scope.families(request), pk=pk)
    structures = _managed(request, _structures(request, family))
    try:
        amount = PaymentForm.base_fields["montant"].clean(request.GET.get("montant", ""))
    except ValidationError:
        amount = None
    chosen = _chosen_structure(structures, request.GET)
    groups = allocation_groups(family, structures, chosen=chosen, amount=amount)
    context = {"groups": groups, "chosen": chosen, "choose": len(structures) > 1}
    return render(request, "backoffice/billing/_allocation.html", context)


@require_POST
@manager_required
def credit_apply(request, pk):
    family = get_or_404(scope.families(request), pk=pk)
    form = StructureForm(request.POST, structures=_structures(request, family))
    if not form.is_valid():
        messages.error(request, "Choisissez la structure.")
        return redirect(account_url(family))
    made = payments.apply_credit(family, form.cleaned_data["structure"], request.user)
    if made:
        settled = len({allocation.invoice_id for allocation in made})
        messages.success(
            request,
            f"Avoir imputé sur {settled} facture{'s' if settled > 1 else ''}.",
        )
    else:
        messages.info(request, "Rien à imputer : pas d'avoir disponible ou aucune facture due.")
    return redirect(account_url(family))


@staff_required
@require_GET
def payment_receipt(request, pk):
    """The receipt of a received payment, as PDF."""
    from marmots.billing.receipts import receipt_filename, receipt_pdf

    received = Payment.objects.filter(structure__in=request.structures, status=Payment.SUCCEEDED)
    payment = get_or_404(received.select_related("family", "structure"), pk=pk)
    return attachment(receipt_pdf(payment), receipt_filename(payment))
