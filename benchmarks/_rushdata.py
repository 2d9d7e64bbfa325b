"""The rush benchmark's database: created from scratch, filled with bulk inserts, checked after.

`recreate(url)` drops and creates the database; `migrate(url, env)` runs the migrations;
`build(...)` (Django set up) writes the structure, an open holiday period with tight places and
N families, each a guardian login and one child with a validated holiday enrollment;
`check(url, plan, acked)` reads back what the rush left: overbooked slot-days and acknowledged
bookings with no live row.
"""

import datetime
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "rush-montagnards-2026"  # noqa: S105 - synthetic accounts of a throw-away database


@dataclass
class Family:
    email: str
    child_id: int
    enrollment_id: int
    user_id: int


@dataclass
class Plan:
    slot_id: int
    places: int
    days: list
    families: list
    month: str  # the calendar month to show, "YYYY-MM"


def dsn(url):
    """A libpq connection string for psycopg from a postgres:// URL."""
    return url.replace("postgres://", "postgresql://", 1)


def recreate(url):
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(dsn(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(env):
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )


def _open_days(structure, activity, slot, first, count, now):
    """The first `count` days from `first` the camp runs on and families may still book."""
    from marmots.bookings import context, deadlines

    calendar = context.load(structure, first, first + datetime.timedelta(days=40))
    days, day = [], first
    while len(days) < count:
        free = calendar.window(now, activity, slot, day) == deadlines.FREE
        if calendar.closed_reason(activity, day) is None and free:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def _holiday_camp(places, day_count, now):
    from marmots.activities.models import Activity, Period, Structure, TimeSlot
    from marmots.bookings.models import DeadlinePolicy

    structure = Structure.objects.create(name="Les Petits Montagnards", slug="rush")
    DeadlinePolicy.objects.create(
        structure=structure,
        period_kind=Period.HOLIDAYS,
        days_before=10,
        at_time=datetime.time(8, 30),
    )
    today = now.date()
    # A Monday five weeks ahead: every day is well before its deadline (10 working days).
    start = today + datetime.timedelta(days=35 - today.weekday())
    period = Period.objects.create(
        structure=structure,
        kind=Period.HOLIDAYS,
        name="Vacances (rush)",
        school_year=f"{start.year - 1}-{start.year}",
        start_date=start,
        end_date=start + datetime.timedelta(days=7 * (day_count // 5 + 2)),
        registration_opens_at=now - datetime.timedelta(minutes=5),
    )
    activity = Activity.objects.create(
        structure=structure,
        name="Accueil de loisirs (vacances)",
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
    days = _open_days(structure, activity, slot, start, day_count, now)
    return structure, period, activity, slot, days


def _families(structure, period, activity, count, now, rng):
    from django.contrib.auth.hashers import make_password

    from marmots.accounts.models import User
    from marmots.enrollments.models import Enrollment
    from marmots.families import models as fam

    password = make_password(PASSWORD)  # one hash for every login: the data builds in seconds
    emails = [f"famille{i:05d}@rush.example.org" for i in range(count)]
    users = User.objects.bulk_create([User(email=e, password=password) for e in emails])
    families = fam.Family.objects.bulk_create(
        [fam.Family(name=f"Famille {i}") for i in range(count)]
    )
    through = fam.Family.structures.through
    through.objects.bulk_create(
        [through(family_id=f.pk, structure_id=structure.pk) for f in families]
    )
    fam.Guardian.objects.bulk_create(
        [
            fam.Guardian(family=f, user=u, first_name="Camille", last_name=f.name)
            for f, u in zip(families, users, strict=True)
        ]
    )
    children = fam.Child.objects.bulk_create(
        [
            fam.Child(
                family=f,
                first_name=rng.choice(["Léa", "Tom", "Jade", "Hugo", "Inès", "Noah"]),
                last_name=f.name,
                birth_date=datetime.date(now.year - rng.randint(4, 10), rng.randint(1, 12), 1),
                info_checked_at=now,
            )
            for f in families
        ]
    )
    enrollments = Enrollment.objects.bulk_create(
        [
            Enrollment(
                child=c,
                activity=activity,
                period=period,
                start_date=period.start_date,
                end_date=period.end_date,
                status=Enrollment.VALIDATED,
                decided_at=now,
            )
            for c in children
        ]
    )
    return [
        Family(email, child.pk, enrollment.pk, user.pk)
        for email, child, enrollment, user in zip(emails, children, enrollments, users, strict=True)
    ]


def build(families, places, day_count, seed=1):
    """Write the structure, the camp and the families (Django must be set up): a Plan."""
    from django.db import transaction
    from django.utils import timezone

    now = timezone.now()
    with transaction.atomic():
        structure, period, activity, slot, days = _holiday_camp(places, day_count, now)
        people = _families(structure, period, activity, families, now, random.Random(seed))
    return Plan(slot.pk, places, days, people, f"{days[0]:%Y-%m}")


def reset_bookings(url):
    """Empty the bookings (and their audit entries) so that another run starts alike."""
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        conn.execute("DELETE FROM core_auditentry WHERE action LIKE 'booking.%'")
        conn.execute("DELETE FROM bookings_booking")
        conn.execute("DELETE FROM bookings_slotday")


def check(url, plan, acked):
    """(overbooked slot-days, acknowledged booking ids with no live row, live bookings)."""
    with psycopg.connect(dsn(url)) as conn:
        over = conn.execute(
            """
            SELECT b.date, count(*) FROM bookings_booking b
            JOIN activities_timeslot s ON s.id = b.slot_id
            LEFT JOIN bookings_slotday d ON d.slot_id = b.slot_id AND d.date = b.date
            WHERE b.status = 'booked'
            GROUP BY b.slot_id, b.date, s.capacity, d.capacity
            HAVING count(*) > coalesce(d.capacity, s.capacity)
            """
        ).fetchall()
        live = {
            row[0]
            for row in conn.execute(
                "SELECT id FROM bookings_booking WHERE status = 'booked' AND id = ANY(%s)",
                [list(acked)],
            )
        }
        total = conn.execute(
            "SELECT count(*) FROM bookings_booking WHERE status = 'booked'"
        ).fetchone()[0]
    return len(over), len(set(acked) - live), total


FLOOR_STATEMENTS = (
    "INSERT INTO bookings_slotday (slot_id, date) VALUES (%(slot)s, %(day)s) "
    "ON CONFLICT DO NOTHING",
    "SELECT id FROM bookings_slotday WHERE slot_id = %(slot)s AND date = %(day)s FOR UPDATE",
    "SELECT count(*) FROM bookings_booking "
    "WHERE slot_id = %(slot)s AND date = %(day)s AND status = 'booked'",
)
FLOOR_INSERT = """
    INSERT INTO bookings_booking (child_id, slot_id, date, enrollment_id, status, with_apc,
        booked_at, booked_by_id, booked_on_behalf, cancelled_on_behalf, certificate, excused,
        excuse_reason)
    VALUES (%(child)s, %(slot)s, %(day)s, %(enrollment)s, 'booked', false, now(), %(user)s,
        false, false, '', false, '')
    ON CONFLICT DO NOTHING RETURNING id
"""


def floor_booking(conn, plan, family, day):
    """The booking transaction alone, in raw SQL: lock the slot-day, count, insert.

    Returns the new booking id, or None when the day is full or the child already booked."""
    values = {
        "slot": plan.slot_id,
        "day": day,
        "child": family.child_id,
        "enrollment": family.enrollment_id,
        "user": family.user_id,
    }
    with conn.transaction():
        cursor = conn.cursor()
        for statement in FLOOR_STATEMENTS:
            cursor.execute(statement, values)
        if cursor.fetchone()[0] >= plan.places:
            return None
        row = cursor.execute(FLOOR_INSERT, values).fetchone()
    return row[0] if row else None
