"""Giving the places free on a slot-day to its waiting line (`waitlist.py` tells the whole story).

`fill(slot_day, now)` runs under the slot-day's lock (`capacity.lock_slot_days`), inside the
transaction that freed the places, and always in this order:

1. offers not answered in time expire: their places are free again;
2. once the session has started the waiting entries lapse: nothing is given any more;
3. on a day the activity is closed, nothing is given;
4. each waiting entry, in line order, gets a place if one is free for its child. Age groups
   count: a 7-year-old waiting cannot take a 3-5 place, so it keeps its rank and the next
   4-year-old in line gets it. Brothers and sisters who joined together (one `group`) are served
   together: only when there is a place for each of them still waiting, all in the same fill;
   until then they keep their rank and those behind may take the places. Siblings who could
   never fit together that day (more of them than its places or their age group's capacity)
   are served one by one instead (`_serve`); one whom no age group takes any more does not hold
   the others back. The place is booked at once when the structure's
   `waitlist_offer_hours` is 0 and the day may still be cancelled free of charge; else it is
   offered (and held) until min(now + hours, session start), 24 hours when offers are off but
   the free-cancellation deadline has passed (a booking made then could not be cancelled
   without charge: the family says yes first).

An entry whose child already holds a booking that day (booked directly) is closed as booked,
linked to it (an offered one too: its place goes on); one whose enrollment is no longer
validated lapses. The e-mails go after commit, one per family and group of siblings, and only
for the entries still in the state they announce (`tasks.py`).
"""

import datetime
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from marmots.core.audit import record

from . import capacity, context, deadlines
from .models import Booking, WaitlistEntry
from .waitlist_line import Line

LINE_ORDER = ("queued_at", "id")
NO_ENROLLMENT = "L'inscription de l'enfant à cette activité n'est plus validée."
ALREADY_BOOKED = "L'enfant a été réservé directement ce jour-là."
LATE_OFFER_HOURS = 24  # an offer's time when offers are off but the free cancellation is past


def live_line(slot_id, day):
    """The live entries (waiting or offered) of a slot-day, in line order."""
    return WaitlistEntry.objects.filter(
        slot_id=slot_id, date=day, status__in=WaitlistEntry.LIVE
    ).order_by(*LINE_ORDER)


def locked_line(slot_id, day):
    """The live entries of a slot-day, locked (after the slot-day: the order every place change
    takes)."""
    return list(
        live_line(slot_id, day)
        .select_for_update(of=("self",))
        .select_related("child__family", "slot")
    )


def snap(entry):
    return {
        "status": entry.status,
        "slot": str(entry.slot),
        "date": str(entry.date),
        "offer_expires_at": entry.offer_expires_at.isoformat() if entry.offer_expires_at else None,
    }


def audit(actor, action, entry, before=None):
    record(actor, action, entry, family_id=entry.child.family_id, before=before, after=snap(entry))


def close(entry, status, actor, now, action, reason=""):
    before = snap(entry)
    entry.status, entry.closed_at, entry.closed_by = status, now, actor
    entry.reason = reason[:300]
    entry.save(update_fields=["status", "closed_at", "closed_by", "reason"])
    audit(actor, action, entry, before)


@dataclass
class Filled:
    served: list = field(default_factory=list)  # offered a place, or booked
    expired: list = field(default_factory=list)


def fill_freed(keys, now=None):
    """Lock the (slot id, date) pairs and give their free places to their lines. Runs inside the
    transaction that freed them (or its own); returns the entries served."""
    now = now or timezone.now()
    with transaction.atomic():
        slot_days = capacity.lock_slot_days(keys)
        served = []
        for key in sorted(slot_days):
            served += fill(slot_days[key], now)
    return served


def places_changed(slot_id, now=None):
    """The manager changed a slot's places (its own figure or an age group's): the places now
    free on its days to come go to their lines, in the caller's transaction."""
    now = now or timezone.now()
    keys = set(
        WaitlistEntry.objects.filter(
            slot_id=slot_id, status=WaitlistEntry.WAITING, date__gte=timezone.localdate(now)
        ).values_list("slot_id", "date")
    )
    return fill_freed(keys, now) if keys else []


def reopened(structure, first_day, last_day, now=None):
    """A closure of `structure` from `first_day` to `last_day` was lifted (or those days taken
    out of it): the places of those days (to come) go to their lines, in the caller's
    transaction."""
    now = now or timezone.now()
    keys = set(
        WaitlistEntry.objects.filter(
            slot__activity__structure=structure,
            status=WaitlistEntry.WAITING,
            date__range=(max(first_day, timezone.localdate(now)), last_day),
        ).values_list("slot_id", "date")
    )
    return fill_freed(keys, now) if keys else []


def fill(slot_day, now):
    """Give the places free on `slot_day` (locked by the caller) to its line; returns the
    entries offered a place or booked."""
    return run(slot_day, now).served


