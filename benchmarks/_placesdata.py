"""The places benchmark's data, written with bulk inserts into a fresh PostgreSQL database
(Django set up by the caller).

`build_allocation(n)`: a winter holiday camp (ten days in February 2027, one day slot with
places for two age groups, about a quarter of the children asking for a day get one) in
allocation mode, and `n` families (1 to 3 children, each with a validated enrollment in the camp,
half also enrolled on Wednesdays this school year, half living in the commune), each with one
request for 5 to 10 of the days, all its children together, four families in ten giving an order
of preference. The settings go through the real action (`places.actions.configure`).

`build_lines(line_sizes, places)`: a summer camp booked first come, first served, one slot of
`places` places, full on every day (booked through `bookings.actions.book`), and on day i a
waiting line of `line_sizes[i]` children: the first ten joined through `waitlist.join`, the
others written in bulk behind them.
"""

import datetime
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


WINTER = (datetime.date(2027, 2, 8), datetime.date(2027, 2, 19))
OPENS = at(datetime.date(2027, 1, 4), 20)
CLOSES = at(datetime.date(2027, 1, 18), 12)
ALLOCATE_AT = at(datetime.date(2027, 1, 19), 10)  # the manager proposes and confirms
SUMMER = (datetime.date(2027, 7, 5), datetime.date(2027, 8, 31))
SUMMER_OPENS = at(datetime.date(2027, 5, 3), 20)
BOOK_AT = at(datetime.date(2027, 5, 4), 9)
CANCEL_AT = at(datetime.date(2027, 6, 1), 10)  # before every summer day's deadline
SEASON = (datetime.date(2026, 9, 1), datetime.date(2027, 7, 2))
CITIES = ["Mieussy", "Mieussy", "Taninges", "Cluses"]


@dataclass
class Camp:
    structure: object
    manager: object
    period: object
    activity: object
    slot: object
    days: list
    places: int


def _structure(slug):
    from marmots.accounts.models import User
    from marmots.activities.models import Period, StaffMembership, Structure
    from marmots.billing.models import BillingSettings
    from marmots.bookings.models import DeadlinePolicy

    structure = Structure.objects.create(name=f"Les Petits Montagnards ({slug})", slug=slug)
    BillingSettings.objects.create(structure=structure, resident_cities="Mieussy")
    for kind, days in [(Period.SCHOOL_YEAR, 2), (Period.HOLIDAYS, 10)]:
        DeadlinePolicy.objects.create(
            structure=structure, period_kind=kind, days_before=days, at_time=datetime.time(8, 30)
        )
    manager = User.objects.create(email=f"direction@{slug}.example.org")
    StaffMembership.objects.create(user=manager, structure=structure, role=StaffMembership.MANAGER)
    Period.objects.create(
        structure=structure,
        kind=Period.SCHOOL_YEAR,
        name="Année scolaire 2026-2027",
        school_year="2026-2027",
        start_date=SEASON[0],
        end_date=SEASON[1],
    )
    return structure, manager


def _camp(structure, manager, name, span, opens, places):
    from marmots.activities.models import Activity, AgeGroupCapacity, Period, TimeSlot
    from marmots.bookings import context

    period = Period.objects.create(
        structure=structure,
        kind=Period.HOLIDAYS,
        name=name,
        school_year="2026-2027",
        start_date=span[0],
        end_date=span[1],
        registration_opens_at=opens,
    )
    activity = Activity.objects.create(
        structure=structure,
        name=f"Accueil de loisirs ({name})",
        kind=Activity.HOLIDAY,
        weekdays=[0, 1, 2, 3, 4],
        in_holidays=True,
    )
    slot = TimeSlot.objects.create(
        activity=activity,
        label="Journée avec repas",
        start_time=datetime.time(8, 30),
        end_time=datetime.time(17, 30),
        capacity=places,
    )
    small = places * 2 // 5
    AgeGroupCapacity.objects.create(
        slot=slot, label="3-5 ans", min_age=3, max_age=5, capacity=small
    )
    AgeGroupCapacity.objects.create(
        slot=slot, label="6-11 ans", min_age=6, max_age=11, capacity=places - small
    )
    context.forget(structure.pk)
    structure.refresh_from_db()
    calendar = context.load(structure, span[0], span[1])
    days = [
        span[0] + datetime.timedelta(days=i)
        for i in range((span[1] - span[0]).days + 1)
        if calendar.closed_reason(activity, span[0] + datetime.timedelta(days=i)) is None
    ]
    return Camp(structure, manager, period, activity, slot, days, places)


