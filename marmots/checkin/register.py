"""The staff's register: who is present in a session, and corrections of check-in events.

Every write is an action that owns its transaction and writes an audit entry. Staff and
managers of the structure may keep the register. Events are never edited: a correction is a
new event that `replaces` the old one (once: the database refuses a second one), and adding a
missing arrival or departure records a staff event, which does not make it the family's.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from marmots.activities.models import Structure
from marmots.bookings.rules import fr_day
from marmots.core.access import is_manager, structures_of
from marmots.core.audit import record, snapshot
from marmots.families.models import Family

from .attendance import effective_events
from .models import CheckinEvent, RegisterMark

ALREADY_CORRECTED = "Ce pointage a déjà été corrigé : rechargez la page."
FUTURE_DAY = "On ne pointe pas la présence d'un jour à venir."
FUTURE_TIME = "Cette heure n'est pas encore passée : on ne pointe pas à l'avance."
NO_REASON = "Indiquez le motif."
REASON_MAX = 300
# A staff member's phone may run a little ahead of the server.
CLOCK_MARGIN = datetime.timedelta(minutes=5)
ALREADY_THERE = {
    CheckinEvent.ARRIVAL: "Une arrivée est déjà enregistrée : corrigez-la.",
    CheckinEvent.DEPARTURE: "Un départ est déjà enregistré : corrigez-le.",
}

MARK_FIELDS = ["child", "activity", "date", "present"]
EVENT_FIELDS = ["child", "activity", "date", "kind", "at", "source", "by_family", "voided"]


def _check_team(actor, structure):
    if not structures_of(actor).filter(pk=structure.pk).exists():
        raise PermissionDenied("Le registre est réservé à l'équipe de la structure.")


def _check_session(structure, child, activity):
    """The activity is the structure's, and the child's family uses the structure."""
    if activity.structure_id != structure.pk:
        raise ValidationError("Cette activité n'appartient pas à la structure.")
    ours = Structure.objects.filter(pk=structure.pk)
    if not Family.objects.using(ours).filter(pk=child.family_id).exists():
        raise ValidationError("Cet enfant n'est pas accueilli par la structure.")


def _check_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(NO_REASON)
    if len(reason) > REASON_MAX:
        raise ValidationError(f"Le motif ne doit pas dépasser {REASON_MAX} caractères.")
    return reason


def _check_moment(at, day):
    """`at` is an aware datetime on `day` (local time) and not in the future."""
    if timezone.is_naive(at):
        raise ValidationError("Heure sans fuseau horaire.")
    if timezone.localtime(at).date() != day:
        raise ValidationError(f"L'heure doit être celle du {fr_day(day)}.")
    if at > timezone.now() + CLOCK_MARGIN:
        raise ValidationError(FUTURE_TIME)


def mark_present(actor, structure, child, activity, day, present):
    """Mark `child` present (or not) in `activity` on `day`: one mark per session, updated."""
    _check_team(actor, structure)
    _check_session(structure, child, activity)
    if day > timezone.localdate():
        raise ValidationError(FUTURE_DAY)
    with transaction.atomic():
        mark, created = RegisterMark.objects.select_for_update().get_or_create(
            child=child,
            activity=activity,
            date=day,
            defaults={"present": present, "marked_by": actor},
        )
        before = {} if created else snapshot(mark, fields=MARK_FIELDS)
        if not created:
            mark.present, mark.marked_by = present, actor
            mark.save()
        after = snapshot(mark, fields=MARK_FIELDS)
        record(actor, "register.mark", mark, family_id=child.family_id, before=before, after=after)
    return mark


def correct_event(actor, event, *, at=None, void=False, reason):
    """Replace `event` by a staff event at `at`, or void it; the old row stays as it was.

    The correction keeps the family's credit for the check-in (`by_family`) unless it voids
    the event. A second correction of the same event is refused (the database backs it).
    """
    reason = _check_reason(reason)
    _check_team(actor, event.activity.structure)
    if void == (at is not None):
        raise ValidationError("Indiquez une nouvelle heure, ou annulez ce pointage.")
    if event.voided:
        raise ValidationError("Ce pointage est déjà annulé : ajoutez-en un nouveau au besoin.")
    if not void:
        _check_moment(at, event.date)
    correction = CheckinEvent(
        child_id=event.child_id,
        activity_id=event.activity_id,
        date=event.date,
        kind=event.kind,
        at=event.at if void else at,
        source=CheckinEvent.STAFF,
        by_family=event.by_family and not void,
        recorded_by=actor,
        replaces=event,
        voided=void,
        reason=reason,
    )
    try:
        with transaction.atomic():
            correction.save()
            record(
                actor,
                "checkin.void" if void else "checkin.correct",
                correction,
                family_id=event.child.family_id,
                before=snapshot(event, fields=EVENT_FIELDS),
                after=snapshot(correction, fields=EVENT_FIELDS + ["reason"]),
            )
    except IntegrityError:
        raise ValidationError(ALREADY_CORRECTED) from None
    return correction


def add_staff_event(actor, child, activity, day, kind, at, reason, family_excused=False):
    """Record an arrival or a departure the family did not make on the kiosk.

    It is the team's event (`by_family` false): a missed check-in stays missed. A manager may
    say the family is not at fault (`family_excused`: the tablet was out of order, the team
    forgot to offer it); the event then counts as the family's and no check-in is missed.
    """
    reason = _check_reason(reason)
    structure = activity.structure
    _check_team(actor, structure)
    if family_excused and not is_manager(actor, structure):
        raise PermissionDenied("Seul le gestionnaire peut dispenser la famille du pointage.")
    _check_session(structure, child, activity)
    if kind not in ALREADY_THERE:
        raise ValidationError("Choisissez une arrivée ou un départ.")
    if day > timezone.localdate():
        raise ValidationError(FUTURE_DAY)
    _check_moment(at, day)
    with transaction.atomic():
        same = effective_events().filter(child=child, activity=activity, date=day, kind=kind)
        if same.exists():
            raise ValidationError(ALREADY_THERE[kind])
        event = CheckinEvent.objects.create(
            child=child,
            activity=activity,
            date=day,
            kind=kind,
            at=at,
            source=CheckinEvent.STAFF,
            by_family=family_excused,
            recorded_by=actor,
            reason=reason,
        )
        after = snapshot(event, fields=EVENT_FIELDS + ["reason"])
        record(actor, "checkin.staff_add", event, family_id=child.family_id, after=after)
    return event
