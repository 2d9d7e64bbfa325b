"""Waiting lists: a child waits for a place in a full slot on a day, and gets the next one freed.

The line of a slot-day is its live entries (waiting or offered) in `LINE_ORDER`. Every change
to it runs under the slot-day's row lock (`capacity.lock_slot_days`), the same lock a booking
takes and always taken before any booking or entry row, so a place is never counted twice.

`fill(slot_day, now)` (`waitlist_fill.py`) gives the places free on a slot-day to the line, in
order, within the transaction of whatever freed them: a cancellation, in time or late, or an
absence (`actions._give_freed`, `absences.declare_absence`, so also a request the manager
accepts), places raised for the day (`capacity.set_day_capacity`) or in the settings
(`places_changed`), an offer declined, expired or lapsed, an entry removed or promoted. Each
entry whose child fits (age groups included) gets either a booking at once (the structure's
`waitlist_offer_hours` is 0) or an offer held for that many hours (never past the session's
start), e-mailed after commit with a link to accept or decline. An offered place counts as
taken until answered. Entries whose session has started lapse.
`expire_offers(now)` (management command `expire_waitlist_offers`, every few minutes from cron)
passes unanswered offers on; `fill_pending(now)` in the same command catches any place freed by
a path that does not call `fill` (a closure removed, say).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.core.access import is_manager

from . import capacity, deadlines, rules
from .models import Booking, WaitlistEntry
from .waitlist_fill import (  # noqa: F401 (fill, fill_freed, places_changed: the module's API)
    LINE_ORDER,
    NO_ENROLLMENT,
    book,
    close,
    enrollment_of,
    fill,
    fill_freed,
    live_line,
    places_changed,
    run,
)
from .waitlist_fill import audit as _record
from .waitlist_fill import snap as _snap

WAITLISTED = "waitlisted"
_live = live_line


def positions(entries):
    """{entry id: position in its line (1 = next)} for the live ones among `entries` (one query
    whatever their number)."""
    live = [e for e in entries if e.status in WaitlistEntry.LIVE]
    if not live:
        return {}
    keys = {(e.slot_id, e.date) for e in live}
    rows = (
        WaitlistEntry.objects.filter(
            slot_id__in={k[0] for k in keys},
            date__range=(min(k[1] for k in keys), max(k[1] for k in keys)),
            status__in=WaitlistEntry.LIVE,
        )
        .order_by("slot_id", "date", *LINE_ORDER)
        .values_list("pk", "slot_id", "date")
    )
    result, counters = {}, {}
    for pk, slot_id, day in rows:
        counters[(slot_id, day)] = counters.get((slot_id, day), 0) + 1
        result[pk] = counters[(slot_id, day)]
    return {e.pk: result[e.pk] for e in live if e.pk in result}


# Joining -------------------------------------------------------------------------------------


def join(actor, changes, *, now=None):
    """Put the children of `changes` (bookings.actions.Change) on the waiting lists of their
    slot-days, in one transaction: one Outcome each (code "waitlisted", or the refusal's).

    Refused: no validated enrollment, a closed day, registrations not open or awaiting
    allocation, a session started, a child already booked or already waiting, a child no age
    group of the slot takes, and a day that still has a place for the child (book it instead).
    A manager may add a child on the family's behalf, also one whose booking of that day was
    cancelled late or declared absent (the place it obtains books that row again).

    Each entry joins the end of its line: its `queued_at` is `now`, or the last live entry's
    when that is later (an earlier `now` read before the lock was taken), so the position
    announced is the one kept.
    """
    from .actions import Outcome, _Batch, _refuse, _structure_of, _unique, acting_for_family

    now = now or timezone.now()
    changes = _unique(changes)
    if not changes:
        return []
    structure = _structure_of(changes)
    on_behalf = acting_for_family(actor, {c.child for c in changes}, structure)
    with transaction.atomic():
        batch = _Batch(actor, changes, on_behalf, now)
        live = _live_entries(changes)
        outcomes = []
        for change in changes:
            error = _join_error(batch, change, live)
            if error:
                outcomes.append(_refuse(change, *error))
                continue
            entry = WaitlistEntry.objects.create(
                child=change.child,
                slot=change.slot,
                date=change.date,
                with_apc=change.with_apc,
                source=WaitlistEntry.MANAGER if on_behalf else WaitlistEntry.FAMILY,
                queued_at=_end_of_line(change.slot.pk, change.date, now),
                created_by=actor,
            )
            _record(actor, "waitlist.join", entry)
            position = positions([entry])[entry.pk]
            outcomes.append(
                Outcome(
                    change,
                    WAITLISTED,
                    f"{change.child.first_name} est sur la liste d'attente du "
                    f"{rules.fr_day(change.date)} (position {position}).",
                    code=WAITLISTED,
                )
            )
    return outcomes


def _end_of_line(slot_id, day, now):
    last = live_line(slot_id, day).order_by("-queued_at").values_list("queued_at", flat=True)
    last = last.first()
    return now if last is None or last < now else last


def _live_entries(changes):
    first, last = min(c.date for c in changes), max(c.date for c in changes)
    rows = WaitlistEntry.objects.filter(
        child_id__in={c.child.pk for c in changes},
        slot_id__in={c.slot.pk for c in changes},
        date__range=(first, last),
        status__in=WaitlistEntry.LIVE,
    )
    return {(e.child_id, e.slot_id, e.date) for e in rows}


def _join_error(batch, change, live):
    """(code, French message) when the child may not join this line, else None."""
    from .actions import _enrollment_for

    child, slot, day = change.child, change.slot, change.date
    activity = slot.activity
    if _enrollment_for(batch.enrollments, change) is None:
        return "not_enrolled", (
            f"{child.first_name} n'a pas d'inscription validée à « {activity.name} » "
            f"pour le {rules.fr_day(day)} : la liste d'attente est réservée aux enfants inscrits."
        )
    closed = batch.calendar.closed_reason(activity, day)
    if closed:
        return "closed", closed
    if batch.now >= deadlines.session_start(day, slot.start_time):
        return "started", "La séance a déjà commencé."
    if not batch.on_behalf:
        if not activity.families_may_add:
            # A place given from the line would skip the manager's approval of each booking.
            return "not_bookable", (
                f"« {activity.name} » se réserve sur demande validée par la structure : "
                "demandez-lui d'inscrire votre enfant sur la liste d'attente."
            )
        waiting = batch.calendar.allocation_error(activity, day)
        if waiting:
            return "allocation", waiting
        opening = batch.calendar.opening_error(activity, day, batch.now)
        if opening:
            return "not_open", opening
    existing = batch.live.get(change.key)
    if existing is not None and (existing.status == Booking.BOOKED or not batch.on_behalf):
        if existing.status == Booking.BOOKED:
            return "already", f"{child.first_name} a déjà une réservation ce jour-là."
        return "already", (
            f"La séance de {child.first_name} ce jour-là a été annulée hors délai ou déclarée en "
            "absence : seule la structure peut la rétablir."
        )
    if change.key in live:
        return "already_waiting", f"{child.first_name} est déjà sur la liste d'attente de ce jour."
    groups = batch.age_groups(slot)
    age = rules.age_on(child.birth_date, day)
    if groups and rules.group_for(age, groups) is None:
        return "not_bookable", f"Aucune place n'est prévue pour les enfants de {age} ans."
    slot_day = batch.slot_days.get((slot.pk, day))
    if capacity.full_error(slot, day, child, slot_day, groups) is None:
        return "free", (
            f"Il reste une place le {rules.fr_day(day)} pour {child.first_name} : réservez-la "
            "directement, la liste d'attente n'est ouverte que pour les jours complets."
        )
    return None


# Answering an offer --------------------------------------------------------------------------


def offer_for(token):
    """The entry whose offer link carries `token`, or None (unknown token)."""
    if not token:
        return None
    return (
        WaitlistEntry.objects.filter(token=token)
        .select_related("child__family", "slot__activity__structure", "booking")
        .first()
    )


def _locked_entry(entry):
    """Lock the slot-day first (the order every place change takes), then the entry."""
    slot_day = capacity.lock_slot_days([(entry.slot_id, entry.date)])[(entry.slot_id, entry.date)]
    locked = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("child__family", "slot__activity__structure")
        .get(pk=entry.pk)
    )
    return slot_day, locked


def _check_family(actor, entry):
    from .actions import acting_for_family

    try:
        return acting_for_family(actor, [entry.child], entry.slot.activity.structure)
    except PermissionDenied:
        raise PermissionDenied("Cette offre ne vous est pas destinée.") from None


def _offer_error(entry, now):
    expired = entry.status == WaitlistEntry.EXPIRED or (
        entry.status == WaitlistEntry.OFFERED and entry.offer_expires_at <= now
    )
    if expired:
        return (
            f"Cette offre a expiré ({deadlines.fr_deadline(entry.offer_expires_at)}) : la place "
            "est passée à la suite de la liste d'attente."
        )
    if entry.status == WaitlistEntry.BOOKED:
        return "Cette place vous est déjà attribuée."
    if entry.status != WaitlistEntry.OFFERED:
        return f"Cette offre n'est plus valable ({entry.get_status_display().lower()})."
    return None


def accept(actor, entry, *, now=None):
    """The family takes the offered place: the booking is made. ValidationError (French) when
    the offer has expired or is no longer open; an expired one passes on to the next in line,
    committed before the refusal is raised."""
    now = now or timezone.now()
    error = None
    with transaction.atomic():
        slot_day, locked = _locked_entry(entry)
        _check_family(actor, locked)
        error = _offer_error(locked, now)
        if error is None:
            enrollment = enrollment_of(locked)
            if enrollment is None:
                error = NO_ENROLLMENT
                close(locked, WaitlistEntry.LAPSED, None, now, "waitlist.lapse", NO_ENROLLMENT)
            else:
                before = _snap(locked)
                booking = book(locked, enrollment, actor, now)
                _record(actor, "waitlist.accept", locked, before)
        if error is not None:
            fill(slot_day, now)  # an expired offer (or a lapsed entry) passes on
    if error is not None:
        raise ValidationError(error)
    return booking


def decline(actor, entry, *, now=None):
    """The family declines the offer (or leaves the line): the place goes to the next."""
    now = now or timezone.now()
    with transaction.atomic():
        slot_day, locked = _locked_entry(entry)
        _check_family(actor, locked)
        if locked.status not in WaitlistEntry.LIVE:
            raise ValidationError(
                f"Cette inscription n'est plus active ({locked.get_status_display().lower()})."
            )
        if locked.status == WaitlistEntry.OFFERED:
            close(locked, WaitlistEntry.DECLINED, actor, now, "waitlist.decline")
        else:
            close(locked, WaitlistEntry.WITHDRAWN, actor, now, "waitlist.withdraw")
        fill(slot_day, now)
    return locked


# The manager's hand --------------------------------------------------------------------------


def _check_manager(actor, entry):
    if not is_manager(actor, entry.slot.activity.structure):
        raise PermissionDenied("Action réservée au gestionnaire de la structure.")


def remove(actor, entry, reason, *, now=None):
    """The manager takes an entry off the line, with a reason (recorded)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Indiquez le motif du retrait.")
    with transaction.atomic():
        slot_day, locked = _locked_entry(entry)
        _check_manager(actor, locked)
        if locked.status not in WaitlistEntry.LIVE:
            raise ValidationError("Cette inscription n'est plus sur la liste d'attente.")
        close(locked, WaitlistEntry.REMOVED, actor, now, "waitlist.remove", reason)
        fill(slot_day, now)
    return locked


def promote(actor, entry, *, now=None):
    """The manager puts a waiting entry first in its line (recorded); if a place is free for
    it, it gets it now."""
    now = now or timezone.now()
    with transaction.atomic():
        slot_day, locked = _locked_entry(entry)
        _check_manager(actor, locked)
        if locked.status != WaitlistEntry.WAITING:
            raise ValidationError("Seule une inscription en attente peut passer en tête de liste.")
        first = _live(locked.slot_id, locked.date).exclude(pk=locked.pk).first()
        if first is not None and (first.queued_at, first.pk) < (locked.queued_at, locked.pk):
            before = _snap(locked)
            locked.queued_at = first.queued_at - datetime.timedelta(microseconds=1)
            locked.save(update_fields=["queued_at"])
            _record(actor, "waitlist.promote", locked, before)
        fill(slot_day, now)
    locked.refresh_from_db()
    return locked


# Sweeps (cron) -------------------------------------------------------------------------------


def expire_offers(now=None):
    """Pass on every offer unanswered in time, one slot-day per transaction; returns how many
    expired (a second run at the same time finds none)."""
    now = now or timezone.now()
    keys = set(
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.OFFERED, offer_expires_at__lte=now
        ).values_list("slot_id", "date")
    )
    expired = 0
    for key in sorted(keys):
        with transaction.atomic():
            slot_day = capacity.lock_slot_days([key])[key]
            expired += len(run(slot_day, now).expired)
    return expired


def fill_pending(now=None):
    """Give any place free on a slot-day with a line (from today on); returns entries served."""
    now = now or timezone.now()
    keys = set(
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.WAITING, date__gte=timezone.localdate(now)
        ).values_list("slot_id", "date")
    )
    served = 0
    for key in sorted(keys):
        with transaction.atomic():
            served += len(fill_freed([key], now))
    return served


def lapse_past(now=None):
    """Close the live entries of days already past (nobody can take those places any more)."""
    now = now or timezone.now()
    return WaitlistEntry.objects.filter(
        status__in=WaitlistEntry.LIVE, date__lt=timezone.localdate(now)
    ).update(status=WaitlistEntry.LAPSED, closed_at=now)
