"""The manager's settings: periods, activities and slots, closures, document types,
published documents and the structure's identity. Staff read the lists; managers write."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from marmots.activities import forms
from marmots.activities.actions import delete_closure, save_settings_form, unpublish_document
from marmots.activities.models import (
    Activity,
    AgeGroupCapacity,
    Closure,
    DocumentType,
    Period,
    PublishedDocument,
    Structure,
    TimeSlot,
)
from marmots.bookings import waitlist
from marmots.bookings.models import DeadlinePolicy
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.core.audit import record, snapshot

from .scope import owned


def _edit(request, form_class, *, title, back, instance=None, **form_kwargs):
    """Show a settings form; on a valid POST save it (audited) and go back to the list."""
    posted = request.method == "POST"
    form = form_class(
        request.POST if posted else None,
        request.FILES if posted else None,
        instance=instance,
        **form_kwargs,
    )
    if posted and form.is_valid():
        save_settings_form(form, actor=request.user)
        messages.success(request, "Modifications enregistrées.")
        return redirect(back)
    context = {"form": form, "title": title, "back": reverse(back)}
    return render(request, "backoffice/settings/form.html", context, status=400 if posted else 200)


def _list(request, template, **context):
    return render(request, f"backoffice/settings/{template}.html", context)


# Periods --------------------------------------------------------------------------------------


@staff_required
def periods(request):
    rows = owned(request, Period).select_related("structure").order_by("-start_date")
    policies = owned(request, DeadlinePolicy).select_related("structure")
    return _list(request, "periods", periods=rows, policies=policies.order_by("period_kind"))


@manager_required
def period_create(request):
    return _edit(
        request,
        forms.PeriodForm,
        title="Nouvelle période",
        back="backoffice:periods",
        structures=request.structures,
    )


@manager_required
def period_edit(request, pk):
    period = get_or_404(owned(request, Period), pk=pk)
    return _edit(
        request,
        forms.PeriodForm,
        title=f"Modifier la période « {period} »",
        back="backoffice:periods",
        instance=period,
        structures=request.structures,
    )


# Booking and cancellation deadlines, per kind of period --------------------------------------


@manager_required
def deadline_create(request):
    return _edit(
        request,
        forms.DeadlinePolicyForm,
        title="Nouveau délai de réservation et d'annulation",
        back="backoffice:periods",
        structures=request.structures,
    )


@manager_required
def deadline_edit(request, pk):
    policy = get_or_404(owned(request, DeadlinePolicy), pk=pk)
    return _edit(
        request,
        forms.DeadlinePolicyForm,
        title=f"Délai : {policy.get_period_kind_display()}",
        back="backoffice:periods",
        instance=policy,
        structures=request.structures,
    )


# Activities and their time slots ----------------------------------------------------------------


@staff_required
def activities(request):
    rows = owned(request, Activity).prefetch_related("slots__age_groups", "required_documents")
    return _list(request, "activities", activities=rows.select_related("structure"))


@manager_required
def activity_create(request):
    return _edit(
        request,
        forms.ActivityForm,
        title="Nouvelle activité",
        back="backoffice:activities",
        structures=request.structures,
    )


@manager_required
def activity_edit(request, pk):
    activity = get_or_404(owned(request, Activity), pk=pk)
    return _edit(
        request,
        forms.ActivityForm,
        title=f"Modifier l'activité « {activity} »",
        back="backoffice:activities",
        instance=activity,
        structures=request.structures,
    )


@manager_required
def slot_create(request, activity_pk):
    activity = get_or_404(owned(request, Activity), pk=activity_pk)
    return _edit(
        request,
        forms.TimeSlotForm,
        title=f"Nouvelle tranche horaire : {activity}",
        back="backoffice:activities",
        activity=activity,
    )


@manager_required
def slot_edit(request, pk):
    slot = get_or_404(_slots(request).select_related("activity"), pk=pk)
    return _edit(
        request,
        forms.TimeSlotForm,
        title=f"Modifier la tranche « {slot.label} » ({slot.activity})",
        back="backoffice:activities",
        instance=slot,
        activity=slot.activity,
    )


def _slots(request):
    return TimeSlot.objects.filter(activity__structure__in=request.structures)


def _age_groups(request):
    return AgeGroupCapacity.objects.filter(slot__activity__structure__in=request.structures)


@manager_required
def age_group_create(request, slot_pk):
    slot = get_or_404(_slots(request).select_related("activity"), pk=slot_pk)
    return _edit(
        request,
        forms.AgeGroupForm,
        title=f"Places par âge : {slot.label} ({slot.activity})",
        back="backoffice:activities",
        slot=slot,
    )


@manager_required
def age_group_edit(request, pk):
    group = get_or_404(_age_groups(request).select_related("slot__activity"), pk=pk)
    return _edit(
        request,
        forms.AgeGroupForm,
        title=f"Modifier « {group.label} » ({group.slot.label}, {group.slot.activity})",
        back="backoffice:activities",
        instance=group,
        slot=group.slot,
    )


def _delete_age_group(group, actor):
    """Remove an age group: its places go back to the slot's common pool (audited)."""
    with transaction.atomic():
        fields = ["slot", "label", "min_age", "max_age", "capacity"]
        record(actor, "agegroupcapacity.delete", group, before=snapshot(group, fields=fields))
        group.delete()
        waitlist.places_changed(group.slot_id)  # its places join the pool: the lines get them


