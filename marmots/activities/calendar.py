"""The calendar the structure lives by: school holidays, public holidays, registration openings.

School holidays come from the `vacances-scolaires-france` package, which ships the ministry's
calendar as one row per date (so it works offline). The package marks every calendar day of a
holiday, weekends included: the Toussaint 2026 in zone A runs from Saturday 17 October (classes end
that morning) to Sunday 1 November (classes resume on Monday 2 November).

Convention used here: a holiday (and a school year) is given by the first and the last **Monday to
Friday day without school**, because those are the days the structure opens its holiday day camp.
Toussaint 2026, zone A, is therefore Monday 19 October to Friday 30 October. Public holidays that
fall inside stay inside (Friday 1 January 2027 is the last day of the Christmas holidays); whether
the structure opens on them is a separate rule (`is_working_day`).

Everything above `sync_school_year` is pure: plain values in, plain values out.
"""

import datetime
import re
from functools import cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from django.db import transaction
from vacances_scolaires_france import SchoolHolidayDates

PARIS = ZoneInfo("Europe/Paris")
SUMMER = "Vacances d'été"
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
_SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")


def parse_school_year(school_year):
    """'2026-2027' -> 2026. Raises ValueError with a French message otherwise."""
    match = _SCHOOL_YEAR.match((school_year or "").strip())
    if not match or int(match[2]) != int(match[1]) + 1:
        raise ValueError(f"Année scolaire invalide : « {school_year} » (attendu : 2026-2027).")
    return int(match[1])


@cache
def _dates():
    return SchoolHolidayDates()


def _runs(zone, first_year, last_year):
    """Consecutive holiday days of a zone, as [first_day, last_day, name], weekends included."""
    dates = _dates()
    runs = []
    for year in range(first_year, last_year + 1):
        if year < dates.min_year or year > dates.max_year:
            continue
        for day, row in sorted(dates.holidays_for_year_and_zone(year, zone).items()):
            name = row["nom_vacances"]
            last = runs[-1] if runs else None
            if last and last[2] == name and (day - last[1]).days == 1:
                last[1] = day
            else:
                runs.append([day, day, name])
    return runs


def _weekdays_only(first_day, last_day):
    """Trim a span to its first and last Monday-Friday days (None if it has none)."""
    while first_day <= last_day and first_day.weekday() >= 5:
        first_day += datetime.timedelta(days=1)
    while last_day >= first_day and last_day.weekday() >= 5:
        last_day -= datetime.timedelta(days=1)
    return (first_day, last_day) if first_day <= last_day else None


def school_holidays(zone, school_year):
    """The holidays of a school year: [(name, first_day, last_day)], Monday-Friday days.

    A holiday belongs to the school year in which it starts (the summer holidays that end a school
    year belong to it: 'Vacances d'été' 2027 is in 2026-2027). Unknown years give an empty list.
    """
    start = parse_school_year(school_year)
    year_start = datetime.date(start, 9, 1)
    year_end = datetime.date(start + 1, 8, 31)
    result = []
    for first_day, last_day, name in _runs(zone, start, start + 1):
        if not year_start <= first_day <= year_end:
            continue
        days = _weekdays_only(first_day, last_day)
        if days:
            result.append((name, *days))
    return result


def school_year_bounds(zone, school_year):
    """(first day of school, last day of school), Monday-Friday, or None if unknown.

    The first day follows the summer holidays that end in the starting year; the last day comes
    before the summer holidays of the next year.
    """
    start = parse_school_year(school_year)
    runs = [r for r in _runs(zone, start, start + 1) if r[2] == SUMMER]
    before = [r for r in runs if r[0].year == start]
    after = [r for r in runs if r[0].year == start + 1]
    if not before or not after:
        return None
    return _weekdays_only(
        before[0][1] + datetime.timedelta(days=1), after[0][0] - datetime.timedelta(days=1)
    )


def public_holidays(years):
    """French public holidays (metropolitan France) of the given years: {date: French name}."""
    return dict(holidays_lib.France(years=list(years), language="fr").items())


def registration_opening(first_day, weeks=4, at=datetime.time(20, 0), tz=PARIS):
    """When booking opens for a holiday: the Monday `weeks` weeks before its first day, at `at`.

    'The Monday four weeks before' is the Monday on or before first_day - 4 weeks, so a holiday
    starting on a Thursday opens on the Monday of the same week, four weeks earlier. The result is
    an aware datetime in Europe/Paris (20:00 local time, summer or winter).
    """
    day = first_day - datetime.timedelta(weeks=weeks)
    day -= datetime.timedelta(days=day.weekday())
    return datetime.datetime.combine(day, at, tzinfo=tz)


def is_working_day(day, skip_public_holidays=False, public_holidays=()):
    """Monday to Friday; public holidays count unless skip_public_holidays is set."""
    if day.weekday() >= 5:
        return False
    return not (skip_public_holidays and day in public_holidays)


def holiday_period_name(name, first_day):
    return f"{name} {first_day.year}"


@transaction.atomic
def sync_school_year(structure, school_year):
    """Create or update the school-year period and one period per holiday of the structure's zone.

    Periods are keyed by (structure, kind, start_date), so running it again changes nothing.
    Names and last days follow the official calendar; a registration opening the manager already
    set is kept (only missing ones are filled in from `registration_opening`).
    Returns [(period, status)] with status CREATED, UPDATED or UNCHANGED.
    """
    from .models import Period

    zone = structure.holiday_zone
    bounds = school_year_bounds(zone, school_year)
    if bounds is None:
        raise ValueError(f"Pas de calendrier scolaire connu pour {school_year} (zone {zone}).")
    wanted = [(Period.SCHOOL_YEAR, f"Année scolaire {school_year}", *bounds)]
    wanted += [
        (Period.HOLIDAYS, holiday_period_name(name, first), first, last)
        for name, first, last in school_holidays(zone, school_year)
    ]
    results = []
    for kind, name, first_day, last_day in wanted:
        period, created = Period.objects.get_or_create(
            structure=structure,
            kind=kind,
            start_date=first_day,
            defaults={"name": name, "school_year": school_year, "end_date": last_day},
        )
        opening = period.registration_opens_at
        if kind == Period.HOLIDAYS and opening is None:
            opening = registration_opening(first_day)
        new = {"name": name, "school_year": school_year, "end_date": last_day}
        new["registration_opens_at"] = opening
        status = CREATED if created else UNCHANGED
        if any(getattr(period, field) != value for field, value in new.items()):
            for field, value in new.items():
                setattr(period, field, value)
            period.save()
            status = status if created else UPDATED
        results.append((period, status))
    return results
