"""Back-office billing settings: tariffs and their prices, the structure's billing settings,
third-party aid. Staff read; managers write; another structure's rows are 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from marmots.billing import settings_actions as actions
from marmots.billing.balances import settings_for
from marmots.billing.models import Aid, Invoice, InvoiceLine, Tariff
from marmots.billing.money import fr_money, money
from marmots.core.access import get_or_404, manager_required, staff_required

from . import scope
from .forms_billing_settings import (
    AidEndForm,
    AidForm,
    BillingSettingsForm,
    for_whom,
    qf_span,
    tariff_forms,
    tariff_is_valid,
)

TEMPLATES = "backoffice/billing/"


# Tariffs ----------------------------------------------------------------------------------------


def _rate(value):
    return f"{value.normalize():f}".replace(".", ",")


def price_words(tariff):
    """The tariff's prices as a family reads them: "QF 0-650 : 0,60 €"."""
    if tariff.method == Tariff.EFFORT_RATE:
        low, high = money(tariff.qf_floor * tariff.rate), money(tariff.qf_ceiling * tariff.rate)
        return [
            f"QF × {_rate(tariff.rate)}, QF compté entre {tariff.qf_floor} et "
            f"{tariff.qf_ceiling} : de {fr_money(low)} à {fr_money(high)}"
        ]
    words = []
    for price in tariff.prices.all():
        row = {"qf_min": price.qf_min, "qf_max": price.qf_max}
        span = "tout QF" if (price.qf_min, price.qf_max) == (0, None) else qf_span(row)
        words.append(
            f"{span}{for_whom(price.residence, price.min_rank)} : {fr_money(price.amount)}"
        )
    return words


def _validity(tariff, today):
    if tariff.valid_until and tariff.valid_until < today:
        return "terminé"
    return "à venir" if tariff.valid_from > today else "en vigueur"


def _issued_use(model_field):
    lines = InvoiceLine.objects.filter(
        invoice__status=Invoice.ISSUED, **{model_field: OuterRef("pk")}
    )
    return Exists(lines)


@staff_required
def tariffs(request):
    rows = (
        scope.owned(request, Tariff)
        .select_related("activity", "slot")
        .prefetch_related("prices")
        .annotate(used=_issued_use("tariff"))
    )
    today = timezone.localdate()
    groups = {}
    for tariff in rows:
        tariff.words = price_words(tariff)
        tariff.state = _validity(tariff, today)
        name = tariff.activity.name if tariff.activity else "Adhésion et tarifs communs"
        groups.setdefault(name, []).append(tariff)
    return render(request, TEMPLATES + "tariffs.html", {"groups": groups.items()})


def _tariff_page(request, *, title, instance=None, replaces=None):
    posted = request.method == "POST"
    form, formset = tariff_forms(
        request.POST if posted else None,
        structures=request.structures,
        instance=instance,
        replaces=replaces,
    )
    if posted and tariff_is_valid(form, formset):
        try:
            if replaces is not None:
                actions.replace_tariff(replaces, form, formset.rows(), actor=request.user)
            else:
                actions.save_tariff(form, formset.rows(), actor=request.user)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, "Tarif enregistré.")
            return redirect("backoffice:billing_tariffs")
    context = {"form": form, "formset": formset, "title": title, "replaces": replaces}
    return render(request, TEMPLATES + "tariff_form.html", context, status=400 if posted else 200)


@manager_required
def tariff_create(request):
    return _tariff_page(request, title="Nouveau tarif")


@manager_required
def tariff_edit(request, pk):
    tariff = get_or_404(scope.owned(request, Tariff), pk=pk)
    if actions.tariff_used_until(tariff):
        messages.info(
            request,
            "Des factures émises appliquent ce tarif : il ne change pas. Créez le nouveau "
            "tarif à partir d'une date ; l'ancien finira la veille.",
        )
        return redirect("backoffice:billing_tariff_replace", pk=tariff.pk)
    return _tariff_page(request, title=f"Modifier le tarif « {tariff.label} »", instance=tariff)


@manager_required
def tariff_replace(request, pk):
    tariff = get_or_404(scope.owned(request, Tariff).select_related("activity", "slot"), pk=pk)
    title = f"Nouveau tarif à partir du … (remplace « {tariff.label} »)"
    return _tariff_page(request, title=title, replaces=tariff)


# Billing settings -------------------------------------------------------------------------------


@staff_required
def billing_settings(request):
    """The settings of one of the user's structures (`?structure=`); managers change them."""
    structure = scope.chosen_structure(request)
    can_edit = scope.manages(request, structure.pk)
    posted = request.method == "POST"
    if posted and not can_edit:
        raise PermissionDenied("Action réservée au gestionnaire.")
    form = BillingSettingsForm(request.POST if posted else None, instance=settings_for(structure))
    if posted and form.is_valid():
        actions.save_billing_settings(form, actor=request.user)
        messages.success(request, "Réglages de facturation enregistrés.")
        return redirect(request.get_full_path())
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "form": form,
        "structure": structure,
        "structures": request.structures.order_by("name"),
        "can_edit": can_edit,
    }
    return render(request, TEMPLATES + "settings_form.html", context, status=400 if posted else 200)


# Third-party aid --------------------------------------------------------------------------------


@staff_required
def aids(request):
    rows = (
        scope.owned(request, Aid)
        .select_related("family", "child")
        .prefetch_related("activities")
        .annotate(used=_issued_use("aid"))
        .order_by("-valid_until", "family__name")
    )
    today = timezone.localdate()
    return render(request, TEMPLATES + "aids.html", {"aids": rows, "today": today})


def _aid_page(request, *, title, instance=None):
    posted = request.method == "POST"
    form = AidForm(
        request.POST if posted else None,
        instance=instance,
        structures=request.structures,
        families=scope.families(request),
    )
    if posted and form.is_valid():
        try:
            actions.save_aid(form, actor=request.user)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, "Aide enregistrée.")
            return redirect("backoffice:billing_aids")
    context = {"form": form, "title": title, "aid": instance, "end_form": AidEndForm()}
    return render(request, TEMPLATES + "aid_form.html", context, status=400 if posted else 200)


@manager_required
def aid_create(request):
    return _aid_page(request, title="Nouvelle aide d'un tiers")


@manager_required
def aid_edit(request, pk):
    aid = get_or_404(scope.owned(request, Aid), pk=pk)
    return _aid_page(request, title=f"Aide « {aid.label} » ({aid.payer})", instance=aid)


@require_POST
@manager_required
def aid_end(request, pk):
    aid = get_or_404(scope.owned(request, Aid), pk=pk)
    form = AidEndForm(request.POST)
    if form.is_valid():
        try:
            actions.end_aid(aid, form.cleaned_data["last_day"], actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            day = form.cleaned_data["last_day"]
            messages.success(request, f"L'aide « {aid.label} » finit le {day:%d/%m/%Y}.")
            return redirect("backoffice:billing_aids")
    else:
        messages.error(request, "Indiquez le dernier jour de l'aide.")
    return redirect("backoffice:billing_aid_edit", pk=aid.pk)
