"""The weekly template ("semaine type"): save it, preview what it books, apply it.

A child's template is a set of lines (a slot on a weekday, every week or even/odd weeks, with
APC pick-up or not). Applying it over a period asks `actions.apply_changes` for every date it
generates, so a template never books anything a family could not book by hand; the preview runs
the very same checks in a transaction that is rolled back, so it writes nothing.
"""

import datetime
from dataclasses import dataclass
from itertools import groupby

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.activities.models import Activity
from marmots.core.access import family_of, is_manager
from marmots.core.audit import record
from marmots.enrollments.models import Enrollment
from marmots.families.models import Child

from . import actions, rules
from .deadlines import WEEKDAYS_FR
from .models import TemplateEntry

MAX_ENTRIES = 100
MAX_DAYS = 366
WEEKS = dict(TemplateEntry.WEEKS)


@dataclass(frozen=True)
class Entry:
    """One line asked for: `slot` is a TimeSlot with its activity loaded."""

    slot: object
    weekday: int
    weeks: str = TemplateEntry.EVERY
    with_apc: bool = False


def describe(entry):
    """'mardi, 17h30-18h00 (Périscolaire soir), semaines paires, récupération APC'."""
    slot = entry.slot
    text = (
        f"{WEEKDAYS_FR[entry.weekday]}, {slot.start_time:%H}h{slot.start_time:%M}-"
        f"{slot.end_time:%H}h{slot.end_time:%M} ({slot.activity.name}), "
        f"{WEEKS.get(entry.weeks, entry.weeks).lower()}"
    )
    return text + (", récupération APC" if entry.with_apc else "")


def _check_actor(actor, child, structures):
    family = family_of(actor)
    if family is not None and family.pk == child.family_id:
        return
    if structures and all(is_manager(actor, s) for s in structures):
        return
    raise PermissionDenied("Vous ne pouvez pas modifier la semaine type de cet enfant.")


def _entry_error(entry, child, enrolled):
    """Why this line cannot be in the child's template (None: it can)."""
    slot, activity = entry.slot, entry.slot.activity
    if not isinstance(entry.weekday, int) or not 0 <= entry.weekday <= 6:
        return "Jour de la semaine invalide."
    day = WEEKDAYS_FR[entry.weekday]
    if entry.weeks not in WEEKS:
        return "Choisissez toutes les semaines, les semaines paires ou les semaines impaires."
    if activity.kind == Activity.ANNUAL:
        return (
            f"« {activity.name} » est une activité annuelle : elle ne se réserve pas à la séance."
        )
    if not activity.is_active:
        return f"« {activity.name} » n'est plus proposée."
    if activity.pk not in enrolled:
        return (
            f"{child.first_name} n'a pas d'inscription validée à « {activity.name} » : "
            "cette activité ne peut pas figurer dans sa semaine type."
        )
    if entry.weekday not in activity.weekdays:
        return f"« {activity.name} » n'a pas lieu le {day}."
    if entry.with_apc and not (slot.apc_pickup and entry.weekday == rules.TUESDAY):
        return "La récupération à la fin des APC n'est possible que le mardi, à 17h30 ou 18h."
    return None


def _template_errors(child, entries):
    if len(entries) > MAX_ENTRIES:
        return [f"Une semaine type compte au plus {MAX_ENTRIES} lignes."]
    enrolled = set(
        Enrollment.objects.filter(
            child=child, status=Enrollment.VALIDATED, end_date__gte=timezone.localdate()
        ).values_list("activity_id", flat=True)
    )
    errors, seen = [], set()
    for entry in entries:
        error = _entry_error(entry, child, enrolled)
        key = (entry.slot.pk, entry.weekday)
        if error is None and key in seen:
            error = "La même tranche horaire figure deux fois le même jour."
        seen.add(key)
        if error and error not in errors:
            errors.append(error)
    return errors


