"""Waiting lines under concurrency (PostgreSQL, real threads, each with its own connection).

Every change to a line runs under its slot-day's row lock, then locks the line's entries. The
tests show that simultaneous cancellations give exactly one offer per place freed, that an
offer accepted while the expiry sweep runs has one outcome, and that simultaneous joins get
distinct, consecutive positions. Without the slot-day lock the line's own row locks still
serialise the fills (a test shows it); without both, places are left free while families wait.
"""

import datetime
import random
import threading
import time

import pytest
from django.core.exceptions import ValidationError

from marmots.activities.actions import save_settings_form
from marmots.activities.forms import TimeSlotForm
from marmots.activities.models import TimeSlot
from marmots.bookings import actions, capacity, waitlist, waitlist_fill
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, SlotDay, WaitlistEntry
from tests.concurrency import race

from .waitlist_people import NOW, THURSDAY, full_day, held, line_up, loaded, newcomer

PLACES, WAITING = 5, 8


def create_without_locking(keys):
    """lock_slot_days without its lock: the rows are created and read, never locked."""
    keys = sorted(set(keys))
    SlotDay.objects.bulk_create(
        [SlotDay(slot_id=s, date=d) for s, d in keys], ignore_conflicts=True
    )
    rows = SlotDay.objects.filter(slot_id__in={s for s, _ in keys}, date__in={d for _, d in keys})
    return {(r.slot_id, r.date): r for r in rows if (r.slot_id, r.date) in keys}


def line_without_locking(slot_id, day):
    return list(waitlist_fill.live_line(slot_id, day).select_related("child__family", "slot"))


def pause_after_counting(monkeypatch, pause):
    count = capacity.held

    def count_then_pause(*args):
        holders = count(*args)
        pause()
        return holders

    monkeypatch.setattr(capacity, "held", count_then_pause)


def cancellations(people, slot):
    return [
        lambda user=user, child=child: actions.cancel(
            user, [Change(child, slot, THURSDAY)], now=NOW
        )
        for user, child in people
    ]


def a_full_day_with_a_line(house):
    slot, people = full_day(house, PLACES)
    lined = line_up([newcomer(house) for _ in range(WAITING)], slot)
    return slot, people, lined


def offered_in_order(lined):
    states = [WaitlistEntry.objects.get(pk=e.pk).status for *_, e in lined]
    return states == ["offered"] * PLACES + ["waiting"] * (WAITING - PLACES)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_cancellations_give_each_place_once_and_leave_none_free(
    postgres, house, monkeypatch
):
    slot, people, lined = a_full_day_with_a_line(house)
    pause_after_counting(monkeypatch, lambda: time.sleep(0.01))

    results = race(*cancellations(people, slot))

    assert [r[0].code for r in results] == [actions.CANCELLED] * PLACES, results
    assert offered_in_order(lined)
    assert held(slot) == PLACES
    assert not Booking.objects.filter(slot=slot, date=THURSDAY, status=Booking.BOOKED).exists()


@pytest.mark.django_db(transaction=True)
def test_without_the_slot_day_lock_the_line_locks_still_hold(postgres, house, monkeypatch):
    slot, people, lined = a_full_day_with_a_line(house)
    monkeypatch.setattr(capacity, "lock_slot_days", create_without_locking)
    pause_after_counting(monkeypatch, lambda: time.sleep(0.01))

    results = race(*cancellations(people, slot))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert offered_in_order(lined)
    assert held(slot) == PLACES


@pytest.mark.django_db(transaction=True)
def test_without_any_lock_places_are_left_free_while_families_wait(postgres, house, monkeypatch):
    slot, people, lined = a_full_day_with_a_line(house)
    monkeypatch.setattr(capacity, "lock_slot_days", create_without_locking)
    monkeypatch.setattr(waitlist_fill, "locked_line", line_without_locking)
    # Each fill counts the places (its own cancellation only: the others are not committed),
    # then waits until every other one has counted too.
    everyone_counted = threading.Barrier(PLACES)
    pause_after_counting(monkeypatch, lambda: everyone_counted.wait(timeout=60))

    results = race(*cancellations(people, slot))

    assert not [r for r in results if isinstance(r, Exception)], results
    # Every fill offered its place to the same first family: one offer for five places.
    assert WaitlistEntry.objects.filter(status="offered").count() == 1
    assert held(slot) == 1
    assert WaitlistEntry.objects.filter(status="waiting").count() == WAITING - 1


