"""Reminders for unpaid invoices in the back-office: the thresholds, what would be reminded
today and the button that sends it, the history of reminders. Staff read; managers write;
another structure is 404 (`?structure=` and the posted `structure` are looked up among the
user's own)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from marmots.billing import reminders
from marmots.billing.balances import settings_for
from marmots.billing.models import Reminder
from marmots.core.access import manager_required, staff_required

from . import scope

TEMPLATE = "backoffice/reminders/reminders.html"
PAGE_SIZE = 50


class ThresholdsForm(forms.Form):
    relances = forms.CharField(
        label="Relances (nombre de jours après l'échéance)",
        required=False,
        max_length=50,
        help_text="Séparés par des virgules, 5 au plus (ex. « 10, 30 ») ; vide : pas de relance.",
    )


def _page_url(structure):
    return f"{reverse('backoffice:reminders')}?structure={structure.pk}"


def _render(request, structure, form=None, status=200):
    can_edit = scope.manages(request, structure.pk)
    if form is None:
        form = ThresholdsForm(initial={"relances": settings_for(structure).reminder_days})
    if not can_edit:
        form.fields["relances"].disabled = True
    due, skipped = reminders.review(structure)
    history = (
        Reminder.objects.filter(invoice__structure=structure)
        .select_related("invoice__family")
        .order_by("-created_at", "-pk")
    )
    context = {
        "structure": structure,
        "structures": request.structures.order_by("name"),
        "can_edit": can_edit,
        "form": form,
        "thresholds": reminders.thresholds_of(structure),
        "due": due,
        "skipped": skipped,
        "page": Paginator(history, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": f"structure={structure.pk}",
    }
    return render(request, TEMPLATE, context, status=status)


@require_GET
@staff_required
def reminder_page(request):
    return _render(request, scope.chosen_structure(request))


@require_POST
@manager_required
def thresholds(request):
    structure = scope.chosen_structure(request, request.POST.get("structure") or "")
    form = ThresholdsForm(request.POST)
    if form.is_valid():
        try:
            reminders.save_thresholds(structure, form.cleaned_data["relances"], request.user)
        except ValidationError as error:
            for message in error.messages:
                form.add_error("relances", message)
        else:
            messages.success(request, "Seuils de relance enregistrés.")
            return redirect(_page_url(structure))
    return _render(request, structure, form, status=400)


@require_POST
@manager_required
def send(request):
    structure = scope.chosen_structure(request, request.POST.get("structure") or "")
    sent = reminders.queue_reminders(structure, actor=request.user)
    if sent:
        messages.success(request, f"{len(sent)} relance(s) en cours d'envoi aux familles.")
    else:
        messages.info(request, "Aucune relance n'est due aujourd'hui.")
    return redirect(_page_url(structure))
