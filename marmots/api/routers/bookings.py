"""Bookings: list, create, cancel, availability, weekly template preview and apply.

The API only finds the ids within the caller's reach (a guardian: their family; a manager:
the families of the structures they manage, for bookings made on a family's behalf) and reports
what the booking actions answer. Every rule is checked by `bookings.actions` and
`bookings.weekly`, exactly as for the portal; an id out of reach answers 404.
"""

import datetime
from types import SimpleNamespace
from typing import Literal

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from marmots.activities.models import Activity, StaffMembership, Structure, TimeSlot
from marmots.backoffice import scope
from marmots.bookings import actions, capacity, context, weekly
from marmots.bookings.models import Booking, SlotDay, TemplateEntry
from marmots.core.access import family_of, staff_roles
from marmots.families.models import Child

from ..schemas import ErrorOut

router = Router(tags=["Réservations"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
MAX_CHANGES = 500
MAX_AVAILABILITY_DAYS = 62
MAX_LIST_DAYS = 366
HORIZON = datetime.timedelta(days=2 * 366)  # dates further from today are refused
MAX_ID = 2**63 - 1  # larger ids cannot be in the database (and crash SQLite's driver)

# Bodies


class ChangeIn(Schema):
    child_id: int
    slot_id: int
    date: datetime.date
    with_apc: bool = False


class ChangesIn(Schema):
    changes: list[ChangeIn] = Field(..., description=f"{MAX_CHANGES} au plus")


class OutcomeOut(Schema):
    child_id: int
    slot_id: int
    date: datetime.date
    result: Literal["booked", "cancelled", "late", "requested", "refused"]
    code: str = Field(..., description="Résultat, ou motif du refus (« deadline », « full »…)")
    message: str
    booking_id: int | None


class OutcomesOut(Schema):
    outcomes: list[OutcomeOut]


class BookingOut(Schema):
    id: int
    child_id: int
    slot_id: int
    activity: str
    date: datetime.date
    status: Literal["booked", "cancelled", "late", "absent"]
    with_apc: bool
    excused: bool
    free_until: datetime.datetime = Field(..., description="Annulable sans frais jusqu'à")


class AvailabilityOut(Schema):
    slot_id: int
    date: datetime.date
    places: int | None = Field(..., description="Vide : sans limite")
    taken: int
    left: int | None
    closed_reason: str | None = Field(..., description="Pourquoi l'accueil est fermé ce jour")


class TemplateEntryIn(Schema):
    slot_id: int
    weekday: int = Field(..., description="0 = lundi … 6 = dimanche")
    weeks: Literal["all", "even", "odd"] = "all"
    with_apc: bool = False


class TemplateIn(Schema):
    entries: list[TemplateEntryIn]


class TemplateEntryOut(Schema):
    slot_id: int
    slot: str
    activity_id: int
    activity: str
    weekday: int
    weeks: Literal["all", "even", "odd"]
    with_apc: bool


class TemplateOut(Schema):
    child_id: int
    entries: list[TemplateEntryOut]


class DatesQuery(Schema):
    first_day: datetime.date | None = Field(None, alias="from", description="Premier jour")
    last_day: datetime.date | None = Field(None, alias="to", description="Dernier jour")


class PeriodIn(Schema):
    child_ids: list[int]
    first_day: datetime.date = Field(..., alias="from")
    last_day: datetime.date = Field(..., alias="to")


class PreviewLineOut(Schema):
    date: datetime.date
    child_id: int
    slot_id: int
    will_book: bool
    result: Literal["booked", "requested", "refused"]
    code: str
    message: str


class PreviewOut(Schema):
    count: int = Field(..., description="Nombre de séances qui seront réservées")
    requested: int = Field(..., description="Demandes que la structure devra valider")
    skipped: int
    lines: list[PreviewLineOut]


class ApplyOut(Schema):
    count: int
    outcomes: list[OutcomeOut]


# Who calls, and what they reach


def _family(request):
    family = family_of(request.auth)
    if family is None:
        raise HttpError(403, "Cet espace est réservé aux familles.")
    return family


def _managed(request):
    roles = staff_roles(request.auth)
    managed = [pk for pk, role in roles.items() if role == StaffMembership.MANAGER]
    if not managed:
        message = "Action réservée au gestionnaire." if roles else "Accès refusé."
        raise HttpError(403, message)
    return Structure.objects.filter(pk__in=managed)


def _reach(request):
    """(children, structures) the caller may book for: their family's, or on behalf of the
    families of the structures they manage."""
    family = family_of(request.auth)
    if family is not None:
        return Child.objects.for_family(family), family.structures.all()
    structures = _managed(request)
    staff = SimpleNamespace(user=request.auth, structures=structures)
    return Child.objects.filter(family__in=scope.families(staff)), structures


def _check_date(day):
    today = timezone.localdate()
    if abs(day - today) > HORIZON:
        raise HttpError(422, f"Date hors des dates possibles : {day:%d/%m/%Y}.")


def _period(dates, max_days, default_days):
    first_day = dates.first_day or timezone.localdate()
    _check_date(first_day)
    last_day = dates.last_day or first_day + datetime.timedelta(days=default_days - 1)
    _check_date(last_day)
    if last_day < first_day:
        raise HttpError(422, "La date de fin (« to ») doit suivre la date de début (« from »).")
    if (last_day - first_day).days >= max_days:
        raise HttpError(422, f"Période trop longue : {max_days} jours au plus.")
    return first_day, last_day


def _find(queryset, ids, message):
    """{id: row} for every id, or 404 with the French `message`."""
    if any(not 0 < i <= MAX_ID for i in ids):
        raise HttpError(404, message)
    found = queryset.in_bulk(set(ids))
    if len(found) != len(set(ids)):
        raise HttpError(404, message)
    return found


def _slots(structures, ids):
    slots = TimeSlot.objects.filter(activity__structure__in=structures).select_related(
        "activity__structure"
    )
    return _find(slots, ids, "Tranche horaire introuvable.")


# Bookings


def _changes(request, data):
    if not data.changes:
        raise HttpError(422, "Aucun changement demandé.")
    if len(data.changes) > MAX_CHANGES:
        raise HttpError(422, f"Trop de changements en une fois : {MAX_CHANGES} au plus.")
    for change in data.changes:
        _check_date(change.date)
    children, structures = _reach(request)
    children = _find(children, [c.child_id for c in data.changes], "Enfant introuvable.")
    slots = _slots(structures, [c.slot_id for c in data.changes])
    return [
        actions.Change(children[c.child_id], slots[c.slot_id], c.date, c.with_apc)
        for c in data.changes
    ]


def _outcome(outcome):
    change = outcome.change
    return {
        "child_id": change.child.pk,
        "slot_id": change.slot.pk,
        "date": change.date,
        "result": outcome.result,
        "code": outcome.code,
        "message": outcome.message,
        "booking_id": outcome.booking.pk if outcome.booking else None,
    }


def _apply(request, data, kind):
    outcomes = actions.apply_by_structure(request.auth, **{kind: _changes(request, data)})
    return {"outcomes": [_outcome(o) for o in outcomes]}


@router.post("/bookings", response={200: OutcomesOut, **ERRORS}, summary="Réserver")
def bookings_create(request, data: ChangesIn):
    """Book days: one outcome per distinct (child, slot, date), booked or refused with its
    reason. A manager books on a family's behalf (past the deadlines, recorded as such)."""
    return _apply(request, data, "add")


@router.post(
    "/bookings/cancel", response={200: OutcomesOut, **ERRORS}, summary="Annuler des réservations"
)
def bookings_cancel(request, data: ChangesIn):
    """Cancel days: free before the deadline, late (billed unless excused) after it."""
    return _apply(request, data, "cancel")


def _calendars(slots, first_day, last_day):
    """{structure id: StructureCalendar} for the structures of `slots` (3 queries each)."""
    structures = {slot.activity.structure_id: slot.activity.structure for slot in slots}
    return {pk: context.load(s, first_day, last_day) for pk, s in structures.items()}


@router.get("/bookings", response={200: list[BookingOut], **ERRORS}, summary="Mes réservations")
def bookings_list(
    request,
    dates: Query[DatesQuery],
    child_id: int | None = None,
):
    """The family's bookings between `from` (today by default) and `to` (a year at most),
    cancelled ones included, with until when each can be cancelled free."""
    family = _family(request)
    first_day, last_day = _period(dates, MAX_LIST_DAYS, MAX_LIST_DAYS)
    rows = Booking.objects.for_family(family).filter(date__range=(first_day, last_day))
    if child_id is not None:
        _find(Child.objects.for_family(family), [child_id], "Enfant introuvable.")
        rows = rows.filter(child_id=child_id)
    rows = list(
        rows.select_related("slot__activity__structure").order_by(
            "date", "slot__start_time", "child_id"
        )
    )
    calendars = _calendars({b.slot for b in rows}, first_day, last_day)
    return [
        {
            "id": b.pk,
            "child_id": b.child_id,
            "slot_id": b.slot_id,
            "activity": b.slot.activity.name,
            "date": b.date,
            "status": b.status,
            "with_apc": b.with_apc,
            "excused": b.excused,
            "free_until": calendars[b.slot.activity.structure_id].deadline(
                b.slot.activity, b.slot, b.date
            ),
        }
        for b in rows
    ]


def _visible_structures(request):
    family = family_of(request.auth)
    if family is not None:
        return family.structures.all()
    roles = staff_roles(request.auth)
    if not roles:
        raise HttpError(403, "Accès refusé.")
    return Structure.objects.filter(pk__in=list(roles))


@router.get(
    "/availability", response={200: list[AvailabilityOut], **ERRORS}, summary="Places libres"
)
def availability(
    request,
    dates: Query[DatesQuery],
    activity_id: int | None = None,
):
    """Places, bookings and places left per slot and day, for one activity (or every activity
    of the structures the caller uses), from `from` (today) to `to` (31 days; 62 at most).
    Age-group places are not detailed: a booking may still be refused for them."""
    first_day, last_day = _period(dates, MAX_AVAILABILITY_DAYS, 31)
    activities = Activity.objects.filter(structure__in=_visible_structures(request))
    if activity_id is not None:
        _find(activities, [activity_id], "Activité introuvable.")
        activities = activities.filter(pk=activity_id)
    else:
        activities = activities.filter(is_active=True)
    slots = list(
        TimeSlot.objects.filter(activity__in=activities).select_related("activity__structure")
    )
    ids = [slot.pk for slot in slots]
    days = SlotDay.objects.filter(slot_id__in=ids, date__range=(first_day, last_day))
    days = {(d.slot_id, d.date): d for d in days}
    taken = capacity.taken_counts(ids, first_day, last_day)
    calendars = _calendars(slots, first_day, last_day)
    rows = []
    day = first_day
    while day <= last_day:
        for slot in sorted(slots, key=lambda s: (s.start_time, s.pk)):
            places = capacity.places_on(slot, days.get((slot.pk, day)))
            count = taken.get((slot.pk, day), 0)
            calendar = calendars[slot.activity.structure_id]
            rows.append(
                {
                    "slot_id": slot.pk,
                    "date": day,
                    "places": places,
                    "taken": count,
                    "left": None if places is None else max(places - count, 0),
                    "closed_reason": calendar.closed_reason(slot.activity, day),
                }
            )
        day += datetime.timedelta(days=1)
    return rows


# Weekly template


def _child(family, child_id):
    return _find(Child.objects.for_family(family), [child_id], "Enfant introuvable.")[child_id]


def _template(child):
    entries = TemplateEntry.objects.filter(child=child).select_related("slot__activity")
    return {
        "child_id": child.pk,
        "entries": [
            {
                "slot_id": e.slot_id,
                "slot": e.slot.label,
                "activity_id": e.slot.activity_id,
                "activity": e.slot.activity.name,
                "weekday": e.weekday,
                "weeks": e.weeks,
                "with_apc": e.with_apc,
            }
            for e in entries
        ],
    }


@router.get(
    "/children/{child_id}/weekly-template",
    response={200: TemplateOut, **ERRORS},
    summary="Semaine type d'un enfant",
)
def template_detail(request, child_id: int):
    return _template(_child(_family(request), child_id))


@router.put(
    "/children/{child_id}/weekly-template",
    response={200: TemplateOut, **ERRORS},
    summary="Enregistrer la semaine type d'un enfant",
)
def template_save(request, child_id: int, data: TemplateIn):
    """Replace the child's weekly template (an empty list clears it)."""
    family = _family(request)
    child = _child(family, child_id)
    slots = _slots(family.structures.all(), [e.slot_id for e in data.entries])
    entries = [weekly.Entry(slots[e.slot_id], e.weekday, e.weeks, e.with_apc) for e in data.entries]
    weekly.save_template(request.auth, child, entries)
    return _template(child)


def _children(request, data):
    family = _family(request)
    if not data.child_ids:
        raise HttpError(422, "Choisissez au moins un enfant.")
    _check_date(data.first_day)
    _check_date(data.last_day)
    found = _find(Child.objects.for_family(family), data.child_ids, "Enfant introuvable.")
    return list(found.values())


@router.post(
    "/weekly-template/preview",
    response={200: PreviewOut, **ERRORS},
    summary="Aperçu de la semaine type sur une période",
)
def template_preview(request, data: PeriodIn):
    """What applying the children's templates from `from` to `to` would book, and the dates
    it would skip with their reason. Writes nothing."""
    plan = weekly.preview(request.auth, _children(request, data), data.first_day, data.last_day)
    return {
        "count": plan.count,
        "requested": len(plan.requested),
        "skipped": len(plan.skipped),
        "lines": [
            {
                "date": line.date,
                "child_id": line.child.pk,
                "slot_id": line.slot.pk,
                "will_book": line.will_book,
                "result": line.result,
                "code": line.code,
                "message": line.message,
            }
            for line in plan.lines
        ],
    }


@router.post(
    "/weekly-template/apply",
    response={200: ApplyOut, **ERRORS},
    summary="Appliquer la semaine type sur une période",
)
def template_apply(request, data: PeriodIn):
    """Book what the children's templates ask for from `from` to `to` (a year at most)."""
    outcomes = weekly.apply(request.auth, _children(request, data), data.first_day, data.last_day)
    return {
        "count": sum(o.result == actions.BOOKED for o in outcomes),
        "outcomes": [_outcome(o) for o in outcomes],
    }
