"""The register ("feuille de présence"): staff and managers tick who is present in a session,
add an unbooked child, and correct or add check-in events with a reason."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from marmots.activities.models import Activity
from marmots.checkin import register as actions
from marmots.checkin.models import CheckinEvent
from marmots.core.access import get_or_404, staff_required
from marmots.families.models import Child
from marmots.portal.frdates import long_date

from . import checkin_sheet, scope
from .forms_bookings import ChildSearchForm
from .forms_checkin import CorrectionForm, MarkForm, RegisterDayForm, StaffEventForm, on_day

KIND_TITLES = {
    CheckinEvent.ARRIVAL: "Ajouter une arrivée",
    CheckinEvent.DEPARTURE: "Ajouter un départ",
}
RECORDED = {
    CheckinEvent.ARRIVAL: "Arrivée enregistrée par l'équipe.",
    CheckinEvent.DEPARTURE: "Départ enregistré par l'équipe.",
}


def _activities(request):
    return scope.owned(request, Activity).filter(is_active=True).order_by("order", "name")


def _children(request):
    return Child.objects.filter(family__in=scope.families(request).values("pk"))


def _events(request):
    return CheckinEvent.objects.filter(activity__structure__in=request.structures)


def register_url(activity_pk, day, child_pk=None):
    url = f"{reverse('backoffice:checkin_register')}?date={day:%Y-%m-%d}&activite={activity_pk}"
    return f"{url}#enfant-{child_pk}" if child_pk else url


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def _refused(request, message, back):
    """Nothing changed: say why on the register (htmx follows with a full page load)."""
    messages.error(request, message)
    if _is_htmx(request):
        return HttpResponse(headers={"HX-Redirect": back})
    return redirect(back)


def _first_error(form):
    return next(iter(form.errors.values()))[0]


@staff_required
@require_GET
def register(request):
    form = RegisterDayForm(request.GET, today=timezone.localdate())
    if not form.is_valid():
        context = {"form": form, "sessions": []}
        return render(request, "backoffice/checkin/register.html", context, status=400)
    day, activity, rows = form.cleaned_data["date"], None, []
    if request.GET.get("activite"):
        chosen = _activities(request).select_related("structure").prefetch_related("slots")
        activity = get_or_404(chosen, pk=request.GET["activite"])
        rows = checkin_sheet.sheet(activity, day, timezone.now())
    search = ChildSearchForm(request.GET if request.GET.get("q") else None)
    found = []
    if activity and search.is_valid():
        shown = [row.child.pk for row in rows]
        found = checkin_sheet.search_children(activity, day, search.cleaned_data["q"], shown)
    one_day = datetime.timedelta(days=1)
    context = {
        "form": form,
        "day": day,
        "day_label": long_date(day),
        "previous": day - one_day,
        "next": day + one_day,
        "present_count": sum(row.attendance.present for row in rows),
        "future": day > timezone.localdate(),
        "activity": activity,
        "sessions": checkin_sheet.day_sessions(list(_activities(request)), request.structures, day),
        "rows": rows,
        "search": search,
        "found": found,
    }
    return render(request, "backoffice/checkin/register.html", context)


@require_POST
@staff_required
def mark(request):
    form = MarkForm(request.POST)
    if not form.is_valid():
        return _refused(request, _first_error(form), reverse("backoffice:checkin_register"))
    data = form.cleaned_data
    activity = get_or_404(_activities(request).select_related("structure"), pk=data["activite"])
    child = get_or_404(_children(request), pk=data["enfant"])
    day, present = data["date"], data["present"]
    try:
        actions.mark_present(request.user, activity.structure, child, activity, day, present)
    except ValidationError as error:
        return _refused(request, error.messages[0], register_url(activity.pk, day))
    if _is_htmx(request):
        (row,) = checkin_sheet.sheet(activity, day, timezone.now(), children=[child])
        context = {"row": row, "activity": activity, "day": day, "changed": True}
        return render(request, "backoffice/checkin/_row.html", context)
    name = f"{child.first_name} {child.last_name}"
    messages.success(request, f"{name} : {'présent' if present else 'pas présent'}.")
    return redirect(register_url(activity.pk, day, child.pk))


@staff_required
def correct(request, pk):
    related = ("child", "activity__structure", "recorded_by")
    event = get_or_404(_events(request).select_related(*related), pk=pk)
    posted = request.method == "POST"
    form = CorrectionForm(request.POST if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        at = on_day(event.date, data["heure"]) if data["heure"] else None
        try:
            actions.correct_event(
                request.user, event, at=at, void=data["annuler"], reason=data["motif"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, "Pointage corrigé : l'ancien reste dans l'historique.")
            return redirect(register_url(event.activity_id, event.date, event.child_id))
    context = {
        "event": event,
        "form": form,
        "already": CheckinEvent.objects.filter(replaces=event).exists(),
        "back": register_url(event.activity_id, event.date, event.child_id),
        "day_label": long_date(event.date),
    }
    status = 400 if posted else 200
    return render(request, "backoffice/checkin/correct.html", context, status=status)


@staff_required
def add_event(request):
    posted = request.method == "POST"
    manager = request.is_manager
    form = StaffEventForm(request.POST if posted else request.GET, manager=manager)
    session_fields = ("enfant", "activite", "date", "type")
    if any(name in form.errors for name in session_fields):
        field = next(name for name in session_fields if name in form.errors)
        return _refused(request, form.errors[field][0], reverse("backoffice:checkin_register"))
    data = form.cleaned_data
    activity = get_or_404(_activities(request).select_related("structure"), pk=data["activite"])
    child = get_or_404(_children(request), pk=data["enfant"])
    day, kind = data["date"], data["type"]
    if posted and form.is_valid():
        at = on_day(day, data["heure"])
        try:
            excused = data.get("dispense", False)
            actions.add_staff_event(
                request.user, child, activity, day, kind, at, data["motif"], excused
            )
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, RECORDED[kind])
            return redirect(register_url(activity.pk, day, child.pk))
    if not posted:
        initial = {k: request.GET.get(k) for k in session_fields}
        form = StaffEventForm(initial=initial, manager=manager)
    context = {
        "form": form,
        "title": f"{KIND_TITLES[kind]} – {child.last_name} {child.first_name}",
        "activity": activity,
        "day_label": long_date(day),
        "back": register_url(activity.pk, day, child.pk),
    }
    status = 400 if posted else 200
    return render(request, "backoffice/checkin/add_event.html", context, status=status)