def run(slot_day, now):
    """`fill`, telling also which offers expired (a `Filled`)."""
    from marmots.activities.models import TimeSlot

    result = Filled()
    entries = locked_line(slot_day.slot_id, slot_day.date)
    for entry in entries:
        if entry.status == WaitlistEntry.OFFERED and entry.offer_expires_at <= now:
            close(entry, WaitlistEntry.EXPIRED, None, now, "waitlist.expire")
            result.expired.append(entry)
    waiting = [e for e in entries if e.status == WaitlistEntry.WAITING]
    if not waiting:
        return result
    slot = TimeSlot.objects.select_related("activity__structure").get(pk=slot_day.slot_id)
    starts = deadlines.session_start(slot_day.date, slot.start_time)
    if now >= starts:
        for entry in waiting:
            close(entry, WaitlistEntry.LAPSED, None, now, "waitlist.lapse")
        return result
    calendar = context.load(slot.activity.structure, slot_day.date, slot_day.date)
    if calendar.closed_reason(slot.activity, slot_day.date):
        return result
    line = Line(slot, slot_day, calendar, now)
    for entry in entries:
        if entry.status == WaitlistEntry.OFFERED and _booked_already(line, entry, now):
            line.release(entry.child)  # booked directly while offered: the offer's place goes on
    served = set()
    for entry in waiting:
        if entry.pk not in served:
            members = [e for e in waiting if e.group == entry.group] if entry.group else [entry]
            served.update(e.pk for e in members)
            result.served += _serve(line, members, now, starts)
    _notify(result.served)
    return result


def _enrolled(line, entry, now):
    """The entry's child is still enrolled (its enrollment kept in `line.enrollments`); else
    the entry lapses."""
    if entry.pk not in line.enrollments:
        line.enrollments[entry.pk] = enrollment_of(entry)
        if line.enrollments[entry.pk] is None:
            close(entry, WaitlistEntry.LAPSED, None, now, "waitlist.lapse", NO_ENROLLMENT)
    return line.enrollments[entry.pk] is not None


def _serve(line, members, now, starts):
    """Give `members` (one entry, or siblings who joined together) their places; returns those
    served.

    Siblings are served all at once, only when there is a place for each of them, but ONLY
    while they could ever fit together on that day (`Line.could_fit_together`: counted on the
    places as configured, not as free now). When they never could (twins waiting on a day of
    one place, more siblings than their age group's capacity, the day's places cut below their
    number), waiting for all of them would leave a place free for good: each is then served on
    its own, in line order. We chose this rule rather than giving any place still free after
    the pass to a lone sibling: that would undo "together" whenever places free one at a time
    (the usual case), and a place the siblings wait for while they could fit stays open to any
    family booking it directly, so it is not lost. A sibling already booked, no longer
    enrolled, or whom no age group takes any more (the manager narrowed them since it joined),
    does not hold the others back. The latter keeps waiting rather than lapsing: removing age
    groups one at a time passes through such a state, and lapsing is for good."""
    members = [e for e in members if not _booked_already(line, e, now)]
    if len(members) > 1:  # a sibling no age group takes any more waits alone, blocking nobody
        members = [e for e in members if line.has_group_for(e.child)]
        members = [e for e in members if _enrolled(line, e, now)]
        if not line.could_fit_together([e.child for e in members]):
            return [e for e in members if _serve(line, [e], now, starts)]
    if not members or not line.has_places_for([e.child for e in members]):
        return []  # an age group may be full: the next in line may fit
    members = [e for e in members if _enrolled(line, e, now)]
    for entry in members:
        _give(entry, line, line.enrollments[entry.pk], now, starts)
        line.hold(entry.child)
    return members


def _booked_already(line, entry, now):
    booking_id = line.booking_of(entry.child)
    if booking_id is not None:
        settle(entry, booking_id, None, now)
    return booking_id is not None


def settle(entry, booking_id, actor, now):
    """The child was booked that day without the line (its place is already counted): the
    entry is closed as booked, linked to that booking."""
    before = snap(entry)
    entry.status, entry.booking_id, entry.closed_at = WaitlistEntry.BOOKED, booking_id, now
    entry.reason = ALREADY_BOOKED
    entry.save(update_fields=["status", "booking", "closed_at", "reason"])
    audit(actor, "waitlist.book", entry, before)


def _give(entry, line, enrollment, now, starts):
    """The place goes to `entry`: booked at once, or offered for the structure's hours."""
    before = snap(entry)
    if line.book_now:
        book(entry, enrollment, entry.created_by, now)
        audit(None, "waitlist.book", entry, before)
        return
    hours = line.slot.activity.structure.waitlist_offer_hours or LATE_OFFER_HOURS
    entry.status = WaitlistEntry.OFFERED
    entry.offered_at = now
    entry.offer_expires_at = min(now + datetime.timedelta(hours=hours), starts)
    entry.token = secrets.token_urlsafe(32)
    entry.save(update_fields=["status", "offered_at", "offer_expires_at", "token"])
    audit(None, "waitlist.offer", entry, before)


def _notify(served):
    """After commit, one e-mail per family and group of siblings (or entry) served."""
    from .tasks import send_waitlist_booked, send_waitlist_offer

    batches = {}
    for entry in served:
        batches.setdefault((entry.status, entry.group or entry.pk), []).append(entry.pk)
    for (status, _), ids in batches.items():
        task = send_waitlist_booked if status == WaitlistEntry.BOOKED else send_waitlist_offer
        transaction.on_commit(lambda task=task, ids=ids: task.enqueue(ids), robust=True)


def enrollment_of(entry):
    from marmots.enrollments.models import Enrollment

    return Enrollment.objects.filter(
        child_id=entry.child_id,
        activity_id=entry.slot.activity_id,
        status=Enrollment.VALIDATED,
        start_date__lte=entry.date,
        end_date__gte=entry.date,
    ).first()


def book(entry, enrollment, actor, now):
    """The booking the entry obtains: a new row, or the child's own row of that day cancelled
    late or declared absent, booked again (it is then billed as booked, not as cancelled). That
    row may be the one an earlier entry of the child obtained: both entries keep the link."""
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
    booking.cancelled_on_behalf = False
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
