"""Family portal: "Semaine type" – each child's weekly template, saved, then applied over a
period after a preview.

Saving and applying go through `bookings.weekly` (and so through the booking actions); the
preview runs the same checks and writes nothing: only "Confirmer" books.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from marmots.activities.models import Activity, Period, TimeSlot
from marmots.bookings import rules, weekly
from marmots.bookings.models import TemplateEntry
from marmots.core.access import get_or_404, guardian_required
from marmots.enrollments.forms import DATE_INPUT
from marmots.enrollments.models import Enrollment
from marmots.families.models import Child

from .helpers import add_errors

WEEKDAYS = ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"]
WEEKS = [("all", "Toutes"), ("even", "Paires"), ("odd", "Impaires")]
SKIP_TITLES = {
    "closed": "Accueil fermé",
    "deadline": "Délai de réservation dépassé",
    "started": "Séance déjà commencée",
    "not_open": "Réservations pas encore ouvertes",
    "full": "Complet",
    "already": "Déjà réservé",
    "pending_request": "Demande déjà en attente",
    "not_enrolled": "Sans inscription validée",
    "not_bookable": "Activité non réservable",
    "apc": "Récupération APC impossible",
}


@guardian_required
@require_GET
def weekly_index(request):
    children = list(Child.objects.for_family(request.family))
    lines = defaultdict(list)
    entries = TemplateEntry.objects.for_family(request.family).select_related("slot__activity")
    for entry in entries:
        lines[entry.child_id].append(weekly.describe(entry))
    return render(
        request,
        "portal/weekly/index.html",
        {"children": [(child, lines[child.pk]) for child in children]},
    )


# One child's template: a grid of weekdays x slots per activity


@dataclass
class Cell:
    slot: object
    weekday: int
    checked: bool
    apc_allowed: bool
    apc_checked: bool

    @property
    def name(self):
        return f"e-{self.slot.pk}-{self.weekday}"

    @property
    def apc_name(self):
        return f"a-{self.slot.pk}-{self.weekday}"


@dataclass
class Row:
    activity: object
    weekday: int
    weeks: str
    cells: list

    @property
    def label(self):
        return WEEKDAYS[self.weekday]

    @property
    def weeks_name(self):
        return f"w-{self.activity.pk}-{self.weekday}"


def _activities(child):
    """[(activity, [slots])] the child's template may use: validated, running enrollments."""
    enrolled = Enrollment.objects.filter(
        child=child,
        status=Enrollment.VALIDATED,
        end_date__gte=timezone.localdate(),
        activity__is_active=True,
    ).exclude(activity__kind=Activity.ANNUAL)
    slots = (
        TimeSlot.objects.filter(activity__in=enrolled.values("activity"))
        .select_related("activity__structure")
        .order_by("activity__order", "activity__name", "start_time")
    )
    grouped = {}
    for slot in slots:
        grouped.setdefault(slot.activity, []).append(slot)
    return list(grouped.items())


def _apc_allowed(slot, weekday):
    return slot.apc_pickup and weekday == rules.TUESDAY


def _grid(activities, chosen, weeks):
    """[(activity, slots, rows)]; `chosen`: {(slot id, weekday): with_apc}; `weeks`:
    {(activity id, weekday): weeks}."""
    grid = []
    for activity, slots in activities:
        rows = []
        for weekday in sorted(d for d in set(activity.weekdays) if d in range(7)):
            cells = [
                Cell(
                    slot,
                    weekday,
                    (slot.pk, weekday) in chosen,
                    _apc_allowed(slot, weekday),
                    chosen.get((slot.pk, weekday), False),
                )
                for slot in slots
            ]
            rows.append(Row(activity, weekday, weeks.get((activity.pk, weekday), "all"), cells))
        grid.append((activity, slots, rows))
    return grid


def _grid_from_template(activities, child):
    entries = list(TemplateEntry.objects.filter(child=child).select_related("slot"))
    chosen = {(e.slot_id, e.weekday): e.with_apc for e in entries}
    weeks = {}
    for e in entries:
        weeks.setdefault((e.slot.activity_id, e.weekday), e.weeks)
    return _grid(activities, chosen, weeks)


