"""The house rules of Les Petits Montagnards as test data (see the shared demo settings).

`build(structure)` creates the school year 2026-2027 and the Christmas holidays, the two deadline
policies (2 and 10 working days at 8:30), the evening after-school activity (three slots, the
17:30 and 18:00 ones allowing APC pick-up), the morning one, the holiday camp (16 places for the
3-5 year-olds, 32 for the 6-11) and the Tuesday circus. `enroll(house, child, *activities)`
gives a child validated enrollments for the year.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from marmots.activities.models import Activity, AgeGroupCapacity, Period
from marmots.bookings.models import DeadlinePolicy
from marmots.enrollments.models import Enrollment

from . import factories as f

PARIS = ZoneInfo("Europe/Paris")
# A Monday in school time, far enough from the holidays: every deadline in tests counts from it.
MONDAY = datetime.date(2026, 11, 30)


def at(day, hour, minute=0):
    """An aware datetime in Paris."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


@dataclass
class House:
    structure: object
    school_year: object
    christmas: object
    evening: object
    morning: object
    holiday: object
    circus: object

    @property
    def snack_slot(self):
        return self.evening.slots.get(start_time=datetime.time(16, 30))

    @property
    def apc_slot(self):
        return self.evening.slots.get(start_time=datetime.time(17, 30))

    @property
    def camp_slot(self):
        return self.holiday.slots.get()


def build(structure):
    year = f.PeriodFactory(
        structure=structure,
        start_date=datetime.date(2026, 9, 1),
        end_date=datetime.date(2027, 7, 2),
    )
    christmas = f.PeriodFactory(
        structure=structure,
        kind=Period.HOLIDAYS,
        name="Vacances de Noël 2026",
        start_date=datetime.date(2026, 12, 21),
        end_date=datetime.date(2027, 1, 1),
        registration_opens_at=at(datetime.date(2026, 11, 23), 20),
    )
    for kind, days in [(Period.SCHOOL_YEAR, 2), (Period.HOLIDAYS, 10)]:
        DeadlinePolicy.objects.create(
            structure=structure, period_kind=kind, days_before=days, at_time=datetime.time(8, 30)
        )
    evening = f.ActivityFactory(
        structure=structure,
        name="Périscolaire soir",
        kind=Activity.EVENING,
        kiosk_events=Activity.KIOSK_DEPARTURE,
        max_span_start=datetime.time(16, 30),
        max_span_end=datetime.time(18, 30),
    )
    for start, end, snack, apc in [
        ((16, 30), (17, 30), True, False),
        ((17, 30), (18, 0), False, True),
        ((18, 0), (18, 30), False, True),
    ]:
        f.TimeSlotFactory(
            activity=evening,
            label=f"{start[0]}h{start[1]:02d}-{end[0]}h{end[1]:02d}",
            start_time=datetime.time(*start),
            end_time=datetime.time(*end),
            capacity=40,
            with_snack=snack,
            apc_pickup=apc,
        )
    morning = f.ActivityFactory(
        structure=structure,
        name="Périscolaire matin",
        kind=Activity.MORNING,
        kiosk_events=Activity.KIOSK_ARRIVAL,
        max_span_start=datetime.time(7),
        max_span_end=datetime.time(8, 30),
    )
    for start, end in [((7, 0), (7, 30)), ((7, 30), (8, 0)), ((8, 0), (8, 30))]:
        f.TimeSlotFactory(
            activity=morning,
            label=f"{start[0]}h{start[1]:02d}-{end[0]}h{end[1]:02d}",
            start_time=datetime.time(*start),
            end_time=datetime.time(*end),
            capacity=30,
        )
    holiday = f.ActivityFactory(
        structure=structure,
        name="Accueil de loisirs (vacances)",
        kind=Activity.HOLIDAY,
        weekdays=[0, 1, 2, 3, 4],
        in_holidays=True,
        kiosk_events=Activity.KIOSK_BOTH,
    )
    camp = f.TimeSlotFactory(
        activity=holiday,
        label="Journée avec repas",
        start_time=datetime.time(8, 30),
        end_time=datetime.time(17, 30),
        capacity=48,
    )
    AgeGroupCapacity.objects.create(slot=camp, label="3-5 ans", min_age=3, max_age=5, capacity=16)
    AgeGroupCapacity.objects.create(slot=camp, label="6-11 ans", min_age=6, max_age=11, capacity=32)
    circus = f.ActivityFactory(
        structure=structure, name="Cirque", kind=Activity.ANNUAL, weekdays=[1]
    )
    f.TimeSlotFactory(
        activity=circus,
        label="Cirque",
        start_time=datetime.time(16, 30),
        end_time=datetime.time(18, 0),
        capacity=15,
    )
    return House(structure, year, christmas, evening, morning, holiday, circus)


def enroll(house, child, *activities):
    """Validated enrollments of `child` for the school year (or the Christmas holidays)."""
    result = []
    for activity in activities:
        period = house.christmas if activity.in_holidays else house.school_year
        result.append(
            f.EnrollmentFactory(
                child=child,
                activity=activity,
                period=period,
                start_date=period.start_date,
                end_date=period.end_date,
                status=Enrollment.VALIDATED,
            )
        )
        child.family.structures.add(house.structure)
    return result
