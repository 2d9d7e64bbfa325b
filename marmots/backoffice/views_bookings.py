"""A child's bookings in the back-office: find the child, see the month's grid, and (manager)
book or cancel on the family's behalf, past the deadlines, through the booking actions."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from marmots.bookings import rules
from marmots.bookings.actions import Change, apply_changes
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.enrollments.models import Enrollment
from marmots.families.models import Child
from marmots.portal.frdates import month_bounds, month_label, shift_month

from . import booking_grid, scope
from .forms_bookings import ChildSearchForm, MonthForm, parse_month

SEARCH_LIMIT = 50
BAD_KEY = "Une case cochée ne fait pas partie de ce mois : rien n'a changé."


@staff_required
@require_GET
def children(request):
    """Search the children enrolled in the user's structures, to open their booking grid."""
    form = ChildSearchForm(request.GET or None)
    found = Child.objects.none()
    if form.is_valid():
        words = form.cleaned_data["q"].split()
        live = Enrollment.objects.exclude(status=Enrollment.CANCELLED)
        found = Child.objects.filter(
            pk__in=live.filter(activity__structure__in=request.structures).values("child")
        )
        for word in words:
            found = found.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
        found = found.select_related("family").order_by("last_name", "first_name")
    context = {"form": form, "children": found[:SEARCH_LIMIT], "limit": SEARCH_LIMIT}
    return render(request, "backoffice/bookings/children.html", context)


def _child_or_404(request, pk):
    """A child of a family the user reaches, seen by the user's structures (else 404)."""
    children = Child.objects.filter(family__in=scope.families(request)).select_related("family")
    child = get_or_404(children, pk=pk)
    if not scope.children(request, child.family).filter(pk=child.pk).exists():
        raise Http404
    return child


def _render_grid(request, child, first, status=200):
    first, last = month_bounds(first)
    slots, rows = booking_grid.build(request.structures, child, first, last)
    context = {
        "child": child,
        "month": month_label(first),
        "mois": f"{first:%Y-%m}",
        "previous": f"{shift_month(first, -1):%Y-%m}",
        "next": f"{shift_month(first, 1):%Y-%m}",
        "slots": slots,
        "rows": rows,
        "can_write": request.is_manager,
    }
    return render(request, "backoffice/bookings/child.html", context, status=status)


@staff_required
@require_GET
def child_bookings(request, pk):
    child = _child_or_404(request, pk)
    form = MonthForm(request.GET, today=timezone.localdate())
    if not form.is_valid():
        messages.error(request, form.errors["mois"][0])
        return _render_grid(request, child, timezone.localdate().replace(day=1), status=400)
    return _render_grid(request, child, form.cleaned_data["mois"])


def _changes(values, slots, first, last, child, apc=()):
    """Changes from posted 'slot id:YYYY-MM-DD' keys; ValidationError on a key not in the grid."""
    by_id = {str(slot.pk): slot for slot in slots}
    changes = []
    for value in values:
        slot_id, _, day = value.partition(":")
        try:
            date = datetime.date.fromisoformat(day)
        except ValueError:
            date = None
        if slot_id not in by_id or date is None or not first <= date <= last:
            raise ValidationError(BAD_KEY)
        changes.append(Change(child, by_id[slot_id], date, value in apc))
    return changes


def _announce(request, outcomes):
    for outcome in outcomes:
        change = outcome.change
        text = (
            f"{rules.fr_day(change.date)}, {change.slot.activity.name} {change.slot.label} : "
            f"{outcome.message}"
        )
        (messages.success if outcome.ok else messages.error)(request, text)


def _invalid(request, child, first, error):
    messages.error(request, " ".join(error.messages))
    return _render_grid(request, child, first, status=400)


@require_POST
@manager_required
def child_bookings_change(request, pk):
    child = _child_or_404(request, pk)
    try:
        first, last = month_bounds(parse_month(request.POST.get("mois", "")))
    except ValidationError as error:
        return _invalid(request, child, timezone.localdate().replace(day=1), error)
    slots = booking_grid.child_slots(request.structures, child, first, last)[1]
    try:
        apc = set(request.POST.getlist("apc"))
        add = _changes(request.POST.getlist("add"), slots, first, last, child, apc)
        cancel = _changes(request.POST.getlist("cancel"), slots, first, last, child)
        if not add and not cancel:
            raise ValidationError("Cochez au moins un jour à réserver ou à annuler.")
        outcomes = apply_changes(request.user, add=add, cancel=cancel)
    except ValidationError as error:
        return _invalid(request, child, first, error)
    _announce(request, outcomes)
    grid = reverse("backoffice:booking_child", args=[child.pk])
    return redirect(f"{grid}?mois={first:%Y-%m}")
