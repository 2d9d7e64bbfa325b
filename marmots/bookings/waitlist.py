"""Waiting lists: a child waits for a place in a full slot on a day, and gets the next one freed.

The line of a slot-day is its live entries (waiting or offered) in `LINE_ORDER`. Every change
to it runs under the slot-day's row lock (`capacity.lock_slot_days`), the same lock a booking
takes and always taken before any booking or entry row, so a place is never counted twice.
Children join through `join` (`waitlist_join.py`); brothers and sisters joining one slot-day
together (one call, or one allocation unit) share a `group` and follow each other in the line.

`fill(slot_day, now)` (`waitlist_fill.py`) gives the places free on a slot-day to the line, in
order, within the transaction of whatever freed them: a cancellation, in time or late, or an
absence (`actions._give_freed`, `absences.declare_absence`, so also a request the manager
accepts), places raised for the day (`capacity.set_day_capacity`) or in the settings
(`places_changed`), a closure removed or shortened (`reopened`), an offer declined, expired
or lapsed, an entry removed or promoted. Each entry whose child fits (age groups included;
siblings all together while they could ever fit together that day, one by one otherwise) gets
either a booking at once (the structure's `waitlist_offer_hours` is 0 and the day may still be
cancelled free) or an offer held for that many hours (24 when offers are
off but the deadline has passed; never past the session's start), e-mailed after commit with
a link to accept or decline. Each offer is answered on its own, siblings' too: one declining
or letting it expire leaves the others' offers standing. An offered place counts as taken
until answered. Entries whose session has started lapse.
`expire_offers(now)` (management command `expire_waitlist_offers`, every few minutes from cron)
passes unanswered offers on; `fill_pending(now)` in the same command catches any place freed by
a path that does not call `fill` (a database edit, say).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.core.access import is_manager

from . import capacity, context, deadlines
from .models import Booking, WaitlistEntry
from .waitlist_fill import (  # noqa: F401 (fill, fill_freed, places_changed...: the module's API)
    LINE_ORDER,
    NO_ENROLLMENT,
    book,
    close,
    enrollment_of,
    fill,
    fill_freed,
    live_line,
    places_changed,
    reopened,
    run,
    settle,
)
from .waitlist_fill import audit as _record
from .waitlist_fill import snap as _snap
from .waitlist_join import (  # noqa: F401 (the module's API)
    WAITLISTED,
    add_to_line,
    join,
    join_by_structure,
    new_group,
    positions,
)

_live = live_line


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
        return no_longer("Cette offre n'est plus valable", entry)
    return None


def no_longer(prefix, entry):
    """`prefix` ("Cette offre n'est plus valable"...) completed with why, in French: the
    entry's reason when it has one (a lapse for an enrollment no longer validated says so,
    not "jour passé sans place"), else its status; a removal gives both."""
    label = entry.get_status_display().lower()
    if not entry.reason:
        return f"{prefix} ({label})."
    if entry.status == WaitlistEntry.REMOVED:
        return f"{prefix} ({label}). Motif : {entry.reason}"
    return f"{prefix}. {entry.reason}"


def status_label(entry):
    """The entry's status as the family reads it: a lapse with a reason is "Sans place" (the
    reason, shown next to it, says why), not "Jour passé sans place"."""
    if entry.status == WaitlistEntry.LAPSED and entry.reason:
        return "Sans place"
    return entry.get_status_display()


def accept(actor, entry, *, now=None):
    """The family takes the offered place: the booking is made. ValidationError (French) when
    the offer has expired or is no longer open (an expired one passes on to the next in line,
    committed before the refusal is raised), or when the day has been closed since (nothing
    passes on). A child booked directly meanwhile keeps that booking (returned): the entry is
    settled with it and the offered place goes to the next in line."""
    now = now or timezone.now()
    with transaction.atomic():
        slot_day, locked = _locked_entry(entry)
        _check_family(actor, locked)
        error = _offer_error(locked, now)
        if error is None:
            _check_open(locked)
            booked = _booked_directly(locked)
            if booked is not None:
                settle(locked, booked.pk, actor, now)
                fill(slot_day, now)  # the offered place is free again
                return booked
            enrollment = enrollment_of(locked)
            if enrollment is not None:
                before = _snap(locked)
                booking = book(locked, enrollment, actor, now)
                _record(actor, "waitlist.accept", locked, before)
                return booking
            error = NO_ENROLLMENT
            close(locked, WaitlistEntry.LAPSED, None, now, "waitlist.lapse", NO_ENROLLMENT)
        fill(slot_day, now)  # an expired offer (or a lapsed entry) passes on
    raise ValidationError(error)


def _check_open(entry):
    """ValidationError (French) when the day has been closed since the place was offered."""
    activity = entry.slot.activity
    calendar = context.load(activity.structure, entry.date, entry.date)
    closed = calendar.closed_reason(activity, entry.date)
    if closed:
        raise ValidationError(f"{closed} Cette place ne peut pas être acceptée.")


def _booked_directly(entry):
    return Booking.objects.filter(
        child_id=entry.child_id, slot_id=entry.slot_id, date=entry.date, status=Booking.BOOKED
    ).first()


def decline(actor, entry, *, now=None):
    """The family declines the offer (or leaves the line): the place goes to the next."""
    now = now or timezone.now()
    with transaction.atomic():
        slot_day, locked = _locked_entry(entry)
        _check_family(actor, locked)
        if locked.status not in WaitlistEntry.LIVE:
            raise ValidationError(no_longer("Cette inscription n'est plus active", locked))
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
    """The manager puts a waiting entry first in its line (recorded), with the brothers and
    sisters who joined with it (in their order); if a place is free for them, they get it now."""
    now = now or timezone.now()
    with transaction.atomic():
        slot_day, locked = _locked_entry(entry)
        _check_manager(actor, locked)
        if locked.status != WaitlistEntry.WAITING:
            raise ValidationError("Seule une inscription en attente peut passer en tête de liste.")
        line = list(_live(locked.slot_id, locked.date))
        members = [e for e in line if e.pk == locked.pk or _sibling(e, locked)]
        if line[: len(members)] != members:
            ahead = next(e for e in line if e not in members).queued_at
            for member in members:
                before = _snap(member)
                member.queued_at = ahead - datetime.timedelta(microseconds=1)
                member.save(update_fields=["queued_at"])
                _record(actor, "waitlist.promote", member, before)
        fill(slot_day, now)
    locked.refresh_from_db()
    return locked


def _sibling(entry, of):
    return bool(of.group) and entry.group == of.group and entry.status == WaitlistEntry.WAITING


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