@pytest.mark.django_db(transaction=True)
def test_places_raised_in_the_settings_during_cancellations(postgres, house, manager, time_machine):
    # The settings save locks the slot's row, then the slot-days; the cancellations lock the
    # slot-day, then their booking rows only: no deadlock, and every place goes to the line.
    time_machine.move_to(NOW, tick=False)  # the settings page gives places at the clock's time
    slot, people, lined = a_full_day_with_a_line(house)
    SlotDay.objects.filter(slot=slot).update(capacity=None)
    TimeSlot.objects.filter(pk=slot.pk).update(capacity=PLACES)
    data = {"label": slot.label, "start_time": "16:30", "end_time": "17:30", "order": "0"}

    def raise_places():
        form = TimeSlotForm(
            data | {"capacity": PLACES + 2}, instance=loaded(slot), activity=slot.activity
        )
        assert form.is_valid(), form.errors
        return save_settings_form(form, actor=manager)

    results = race(raise_places, *cancellations(people, slot))

    assert not [r for r in results if isinstance(r, Exception)], results
    states = [WaitlistEntry.objects.get(pk=e.pk).status for *_, e in lined]
    assert states == ["offered"] * (PLACES + 2) + ["waiting"] * (WAITING - PLACES - 2)
    assert held(slot) == PLACES + 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(4))
def test_an_offer_accepted_while_the_sweep_expires_it_has_one_outcome(postgres, house, round_):
    slot, [(ua, a)] = full_day(house, 1)
    (ub, b, eb), (uc, c, ec) = line_up([newcomer(house), newcomer(house)], slot)
    actions.cancel(ua, [Change(a, slot, THURSDAY)], now=NOW)
    expires = WaitlistEntry.objects.get(pk=eb.pk).offer_expires_at
    minute = datetime.timedelta(minutes=1)

    accepted, expired = race(
        lambda: waitlist.accept(ub, eb, now=expires - minute),
        lambda: waitlist.expire_offers(expires + minute),
    )

    b_entry, c_entry = (WaitlistEntry.objects.get(pk=e.pk) for e in (eb, ec))
    if isinstance(accepted, Booking):
        assert expired == 0
        assert (b_entry.status, c_entry.status) == ("booked", "waiting")
        assert Booking.objects.get(child=b).status == Booking.BOOKED
    else:
        assert isinstance(accepted, ValidationError), accepted
        assert accepted.messages[0].startswith("Cette offre a expiré")
        assert expired == 1
        assert (b_entry.status, c_entry.status) == ("expired", "offered")
        assert not Booking.objects.filter(child=b).exists()
    assert held(slot) == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_joins_get_distinct_consecutive_positions(postgres, house):
    slot, _ = full_day(house, 1)
    people = [newcomer(house) for _ in range(12)]
    # Clocks read before the lock, in an order unrelated to who gets the lock first.
    clocks = [NOW + datetime.timedelta(milliseconds=random.randrange(50)) for _ in people]

    results = race(
        *[
            lambda user=user, child=child, now=now: waitlist.join(
                user, [Change(child, slot, THURSDAY)], now=now
            )
            for (user, child), now in zip(people, clocks, strict=True)
        ]
    )

    entries = {e.child_id: e for e in WaitlistEntry.objects.filter(status="waiting")}
    positions = waitlist.positions(list(entries.values()))
    assert sorted(positions.values()) == list(range(1, 13))
    for (_user, child), (outcome,) in zip(people, results, strict=True):
        announced = int(outcome.message.split("(position ")[1].rstrip(").")) if outcome else 0
        assert announced == positions[entries[child.pk].pk]
