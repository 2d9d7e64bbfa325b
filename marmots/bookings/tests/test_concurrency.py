"""Places hold when many families book at the same instant: real threads, real databases.

On PostgreSQL the lock is the `SlotDay` row (SELECT ... FOR UPDATE); the same test without that
lock shows the race. On SQLite the lock is the IMMEDIATE transaction the settings ask for.
"""

import datetime
import importlib.util
import os
import threading
import time
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.utils import load_backend

from marmots.activities.models import TimeSlot
from marmots.bookings import actions, capacity
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, SlotDay
from tests import factories as f
from tests import house as h
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)
NOW = at(MONDAY, 9)
CAMP_DAY = datetime.date(2026, 12, 22)
CAMP_NOW = at(datetime.date(2026, 11, 25), 9)
FULL = "Complet : plus aucune place ce jour-là."
ATTEMPTS = 50


def newcomers(house, count, activity, birth_date=datetime.date(2019, 5, 14)):
    """`count` families, each a guardian and one child with a validated enrollment."""
    people = []
    for _ in range(count):
        family = f.FamilyFactory(structures=[house.structure])
        guardian = f.GuardianFactory(family=family)
        child = f.ChildFactory(family=family, birth_date=birth_date)
        enroll(house, child, activity)
        people.append((guardian.user, child))
    return people


def loaded(slot):
    """The slot with its activity and structure, loaded once for every thread."""
    return TimeSlot.objects.select_related("activity__structure").get(pk=slot.pk)


def race(attempts, setup=lambda: None):
    """Run each callable in its own thread, all released together; returns what each returned
    (or the exception it raised: a deadlock or a lock timeout is reported, not hidden)."""
    barrier = threading.Barrier(len(attempts))
    results = [None] * len(attempts)

    def run(index, attempt):
        try:
            setup()
            barrier.wait(timeout=60)
            results[index] = attempt()
        except Exception as error:  # reported: the test asserts there is none
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a booking never finished"
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


def attempt(user, changes, now):
    """A booking attempt to run in a thread: returns its outcomes."""
    return lambda: actions.book(user, changes, now=now)


def one_each(people, slot, day, now):
    """One booking attempt per family, for its child."""
    return [attempt(user, [Change(child, slot, day)], now) for user, child in people]


def flat(batches):
    return [outcome for outcomes in batches for outcome in outcomes]


def ten_places_left(house):
    """The after-school snack slot on THURSDAY: 40 places, 30 already booked by one family."""
    crowd = f.FamilyFactory(structures=[house.structure])
    guardian = f.GuardianFactory(family=crowd)
    children = [f.ChildFactory(family=crowd) for _ in range(30)]
    for child in children:
        enroll(house, child, house.evening)
    slot = loaded(house.snack_slot)
    outcomes = actions.book(guardian.user, [Change(c, slot, THURSDAY) for c in children], now=NOW)
    assert all(o.ok for o in outcomes)
    return slot


def widen_window(monkeypatch, pause):
    """Every thread counts the places, then pauses before it books."""
    count = capacity.full_error

    def count_then_pause(*args, **kwargs):
        error = count(*args, **kwargs)
        pause()
        return error

    monkeypatch.setattr(capacity, "full_error", count_then_pause)


def assert_ten_of_fifty(outcomes, slot):
    booked = [o for o in outcomes if o.result == actions.BOOKED]
    refused = [o for o in outcomes if o.result == actions.REFUSED]
    assert (len(booked), len(refused)) == (10, 40)
    assert {o.message for o in refused} == {FULL}
    live = Booking.objects.filter(slot=slot, date=THURSDAY, status=Booking.BOOKED)
    assert live.count() == 40
    assert set(live.values_list("pk", flat=True)) >= {o.booking.pk for o in booked}


@pytest.mark.django_db(transaction=True)
def test_fifty_families_at_the_last_ten_places_get_exactly_ten(postgres, house, monkeypatch):
    slot = ten_places_left(house)
    people = newcomers(house, ATTEMPTS, house.evening)
    widen_window(monkeypatch, lambda: time.sleep(0.005))

    assert_ten_of_fifty(flat(race(one_each(people, slot, THURSDAY, NOW))), slot)


def create_without_locking(keys):
    """lock_slot_days without its lock: the rows are created and read, never locked."""
    keys = sorted(set(keys))
    SlotDay.objects.bulk_create(
        [SlotDay(slot_id=s, date=d) for s, d in keys], ignore_conflicts=True
    )
    rows = SlotDay.objects.filter(slot_id__in={s for s, _ in keys}, date__in={d for _, d in keys})
    return {(r.slot_id, r.date): r for r in rows if (r.slot_id, r.date) in keys}


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_the_same_rush_overbooks(postgres, house, monkeypatch):
    slot = ten_places_left(house)
    people = newcomers(house, ATTEMPTS, house.evening)
    monkeypatch.setattr(capacity, "lock_slot_days", create_without_locking)
    # Each thread counts 30 taken out of 40, then waits for all the others to have counted.
    everyone_counted = threading.Barrier(ATTEMPTS)
    widen_window(monkeypatch, lambda: everyone_counted.wait(timeout=60))

    outcomes = flat(race(one_each(people, slot, THURSDAY, NOW)))

    booked = sum(o.result == actions.BOOKED for o in outcomes)
    assert booked > 10
    assert Booking.objects.filter(slot=slot, date=THURSDAY, status=Booking.BOOKED).count() > 40


