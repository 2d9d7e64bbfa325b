"""Places: counted from real bookings, inside the booking transaction, after a lock.

The lock is the `SlotDay` row of each slot and day being booked (PostgreSQL `SELECT ... FOR
UPDATE`, taken in a fixed order so that two batches never wait on each other in a circle). On
SQLite the transaction itself starts with the database's write lock (`transaction_mode =
"IMMEDIATE"` in the settings), which serialises writers the same way.
"""

from django.db.models import Q

from . import rules
from .models import Booking, SlotDay, WaitlistEntry

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


def holding(slot_ids, first_day, last_day):
    """The two querysets of what holds a place: live bookings, and waiting-list entries offered
    a place they have not answered yet (the place is kept for them)."""
    span = {"slot_id__in": slot_ids, "date__range": (first_day, last_day)}
    return (
        Booking.objects.filter(**span, status=Booking.BOOKED).order_by(),
        WaitlistEntry.objects.filter(**span, status=WaitlistEntry.OFFERED).order_by(),
    )


def held(slot_id, day):
    """[(child id, birth date, booking id or None for an offer)]: what holds a place of the slot
    on `day` (live bookings and open offers), counted now; the caller holds the slot-day lock."""
    bookings, offers = holding([slot_id], day, day)
    return list(bookings.values_list("child_id", "child__birth_date", "pk")) + [
        (child_id, born, None)
        for child_id, born in offers.values_list("child_id", "child__birth_date")
    ]


def full_error(slot, day, child, slot_day=None, groups=(), *, except_entry=None):
    """French message when `child` cannot get a place in `slot` on `day`, counted now.

    Offered waiting-list places count as taken; `except_entry` is the entry whose own offer is
    being accepted (its place is the one it takes)."""
    bookings, offers = holding([slot.pk], day, day)
    if except_entry is not None:
        offers = offers.exclude(pk=except_entry.pk)
    age = rules.age_on(child.birth_date, day)
    if groups:
        column = "child__birth_date"
        births = bookings.values_list(column).union(offers.values_list(column), all=True)
        ages = [rules.age_on(b, day) for (b,) in births]
        taken = len(ages)
    else:
        ages = ()
        taken = bookings.values_list("pk").union(offers.values_list("pk"), all=True).count()
    return rules.capacity_error(
        places=places_on(slot, slot_day), taken=taken, age=age, groups=groups, taken_ages=ages
    )


def taken_counts(slot_ids, first_day, last_day):
    """{(slot id, date): places held (live bookings and open offers)} for a calendar page (one
    query, no lock)."""
    from django.db.models import Count

    bookings, offers = holding(slot_ids, first_day, last_day)
    rows = (
        bookings.values_list("slot_id", "date")
        .annotate(n=Count("id"))
        .union(offers.values_list("slot_id", "date").annotate(n=Count("id")), all=True)
    )
    counts = {}
    for slot_id, day, n in rows:
        counts[(slot_id, day)] = counts.get((slot_id, day), 0) + n
    return counts


def _plural(n, word):
    return f"{n} {word}{'s' if n > 1 else ''}"


def _below_held(slot_id, day, places):
    """French message when `places` is below the places held on the day, else None."""
    holders = held(slot_id, day)
    if places is None or places >= len(holders):
        return None
    booked = sum(1 for *_, booking in holders if booking is not None)
    offered = len(holders) - booked
    parts = []
    if booked:
        parts.append(f"{_plural(booked, 'enfant')} déjà réservé{'s' if booked > 1 else ''}")
    if offered:
        parts.append(
            f"{_plural(offered, 'place')} proposée{'s' if offered > 1 else ''} sur liste d'attente"
        )
    return (
        f"{' et '.join(parts)} ce jour-là : choisissez au moins {len(holders)} places, ou "
        "annulez d'abord des réservations."
    )


def set_day_capacity(actor, slot, day, places, *, now=None):
    """The manager sets the places of `slot` on `day` (None: back to the slot's own figure).

    Refused below the places already held that day (children booked and places offered from
    the waiting list): the manager cancels first. Locks the slot-day like a booking, so no
    booking slips in between the count and the change; places added go to the waiting list in
    the same transaction.
    """
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction
    from django.utils import timezone

    from marmots.core.access import is_manager
    from marmots.core.audit import record

    from . import waitlist_fill

    if not is_manager(actor, slot.activity.structure):
        raise PermissionDenied("Action réservée au gestionnaire de la structure.")
    now = now or timezone.now()
    with transaction.atomic():
        slot_day = lock_slot_days([(slot.pk, day)])[(slot.pk, day)]
        error = _below_held(slot.pk, day, places)
        if error:
            raise ValidationError(error)
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
        waitlist_fill.fill(slot_day, now)  # places added go to the waiting list
    return slot_day