def _families(structure, sizes, ages, rng, tag):
    """Families with one guardian login each and `sizes[i]` children aged from `ages` on the
    camp's first day: [(guardian user, [children])]."""
    from marmots.accounts.models import User
    from marmots.families import models as fam

    count = len(sizes)
    users = User.objects.bulk_create(
        [User(email=f"famille{i:06d}@{tag}.example.org") for i in range(count)], batch_size=2000
    )
    families = fam.Family.objects.bulk_create(
        [fam.Family(name=f"Famille {tag} {i}") for i in range(count)], batch_size=2000
    )
    through = fam.Family.structures.through
    through.objects.bulk_create(
        [through(family_id=f.pk, structure_id=structure.pk) for f in families], batch_size=2000
    )
    fam.Guardian.objects.bulk_create(
        [
            fam.Guardian(family=f, user=u, first_name="Camille", last_name=f.name,
                         city=rng.choice(CITIES))
            for f, u in zip(families, users, strict=True)
        ],
        batch_size=2000,
    )  # fmt: skip
    rows = []
    for family, size in zip(families, sizes, strict=True):
        for k in range(size):
            age = next(ages)
            born = datetime.date(2026 - age, rng.randint(3, 12), rng.randint(1, 28))
            rows.append(
                fam.Child(family=family, first_name=["Léa", "Tom", "Inès"][k],
                          last_name=family.name, birth_date=born, pai=rng.random() < 0.03)
            )  # fmt: skip
    children = fam.Child.objects.bulk_create(rows, batch_size=2000)
    by_family = {}
    for child in children:
        by_family.setdefault(child.family_id, []).append(child)
    return [(u, by_family[f.pk]) for u, f in zip(users, families, strict=True)]


def _enroll(children, activity, period, start, end):
    from marmots.enrollments.models import Enrollment

    Enrollment.objects.bulk_create(
        [
            Enrollment(child=c, activity=activity, period=period, start_date=start, end_date=end,
                       status=Enrollment.VALIDATED, decided_at=OPENS)
            for c in children
        ],
        batch_size=2000,
    )  # fmt: skip


