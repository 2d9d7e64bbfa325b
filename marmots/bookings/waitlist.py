"""Waiting lists: a child waits for a place in a full slot on a day, and gets the next one freed.

The line of a slot-day is its live entries (waiting or offered) in `LINE_ORDER`. Every change
to it runs under the slot-day's row lock (`capacity.lock_slot_days`), the same lock a booking
takes, so a place is never counted twice.

`fill(slot_day, now)` gives the places free on a slot-day to the line, in order, within the
transaction of whatever freed them (a cancellation, an absence, a raised capacity, a declined
or expired offer, an entry removed): for each entry whose child fits (age groups included),
either a booking at once (the structure's `waitlist_offer_hours` is 0) or an offer held for
that many hours (never past the session's start), e-mailed with a link to accept or decline.
An offered place counts as taken until answered. An entry whose session has started lapses.
`expire_offers(now)` (management command `expire_waitlist_offers`, every few minutes from cron)
passes unanswered offers on; `fill_pending(now)` in the same command catches any place freed by
a path that does not call `fill` (a manager editing a slot's places, say).
"""

import datetime
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.core.access import is_manager
from marmots.core.audit import record

from . import capacity, context, deadlines, rules
from .models import Booking, WaitlistEntry

LINE_ORDER = ("queued_at", "id")
WAITLISTED = "waitlisted"


def _live(slot_id, day):
    return WaitlistEntry.objects.filter(
        slot_id=slot_id, date=day, status__in=WaitlistEntry.LIVE
    ).order_by(*LINE_ORDER)


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


def _snap(entry):
    return {
        "status": entry.status,
        "slot": str(entry.slot),
        "date": str(entry.date),
        "offer_expires_at": entry.offer_expires_at.isoformat() if entry.offer_expires_at else None,
    }


def _record(actor, action, entry, before=None):
    record(actor, action, entry, family_id=entry.child.family_id, before=before, after=_snap(entry))


# Joining -------------------------------------------------------------------------------------


def join(actor, changes, *, now=None):
    """Put the children of `changes` (bookings.actions.Change) on the waiting lists of their
    slot-days, in one transaction: one Outcome each (code "waitlisted", or the refusal's).

    Refused: no validated enrollment, a closed day, registrations not open or awaiting
    allocation, a session started, a child already booked or already waiting, and a day that
    still has a place for the child (book it instead). A manager may add a child on the
    family's behalf.
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
                queued_at=now,
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
        waiting = batch.calendar.allocation_error(activity, day)
        if waiting:
            return "allocation", waiting
        opening = batch.calendar.opening_error(activity, day, batch.now)
        if opening:
            return "not_open", opening
    existing = batch.live.get(change.key)
    if existing is not None:
        return "already", f"{child.first_name} a déjà une réservation ce jour-là."
    if change.key in live:
        return "already_waiting", f"{child.first_name} est déjà sur la liste d'attente de ce jour."
    slot_day = batch.slot_days.get((slot.pk, day))
    if capacity.full_error(slot, day, child, slot_day, batch.age_groups(slot)) is None:
        return "free", (
            f"Il reste une place le {rules.fr_day(day)} pour {child.first_name} : réservez-la "
            "directement, la liste d'attente n'est ouverte que pour les jours complets."
        )
    return None


# Giving freed places -------------------------------------------------------------------------


def fill_freed(keys, now=None):
    """Lock the (slot id, date) pairs and give their free places to their lines. Must run inside
    the transaction that freed them (or its own); returns the entries served."""
    now = now or timezone.now()
    slot_days = capacity.lock_slot_days(keys)
    served = []
    for key in sorted(slot_days):
        served += fill(slot_days[key], now)
    return served


def fill(slot_day, now):
    """Give the places free on `slot_day` (locked by the caller) to its line, in order.

    Expired offers pass on first; entries whose session has started lapse. Returns the entries
    offered a place or booked.
    """
    from marmots.activities.models import TimeSlot

    slot = TimeSlot.objects.select_related("activity__structure").get(pk=slot_day.slot_id)
    day = slot_day.date
    entries = list(
        _live(slot.pk, day).select_for_update(of=("self",)).select_related("child__family")
    )
    if not entries:
        return []
    starts = deadlines.session_start(day, slot.start_time)
    groups = context.load(slot.activity.structure, day, day).age_groups.get(slot.pk, [])
    served = []
    for entry in entries:
        if entry.status == WaitlistEntry.OFFERED:
            if entry.offer_expires_at <= now:
                _close(entry, WaitlistEntry.EXPIRED, None, now, "waitlist.expire")
            continue
        if now >= starts:
            _close(entry, WaitlistEntry.LAPSED, None, now, "waitlist.lapse")
            continue
        if capacity.full_error(slot, day, entry.child, slot_day, groups) is not None:
            continue  # no place for this child (its age group may be full): the next may fit
        served.append(_give(entry, slot, now, starts))
    return served


def _close(entry, status, actor, now, action, reason=""):
    before = _snap(entry)
    entry.status, entry.closed_at, entry.closed_by = status, now, actor
    entry.reason = reason[:300]
    entry.save(update_fields=["status", "closed_at", "closed_by", "reason"])
    _record(actor, action, entry, before)


def _give(entry, slot, now, starts):
    """The place goes to `entry`: booked at once, or offered for the structure's hours."""
    from .tasks import send_waitlist_booked, send_waitlist_offer

    hours = slot.activity.structure.waitlist_offer_hours
    before = _snap(entry)
    if hours == 0:
        enrollment = _enrollment(entry)
        if enrollment is None:
            _close(entry, WaitlistEntry.LAPSED, None, now, "waitlist.lapse", NO_ENROLLMENT)
            return entry
        _book(entry, enrollment, entry.created_by, now)
        _record(None, "waitlist.book", entry, before)
        transaction.on_commit(lambda: send_waitlist_booked.enqueue(entry.pk), robust=True)
        return entry
    entry.status = WaitlistEntry.OFFERED
    entry.offered_at = now
    entry.offer_expires_at = min(now + datetime.timedelta(hours=hours), starts)
    entry.token = secrets.token_urlsafe(32)
    entry.save(update_fields=["status", "offered_at", "offer_expires_at", "token"])
    _record(None, "waitlist.offer", entry, before)
    transaction.on_commit(lambda: send_waitlist_offer.enqueue(entry.pk), robust=True)
    return entry


