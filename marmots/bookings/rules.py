"""Pure booking rules: is the day open, is there a place, may APC be ticked. No database access.

Callers pass plain values (dates, tuples) or model instances already loaded; every function
returns a French message (or None when the booking can go ahead).
"""

import datetime

TUESDAY = 1
# Dates typed or sent outside these years are refused as input (and keep date arithmetic away
# from date.min / date.max).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def plausible(day):
    return FIRST_YEAR <= day.year <= LAST_YEAR


def fr_day(day):
    from .deadlines import WEEKDAYS_FR

    return f"{WEEKDAYS_FR[day.weekday()]} {day:%d/%m/%Y}"


def in_spans(day, spans):
    return any(start <= day <= end for start, end in spans)


def closed_reason(
    day, *, weekdays, in_holidays, school_spans, holiday_spans, closures, public_holidays
):
    """Why the activity does not run on `day`, or None when it does.

    `weekdays`: the activity's weekdays (0 = Monday); `in_holidays`: a holiday-camp activity
    (runs in holiday periods) or a school-time one (runs in the school year outside holidays);
    `school_spans` / `holiday_spans`: [(first day, last day)] of the structure's periods;
    `closures`: [(first day, last day, reason)]; `public_holidays`: {date: name}.
    """
    if day in public_holidays:
        return f"Jour férié ({public_holidays[day]})."
    for start, end, reason in closures:
        if start <= day <= end:
            return f"Structure fermée : {reason}."
    if day.weekday() not in weekdays:
        return "Pas d'accueil ce jour-là."
    if in_holidays:
        if not in_spans(day, holiday_spans):
            return "Accueil ouvert pendant les vacances scolaires seulement."
    elif in_spans(day, holiday_spans) or not in_spans(day, school_spans):
        return "Pas d'accueil périscolaire pendant les vacances."
    return None


def age_on(birth_date, day):
    """Age in whole years on `day`."""
    years = day.year - birth_date.year
    return years - ((day.month, day.day) < (birth_date.month, birth_date.day))


def group_for(age, groups):
    """The age group (any object with min_age and max_age) that `age` falls in, or None."""
    return next((g for g in groups if g.min_age <= age <= g.max_age), None)


def capacity_error(*, places, taken, age=None, groups=(), taken_ages=()):
    """French message when no place is left, or None.

    `places`: the slot's places that day (None: unlimited); `taken`: live bookings;
    `groups`: age groups with their own `capacity`; `taken_ages`: ages of the booked children.
    """
    if places is not None and taken >= places:
        return "Complet : plus aucune place ce jour-là."
    if groups:
        group = group_for(age, groups)
        if group is None:
            return f"Aucune place n'est prévue pour les enfants de {age} ans."
        in_group = sum(1 for a in taken_ages if group.min_age <= a <= group.max_age)
        if in_group >= group.capacity:
            return f"Complet pour les {group.label} ({group.min_age}-{group.max_age} ans)."
    return None


def times_overlap(start_a, end_a, start_b, end_b):
    return start_a < end_b and start_b < end_a


def apc_error(day, *, slot_allows_apc, slot_start, slot_end, child_name, annual_activities):
    """R9: APC pick-up is only on Tuesdays, on the slots that allow it, and not for a child
    enrolled in an annual activity held at the same time.

    `annual_activities`: [(name, weekdays, start_date, end_date, [(start, end) of its slots])]
    for the child's validated annual enrollments.
    """
    if not slot_allows_apc or day.weekday() != TUESDAY:
        return "La récupération à la fin des APC n'est possible que le mardi, à 17h30 ou 18h."
    for name, weekdays, start_date, end_date, times in annual_activities:
        if not (start_date <= day <= end_date and day.weekday() in weekdays):
            continue
        if not times or any(times_overlap(slot_start, slot_end, s, e) for s, e in times):
            return (
                f"{child_name} est récupéré(e) à la fin des APC le mardi : impossible en même "
                f"temps que l'activité « {name} », qui a lieu à ce moment-là."
            )
    return None


def annual_conflict_error(*, child_name, activity_name, weekdays, apc_days):
    """R9, the other way round: enrolling in an annual activity on a weekday where the child is
    booked with APC pick-up. `apc_days`: dates of the child's future APC bookings."""
    clash = sorted(d for d in apc_days if d.weekday() in weekdays)
    if not clash:
        return None
    return (
        f"{child_name} est récupéré(e) à la fin des APC le {fr_day(clash[0])} : l'activité "
        f"« {activity_name} » a lieu au même moment. Retirez d'abord la récupération APC."
    )


def week_matches(day, weeks):
    """Weekly-template parity: 'all', or the ISO week number being 'even' / 'odd'."""
    if weeks == "all":
        return True
    even = day.isocalendar().week % 2 == 0
    return even if weeks == "even" else not even


def template_dates(entries, first_day, last_day):
    """What a weekly template asks for between two dates: [(day, entry)], in date order.

    `entries`: objects with `weekday` and `weeks`. No rule is checked here: the preview runs the
    same checks as a booking on each date.
    """
    result = []
    day = first_day
    while day <= last_day:
        for entry in entries:
            if entry.weekday == day.weekday() and week_matches(day, entry.weeks):
                result.append((day, entry))
        day += datetime.timedelta(days=1)
    return result