def build_allocation(n, seed=7):
    """The winter camp in allocation mode with `n` families' requests: a Camp."""
    from marmots.activities.models import Activity, Period
    from marmots.places import actions
    from marmots.places.models import AllocationRequest, AllocationWish

    rng = random.Random(seed)
    structure, manager = _structure("hiver")
    camp = _camp(structure, manager, "Vacances d'hiver 2027", WINTER, OPENS, max(10, n * 3 // 10))
    allocation = actions.configure(
        manager, camp.period, mode=Period.ALLOCATION, requests_close_at=CLOSES, now=OPENS
    )
    year = Period.objects.get(structure=structure, kind=Period.SCHOOL_YEAR)
    wednesday = Activity.objects.create(
        structure=structure, name="Mercredis", kind=Activity.WEDNESDAY, weekdays=[2]
    )
    sizes = [rng.choices([1, 2, 3], weights=[45, 40, 15])[0] for _ in range(n)]
    ages = iter(lambda: rng.randint(3, 11), None)
    families = _families(structure, sizes, ages, rng, "hiver")
    children = [c for _, kids in families for c in kids]
    _enroll(children, camp.activity, camp.period, *WINTER)
    _enroll([c for c in children if rng.random() < 0.5], wednesday, year, *SEASON)
    window = int((CLOSES - OPENS).total_seconds())
    requests = AllocationRequest.objects.bulk_create(
        [
            AllocationRequest(allocation=allocation, family_id=kids[0].family_id,
                              created_at=OPENS + datetime.timedelta(seconds=rng.randrange(window)),
                              created_by=user, declares_working=rng.random() < 0.7,
                              declares_special_needs=rng.random() < 0.03)
            for user, kids in families
        ],
        batch_size=2000,
    )  # fmt: skip
    wishes = []
    for request, (_, kids) in zip(requests, families, strict=True):
        days = rng.sample(camp.days, rng.randint(5, min(10, len(camp.days))))
        ordered = rng.random() < 0.4
        for index, day in enumerate(days):
            preference = 1 + index // 3 if ordered else 1
            for child in kids:
                wishes.append(
                    AllocationWish(request=request, child=child, slot=camp.slot, date=day,
                                   preference=preference)
                )  # fmt: skip
    AllocationWish.objects.bulk_create(wishes, batch_size=5000)
    camp.allocation = allocation
    return camp


def build_lines(line_sizes, places=10, seed=11):
    """The summer camp, full on each of len(line_sizes) days, day i with a waiting line of
    line_sizes[i] children: (Camp, {day: (guardian user, [child]) of a booked child})."""
    from marmots.bookings import actions, waitlist
    from marmots.bookings.models import WaitlistEntry

    rng = random.Random(seed)
    structure, manager = _structure("ete")
    camp = _camp(structure, manager, "Vacances d'été 2027", SUMMER, SUMMER_OPENS, places)
    if len(camp.days) < len(line_sizes):
        raise SystemExit(f"{len(line_sizes)} days asked, the summer camp has {len(camp.days)}")
    camp.days = camp.days[: len(line_sizes)]
    small = places * 2 // 5
    # Booked: the 3-5 and 6-11 groups filled exactly; waiting: children of any age 4 to 10.
    booked_ages = iter([4] * small + [8] * (places - small))
    booked = _families(structure, [1] * places, booked_ages, rng, "ete-resa")
    waiting = _families(
        structure, [1] * max(line_sizes), iter(lambda: rng.randint(4, 10), None), rng, "ete-file"
    )
    every = [c for _, kids in booked + waiting for c in kids]
    _enroll(every, camp.activity, camp.period, *SUMMER)
    slot = type(camp.slot).objects.select_related("activity__structure").get(pk=camp.slot.pk)
    camp.slot = slot
    for user, (child,) in booked:
        outcomes = actions.book(
            user, [actions.Change(child, slot, d) for d in camp.days], now=BOOK_AT
        )
        if not all(o.ok for o in outcomes):
            raise SystemExit(f"booking the summer camp failed: {outcomes[0].message}")
    joined_at = BOOK_AT + datetime.timedelta(hours=1)
    first = min(10, min(line_sizes))
    for user, (child,) in waiting[:first]:
        outcomes = waitlist.join(
            user, [actions.Change(child, slot, d) for d in camp.days], now=joined_at
        )
        if not all(o.code == waitlist.WAITLISTED for o in outcomes):
            raise SystemExit(f"joining the summer lines failed: {outcomes[0].message}")
    rows = []
    for day, size in zip(camp.days, line_sizes, strict=True):
        for position, (user, (child,)) in enumerate(waiting[first:size], start=first + 1):
            rows.append(
                WaitlistEntry(child=child, slot=slot, date=day, source=WaitlistEntry.FAMILY,
                              queued_at=joined_at + datetime.timedelta(seconds=position),
                              created_by=user)
            )  # fmt: skip
    WaitlistEntry.objects.bulk_create(rows, batch_size=5000)
    # The child whose cancellation frees a place: one of the 6-11 group, where most wait.
    older = booked[small:]
    return camp, {day: older[i % len(older)] for i, day in enumerate(camp.days)}