NO_ENROLLMENT = "L'inscription de l'enfant à cette activité n'est plus validée."


def _enrollment(entry):
    from marmots.enrollments.models import Enrollment

    return Enrollment.objects.filter(
        child_id=entry.child_id,
        activity_id=entry.slot.activity_id,
        status=Enrollment.VALIDATED,
        start_date__lte=entry.date,
        end_date__gte=entry.date,
    ).first()


def _book(entry, enrollment, actor, now):
    """The booking the entry obtains (a late-cancelled or absent row of that day is reused)."""
    booking = (
        Booking.objects.filter(child_id=entry.child_id, slot_id=entry.slot_id, date=entry.date)
        .exclude(status=Booking.CANCELLED)
        .first()
    )
    if booking is None:
        booking = Booking(child_id=entry.child_id, slot_id=entry.slot_id, date=entry.date)
    booking.status = Booking.BOOKED
    booking.enrollment = enrollment
    booking.with_apc = entry.with_apc
    booking.booked_by = actor if getattr(actor, "is_authenticated", False) else None
    booking.booked_on_behalf = False
    booking.excused, booking.excuse_reason = False, ""
    booking.cancelled_at = booking.cancelled_by = booking.excused_by = booking.excused_at = None
    booking.save()
    entry.status, entry.booking, entry.closed_at = WaitlistEntry.BOOKED, booking, now
    entry.save(update_fields=["status", "booking", "closed_at"])
    record(
        actor,
        "booking.book_from_waitlist",
        booking,
        family_id=entry.child.family_id,
        after={"slot": str(entry.slot), "date": str(entry.date), "status": booking.status},
    )
    return booking


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
    if entry.status == WaitlistEntry.OFFERED and entry.offer_expires_at <= now:
        return "Cette offre a expiré : la place a été proposée à la famille suivante."
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
            enrollment = _enrollment(locked)
            if enrollment is None:
                error = NO_ENROLLMENT
                _close(locked, WaitlistEntry.LAPSED, None, now, "waitlist.lapse", NO_ENROLLMENT)
            else:
                before = _snap(locked)
                booking = _book(locked, enrollment, actor, now)
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
            _close(locked, WaitlistEntry.DECLINED, actor, now, "waitlist.decline")
        else:
            _close(locked, WaitlistEntry.WITHDRAWN, actor, now, "waitlist.withdraw")
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
        _close(locked, WaitlistEntry.REMOVED, actor, now, "waitlist.remove", reason)
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
    """Pass on every offer unanswered in time; returns how many expired."""
    now = now or timezone.now()
    keys = set(
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.OFFERED, offer_expires_at__lte=now
        ).values_list("slot_id", "date")
    )
    expired = 0
    for key in sorted(keys):
        with transaction.atomic():
            before = WaitlistEntry.objects.filter(
                slot_id=key[0], date=key[1], status=WaitlistEntry.EXPIRED
            ).count()
            fill_freed([key], now)
            expired += (
                WaitlistEntry.objects.filter(
                    slot_id=key[0], date=key[1], status=WaitlistEntry.EXPIRED
                ).count()
                - before
            )
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
