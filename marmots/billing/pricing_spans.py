"""What one session bills, in time: which bookings count, the presence, the billed spans and
slots. Pure: plain values in and out; spans are (start, end) in minutes since midnight.
"""

from dataclasses import dataclass
from functools import cached_property

from marmots.checkin.rules import merge_spans as merge  # touching or overlapping spans merged

HALF_HOUR = 30
NOON = 12 * 60

KEPT = "booked"
LATE = "late"
ABSENT = "absent"
CANCELLED = "cancelled"

# How the billed span was found (drives the explanation).
PRESENCE = "presence"  # the union of the billed-as-booked slots and the presence
AS_BOOKED = "booked"  # the billed-as-booked slots only
MAX_SPAN = "max"  # the activity's maximum span (missed check-in rule)
WHOLE = "whole"  # the whole session: present by the register only, nothing booked


def minutes(moment):
    return moment.hour * 60 + moment.minute


def length(spans):
    return sum(end - start for start, end in merge(spans))


def round_out(span):
    """The span widened to whole half-hours: 7:40-8:30 -> 7:30-8:30, 16:30-18:10 -> 16:30-18:30;
    never empty (a zero-length presence still counts one half-hour)."""
    start, end = span
    start -= start % HALF_HOUR
    end += -end % HALF_HOUR
    return (start, max(end, start + HALF_HOUR))


def overlaps(span, other):
    return span[0] < other[1] and other[0] < span[1]


def by_start(slot):
    return (minutes(slot.start), slot.id)


def slot_span(slot):
    return (minutes(slot.start), minutes(slot.end))


@dataclass(frozen=True)
class Analysis:
    """One session as billing reads it."""

    session: object  # SessionFacts
    activity: object  # ActivitySpec
    kept: tuple  # SlotSpecs booked and kept
    late: tuple  # SlotSpecs cancelled after the deadline, not excused
    absent: tuple  # SlotSpecs of an absence not excused
    excused: tuple  # (BookingFact, SlotSpec) excused
    presence: tuple | None  # the presence span clipped to the opening hours, when known
    how: str | None  # PRESENCE, AS_BOOKED, MAX_SPAN, WHOLE; None: nothing billed
    spans: tuple  # the billed spans before rounding
    slots: tuple  # the billed slots (units other than the half-hour)
    opens: int  # the session's start (the first slot's), in minutes
    closes: int  # its end (the last slot's): a departure after it is a late pick-up

    @property
    def charged(self):
        return self.late + self.absent

    @cached_property
    def as_booked(self):
        """The slots billed as booked: kept, late cancellations and absences not excused."""
        return self.kept + self.charged

    @property
    def billed(self):
        return self.how is not None

    @property
    def unbooked(self):
        return self.session.present and not self.as_booked

    @property
    def no_show(self):
        return bool(self.kept) and not self.session.present

    @cached_property
    def half_hours(self):
        """The billed spans rounded out to half-hours and merged (computed once: several lines
        of the session read it)."""
        return tuple(merge(round_out(span) for span in self.spans))

    @property
    def minutes_booked(self):
        return length([slot_span(s) for s in self.as_booked + tuple(s for _, s in self.excused)])

    @property
    def minutes_attended(self):
        s = self.session
        if not s.present:
            return 0
        if self.presence is not None:
            start = minutes(s.arrival) if s.arrival else self.opens
            end = minutes(s.departure) if s.departure else self.closes
            return max(0, end - start)
        if self.as_booked:
            return length([slot_span(slot) for slot in self.as_booked])
        return length(self.spans)

    def covers(self, slot, by_slot):
        """True when the billed time overlaps `slot` (by billed slots for slot-like units)."""
        if by_slot:
            return any(overlaps(slot_span(b), slot_span(slot)) for b in self.slots)
        return any(overlaps(span, slot_span(slot)) for span in self.half_hours)


