"""The allocation of places, under /gestion/attribution/ (namespace "backoffice").

Per period in allocation mode: its settings (mode, closing date, points per criterion), the
families' requests, the proposal computed from the ranking (adjusted by hand, line by line),
its confirmation, and the result kept with its ranking. Every write calls
`marmots.places.actions`; staff read, managers act; another structure's period answers 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marmots.activities.models import Period
from marmots.bookings import rules
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.places import actions
from marmots.places.models import Allocation, AllocationRequest, AllocationWish

from .forms_allocation import CRITERIA, AllocationSettingsForm
from .scope import owned

LIST_LIMIT = 100


def _periods(request):
    return owned(request, Period).select_related("structure", "allocation")


def _allocation(period):
    """The period's Allocation row, or None before the mode was ever set to allocation."""
    try:
        return period.allocation
    except Allocation.DoesNotExist:
        return None


def _period_and_allocation(request, period_id):
    """(period, allocation) of one of the user's periods; 404 without an allocation."""
    period = get_or_404(_periods(request), pk=period_id)
    allocation = _allocation(period)
    if allocation is None:
        raise Http404
    return period, allocation


def _wishes():
    return AllocationWish.objects.select_related("child", "slot__activity").order_by(
        "child__first_name", "child_id", "date", "slot__start_time"
    )


def by_child(wishes):
    """[(child, [wish])] in the order given (wishes of one child kept together)."""
    groups = {}
    for wish in wishes:
        groups.setdefault(wish.child_id, (wish.child, []))[1].append(wish)
    return list(groups.values())


def _requests(allocation):
    return (
        allocation.requests.filter(status=AllocationRequest.ACTIVE)
        .select_related("family")
        .prefetch_related(Prefetch("wishes", queryset=_wishes(), to_attr="wish_list"))
    )


def _error(request, error):
    messages.error(request, " ".join(error.messages))


def _back(view, period):
    return redirect(f"backoffice:{view}", period_id=period.pk)


# Pages ------------------------------------------------------------------------------------------


@staff_required
@require_GET
def allocations(request):
    periods = _periods(request).filter(end_date__gte=timezone.localdate()).order_by("start_date")
    past = _periods(request).filter(end_date__lt=timezone.localdate(), places_mode="allocation")
    rows = list(periods[:LIST_LIMIT]) + list(past.order_by("-start_date")[:LIST_LIMIT])
    return render(
        request,
        "backoffice/allocation/list.html",
        {"rows": [(p, _allocation(p)) for p in rows], "now": timezone.now()},
    )


@manager_required
@require_http_methods(["GET", "POST"])
def allocation_settings(request, period_id):
    period = get_or_404(_periods(request), pk=period_id)
    allocation = _allocation(period)
    form = AllocationSettingsForm(request.POST or None, period=period, allocation=allocation)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                actions.configure(
                    request.user,
                    period,
                    mode=form.cleaned_data["mode"],
                    requests_close_at=form.cleaned_data["requests_close_at"],
                    points=form.points(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"« {period.name} » : réglages enregistrés.")
                return redirect("backoffice:allocations")
    context = {"period": period, "allocation": allocation, "form": form}
    return render(request, "backoffice/allocation/settings.html", context, status=status)


@staff_required
@require_GET
def allocation_requests(request, period_id):
    period, allocation = _period_and_allocation(request, period_id)
    rows = [(r, by_child(r.wish_list)) for r in _requests(allocation).order_by("created_at", "id")]
    context = {
        "period": period,
        "allocation": allocation,
        "rows": rows,
        "closed": timezone.now() >= period.requests_close_at if period.requests_close_at else False,
    }
    return render(request, "backoffice/allocation/requests.html", context)


@require_POST
@manager_required
def allocation_propose(request, period_id):
    period, allocation = _period_and_allocation(request, period_id)
    try:
        actions.propose(request.user, allocation)
    except ValidationError as error:
        _error(request, error)
        return _back("allocation_requests", period)
    messages.success(request, "Proposition calculée : vérifiez-la, ajustez-la puis confirmez.")
    return _back("allocation_proposal", period)


def fill_rows(days):
    """[(DayFill, percent or None)] for the fill table."""
    return [(d, None if d.rate is None else round(d.rate * 100)) for d in days]


def _render_proposal(request, period, allocation, notice=None):
    """The proposal page, or only its body (`_proposal.html`) for an htmx request."""
    view = actions.proposal(allocation)
    context = {
        "period": period,
        "allocation": allocation,
        "view": view,
        "rows": [(r, by_child(r.wishes.all())) for r in view.requests],
        "fills": fill_rows(view.days),
        "notice": notice,
    }
    partial = bool(request.headers.get("HX-Request"))
    template = "_proposal" if partial else "proposal"
    return render(request, f"backoffice/allocation/{template}.html", context)


@staff_required
@require_GET
def allocation_proposal(request, period_id):
    period, allocation = _period_and_allocation(request, period_id)
    if allocation.status == Allocation.CONFIRMED:
        return _back("allocation_result", period)
    if allocation.status == Allocation.COLLECTING:
        return _back("allocation_requests", period)
    return _render_proposal(request, period, allocation)


@require_POST
@manager_required
def allocation_adjust(request, period_id, wish_id):
    """Grant or withhold one line; an htmx request gets the proposal back with a notice."""
    period, allocation = _period_and_allocation(request, period_id)
    wish = get_or_404(
        AllocationWish.objects.filter(request__allocation=allocation).select_related(
            "child", "slot"
        ),
        pk=wish_id,
    )
    granted = request.POST.get("granted") == "1"
    what = f"{wish.child.first_name}, {rules.fr_day(wish.date)}"
    try:
        actions.adjust(request.user, wish, granted)
    except ValidationError as error:
        notice = ("error", f"{what} : rien n'a changé. {' '.join(error.messages)}")
    else:
        notice = ("success", f"{what} : {'place attribuée' if granted else 'mis en attente'}.")
    if request.headers.get("HX-Request"):
        return _render_proposal(request, period, allocation, notice)
    getattr(messages, notice[0])(request, notice[1])
    url = reverse("backoffice:allocation_proposal", args=[period.pk])
    return redirect(f"{url}#demande-{wish.request_id}")


@require_POST
@manager_required
def allocation_confirm(request, period_id):
    period, allocation = _period_and_allocation(request, period_id)
    if request.POST.get("confirm") != "1":
        messages.error(
            request, "Cochez la case de confirmation : l'attribution n'a pas été confirmée."
        )
        return _back("allocation_proposal", period)
    try:
        actions.confirm(request.user, allocation)
    except ValidationError as error:
        _error(request, error)
        return _back("allocation_proposal", period)
    messages.success(
        request, "Attribution confirmée : les réservations sont faites, les familles prévenues."
    )
    return _back("allocation_result", period)


@staff_required
@require_GET
def allocation_result(request, period_id):
    period, allocation = _period_and_allocation(request, period_id)
    if allocation.status != Allocation.CONFIRMED:
        return _back("allocation_proposal", period)
    requests = _requests(allocation).order_by("rank", "created_at", "id")
    context = {
        "period": period,
        "allocation": allocation,
        "rows": [(r, by_child(r.wish_list)) for r in requests],
        "criteria": [(label, getattr(allocation, f"points_{code}")) for code, label in CRITERIA],
    }
    return render(request, "backoffice/allocation/result.html", context)