@require_POST
@manager_required
def age_group_delete(request, pk):
    group = get_or_404(_age_groups(request).select_related("slot"), pk=pk)
    _delete_age_group(group, request.user)
    messages.success(request, f"Tranche d'âge « {group.label} » supprimée.")
    return redirect("backoffice:activities")


# Closures -------------------------------------------------------------------------------------


@staff_required
def closures(request):
    return _list(request, "closures", closures=owned(request, Closure).select_related("structure"))


@manager_required
def closure_create(request):
    return _edit(
        request,
        forms.ClosureForm,
        title="Nouvelle fermeture",
        back="backoffice:closures",
        structures=request.structures,
    )


@manager_required
def closure_edit(request, pk):
    closure = get_or_404(owned(request, Closure), pk=pk)
    return _edit(
        request,
        forms.ClosureForm,
        title="Modifier la fermeture",
        back="backoffice:closures",
        instance=closure,
        structures=request.structures,
    )


@require_POST
@manager_required
def closure_delete(request, pk):
    closure = get_or_404(owned(request, Closure), pk=pk)
    delete_closure(closure, actor=request.user)
    messages.success(request, "Fermeture supprimée.")
    return redirect("backoffice:closures")


# Document types -------------------------------------------------------------------------------


@staff_required
def document_types(request):
    rows = owned(request, DocumentType).prefetch_related("activities").select_related("structure")
    return _list(request, "document_types", document_types=rows)


@manager_required
def document_type_create(request):
    return _edit(
        request,
        forms.DocumentTypeForm,
        title="Nouvelle pièce du dossier",
        back="backoffice:document_types",
        structures=request.structures,
    )


@manager_required
def document_type_edit(request, pk):
    doc_type = get_or_404(owned(request, DocumentType), pk=pk)
    return _edit(
        request,
        forms.DocumentTypeForm,
        title=f"Modifier la pièce « {doc_type} »",
        back="backoffice:document_types",
        instance=doc_type,
        structures=request.structures,
    )


# Published documents --------------------------------------------------------------------------


@staff_required
def publications(request):
    rows = owned(request, PublishedDocument).select_related("structure")
    return _list(request, "publications", publications=rows)


@manager_required
def publication_create(request):
    return _edit(
        request,
        forms.PublishedDocumentForm,
        title="Publier un document",
        back="backoffice:publications",
        structures=request.structures,
    )


@require_POST
@manager_required
def publication_unpublish(request, pk):
    document = get_or_404(owned(request, PublishedDocument).filter(is_public=True), pk=pk)
    unpublish_document(document, actor=request.user)
    messages.success(request, f"« {document} » n'est plus publié.")
    return redirect("backoffice:publications")


# The structure's identity ---------------------------------------------------------------------


@staff_required
def structures(request):
    return _list(request, "structures", structures=request.structures)


@manager_required
def structure_edit(request, pk):
    structure = get_or_404(Structure.objects.filter(pk__in=request.structures), pk=pk)
    return _edit(
        request,
        forms.StructureForm,
        title=f"Identité de « {structure} »",
        back="backoffice:structures",
        instance=structure,
    )