@pytest.mark.django_db(transaction=True)
def test_siblings_batch_and_other_families_share_the_last_places(postgres, house, family_a):
    # Three siblings booked in one batch over two days, against families booking the same two
    # days (both, or one of them): no deadlock, and each day fills to its places, never beyond.
    slot = loaded(house.snack_slot)
    TimeSlot.objects.filter(pk=slot.pk).update(capacity=4)
    slot.capacity = 4
    guardian = f.GuardianFactory(family=family_a)
    siblings = [f.ChildFactory(family=family_a) for _ in range(3)]
    for child in siblings:
        enroll(house, child, house.evening)
    # Thursday and Friday, three weeks running.
    weeks = [
        (THURSDAY + datetime.timedelta(days=7 * n), THURSDAY + datetime.timedelta(days=7 * n + 1))
        for n in range(3)
    ]
    others = newcomers(house, 12, house.evening)

    for first, second in weeks:
        days_of = [(first, second), (second, first), (first,), (second,)]
        attempts = [
            attempt(
                guardian.user, [Change(c, slot, d) for d in (second, first) for c in siblings], NOW
            )
        ]
        attempts += [
            attempt(user, [Change(child, slot, d) for d in days_of[i % 4]], NOW)
            for i, (user, child) in enumerate(others)
        ]
        outcomes = flat(race(attempts))

        assert {o.message for o in outcomes if not o.ok} == {FULL}
        for day in (first, second):
            live = Booking.objects.filter(slot=slot, date=day, status=Booking.BOOKED)
            assert live.count() == 4
            assert sum(o.ok for o in outcomes if o.change.date == day) == 4


@pytest.mark.django_db(transaction=True)
def test_age_groups_hold_under_concurrency(postgres, house):
    camp = loaded(house.camp_slot)
    camp.age_groups.filter(min_age=3).update(capacity=4)
    camp.age_groups.filter(min_age=6).update(capacity=3)
    younger = newcomers(house, 15, house.holiday, birth_date=datetime.date(2022, 3, 1))
    older = newcomers(house, 15, house.holiday, birth_date=datetime.date(2018, 3, 1))

    outcomes = flat(race(one_each(younger + older, camp, CAMP_DAY, CAMP_NOW)))

    young, old = outcomes[:15], outcomes[15:]
    assert sum(o.ok for o in young) == 4 and sum(o.ok for o in old) == 3
    assert {o.message for o in young if not o.ok} == {"Complet pour les 3-5 ans (3-5 ans)."}
    assert {o.message for o in old if not o.ok} == {"Complet pour les 6-11 ans (6-11 ans)."}
    born = Booking.objects.filter(slot=camp, date=CAMP_DAY).values_list(
        "child__birth_date", flat=True
    )
    assert sorted(d.year for d in born) == [2018] * 3 + [2022] * 4


# SQLite. pytest-django's SQLite test database lives in memory with a shared cache, where SQLite
# locks tables rather than the file and a conflicting lock fails at once ("database table is
# locked") instead of waiting out the busy timeout: threads cannot book there. So this test
# books in a SQLite file migrated for it, opened with the settings config/settings.py ships for
# SQLite (IMMEDIATE transactions, WAL, busy timeout). It runs in the PostgreSQL pass too.


def shipped_sqlite_settings(path):
    """config/settings.py's database settings for a SQLite file, read by running it again."""
    import config.settings

    spec = importlib.util.spec_from_file_location("_sqlite_settings", config.settings.__file__)
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ, {"DATABASE_URL": f"sqlite:///{path}"}):
        spec.loader.exec_module(module)
    return connections.configure_settings({"default": module.DATABASES["default"]})["default"]


@pytest.fixture
def sqlite_file(tmp_path):
    """Point this thread's default connection at a fresh, migrated SQLite file; yields a
    function that does the same in another thread."""
    settings_dict = shipped_sqlite_settings(tmp_path / "rush.sqlite3")
    assert settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    backend = load_backend(settings_dict["ENGINE"])

    def use():
        connections["default"] = backend.DatabaseWrapper(settings_dict, "default")

    original = connections["default"]
    use()
    call_command("migrate", verbosity=0)
    yield use
    connection.close()
    connections["default"] = original


@pytest.mark.django_db
def test_fifty_families_at_the_last_ten_places_on_sqlite(sqlite_file, monkeypatch):
    house = h.build(f.StructureFactory())
    slot = ten_places_left(house)
    people = newcomers(house, ATTEMPTS, house.evening)
    widen_window(monkeypatch, lambda: time.sleep(0.005))

    outcomes = flat(race(one_each(people, slot, THURSDAY, NOW), setup=sqlite_file))
    assert_ten_of_fifty(outcomes, slot)
