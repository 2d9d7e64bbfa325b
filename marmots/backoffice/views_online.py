"""Back-office: online card payment – the attempts, the notification log (forged ones too)
and the provider's settings (manager only). Staff read; another structure's rows are never
listed, and its settings answer 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from marmots.core.access import manager_required, staff_required
from marmots.payments import providers
from marmots.payments.configure import provider_of, save_provider_settings
from marmots.payments.forms import ProviderSettingsForm
from marmots.payments.models import Notification, OnlinePayment

from . import scope

TEMPLATES = "backoffice/online/"
PER_PAGE = 50


def _page(request, rows):
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def _problems(request):
    """[(structure, French reason)] of the user's structures whose provider cannot work."""
    found = []
    for structure in request.structures.order_by("name"):
        provider = provider_of(structure)
        if provider.kind:
            problem = providers.problem(provider)
            if problem:
                found.append((structure, problem))
    return found


@staff_required
def attempts(request):
    rows = OnlinePayment.objects.filter(structure__in=request.structures).select_related(
        "family", "payment", "structure"
    )
    status = request.GET.get("etat", "")
    if status in dict(OnlinePayment.STATUSES):
        rows = rows.filter(status=status)
    context = {
        "page": _page(request, rows),
        "statuses": OnlinePayment.STATUSES,
        "status": status,
        "problems": _problems(request),
    }
    return render(request, TEMPLATES + "attempts.html", context)


@staff_required
def notifications(request):
    rows = Notification.objects.filter(structure__in=request.structures).select_related(
        "online_payment"
    )
    outcome = request.GET.get("issue", "")
    if outcome in dict(Notification.OUTCOMES):
        rows = rows.filter(outcome=outcome)
    context = {"page": _page(request, rows), "outcomes": Notification.OUTCOMES, "outcome": outcome}
    return render(request, TEMPLATES + "notifications.html", context)


@manager_required
def provider_settings(request):
    """The provider of one of the structures the manager manages (`?structure=`)."""
    structure = scope.chosen_structure(request)
    provider = provider_of(structure)
    posted = request.method == "POST"
    if posted:
        form = ProviderSettingsForm(request.POST)
        if form.is_valid():
            save_provider_settings(structure, request.user, form)
            messages.success(request, "Paiement en ligne enregistré.")
            return redirect(request.get_full_path())
    else:
        form = ProviderSettingsForm(initial=ProviderSettingsForm.initial_for(provider))
    context = {
        "form": form,
        "structure": structure,
        "structures": request.structures.order_by("name"),
        "provider": provider,
        "problem": providers.problem(provider) if provider.kind else None,
        "secret_set": providers.secret_is_set(provider),
        "notify_url": providers.notify_url(provider) if provider.kind else "",
    }
    return render(request, TEMPLATES + "settings.html", context, status=400 if posted else 200)
