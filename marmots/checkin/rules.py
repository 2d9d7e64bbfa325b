"""The kiosk's and the register's rules, as pure functions: no database, plain values in and out.

A session is one child in one activity on one day. The house rules ask families to check in at
the arrival in the morning and out at the departure in the evening; the activity says which
events it asks of families (`Activity.family_events`).

The missed check-in rule (R10): a session where staff marked the child present but an event
asked of the family is missing. Per child and calendar month, up to the threshold such a session
is billed as booked (at its maximum span if it was not booked); beyond it, every such session of
the month is billed at its maximum span.
"""

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

ARRIVAL = "arrival"
DEPARTURE = "departure"

# The kiosk offers the arrival from an hour before the session starts until it ends, and the
# departure from its start until an hour after it ends (a late parent still checks out).
EARLY = datetime.timedelta(minutes=60)
LATE = datetime.timedelta(minutes=60)


@dataclass(frozen=True)
class Window:
    start: datetime.time
    end: datetime.time

    def __contains__(self, moment):
        return self.start <= moment <= self.end


def _shift(moment, delta):
    """`moment` moved by `delta`, kept within the same day."""
    day = datetime.date(2000, 1, 1)
    shifted = datetime.datetime.combine(day, moment) + delta
    if shifted.date() < day:
        return datetime.time.min
    if shifted.date() > day:
        return datetime.time.max
    return shifted.time()


def windows(family_events, start, end):
    """{kind: Window} for the events asked of families in a session running from start to end."""
    result = {}
    if ARRIVAL in family_events:
        result[ARRIVAL] = Window(_shift(start, -EARLY), end)
    if DEPARTURE in family_events:
        result[DEPARTURE] = Window(start, _shift(end, LATE))
    return result


def event_fits(kind, moment, family_events, start, end):
    """True when a `kind` event at local time `moment` belongs to this session."""
    window = windows(family_events, start, end).get(kind)
    return window is not None and moment in window


def merge_spans(spans):
    """[(start, end)] sorted, contiguous or overlapping ones merged: 7:30-8:00 and 8:00-8:30
    make 7:30-8:30."""
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def fr_span(start, end):
    """ "7h30-8h30" """
    return f"{start.hour}h{start.minute:02d}-{end.hour}h{end.minute:02d}"


@dataclass(frozen=True)
class Session:
    """What the missed check-in rule needs to know of one session."""

    child_id: int
    day: datetime.date
    activity_id: int
    present: bool  # marked present by staff, or checked in or out at all
    asked: frozenset = frozenset()  # events asked of families, when the rule applies
    by_family: frozenset = frozenset()  # events the family made on the kiosk
    booked: bool = True

    @property
    def key(self):
        return (self.child_id, self.day, self.activity_id)

    @property
    def missed(self):
        return bool(self.present and self.asked and not self.asked <= self.by_family)


@dataclass(frozen=True)
class Verdict:
    missed: bool
    month_count: int  # missed sessions of this child in the session's calendar month
    beyond: bool  # the month is past the threshold
    max_span: bool  # bill this session at the activity's maximum span


def _month(session):
    return (session.child_id, session.day.year, session.day.month)


def month_counts(sessions: Iterable[Session]):
    """{(child_id, year, month): number of missed sessions}."""
    return Counter(_month(s) for s in sessions if s.missed)


def missed_checkins(sessions: Iterable[Session], threshold):
    """{session key: Verdict} for every session given.

    Up to `threshold` missed sessions in a child's month, a missed session is billed as booked,
    or at its maximum span when it was not booked (nothing else tells how long the child
    stayed); beyond the threshold every missed session of that month is billed at its maximum.
    """
    sessions = list(sessions)
    counts = month_counts(sessions)
    verdicts = {}
    for s in sessions:
        count = counts.get(_month(s), 0)
        beyond = count > threshold
        verdicts[s.key] = Verdict(
            missed=s.missed,
            month_count=count,
            beyond=beyond,
            max_span=s.missed and (beyond or not s.booked),
        )
    return verdicts


def warning_level(count, threshold):
    """What to tell the family about a month's count: None, "approche" (one before the
    threshold), "seuil" (at it: the next one tips the month over) or "depasse"."""
    if count > threshold:
        return "depasse"
    if count == threshold and count > 0:
        return "seuil"
    if count == threshold - 1 and count > 0:
        return "approche"
    return None
