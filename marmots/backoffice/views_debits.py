"""SEPA direct debit in the back-office (/gestion/prelevements/): the creditor settings, the
families' mandates, the monthly batches and their file. Staff read; managers write (the XML
file, which holds full account numbers, is the manager's); another structure's rows are 404.
Every write goes through `marmots.debits.actions`."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from marmots.activities.models import StaffMembership
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.core.downloads import attachment
from marmots.debits import actions, queries, rules
from marmots.debits.models import DebitBatch, DebitItem, Mandate
from marmots.families.models import Family
from marmots.portal.frdates import previous_month

from . import scope
from .forms_debits import MandateForm, PrepareForm, RejectForm, SettingsForm, add_action_error

TEMPLATES = "backoffice/debits/"


def batches_of(request):
    return DebitBatch.objects.filter(structure__in=request.structures)


def mandates_of(request):
    return Mandate.objects.filter(structure__in=request.structures)


def batch_url(batch):
    return reverse("backoffice:debit_batch", args=[batch.pk])


def family_url(family_id):
    return reverse("backoffice:debit_family", args=[family_id])


def _managed(request):
    roles = request.staff_roles.items()
    return request.structures.filter(
        pk__in=[pk for pk, role in roles if role == StaffMembership.MANAGER]
    )


# Settings -----------------------------------------------------------------------------------


@staff_required
def settings_page(request):
    """The creditor settings of one of the user's structures (`?structure=`)."""
    structure = scope.chosen_structure(request)
    can_edit = scope.manages(request, structure.pk)
    posted = request.method == "POST"
    if posted and not can_edit:
        raise PermissionDenied("Action réservée au gestionnaire.")
    settings = queries.settings_for(structure)
    form = SettingsForm(request.POST) if posted else SettingsForm.of(settings)
    if posted and form.is_valid():
        try:
            actions.save_settings(structure, request.user, **form.values())
        except ValidationError as error:
            add_action_error(form, error)
        else:
            messages.success(request, "Réglages du prélèvement enregistrés.")
            return redirect(request.get_full_path())
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "form": form,
        "structure": structure,
        "structures": request.structures.order_by("name"),
        "can_edit": can_edit,
        "problems": queries.settings_problems(settings),
    }
    return render(request, TEMPLATES + "settings.html", context, status=400 if posted else 200)


# Mandates -----------------------------------------------------------------------------------


@staff_required
@require_GET
def mandates(request):
    """The mandates of the user's structures, active ones first (`?q=` a family name)."""
    rows = mandates_of(request).select_related("family", "structure")
    query = request.GET.get("q", "").strip()
    if query:
        rows = rows.filter(family__name__icontains=query)
    rows = rows.order_by("status", "family__name", "-signed_on")
    return render(request, TEMPLATES + "mandates.html", {"mandates": rows, "q": query})


@staff_required
@require_GET
def family_mandates(request, pk):
    family = get_or_404(scope.families(request), pk=pk)
    rows = mandates_of(request).filter(family=family).select_related("structure", "created_by")
    managed = _managed(request)
    context = {
        "family": family,
        "mandates": rows,
        # Full account numbers and writes: for a manager of the mandate's structure only.
        "managed": set(managed.values_list("pk", flat=True)),
        "can_create": Family.objects.using(managed).filter(pk=family.pk).exists(),
    }
    return render(request, TEMPLATES + "family.html", context)