def opening(activity, start, end):
    """The hours a session can bill: the slots (`start` to `end`) and the maximum span."""
    if activity.max_span:
        start = min(start, minutes(activity.max_span[0]))
        end = max(end, minutes(activity.max_span[1]))
    return start, end


def _presence(session, activity, opens, closes):
    """(arrival or the session's start, departure or its end) clipped to the opening hours;
    None when absent, when the rule says an event is missing, or without any event."""
    if not session.present or session.missed:
        return None
    if session.arrival is None and session.departure is None:
        return None
    first, last = opening(activity, opens, closes)
    start = minutes(session.arrival) if session.arrival else opens
    end = minutes(session.departure) if session.departure else closes
    start, end = min(max(start, first), last), max(min(end, last), first)
    return (start, max(start, end))


def _split(session, activity):
    by_id = {slot.id: slot for slot in activity.slots}
    kept, late, absent, excused = [], [], [], []
    for booking in session.bookings:
        slot = by_id.get(booking.slot_id)
        if slot is None or booking.status == CANCELLED:
            continue
        if booking.status == KEPT:
            kept.append(slot)
        elif booking.excused:
            excused.append((booking, slot))
        elif booking.status == LATE:
            late.append(slot)
        elif booking.status == ABSENT:
            absent.append(slot)
    return (
        _in_order(kept),
        _in_order(late),
        _in_order(absent),
        tuple(sorted(excused, key=lambda pair: by_start(pair[1]))),
    )


def _in_order(slots):
    """The slots by start (most sessions have none or one: nothing to sort)."""
    return tuple(sorted(slots, key=by_start)) if len(slots) > 1 else tuple(slots)


def _billed(session, activity, booked, presence, opens, closes):
    """(how, spans) of what the session bills, from the house rules."""
    booked_spans = [slot_span(slot) for slot in booked]
    if session.present and session.missed:
        if session.max_span or not booked_spans:
            widest = opening(activity, opens, closes)
            if activity.max_span:
                widest = (minutes(activity.max_span[0]), minutes(activity.max_span[1]))
            return MAX_SPAN, booked_spans + [widest]
        return AS_BOOKED, booked_spans
    if session.present and presence is not None:
        return PRESENCE, booked_spans + [presence]
    if session.present:
        if booked_spans:
            return AS_BOOKED, booked_spans
        return WHOLE, [(opens, closes)]
    if booked_spans:
        return AS_BOOKED, booked_spans
    return None, []


def _billed_slots(activity, booked, how, spans, presence):
    """The slots billed for units other than the half-hour: the billed-as-booked ones with those
    of the maximum span, or with those the known presence overlaps (all of them when the child
    was present but the presence is unknown and nothing was booked)."""
    if how == MAX_SPAN:
        wanted = [s for s in activity.slots if overlaps(slot_span(s), spans[-1])]
    elif how == PRESENCE:
        wanted = [s for s in activity.slots if overlaps(slot_span(s), round_out(presence))]
    elif how == WHOLE:
        wanted = activity.slots
    else:
        wanted = ()
    chosen = {s.id: s for s in booked + tuple(wanted)}
    return tuple(sorted(chosen.values(), key=by_start))


def analyse(session, activity):
    kept, late, absent, excused = _split(session, activity)
    booked = kept + late + absent
    opens, closes = minutes(activity.start), minutes(activity.end)
    presence = _presence(session, activity, opens, closes)
    how, spans = _billed(session, activity, booked, presence, opens, closes)
    slots = _billed_slots(activity, booked, how, spans, presence)
    return Analysis(
        session=session,
        activity=activity,
        kept=kept,
        late=late,
        absent=absent,
        excused=excused,
        presence=presence,
        how=how,
        spans=tuple(spans),
        slots=slots,
        opens=opens,
        closes=closes,
    )


def halves(slots):
    """Half-days (before noon, from noon) covered by `slots`."""
    morning = any(minutes(s.start) < NOON for s in slots)
    afternoon = any(minutes(s.end) > NOON for s in slots)
    return int(morning) + int(afternoon)
