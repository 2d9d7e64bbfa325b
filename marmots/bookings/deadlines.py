"""Booking and cancellation deadlines, as the house rules state them. Pure functions.

A rule reads "N working days before the day, at HH:MM": count N working days back from the day
booked (the day itself not counted), and the deadline is that day at HH:MM, Europe/Paris time.
School time at Les Petits Montagnards is 2 working days at 8:30 (Monday's booking by the previous
Thursday 8:30); holidays are 10 working days at 8:30 (the same weekday two weeks earlier).
Working days are Monday to Friday; public holidays count unless the rule skips them.
"""

import datetime
from dataclasses import dataclass

from marmots.activities.calendar import PARIS, is_working_day

FREE = "free"  # before the deadline: booked or cancelled at no cost
LATE = "late"  # after the deadline, before the session starts: a cancellation is billed
STARTED = "started"  # the session has started: nothing can change any more

WEEKDAYS_FR = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


@dataclass(frozen=True)
class Rule:
    days_before: int
    at: datetime.time
    skip_public_holidays: bool = False


def deadline(day, rule, public_holidays=frozenset(), tz=PARIS):
    """The aware datetime until which `day` can be booked or cancelled free of charge."""
    current = day
    counted = 0
    while counted < rule.days_before:
        current -= datetime.timedelta(days=1)
        if is_working_day(current, rule.skip_public_holidays, public_holidays):
            counted += 1
    return datetime.datetime.combine(current, rule.at, tzinfo=tz)


def session_start(day, start_time, tz=PARIS):
    """The aware datetime a slot starts on `day`."""
    return datetime.datetime.combine(day, start_time, tzinfo=tz)


def window_at(now, starts_at, deadline_at):
    """FREE before the deadline, LATE between the deadline and the session, STARTED after."""
    if now >= starts_at:
        return STARTED
    if now >= deadline_at:
        return LATE
    return FREE


def change_window(now, day, start_time, rule, public_holidays=frozenset(), tz=PARIS):
    """The window of `day` at `now` under `rule` (see window_at)."""
    return window_at(
        now, session_start(day, start_time, tz), deadline(day, rule, public_holidays, tz)
    )


def can_change_free(now, day, start_time, rule, public_holidays=frozenset(), tz=PARIS):
    return change_window(now, day, start_time, rule, public_holidays, tz) == FREE


def fr_deadline(moment, tz=PARIS):
    """'jeudi 26/11 à 8h30' (local time)."""
    local = moment.astimezone(tz)
    return f"{WEEKDAYS_FR[local.weekday()]} {local:%d/%m} à {local.hour}h{local:%M}"
