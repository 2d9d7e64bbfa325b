"""Family portal: "Demandes de places", for periods whose places are allocated on request.

The list of such periods; per period, the request form (days per child, preferences,
declarations) until the closing date, the request as sent, and after the allocation its
result with the ranking that explains it. Every write calls `marmots.places.actions`; the
family's rows are reached through `for_family` only.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marmots.activities.models import TimeSlot
from marmots.bookings import waitlist
from marmots.core.access import get_or_404, guardian_required
from marmots.families.models import Child
from marmots.places import actions
from marmots.places.models import Allocation, AllocationRequest

from . import allocation_days
from .allocation_days import CONFIRMED, state_of
from .forms_allocation import DeclarationsForm, read_wishes


def _mine(family, allocation):
    """The family's active request for the allocation, with its wishes, or None."""
    return (
        AllocationRequest.objects.for_family(family)
        .filter(allocation=allocation, status=AllocationRequest.ACTIVE)
        .first()
    )


def _wishes(mine):
    if mine is None:
        return []
    return list(
        mine.wishes.select_related("child", "slot__activity", "waitlist_entry").order_by(
            "child__first_name", "child_id", "date", "slot__start_time"
        )
    )


@guardian_required
@require_GET
def allocation(request):
    family, now = request.family, timezone.now()
    asked = AllocationRequest.objects.for_family(family)
    periods = (
        allocation_days.family_periods(family)
        .filter(
            Q(end_date__gte=timezone.localdate()) | Q(allocation__in=asked.values("allocation"))
        )
        .exclude(allocation=None)
        .distinct()
        .order_by("start_date")
    )
    mine = {
        r.allocation_id: r
        for r in asked.filter(status=AllocationRequest.ACTIVE, allocation__period__in=periods)
    }
    rows = [(p, state_of(p, p.allocation, now), mine.get(p.allocation.pk)) for p in periods]
    return render(request, "portal/allocation/list.html", {"rows": rows})


def _period(request, period_id):
    period = get_or_404(allocation_days.family_periods(request.family), pk=period_id)
    try:
        return period, period.allocation
    except Allocation.DoesNotExist:
        raise Http404 from None


def _wish_inputs(request, period, parsed):
    """WishInputs for the parsed tuples; 404 for another family's child or a slot elsewhere."""
    child_ids, slot_ids = {w[0] for w in parsed}, {w[1] for w in parsed}
    children = Child.objects.for_family(request.family).in_bulk(child_ids)
    slots = TimeSlot.objects.filter(activity__structure_id=period.structure_id).in_bulk(slot_ids)
    if len(children) != len(child_ids) or len(slots) != len(slot_ids):
        raise Http404
    return [actions.WishInput(children[c], slots[s], d, p) for c, s, d, p in parsed]


def _save(request, period, form):
    """Save the POSTed request; (saved request or None, French error or None)."""
    if not form.is_valid():
        return None, "Le formulaire contient des erreurs : rien n'a été enregistré."
    try:
        wishes = _wish_inputs(request, period, read_wishes(request.POST))
        saved = actions.save_request(request.user, period, wishes, **form.cleaned_data)
    except ValidationError as error:
        return None, " ".join(error.messages)
    return saved, None


@guardian_required
@require_http_methods(["GET", "POST"])
def allocation_period(request, period_id):
    period, allocation = _period(request, period_id)
    now = timezone.now()
    state = state_of(period, allocation, now)
    mine = _mine(request.family, allocation)
    if state == CONFIRMED and request.method == "GET":
        return _result(request, period, allocation, mine)
    wishes = _wishes(mine)
    selected = {allocation_days.key(w.child_id, w.slot_id, w.date): w.preference for w in wishes}
    form = DeclarationsForm(initial=_declarations(mine))
    error, status = None, 200
    if request.method == "POST":
        form = DeclarationsForm(request.POST)
        saved, error = _save(request, period, form)
        if saved is not None:
            done = "modifiée" if mine else "envoyée"
            messages.success(
                request, f"Votre demande est {done}. Vous pouvez la modifier jusqu'à la clôture."
            )
            return redirect("portal:allocation_period", period_id=period.pk)
        status = 400
        selected = _posted(request.POST)
    context = {
        "period": period,
        "allocation": allocation,
        "state": state,
        "mine": mine,
        "wishes": wishes,
        "groups": _by_child(wishes),
        "choices": allocation_days.choices(request.family, period, selected),
        "form": form,
        "error": error,
    }
    return render(request, "portal/allocation/period.html", context, status=status)


def _declarations(mine):
    if mine is None:
        return {}
    return {
        "declares_working": mine.declares_working,
        "declares_special_needs": mine.declares_special_needs,
        "note": mine.note,
    }


def _posted(data):
    """{key: preference} of the ticked days, to tick them again after an error."""
    result = {}
    for value in data.getlist("jour"):
        preference = data.get(f"pref-{value}", "")
        result[value] = int(preference) if preference.isdigit() and len(preference) < 3 else 1
    return result


def _by_child(wishes):
    groups = {}
    for wish in wishes:
        groups.setdefault(wish.child_id, (wish.child, []))[1].append(wish)
    return list(groups.values())


def _result(request, period, allocation, mine):
    wishes = _wishes(mine)
    entries = [w.waitlist_entry for w in wishes if w.waitlist_entry_id]
    places = waitlist.positions(entries)
    for wish in wishes:
        wish.position = places.get(wish.waitlist_entry_id)
    ranked = allocation.requests.filter(status=AllocationRequest.ACTIVE, rank__isnull=False)
    context = {
        "period": period,
        "allocation": allocation,
        "mine": mine,
        "groups": _by_child(wishes),
        "ranked": ranked.count(),
    }
    return render(request, "portal/allocation/result.html", context)


@guardian_required
@require_POST
def allocation_withdraw(request, request_id):
    mine = get_or_404(
        AllocationRequest.objects.for_family(request.family)
        .filter(status=AllocationRequest.ACTIVE)
        .select_related("allocation__period"),
        pk=request_id,
    )
    period = mine.allocation.period
    try:
        actions.withdraw_request(request.user, mine)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Votre demande pour « {period.name} » est retirée.")
    return redirect("portal:allocation_period", period_id=period.pk)
