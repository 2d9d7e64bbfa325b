"""The demo's scarce places: a waiting list and a period allocated on request.

- A full Wednesday afternoon about two weeks ahead: Emma Durand is booked, the manager sets the
  day's places to what is booked (`set_day_capacity`), and Tom Martin joins its waiting list, first
  in line ("Liste d'attente : 1re position" in the family's calendar and on /portail/liste-attente/,
  the line on /gestion/listes-attente/).
- The next holiday period whose first day is more than three weeks ahead collects requests until
  a week before it (`places.actions.configure`, default points). While its registrations are open,
  the Martin family asks for its first days, both children together, with an order of preference
  (a validated holiday enrollment is given to them first, as `_demo_families` does, when they have
  none); the allocation itself is left to the manager (/gestion/attribution/).

Everything goes through the real actions, as the family or the manager would. Running it again
adds nothing: the Wednesday is left alone once a Martin child waits for a Wednesday afternoon from
today on, the period once a holiday period not over yet takes requests, the request once the family
has one for it. No e-mail is sent: no place is freed and nothing is allocated.
"""

import datetime

from django.utils import timezone

from marmots.activities.models import Activity, Period, TimeSlot
from marmots.bookings import actions, capacity, context, waitlist
from marmots.bookings.models import WaitlistEntry
from marmots.core.french import ordinal
from marmots.enrollments.models import Enrollment
from marmots.families.models import Family
from marmots.places import actions as places
from marmots.places.models import AllocationRequest
from marmots.portal.frdates import long_date, long_datetime

from ._demo_families import _enroll

AFTERNOON = datetime.time(13, 30)
WEDNESDAY_AHEAD = datetime.timedelta(days=14)
WEDNESDAYS_TRIED = 8
HOLIDAYS_AHEAD = datetime.timedelta(days=21)
CLOSE_BEFORE = datetime.timedelta(days=7)
CLOSE_TIME = datetime.time(12)
PREFERENCES = (1, 1, 2, 3)  # the first open days of the period, in that order
NOTE = "Les deux enfants ensemble si possible : nous travaillons tous les deux."


def load_places(structure, manager, logins):
    """`logins`: {family name: [guardian users]}, as `load_families` returns them."""
    martin, durand = logins["Martin"][0], logins["Durand"][0]
    now = timezone.now()
    _full_wednesday(structure, manager, martin, durand, now)
    period = _allocation_period(structure, manager, now)
    if period is not None:
        _martin_request(structure, period, martin, manager, now)


# The full Wednesday afternoon ------------------------------------------------------------------


def _full_wednesday(structure, manager, waiting_user, booked_user, now):
    slot = (
        TimeSlot.objects.filter(
            activity__structure=structure,
            activity__kind=Activity.WEDNESDAY,
            start_time=AFTERNOON,
        )
        .select_related("activity__structure")
        .first()
    )
    waiting_family, booked_family = _family(waiting_user), _family(booked_user)
    if slot is None or waiting_family is None or booked_family is None:
        return
    today = timezone.localdate(now)
    shown = WaitlistEntry.objects.filter(child__family=waiting_family, slot=slot, date__gte=today)
    if shown.exists():
        return
    for day in _wednesdays(structure, slot.activity, today + WEDNESDAY_AHEAD):
        waiting = _enrolled_child(waiting_family, slot.activity, day)
        booked = _enrolled_child(booked_family, slot.activity, day)
        if waiting is not None and booked is not None:
            _fill_and_wait(manager, slot, day, booked_user, booked, waiting_user, waiting, now)
            return


def _wednesdays(structure, activity, first):
    """The Wednesdays from `first` on that `activity` runs, for a few weeks."""
    first += datetime.timedelta(days=(2 - first.weekday()) % 7)
    days = [first + datetime.timedelta(weeks=n) for n in range(WEDNESDAYS_TRIED)]
    calendar = context.load(structure, days[0], days[-1])
    return [d for d in days if calendar.closed_reason(activity, d) is None]


def _enrolled_child(family, activity, day):
    return (
        family.children.filter(
            enrollments__activity=activity,
            enrollments__status=Enrollment.VALIDATED,
            enrollments__start_date__lte=day,
            enrollments__end_date__gte=day,
        )
        .order_by("birth_date", "pk")
        .first()
    )


def _fill_and_wait(manager, slot, day, booked_user, booked, waiting_user, waiting, now):
    """`booked` takes a place as its family would, the manager sets the day's places to the
    places held, then `waiting` joins the line as its family would."""
    (outcome,) = actions.book(booked_user, [actions.Change(booked, slot, day)], now=now)
    if not outcome.ok and outcome.code != "already":
        return
    capacity.set_day_capacity(manager, slot, day, len(capacity.held(slot.pk, day)), now=now)
    waitlist.join(waiting_user, [actions.Change(waiting, slot, day)], now=now)


# The holiday period allocated on request -------------------------------------------------------