@manager_required
def mandate_create(request):
    """A mandate signed by a family (`?famille=` chooses it from the family's page)."""
    families = scope.families(request)
    family = None
    if request.GET.get("famille"):
        family = get_or_404(families, pk=request.GET["famille"])
    posted = request.method == "POST"
    form = MandateForm(
        request.POST if posted else None,
        structures=request.structures,
        families=families,
        family=family,
        initial={"signe_le": timezone.localdate()},
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            mandate = actions.create_mandate(
                data["structure"],
                data["famille"],
                request.user,
                holder=data["titulaire"],
                iban=data["iban"],
                bic=data["bic"],
                signed_on=data["signe_le"],
            )
        except ValidationError as error:
            add_action_error(form, error)
        else:
            messages.success(request, f"Mandat {mandate.reference} enregistré.")
            return redirect(family_url(mandate.family_id))
    context = {"form": form, "family": family}
    return render(request, TEMPLATES + "mandate_form.html", context, status=400 if posted else 200)


@require_POST
@manager_required
def mandate_revoke(request, pk):
    mandate = get_or_404(mandates_of(request).select_related("structure"), pk=pk)
    try:
        actions.revoke_mandate(mandate, request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Mandat {mandate.reference} révoqué.")
    return redirect(family_url(mandate.family_id))


# Batches ------------------------------------------------------------------------------------


@staff_required
@require_GET
def batches(request):
    rows = batches_of(request).select_related("structure", "created_by")
    rows = rows.annotate(item_count=Count("items"))
    return render(request, TEMPLATES + "batches.html", {"batches": rows})


def _preview(structure, month):
    settings = queries.settings_for(structure)
    rows = queries.due(structure, month)
    return {
        "problems": queries.settings_problems(settings),
        "rows": rows,
        "total": queries.total(rows),
        "date": rules.collection_date(month, settings.collection_day, timezone.localdate()),
    }


@manager_required
def prepare(request):
    """Choose the month (GET `?mois=`), see what would be collected, then make the batch."""
    posted = request.method == "POST"
    data = request.POST if posted else (request.GET if "mois" in request.GET else None)
    last_month = f"{previous_month(timezone.localdate())[0]:%Y-%m}"
    form = PrepareForm(data, structures=_managed(request), initial={"mois": last_month})
    context = {"form": form}
    if form.is_valid():
        structure, month = form.cleaned_data["structure"], form.cleaned_data["mois"]
        if posted:
            try:
                batch = actions.make_batch(structure, month, request.user)
            except ValidationError as error:
                add_action_error(form, error)
            else:
                messages.success(request, "Remise de prélèvements créée : téléchargez le fichier.")
                return redirect(batch_url(batch))
        context.update(_preview(structure, month), structure=structure, month=month)
    status = 400 if data is not None and not form.is_valid() else 200
    return render(request, TEMPLATES + "prepare.html", context, status=status)


def _batch_page(request, batch, status=200, error="", reject_form=None, rejected=None):
    """The batch page; after a refused action, with its French message (status 400)."""
    items = batch.items.select_related("invoice", "mandate", "payment", "invoice__family")
    context = {
        "batch": batch,
        "items": items.order_by("invoice__family__name", "pk"),
        "can_edit": scope.manages(request, batch.structure_id),
        "reject_form": reject_form or RejectForm(),
        "rejected": rejected,
        "error": error,
        "today": timezone.localdate(),
    }
    return render(request, TEMPLATES + "batch.html", context, status=status)


def _batch(request, pk):
    return get_or_404(batches_of(request).select_related("structure", "created_by"), pk=pk)


@staff_required
@require_GET
def batch_detail(request, pk):
    return _batch_page(request, _batch(request, pk))


@manager_required
@require_GET
def batch_file(request, pk):
    batch = get_or_404(batches_of(request), pk=pk)
    return attachment(
        batch.xml.encode(), f"prelevements-{batch.collection_date:%Y-%m-%d}.xml", "application/xml"
    )


def _batch_action(request, pk, action, done):
    batch = _batch(request, pk)
    try:
        action(batch, request.user)
    except ValidationError as error:
        return _batch_page(request, batch, status=400, error=error.messages[0])
    messages.success(request, done)
    return redirect(batch_url(batch))


@require_POST
@manager_required
def batch_collect(request, pk):
    done = "Remise marquée encaissée : les règlements sont enregistrés."
    return _batch_action(request, pk, actions.mark_collected, done)


@require_POST
@manager_required
def batch_cancel(request, pk):
    done = "Remise annulée : ses factures pourront être prélevées plus tard."
    return _batch_action(request, pk, actions.cancel_batch, done)


@require_POST
@manager_required
def item_reject(request, pk):
    items = DebitItem.objects.filter(batch__structure__in=request.structures)
    item = get_or_404(items.select_related("invoice"), pk=pk)
    form = RejectForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(next(iter(form.errors.values()))[0])
        actions.reject_item(item, request.user, form.cleaned_data["motif"])
    except ValidationError as error:
        batch = _batch(request, item.batch_id)
        page = _batch_page(request, batch, 400, error.messages[0], form, item.pk)
        return page
    messages.success(request, f"Prélèvement de la facture {item.invoice.reference} rejeté.")
    return redirect(batch_url(item.batch))