def _grid_from_post(activities, data):
    chosen, weeks = {}, {}
    for activity, slots in activities:
        for weekday in activity.weekdays:
            weeks[(activity.pk, weekday)] = data.get(f"w-{activity.pk}-{weekday}", "all")
            for slot in slots:
                apc = _apc_allowed(slot, weekday) and f"a-{slot.pk}-{weekday}" in data
                if f"e-{slot.pk}-{weekday}" in data or apc:
                    chosen[(slot.pk, weekday)] = apc
    return _grid(activities, chosen, weeks)


def _entries(grid):
    return [
        weekly.Entry(cell.slot, row.weekday, row.weeks, cell.apc_checked)
        for _, _, rows in grid
        for row in rows
        for cell in row.cells
        if cell.checked
    ]


@guardian_required
def weekly_edit(request, child_id):
    child = get_or_404(Child.objects.for_family(request.family), pk=child_id)
    activities = _activities(child)
    errors = []
    if request.method == "POST":
        grid = _grid_from_post(activities, request.POST)
        try:
            weekly.save_template(request.user, child, _entries(grid))
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, f"Semaine type de {child.first_name} enregistrée.")
            return redirect("portal:weekly_index")
    else:
        grid = _grid_from_template(activities, child)
    context = {"child": child, "grid": grid, "errors": errors, "weeks_choices": WEEKS}
    return render(request, "portal/weekly/edit.html", context, status=400 if errors else 200)


# Applying the templates over a period: form, preview, confirmation


class ChildrenField(forms.ModelMultipleChoiceField):
    """Refuses ids too long to be a database id before querying (SQLite's driver would crash
    on them)."""

    def _check_values(self, value):
        if any(len(str(pk).strip()) > 18 for pk in value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super()._check_values(value)


class ApplyForm(forms.Form):
    children = ChildrenField(
        label="Enfants",
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choisissez au moins un enfant.",
            "invalid_choice": "Cet enfant ne fait pas partie de votre famille.",
            "invalid_pk_value": "Cet enfant ne fait pas partie de votre famille.",
        },
    )
    first_day = forms.DateField(label="Du", widget=DATE_INPUT)
    last_day = forms.DateField(label="Au (inclus)", widget=DATE_INPUT)

    def __init__(self, family, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = Child.objects.for_family(family)

    def clean(self):
        data = super().clean()
        if data.get("first_day") and data.get("last_day"):
            try:
                weekly.check_period(data["first_day"], data["last_day"])
            except ValidationError as error:
                self.add_error(None, error)
        return data


def _initial(family):
    """From tomorrow to the end of the school year under way (or four weeks)."""
    first = timezone.localdate() + datetime.timedelta(days=1)
    year = Period.objects.filter(
        structure__in=family.structures.all(),
        kind=Period.SCHOOL_YEAR,
        start_date__lte=first,
        end_date__gte=first,
    ).first()
    last = year.end_date if year else first + datetime.timedelta(days=27)
    return {"first_day": first, "last_day": last}


def _skipped_groups(lines):
    groups = {}
    for line in lines:
        groups.setdefault(SKIP_TITLES.get(line.code, "Non réservé"), []).append(line)
    return list(groups.items())


def _without_template(children):
    with_one = set(
        TemplateEntry.objects.filter(child__in=children).values_list("child_id", flat=True)
    )
    return [child for child in children if child.pk not in with_one]


@guardian_required
def weekly_apply(request):
    if request.method != "POST":
        form = ApplyForm(request.family, initial=_initial(request.family))
        return render(request, "portal/weekly/apply.html", {"form": form})
    form = ApplyForm(request.family, request.POST)
    if not form.is_valid():
        return render(request, "portal/weekly/apply.html", {"form": form}, status=400)
    children = list(form.cleaned_data["children"])
    first, last = form.cleaned_data["first_day"], form.cleaned_data["last_day"]
    confirmed = "confirmer" in request.POST
    try:
        if confirmed:
            plan = weekly.summary(weekly.apply(request.user, children, first, last))
        else:
            plan = weekly.preview(request.user, children, first, last)
    except ValidationError as error:
        add_errors(form, error)
        return render(request, "portal/weekly/apply.html", {"form": form}, status=400)
    context = {
        "form": form,
        "plan": plan,
        "children": children,
        "first_day": first,
        "last_day": last,
        "skipped_groups": _skipped_groups(plan.skipped),
        "without_template": _without_template(children),
    }
    template = "result" if confirmed else "preview"
    return render(request, f"portal/weekly/{template}.html", context)
