"""Giving the places free on a slot-day to its waiting line (`waitlist.py` tells the whole story).

`fill(slot_day, now)` runs under the slot-day's lock (`capacity.lock_slot_days`), inside the
transaction that freed the places, and always in this order:

1. offers not answered in time expire: their places are free again;
2. once the session has started the waiting entries lapse: nothing is given any more;
3. on a day the activity is closed, nothing is given;
4. each waiting entry, in line order, gets a place if one is free for its child. Age groups
   count: a 7-year-old waiting cannot take a 3-5 place, so it keeps its rank and the next
   4-year-old in line gets it. The place is booked at once when the structure's
   `waitlist_offer_hours` is 0, else offered (and held) until min(now + hours, session start).

An entry whose child already holds a booking that day (booked directly) is closed as booked; one
whose enrollment is no longer validated lapses. The e-mails go after commit, and only if the
entry is still in the state they announce (`tasks.py`).
"""

import datetime
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from marmots.core.audit import record

from . import capacity, context, deadlines, rules
from .models import Booking, WaitlistEntry

LINE_ORDER = ("queued_at", "id")
NO_ENROLLMENT = "L'inscription de l'enfant à cette activité n'est plus validée."
ALREADY_BOOKED = "L'enfant a été réservé directement ce jour-là."


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
    day = slot_day.date
    starts = deadlines.session_start(day, slot.start_time)
    if now >= starts:
        for entry in waiting:
            close(entry, WaitlistEntry.LAPSED, None, now, "waitlist.lapse")
        return result
    calendar = context.load(slot.activity.structure, day, day)
    if calendar.closed_reason(slot.activity, day):
        return result
    line = _Line(slot, slot_day, calendar.age_groups.get(slot.pk, []))
    for entry in waiting:
        if _serve(line, entry, now, starts):
            result.served.append(entry)
    return result


class _Line:
    """The places of one slot-day as `fill` gives them: counted once, kept up to date."""

    def __init__(self, slot, slot_day, groups):
        self.slot, self.day, self.groups = slot, slot_day.date, groups
        self.places = capacity.places_on(slot, slot_day)
        self.holders = capacity.held(slot.pk, slot_day.date)

    def booking_of(self, child):
        return next((b for c, _, b in self.holders if c == child.pk and b is not None), None)

    def has_place_for(self, child):
        return (
            rules.capacity_error(
                places=self.places,
                taken=len(self.holders),
                age=rules.age_on(child.birth_date, self.day),
                groups=self.groups,
                taken_ages=[rules.age_on(born, self.day) for _, born, _ in self.holders],
            )
            is None
        )


def _serve(line, entry, now, starts):
    """Give `entry` a place if one is free for its child; True when it got one."""
    child = entry.child
    booking_id = line.booking_of(child)
    if booking_id is not None:
        _settle(entry, booking_id, now)
        return False
    if not line.has_place_for(child):
        return False  # its age group may be full: the next in line may fit
    enrollment = enrollment_of(entry)
    if enrollment is None:
        close(entry, WaitlistEntry.LAPSED, None, now, "waitlist.lapse", NO_ENROLLMENT)
        return False
    _give(entry, line.slot, enrollment, now, starts)
    line.holders.append((child.pk, child.birth_date, None))
    return True


def _settle(entry, booking_id, now):
    """The child was booked that day without the line (its place is already counted)."""
    if WaitlistEntry.objects.filter(booking_id=booking_id).exists():
        close(entry, WaitlistEntry.LAPSED, None, now, "waitlist.lapse", ALREADY_BOOKED)
        return
    before = snap(entry)
    entry.status, entry.booking_id, entry.closed_at = WaitlistEntry.BOOKED, booking_id, now
    entry.reason = ALREADY_BOOKED
    entry.save(update_fields=["status", "booking", "closed_at", "reason"])
    audit(None, "waitlist.book", entry, before)


def _give(entry, slot, enrollment, now, starts):
    """The place goes to `entry`: booked at once, or offered for the structure's hours."""
    from .tasks import send_waitlist_booked, send_waitlist_offer

    hours = slot.activity.structure.waitlist_offer_hours
    before = snap(entry)
    if hours == 0:
        book(entry, enrollment, entry.created_by, now)
        audit(None, "waitlist.book", entry, before)
        transaction.on_commit(lambda: send_waitlist_booked.enqueue(entry.pk), robust=True)
        return
    entry.status = WaitlistEntry.OFFERED
    entry.offered_at = now
    entry.offer_expires_at = min(now + datetime.timedelta(hours=hours), starts)
    entry.token = secrets.token_urlsafe(32)
    entry.save(update_fields=["status", "offered_at", "offer_expires_at", "token"])
    audit(None, "waitlist.offer", entry, before)
    transaction.on_commit(lambda: send_waitlist_offer.enqueue(entry.pk), robust=True)


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
    late or declared absent, booked again (it is then billed as booked, not as cancelled)."""
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