def _allocation_period(structure, manager, now):
    """The holiday period taking requests: the one already set (a period not over yet), else
    the next one starting more than three weeks ahead, set now. None when there is none."""
    today = timezone.localdate(now)
    holidays = Period.objects.filter(structure=structure, kind=Period.HOLIDAYS)
    period = (
        holidays.filter(places_mode=Period.ALLOCATION, end_date__gte=today)
        .order_by("start_date")
        .first()
    )
    if period is not None:
        return period
    period = holidays.filter(start_date__gt=today + HOLIDAYS_AHEAD).order_by("start_date").first()
    if period is None:
        return None
    close_at = timezone.make_aware(
        datetime.datetime.combine(period.start_date - CLOSE_BEFORE, CLOSE_TIME)
    )
    opens = period.registration_opens_at
    if opens is not None and close_at <= opens:
        return None  # a period opening late: left first come, first served
    places.configure(manager, period, mode=Period.ALLOCATION, requests_close_at=close_at, now=now)
    return period


def _martin_request(structure, period, family_user, manager, now):
    """The family's request for the period's first open days, while requests are taken."""
    family = _family(family_user)
    allocation = getattr(period, "allocation", None)
    if family is None or allocation is None or not period.awaiting_allocation:
        return
    if AllocationRequest.objects.filter(allocation=allocation, family=family).exists():
        return
    opens = period.registration_opens_at
    if now >= period.requests_close_at or (opens is not None and now < opens):
        return
    activity = Activity.objects.filter(structure=structure, kind=Activity.HOLIDAY).first()
    slot = activity.slots.order_by("start_time").first() if activity else None
    if slot is None:
        return
    children = _holiday_children(structure, family, activity, period, family_user, manager)
    calendar = context.load(structure, period.start_date, period.end_date)
    days = [
        period.start_date + datetime.timedelta(days=n)
        for n in range((period.end_date - period.start_date).days + 1)
    ]
    days = [d for d in days if calendar.closed_reason(activity, d) is None][: len(PREFERENCES)]
    wishes = [
        places.WishInput(child=child, slot=slot, date=day, preference=preference)
        for day, preference in zip(days, PREFERENCES, strict=False)
        for child in children
    ]
    if wishes:
        places.save_request(family_user, period, wishes, declares_working=True, note=NOTE, now=now)


def _holiday_children(structure, family, activity, period, family_user, manager):
    """The family's children enrolled (validated) for the whole period; a child without any
    enrollment for it is given a validated one, as the demo's complete family would have."""
    children = []
    for child in family.children.order_by("birth_date", "pk"):
        active = Enrollment.objects.filter(
            child=child,
            activity=activity,
            status__in=[Enrollment.PENDING, Enrollment.VALIDATED],
            start_date__lte=period.end_date,
            end_date__gte=period.start_date,
        )
        if not active.exists():
            _enroll(
                structure, child, activity.name, period, family_user, manager, Enrollment.VALIDATED
            )
        covering = active.filter(
            status=Enrollment.VALIDATED,
            start_date__lte=period.start_date,
            end_date__gte=period.end_date,
        )
        if covering.exists():
            children.append(child)
    return children


def _family(user):
    return Family.objects.filter(guardians__user=user).first()


# What load_demo prints -------------------------------------------------------------------------


def places_line(structure):
    """One line on the demo's waiting list and requests (empty when there is neither)."""
    now = timezone.now()
    parts = [p for p in (_waiting_part(structure, now), _requests_part(structure, now)) if p]
    return "Places : " + " ; ".join(parts) if parts else ""


def _waiting_part(structure, now):
    entry = (
        WaitlistEntry.objects.filter(
            slot__activity__structure=structure,
            status__in=WaitlistEntry.LIVE,
            date__gte=timezone.localdate(now),
        )
        .select_related("child", "slot__activity")
        .order_by("date", "slot__start_time", *waitlist.LINE_ORDER)
        .first()
    )
    if entry is None:
        return ""
    position = waitlist.positions([entry])[entry.pk]
    child, slot = entry.child, entry.slot
    place = ordinal(position, feminine=True)
    return (
        f"{child.first_name} {child.last_name} en {place} position sur la liste "
        f"d'attente du {long_date(entry.date)} ({slot.activity.name}, {slot.label}) : Gestion > "
        "Listes d'attente, Portail > Liste d'attente"
    )


def _requests_part(structure, now):
    period = (
        Period.objects.filter(
            structure=structure,
            kind=Period.HOLIDAYS,
            places_mode=Period.ALLOCATION,
            allocated_at__isnull=True,
            end_date__gte=timezone.localdate(now),
        )
        .order_by("start_date")
        .first()
    )
    if period is None:
        return ""
    allocation = getattr(period, "allocation", None)
    count = 0
    if allocation is not None:
        count = allocation.requests.filter(status=AllocationRequest.ACTIVE).count()
    requests = f"{count} demande{'s' if count > 1 else ''}"
    opens = period.registration_opens_at
    if opens is not None and now < opens:
        requests += f" (les demandes ouvrent le {long_datetime(opens)})"
    return (
        f"{period.name} sur demande jusqu'au {long_datetime(period.requests_close_at)}, "
        f"{requests} : Gestion > Attribution"
    )
