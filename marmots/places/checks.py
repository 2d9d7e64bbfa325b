"""Checks the allocation actions run before writing: who acts, the settings a manager gives, the
days a family asks for. Each raises PermissionDenied or ValidationError (French)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marmots.activities.models import Period
from marmots.bookings import context
from marmots.bookings.deadlines import fr_deadline
from marmots.bookings.models import Booking
from marmots.bookings.rules import fr_day, group_for
from marmots.core.access import family_of, is_manager
from marmots.enrollments.models import Enrollment
from marmots.portal.frdates import long_datetime

from . import ranking
from .models import Allocation

MAX_POINTS = 100
MAX_PREFERENCE = 99


def manager(actor, structure):
    if not is_manager(actor, structure):
        raise PermissionDenied("Action réservée au gestionnaire de la structure.")


def family_for(actor, period, children):
    """The family the request is for: the actor's own (a guardian of every child), or, for a
    manager of the structure, the one family of the children."""
    family = family_of(actor)
    if family is not None and all(c.family_id == family.pk for c in children):
        return family
    if not is_manager(actor, period.structure):
        raise PermissionDenied("Vous ne pouvez demander des places que pour vos propres enfants.")
    families = {c.family_id for c in children}
    if len(families) != 1:
        raise ValidationError(
            "Une demande ne concerne qu'une famille : envoyez-en une par famille."
        )
    return next(iter(children)).family


def points(given, allocation=None):
    """{criterion code: points} from the manager's `given` (missing ones: the allocation's, else
    the defaults)."""
    result = {}
    for code in ranking.CODES:
        field = f"points_{code}"
        current = getattr(allocation, field) if allocation is not None else None
        if current is None:
            current = Allocation._meta.get_field(field).default
        result[code] = current
    for code, value in (given or {}).items():
        if code not in ranking.LABELS:
            raise ValidationError(f"Critère inconnu : « {code} ».")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POINTS:
            raise ValidationError(
                f"Les points du critère « {ranking.LABELS[code]} » doivent être un nombre entier "
                f"de 0 à {MAX_POINTS}."
            )
        result[code] = value
    return result


def close_date(period, close_at):
    if close_at is None:
        raise ValidationError("Indiquez la date de clôture des demandes.")
    if not isinstance(close_at, datetime.datetime) or timezone.is_naive(close_at):
        raise ValidationError("La date de clôture des demandes n'est pas valable.")
    if timezone.localdate(close_at) >= period.start_date:
        raise ValidationError(
            "La clôture des demandes doit précéder le premier jour de la période "
            f"({fr_day(period.start_date)}), pour laisser le temps d'attribuer les places."
        )
    opens = period.registration_opens_at
    if opens is not None and close_at <= opens:
        raise ValidationError(
            "La clôture des demandes doit suivre l'ouverture des inscriptions "
            f"({long_datetime(opens)})."
        )


def open_for_requests(period, allocation, now):
    """The period takes requests now: allocation mode, not allocated, between the opening of
    registrations (when set) and the closing date of requests."""
    if period.places_mode != Period.ALLOCATION:
        raise ValidationError(
            f"Les places de « {period.name} » ne sont pas attribuées sur demande : réservez "
            "directement les jours souhaités."
        )
    if period.allocated_at is not None or (
        allocation is not None and allocation.status == Allocation.CONFIRMED
    ):
        raise ValidationError(
            f"Les places de « {period.name} » sont déjà attribuées : les demandes sont closes. "
            "Les places restantes se réservent directement."
        )
    if now >= period.requests_close_at:
        raise ValidationError(
            f"Les demandes pour « {period.name} » sont closes depuis le "
            f"{fr_deadline(period.requests_close_at)}."
        )
    if period.registration_opens_at is not None and now < period.registration_opens_at:
        raise ValidationError(
            f"Les demandes pour « {period.name} » ouvrent le "
            f"{long_datetime(period.registration_opens_at)}."
        )


def wishes(period, wishes):
    """Every wish names a child enrolled (validated) in the slot's activity on a day the
    activity runs in `period`, once, of an age one of the slot's age groups takes (when it has
    groups); the preference is a whole number from 1. Raises one
    ValidationError listing every problem."""
    errors = []
    first = min(w.date for w in wishes)
    last = max(w.date for w in wishes)
    calendar = context.load(period.structure, first, last)
    enrollments = _enrollments(wishes, first, last)
    booked = _booked(wishes, first, last)
    seen = set()
    for wish in sorted(wishes, key=lambda w: (w.date, w.slot.start_time, w.child.pk)):
        error = _wish_error(period, calendar, enrollments, booked, seen, wish)
        if error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)


def _wish_error(period, calendar, enrollments, booked, seen, wish):
    child, slot, day = wish.child, wish.slot, wish.date
    activity = slot.activity
    name, when = child.first_name, fr_day(day)
    key = (child.pk, slot.pk, day)
    if key in seen:
        return f"{name} : le {when} est demandé deux fois."
    seen.add(key)
    pref = wish.preference
    if isinstance(pref, bool) or not isinstance(pref, int) or not 1 <= pref <= MAX_PREFERENCE:
        return f"{name}, {when} : l'ordre de préférence est un nombre entier à partir de 1."
    if activity.structure_id != period.structure_id:
        return f"{name}, {when} : « {activity.name} » n'est pas proposé par cette structure."
    if not period.start_date <= day <= period.end_date:
        return (
            f"{name}, {when} : ce jour n'est pas dans « {period.name} » (du "
            f"{fr_day(period.start_date)} au {fr_day(period.end_date)})."
        )
    closed = calendar.closed_reason(activity, day)
    if closed:
        return f"{name}, {when} : {closed}"
    own = calendar.period_of(activity, day)
    if own is None or own.pk != period.pk:
        return f"{name}, {when} : « {activity.name} » n'a pas lieu pendant « {period.name} »."
    if not any(a == activity.pk and s <= day <= e for a, s, e in enrollments.get(child.pk, ())):
        return (
            f"{name} n'a pas d'inscription validée à « {activity.name} » pour le {when} : "
            "demandez d'abord l'inscription."
        )
    if key in booked:
        return f"{name} a déjà une place le {when}."
    return _age_error(calendar.age_groups.get(slot.pk, ()), child, activity, day)


def _age_error(groups, child, activity, day):
    """The slot has age groups and none takes the child at its age that day."""
    age = child.age_on(day)
    if not groups or group_for(age, groups) is not None:
        return None
    return (
        f"Aucune place n'est prévue pour les enfants de {age} ans à « {activity.name} » : "
        f"{child.first_name} ne peut pas y être accueilli(e) le {fr_day(day)}."
    )


def _enrollments(wishes, first, last):
    rows = Enrollment.objects.filter(
        child_id__in={w.child.pk for w in wishes},
        activity_id__in={w.slot.activity_id for w in wishes},
        status=Enrollment.VALIDATED,
        start_date__lte=last,
        end_date__gte=first,
    ).values_list("child_id", "activity_id", "start_date", "end_date")
    result = {}
    for child_id, *rest in rows:
        result.setdefault(child_id, []).append(tuple(rest))
    return result


def _booked(wishes, first, last):
    rows = Booking.objects.filter(
        child_id__in={w.child.pk for w in wishes},
        slot_id__in={w.slot.pk for w in wishes},
        date__range=(first, last),
        status=Booking.BOOKED,
    ).values_list("child_id", "slot_id", "date")
    return set(rows)