def save_template(actor, child, entries):
    """Replace the child's weekly template by `entries` (Entry objects), in one transaction.

    Raises ValidationError (French messages) when a line is not allowed, PermissionDenied when
    the actor is neither the child's guardian nor a manager of the structures concerned.
    """
    entries = list(entries)
    _check_actor(actor, child, {e.slot.activity.structure for e in entries})
    errors = _template_errors(child, entries)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Two saves at once (a double click) would both delete, then both insert: one at a time.
        Child.objects.select_for_update().filter(pk=child.pk).first()
        old = TemplateEntry.objects.filter(child=child).select_related("slot__activity")
        before = [describe(e) for e in old]
        TemplateEntry.objects.filter(child=child).delete()
        rows = TemplateEntry.objects.bulk_create(
            TemplateEntry(
                child=child,
                slot=e.slot,
                weekday=e.weekday,
                weeks=e.weeks,
                with_apc=e.with_apc,
            )
            for e in sorted(entries, key=lambda e: (e.weekday, e.slot.start_time))
        )
        record(
            actor,
            "weekly_template.save",
            child,
            family_id=child.family_id,
            before={"semaine type": before},
            after={"semaine type": [describe(e) for e in rows]},
        )
    return rows


def check_period(first_day, last_day):
    """French ValidationError when the period to apply a template over is not usable."""
    if first_day is None or last_day is None:
        raise ValidationError("Indiquez la date de début et la date de fin.")
    if not (rules.plausible(first_day) and rules.plausible(last_day)):
        raise ValidationError(
            f"Choisissez des dates entre {rules.FIRST_YEAR} et {rules.LAST_YEAR}."
        )
    if last_day < first_day:
        raise ValidationError("La date de fin doit suivre la date de début.")
    if (last_day - first_day).days >= MAX_DAYS:
        raise ValidationError("Choisissez une période d'un an au plus.")


@dataclass(frozen=True)
class Line:
    """One date a template asks for, and what the booking rules answer."""

    date: datetime.date
    child: object
    slot: object
    result: str
    code: str
    message: str
    booking: object = None

    @property
    def will_book(self):
        return self.result == actions.BOOKED


@dataclass(frozen=True)
class Plan:
    """The lines of a preview (or of an applied template), in date order."""

    lines: list

    @property
    def booked(self):
        return [line for line in self.lines if line.will_book]

    @property
    def requested(self):
        return [line for line in self.lines if line.result == actions.REQUESTED]

    @property
    def skipped(self):
        return [line for line in self.lines if line.result == actions.REFUSED]

    @property
    def count(self):
        return len(self.booked)


def summary(outcomes, dry_run=False):
    """A Plan from apply_changes outcomes (a dry run's bookings were never kept: left out)."""
    lines = [
        Line(
            o.change.date,
            o.change.child,
            o.change.slot,
            o.result,
            o.code,
            o.message,
            None if dry_run else o.booking,
        )
        for o in outcomes
    ]
    lines.sort(key=lambda line: (line.date, line.slot.start_time, line.child.first_name))
    return Plan(lines)


def _changes(children, first_day, last_day):
    """The changes the children's templates ask for (one query)."""
    children = {child.pk: child for child in children}
    entries = TemplateEntry.objects.filter(child_id__in=children).select_related(
        "slot__activity__structure"
    )
    changes = []
    ordered = entries.order_by("child_id", "weekday", "slot__start_time")
    for child_id, lines in groupby(ordered, key=lambda e: e.child_id):
        child = children[child_id]
        for day, entry in rules.template_dates(list(lines), first_day, last_day):
            changes.append(actions.Change(child, entry.slot, day, entry.with_apc))
    return changes


def _run(actor, children, first_day, last_day, now, dry_run):
    check_period(first_day, last_day)
    now = now or timezone.now()
    changes = _changes(children, first_day, last_day)
    return actions.apply_by_structure(actor, add=changes, now=now, dry_run=dry_run)


def preview(actor, children, first_day, last_day, now=None):
    """What applying the children's templates between the two dates would do: a Plan whose
    lines say, date by date, whether it books and why not. Writes nothing."""
    return summary(_run(actor, children, first_day, last_day, now, dry_run=True), dry_run=True)


def apply(actor, children, first_day, last_day, now=None):
    """Book what the children's templates ask for between the two dates: the outcomes."""
    return _run(actor, children, first_day, last_day, now, dry_run=False)
