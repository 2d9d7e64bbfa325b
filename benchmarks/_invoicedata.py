"""The invoicing benchmark's data: N children with a month (September 2026) of bookings and
attendance, written into a fresh PostgreSQL database (Django set up by the caller).

Families have two children; 90 % of them have a valid quotient spread over the three brackets.
Each child is booked on the evenings (Mon, Tue, Thu, Fri) of school time, two slots out of
three, and on two mornings a week. Attendance follows the house: most evenings the family checks
out on the tablet; some days the family forgets (a missed check-in, marked present by staff),
a few bookings are cancelled late, a few children come without a booking or do not come.
The big tables (bookings, check-in events, register marks) are written with COPY.
"""

import datetime
import random
import uuid
from zoneinfo import ZoneInfo

from django.db import connection

PARIS = ZoneInfo("Europe/Paris")
# A finished month (a month is issued only once it is over): September 2026, school from
# Tuesday the 1st; the evenings and mornings run on Monday, Tuesday, Thursday and Friday.
MONTH = datetime.date(2026, 9, 1)
LAST = datetime.date(2026, 9, 30)
DAYS = [
    MONTH + datetime.timedelta(days=i)
    for i in range(30)
    if (MONTH + datetime.timedelta(days=i)).weekday() in (0, 1, 3, 4)
]


def build(children_count, seed=7):
    """Write the structure, tariffs and `children_count` children; return the structure."""
    from marmots.activities.models import Activity, Period, Structure, TimeSlot
    from marmots.billing.demo import create_demo_tariffs
    from marmots.checkin.models import Kiosk

    rng = random.Random(seed)
    structure = Structure.objects.create(name="Les Petits Montagnards", slug="bench")
    year = Period.objects.create(
        structure=structure,
        kind=Period.SCHOOL_YEAR,
        name="Année scolaire 2026-2027",
        school_year="2026-2027",
        start_date=datetime.date(2026, 9, 1),
        end_date=datetime.date(2027, 7, 2),
    )
    t = datetime.time
    evening = Activity.objects.create(
        structure=structure, name="Périscolaire soir", kind=Activity.EVENING,
        weekdays=[0, 1, 3, 4], kiosk_events=Activity.KIOSK_DEPARTURE,
        max_span_start=t(16, 30), max_span_end=t(18, 30),
    )  # fmt: skip
    morning = Activity.objects.create(
        structure=structure, name="Périscolaire matin", kind=Activity.MORNING,
        weekdays=[0, 1, 3, 4], kiosk_events=Activity.KIOSK_ARRIVAL,
        max_span_start=t(7), max_span_end=t(8, 30),
    )  # fmt: skip
    evening_slots = [
        TimeSlot.objects.create(activity=evening, label="16h30-17h30", start_time=t(16, 30),
                                end_time=t(17, 30), capacity=10**6, with_snack=True),
        TimeSlot.objects.create(activity=evening, label="17h30-18h00", start_time=t(17, 30),
                                end_time=t(18), capacity=10**6),
        TimeSlot.objects.create(activity=evening, label="18h00-18h30", start_time=t(18),
                                end_time=t(18, 30), capacity=10**6),
    ]  # fmt: skip
    morning_slots = [
        TimeSlot.objects.create(activity=morning, label=f"{h}h{m:02d}", start_time=t(h, m),
                                end_time=(datetime.datetime(2000, 1, 1, h, m)
                                          + datetime.timedelta(minutes=30)).time(),
                                capacity=10**6)
        for h, m in [(7, 0), (7, 30), (8, 0)]
    ]  # fmt: skip
    create_demo_tariffs(structure)
    kiosk = Kiosk.objects.create(structure=structure, name="Tablette")
    children = _families(structure, children_count, rng)
    enrollments = _enrollments(children, year, evening, morning)
    _attendance(children, enrollments, evening, morning, evening_slots, morning_slots, kiosk, rng)
    return structure


