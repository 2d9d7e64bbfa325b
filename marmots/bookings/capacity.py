"""Places: counted from real bookings, inside the booking transaction, after a lock.

The lock is the `SlotDay` row of each slot and day being booked (PostgreSQL `SELECT ... FOR
UPDATE`, taken in a fixed order so that two batches never wait on each other in a circle). On
SQLite the transaction itself starts with the database's write lock (`transaction_mode =
"IMMEDIATE"` in the settings), which serialises writers the same way.
"""

from django.db.models import Q

from . import rules
from .models import Booking, SlotDay

LOCK_CHUNK = 200


def lock_slot_days(keys):
    """Lock the (slot id, date) pairs, creating their rows if needed: {(slot id, date): SlotDay}.

    Must run inside a transaction; the locks are held until it ends. Missing rows are inserted
    first (ON CONFLICT DO NOTHING), then every row is locked, both in the same sorted order:
    locking the existing rows before inserting the missing ones deadlocks under concurrency
    (see test_concurrency.py's siblings test).
    """
    keys = sorted(set(keys))
    if not keys:
        return {}
    SlotDay.objects.bulk_create(
        [SlotDay(slot_id=slot_id, date=day) for slot_id, day in keys], ignore_conflicts=True
    )
    return _lock(keys)


def _lock(keys):
    locked = {}
    # In sorted chunks: one OR per pair would exceed SQLite's expression depth (1000) for a
    # weekly template applied over a school year; chunks keep the locks in a fixed order.
    for start in range(0, len(keys), LOCK_CHUNK):
        wanted = Q()
        for slot_id, day in keys[start : start + LOCK_CHUNK]:
            wanted |= Q(slot_id=slot_id, date=day)
        rows = SlotDay.objects.select_for_update().filter(wanted).order_by("slot_id", "date")
        locked.update({(row.slot_id, row.date): row for row in rows})
    return locked


def places_on(slot, slot_day):
    """The slot's places that day (the day's own figure when the manager set one)."""
    if slot_day is not None and slot_day.capacity is not None:
        return slot_day.capacity
    return slot.capacity


def full_error(slot, day, child, slot_day=None, groups=()):
    """French message when `child` cannot get a place in `slot` on `day`, counted now."""
    live = Booking.objects.filter(slot=slot, date=day, status=Booking.BOOKED)
    age = rules.age_on(child.birth_date, day)
    if groups:
        ages = [rules.age_on(b, day) for b in live.values_list("child__birth_date", flat=True)]
        taken = len(ages)
    else:
        ages = ()
        taken = live.count()
    return rules.capacity_error(
        places=places_on(slot, slot_day), taken=taken, age=age, groups=groups, taken_ages=ages
    )


def taken_counts(slot_ids, first_day, last_day):
    """{(slot id, date): live bookings} for a calendar page (one query, no lock)."""
    from django.db.models import Count

    rows = (
        Booking.objects.filter(
            slot_id__in=slot_ids,
            date__range=(first_day, last_day),
            status=Booking.BOOKED,
        )
        .order_by()  # no join for Booking's default ordering in the GROUP BY
        .values("slot_id", "date")
        .annotate(n=Count("id"))
    )
    return {(r["slot_id"], r["date"]): r["n"] for r in rows}


def set_day_capacity(actor, slot, day, places):
    """The manager sets the places of `slot` on `day` (None: back to the slot's own figure).

    Refused below the children already booked that day: the manager cancels first. Locks the
    slot-day like a booking, so no booking slips in between the count and the change.
    """
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction

    from marmots.core.access import is_manager
    from marmots.core.audit import record

    if not is_manager(actor, slot.activity.structure):
        raise PermissionDenied("Action réservée au gestionnaire de la structure.")
    with transaction.atomic():
        slot_day = lock_slot_days([(slot.pk, day)])[(slot.pk, day)]
        taken = Booking.objects.filter(slot=slot, date=day, status=Booking.BOOKED).count()
        if places is not None and places < taken:
            raise ValidationError(
                f"{taken} enfant{'s' if taken > 1 else ''} déjà réservé{'s' if taken > 1 else ''}"
                f" ce jour-là : choisissez au moins {taken} places, ou annulez d'abord des "
                "réservations."
            )
        before = {"capacity": slot_day.capacity}
        slot_day.capacity = places
        slot_day.save(update_fields=["capacity"])
        record(
            actor,
            "slotday.capacity",
            slot_day,
            before=before,
            after={"capacity": places, "slot": str(slot), "date": str(day)},
        )
    return slot_day
