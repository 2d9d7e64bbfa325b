"""What the booking rules need to know about a structure, loaded in a fixed number of queries.

`load(structure, first_day, last_day)` gives the deadline policies, periods and closures; the
calendar page and the booking actions then ask it about any activity, slot and day without
touching the database again.

They change rarely and are read by every booking, so each process keeps them in memory (with the
slots' age groups), keyed by the structure's `rules_version`: saving or deleting a period, a
closure, a deadline policy or an age group renews that version (`forget`, connected in
`BookingsConfig.ready`), and `load` reads the current version first (one query), so a change is
seen by the next booking, whatever process runs it. Queryset `.update()` sends no signal: call
`forget` after one.
"""

import datetime
import threading
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

from marmots.activities.calendar import public_holidays
from marmots.activities.models import Activity, AgeGroupCapacity, Closure, Period, Structure

from . import deadlines, rules
from .models import DeadlinePolicy


@lru_cache(maxsize=32)
def _public_holidays(years):
    return public_holidays(years)


def holidays_between(first_day, last_day):
    """Public holidays around the span, with a margin for deadlines counted back (≤ 1 year)."""
    return _public_holidays(tuple(range(first_day.year - 1, last_day.year + 1)))


@dataclass
class StructureCalendar:
    structure: object
    policies: dict
    periods: list
    closures: list
    public_holidays: dict = field(default_factory=dict)
    age_groups: dict = field(default_factory=dict)  # {slot id: [AgeGroupCapacity]}

    @property
    def school_spans(self):
        return [(p.start_date, p.end_date) for p in self.periods if p.kind == Period.SCHOOL_YEAR]

    @property
    def holiday_spans(self):
        return [(p.start_date, p.end_date) for p in self.periods if p.kind == Period.HOLIDAYS]

    def rule_for(self, activity):
        kind = Period.HOLIDAYS if activity.in_holidays else Period.SCHOOL_YEAR
        policy = self.policies.get(kind)
        if policy is None:
            return None
        return deadlines.Rule(policy.days_before, policy.at_time, policy.skip_public_holidays)

    def closed_reason(self, activity, day):
        return rules.closed_reason(
            day,
            weekdays=activity.weekdays,
            in_holidays=activity.in_holidays,
            school_spans=self.school_spans,
            holiday_spans=self.holiday_spans,
            closures=self.closures,
            public_holidays=self.public_holidays,
        )

    def deadline(self, activity, slot, day):
        """Until when `slot` on `day` can be booked or cancelled free (the session's start
        when the manager set no deadline for this kind of period)."""
        rule = self.rule_for(activity)
        if rule is None:
            return deadlines.session_start(day, slot.start_time)
        return deadlines.deadline(day, rule, self.public_holidays)

    def window(self, now, activity, slot, day):
        starts_at = deadlines.session_start(day, slot.start_time)
        return deadlines.window_at(now, starts_at, self.deadline(activity, slot, day))

    def holiday_period(self, day):
        return next(
            (
                p
                for p in self.periods
                if p.kind == Period.HOLIDAYS and p.start_date <= day <= p.end_date
            ),
            None,
        )

    def period_of(self, activity, day):
        """The period `day` belongs to for `activity` (holidays or school year), or None."""
        kind = Period.HOLIDAYS if activity.in_holidays else Period.SCHOOL_YEAR
        return next(
            (p for p in self.periods if p.kind == kind and p.start_date <= day <= p.end_date),
            None,
        )

    def allocation_error(self, activity, day):
        """French message when `day`'s places are allocated on request and not yet allocated."""
        period = self.period_of(activity, day)
        if period is None or not period.awaiting_allocation:
            return None
        return (
            f"Les places de « {period.name} » sont attribuées sur demande : faites votre demande "
            f"avant le {deadlines.fr_deadline(period.requests_close_at)}, le résultat vous sera "
            "envoyé par e-mail."
        )

    def not_yet_error(self, activity, day, now):
        """(code, French message) when families may not book `day` yet: its places await
        allocation ("allocation") or its registrations are not open ("not_open"); else None."""
        waiting = self.allocation_error(activity, day)
        if waiting:
            return "allocation", waiting
        opening = self.opening_error(activity, day, now)
        if opening:
            return "not_open", opening
        return None

    def opening_error(self, activity, day, now):
        """French message when the holiday period of `day` is not open for booking yet."""
        if activity.kind != Activity.HOLIDAY:
            return None
        period = self.holiday_period(day)
        if period is None or period.registration_opens_at is None:
            return None
        if now >= period.registration_opens_at:
            return None
        return (
            f"Les réservations pour « {period.name} » ouvrent le "
            f"{deadlines.fr_deadline(period.registration_opens_at)}."
        )


_CACHE = {}
_CACHE_SIZE = 64
_LOCK = threading.Lock()


def _age_groups(structure_id):
    groups = {}
    for group in AgeGroupCapacity.objects.filter(slot__activity__structure_id=structure_id):
        groups.setdefault(group.slot_id, []).append(group)
    return groups


def _rules_of(structure_id, version):
    """(policies, periods, closures, age groups) of a structure at `version`, from memory when
    known."""
    key = (structure_id, version)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    rules_now = (
        {p.period_kind: p for p in DeadlinePolicy.objects.filter(structure_id=structure_id)},
        list(Period.objects.filter(structure_id=structure_id)),
        [
            (c.start_date, c.end_date, c.reason)
            for c in Closure.objects.filter(structure_id=structure_id)
        ],
        _age_groups(structure_id),
    )
    with _LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = rules_now
    return rules_now


def forget(structure_id):
    """A period, closure, deadline or age group of the structure changed: renew its version."""
    Structure.objects.filter(pk=structure_id).update(rules_version=uuid.uuid4())


def load(structure, first_day, last_day):
    """The structure's calendar around [first_day, last_day] (one query when cached)."""
    version = (
        Structure.objects.filter(pk=structure.pk).order_by().values_list("rules_version", flat=True)
    )
    policies, periods, closures, age_groups = _rules_of(structure.pk, version.first())
    margin = datetime.timedelta(days=31)
    return StructureCalendar(
        structure,
        policies,
        [p for p in periods if p.start_date <= last_day and p.end_date >= first_day - margin],
        [c for c in closures if c[0] <= last_day and c[1] >= first_day],
        holidays_between(first_day, last_day),
        age_groups,
    )
