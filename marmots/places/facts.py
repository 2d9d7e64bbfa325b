"""What the allocation reads from the database, in a fixed number of queries whatever the number
of requests: the criteria each request meets, the units it asks for, and the rooms (slot-days)
with their places and the children already holding one.

Criteria are family-level facts, read when the proposal is computed:
- enrolled: a requested child already has a validated enrollment at the structure this school
  year for something else than what is requested (another activity, another period);
- siblings: the family asks for two children or more, or a requested child has a brother or
  sister with a validated enrollment at the structure this school year;
- working: the family declared that its parents work;
- resident: a guardian's city is one of the structure's resident communes (billing settings);
- special_needs: declared by the family, or a requested child has a PAI.
"""

import datetime

from django.db.models import Q

from marmots.billing import residence
from marmots.billing.models import BillingSettings
from marmots.bookings import capacity, context
from marmots.bookings.models import SlotDay
from marmots.bookings.rules import age_on
from marmots.enrollments.models import Enrollment
from marmots.families.models import Guardian

from . import proposal, ranking


def school_year_span(period):
    """(first day, last day) of the period's school year ("2026-2027": 1/9/2026 to 31/8/2027);
    the period's own dates when its school year is not written that way."""
    try:
        first = int(period.school_year[:4])
    except (TypeError, ValueError):
        return period.start_date, period.end_date
    return datetime.date(first, 9, 1), datetime.date(first + 1, 8, 31)


def _enrollments(period, family_ids):
    first, last = school_year_span(period)
    rows = Enrollment.objects.filter(
        child__family_id__in=family_ids,
        status=Enrollment.VALIDATED,
        activity__structure_id=period.structure_id,
    ).filter(
        Q(period__school_year=period.school_year)
        | Q(period__isnull=True, start_date__lte=last, end_date__gte=first)
    )
    by_family = {}
    for row in rows.values_list(
        "child__family_id", "child_id", "period_id", "activity_id", "start_date", "end_date"
    ):
        by_family.setdefault(row[0], []).append(row[1:])
    return by_family


def _residents(period, family_ids):
    text = (
        BillingSettings.objects.filter(structure_id=period.structure_id)
        .values_list("resident_cities", flat=True)
        .first()
    )
    residents = residence.cities(text)
    cities = {}
    for family_id, city in Guardian.objects.filter(family_id__in=family_ids).values_list(
        "family_id", "city"
    ):
        cities.setdefault(family_id, []).append(city)
    return {f for f, names in cities.items() if residence.is_resident(names, residents)}


def _other_enrollment(period, activities, enrollment):
    """An enrollment for something else than what is requested (not the one the days need)."""
    _, period_id, activity_id, start, end = enrollment
    if period_id == period.pk:
        return False
    asked = activity_id in activities and start <= period.end_date and end >= period.start_date
    return not asked


def criteria(period, requests):
    """{request id: frozenset of criterion codes met}. `requests` have `wishes` loaded, each
    with its child and slot."""
    family_ids = {r.family_id for r in requests}
    if not family_ids:
        return {}
    enrollments = _enrollments(period, family_ids)
    residents = _residents(period, family_ids)
    result = {}
    for request in requests:
        wishes = list(request.wishes.all())
        children = {w.child_id for w in wishes}
        activities = {w.slot.activity_id for w in wishes}
        rows = enrollments.get(request.family_id, [])
        met = set()
        if any(r[0] in children and _other_enrollment(period, activities, r) for r in rows):
            met.add(ranking.ENROLLED)
        if len(children) >= 2 or any(r[0] not in children for r in rows):
            met.add(ranking.SIBLINGS)
        if request.declares_working:
            met.add(ranking.WORKING)
        if request.family_id in residents:
            met.add(ranking.RESIDENT)
        if request.declares_special_needs or any(w.child.pai for w in wishes):
            met.add(ranking.SPECIAL_NEEDS)
        result[request.pk] = frozenset(met)
    return result


def days(requests):
    """{(slot id, date)} asked by the requests."""
    return {(w.slot_id, w.date) for r in requests for w in r.wishes.all()}


def unhosted(requests, rooms):
    """[(wish, age)]: the wishes of children no age group of their slot takes at their age that
    day (groups edited, or a birth date corrected, after the request). Such a child can never
    get a place there: the wish is refused and left out of the units (its brothers and sisters
    are served without it)."""
    result = []
    for request in requests:
        for wish in request.wishes.all():
            age = wish.child.age_on(wish.date)
            if proposal.without_group(rooms[(wish.slot_id, wish.date)], age):
                result.append((wish, age))
    return result


def units(requests, leave_out=()):
    """(units, {unit key: [wishes]}): one unit per request, slot and day, its children together.
    The unit's preference is the best (lowest) of its wishes'. `leave_out`: ids of wishes out
    of the allocation (refused)."""
    grouped = {}
    ranks = {}
    leave_out = set(leave_out)
    for request in requests:
        ranks[request.pk] = request.rank or 0
        for wish in request.wishes.all():
            if wish.pk in leave_out:
                continue
            grouped.setdefault((request.pk, wish.slot_id, wish.date), []).append(wish)
    result = []
    for key, wishes in sorted(grouped.items()):
        wishes.sort(key=lambda w: w.child_id)
        result.append(
            proposal.Unit(
                key=key,
                day=(key[1], key[2]),
                rank=ranks[key[0]],
                ages=tuple(w.child.age_on(w.date) for w in wishes),
                preference=min(w.preference for w in wishes),
            )
        )
    return result, grouped


def rooms(structure, slots, days, *, slot_days=None, excluding=None):
    """{(slot id, date): proposal.Room} for `days` (pairs of slot id and date). `slots`: {slot
    id: TimeSlot}. `slot_days`: the locked SlotDay rows when the caller holds them; `excluding`:
    bookings not to count as taken (the allocation's own, once confirmed)."""
    days = set(days)
    if not days:
        return {}
    slot_ids = {s for s, _ in days}
    first, last = min(d for _, d in days), max(d for _, d in days)
    if slot_days is None:
        slot_days = {
            (row.slot_id, row.date): row
            for row in SlotDay.objects.filter(slot_id__in=slot_ids, date__range=(first, last))
        }
    bookings, offers = capacity.holding(slot_ids, first, last)
    if excluding is not None:
        bookings = bookings.exclude(pk__in=excluding)
    columns = ("slot_id", "date", "child__birth_date")
    held = {}
    for slot_id, day, birth in bookings.values_list(*columns).union(
        offers.values_list(*columns), all=True
    ):
        held.setdefault((slot_id, day), []).append(age_on(birth, day))
    groups = context.load(structure, first, last).age_groups
    result = {}
    for key in days:
        slot = slots[key[0]]
        result[key] = proposal.Room(
            places=capacity.places_on(slot, slot_days.get(key)),
            taken_ages=tuple(held.get(key, ())),
            groups=tuple(
                proposal.Group(g.label, g.min_age, g.max_age, g.capacity)
                for g in groups.get(key[0], [])
            ),
        )
    return result