def _families(structure, count, rng):
    from marmots.families.models import Child, Family, Quotient

    families = Family.objects.bulk_create(
        [Family(name=f"Famille {i:06d}") for i in range((count + 1) // 2)], batch_size=5000
    )
    Family.structures.through.objects.bulk_create(
        [Family.structures.through(family=f, structure=structure) for f in families],
        batch_size=5000,
    )
    Quotient.objects.bulk_create(
        [
            Quotient(
                family=f,
                value=rng.choice([420, 540, 650, 651, 980, 1150, 1151, 1800]),
                valid_from=datetime.date(2026, 1, 1),
                valid_until=datetime.date(2026, 12, 31),
            )
            for f in families
            if rng.random() < 0.9
        ],
        batch_size=5000,
    )
    children = [
        Child(
            family=families[i // 2],
            first_name=f"Enfant{i % 2}",
            last_name=f"{i // 2:06d}",
            birth_date=datetime.date(2016 + i % 2 * 3, 1 + i % 12, 1 + i % 28),
        )
        for i in range(count)
    ]
    return Child.objects.bulk_create(children, batch_size=5000)


def _enrollments(children, year, evening, morning):
    from marmots.enrollments.models import Enrollment

    rows = [
        Enrollment(child=c, activity=a, period=year, start_date=year.start_date,
                   end_date=year.end_date, status=Enrollment.VALIDATED)
        for c in children
        for a in (evening, morning)
    ]  # fmt: skip
    created = Enrollment.objects.bulk_create(rows, batch_size=5000)
    return {(e.child_id, e.activity_id): e.pk for e in created}


def _at(day, hour, minute):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def _attendance(children, enrollments, evening, morning, evening_slots, morning_slots, kiosk, rng):
    now = datetime.datetime(2026, 10, 1, 9, tzinfo=PARIS)
    bookings, events, marks = [], [], []
    for child in children:
        for day in DAYS:
            # Evenings: the snack slot and one of the two later ones, most days.
            if rng.random() < 0.85:
                slots = [evening_slots[0], rng.choice(evening_slots[1:])]
                status = "late" if rng.random() < 0.03 else "booked"
                for slot in slots:
                    bookings.append(
                        (child.pk, slot.pk, day, enrollments[(child.pk, evening.pk)], status)
                    )
                present = status == "booked" and rng.random() < 0.97
            else:
                present = rng.random() < 0.05  # came without a booking
            if present:
                if rng.random() < 0.06:  # the family forgot the tablet: staff mark present
                    marks.append((child.pk, evening.pk, day, True))
                else:
                    leave = _at(day, 17 + rng.randint(0, 1), rng.randint(0, 59))
                    events.append((child.pk, evening.pk, day, "departure", leave, kiosk.pk))
            # Mornings: two a week.
            if day.weekday() in (1, 3) and rng.random() < 0.9:
                for slot in morning_slots[1:]:
                    bookings.append(
                        (child.pk, slot.pk, day, enrollments[(child.pk, morning.pk)], "booked")
                    )
                arrive = _at(day, 7, 30 + rng.randint(0, 29))
                events.append((child.pk, morning.pk, day, "arrival", arrive, kiosk.pk))
        if len(bookings) > 200_000:
            _flush(bookings, events, marks, now)
    _flush(bookings, events, marks, now)


def _flush(bookings, events, marks, now):
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY bookings_booking (child_id, slot_id, date, enrollment_id, status, with_apc,"
            " booked_at, booked_on_behalf, cancelled_on_behalf, certificate, excused,"
            " excuse_reason) FROM STDIN"
        ) as copy:
            for row in bookings:
                copy.write_row((*row, False, now, False, False, "", False, ""))
        with raw.copy(
            "COPY checkin_checkinevent (child_id, activity_id, date, kind, at, kiosk_id, source,"
            " by_family, nonce, received_at, voided, reason) FROM STDIN"
        ) as copy:
            for row in events:
                copy.write_row((*row, "kiosk", True, uuid.uuid4().hex, now, False, ""))
        with raw.copy(
            "COPY checkin_registermark (child_id, activity_id, date, present, marked_at) FROM STDIN"
        ) as copy:
            for row in marks:
                copy.write_row((*row, now))
    bookings.clear()
    events.clear()
    marks.clear()


FLOOR_SQL = """
SELECT child_id, count(*), sum(minutes) FROM (
    SELECT b.child_id, EXTRACT(EPOCH FROM s.end_time - s.start_time) / 60 AS minutes
    FROM bookings_booking b JOIN activities_timeslot s ON s.id = b.slot_id
    WHERE b.date BETWEEN %(first)s AND %(last)s AND b.status <> 'cancelled'
    UNION ALL
    SELECT e.child_id, 0 FROM checkin_checkinevent e
    WHERE e.date BETWEEN %(first)s AND %(last)s AND NOT e.voided
    UNION ALL
    SELECT m.child_id, 0 FROM checkin_registermark m
    WHERE m.date BETWEEN %(first)s AND %(last)s
) AS rows GROUP BY child_id
"""


def floor_query():
    """The floor: one SQL aggregate over the month's bookings, events and marks, per child."""
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, {"first": MONTH, "last": LAST})
        return len(cursor.fetchall())
