"""Confirming an allocation: the proposal becomes bookings and waiting-list entries.

One transaction: the slot-days concerned are locked (sorted, like every booking), the proposal is
checked against the places counted now (refused, nothing changed, if it no longer fits), then
in rank order each request's granted days are booked through the booking machinery
(`bookings.actions.apply_changes`, the manager acting on the family's behalf: enrollment, day and
places are checked again), brothers and sisters together or not at all. A child no age group
of the slot takes that day is refused (it could never leave a waiting list); every other wish
joins its waiting list (source "allocation"), in rank order, the children of one unit as one
group the line serves together; the places the proposal left free go to those lines at once
(`waitlist.fill`). Each wish keeps its outcome and the reason, each family is e-mailed its
result after commit.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.bookings import actions as booking_actions
from marmots.bookings import capacity, waitlist
from marmots.bookings.models import WaitlistEntry
from marmots.bookings.rules import fr_day
from marmots.core.audit import record

from . import checks, common, facts
from . import proposal as rules
from .models import Allocation, AllocationWish
from .reasons import no_group, why_not


class _Refused(Exception):
    def __init__(self, outcomes):
        self.outcomes = outcomes


def confirm(actor, allocation, *, now=None):
    from .notify import send_allocation_result

    now = now or timezone.now()
    checks.manager(actor, allocation.period.structure)
    with transaction.atomic():
        allocation = common.locked(allocation)
        common.check_not_confirmed(allocation)
        if allocation.status != Allocation.PROPOSED:
            raise ValidationError("Calculez d'abord la proposition, puis confirmez-la.")
        period = allocation.period
        requests = list(common.active_requests(allocation))
        slots, asked = common.slots_of(requests), facts.days(requests)
        slot_days = capacity.lock_slot_days(asked)
        rooms = facts.rooms(period.structure, slots, asked, slot_days=slot_days)
        refused = _refuse_unhosted(requests, rooms)
        units, grouped = facts.units(requests, leave_out=[w.pk for w in refused])
        granted = {k for k, wishes in grouped.items() if all(w.proposed for w in wishes)}
        _check_fits(rooms, units, granted, slots)
        _check_none_left_out(rooms, units, granted, grouped)
        period.allocated_at = now
        period.save(update_fields=["allocated_at"])
        by_request = {r.pk: r for r in requests}
        order = sorted(units, key=lambda u: (u.rank, u.preference, u.key))
        booked = _book(actor, [u for u in order if u.key in granted], grouped, now)
        final = facts.rooms(period.structure, slots, {u.day for u in units}, slot_days=slot_days)
        waiting = _settle(order, booked, grouped, by_request, final)
        _queue(actor, waiting, by_request, slot_days, now)
        wishes = [w for ws in grouped.values() for w in ws] + refused
        AllocationWish.objects.bulk_update(
            wishes, ["outcome", "reason", "booking", "waitlist_entry"], batch_size=common.BATCH
        )
        allocation.status = Allocation.CONFIRMED
        allocation.confirmed_at, allocation.confirmed_by = now, actor
        allocation.save(update_fields=["status", "confirmed_at", "confirmed_by"])
        _record(actor, allocation, requests, wishes)
        for request in requests:
            transaction.on_commit(
                lambda pk=request.pk: send_allocation_result.enqueue(pk), robust=True
            )
    return allocation


def _refuse_unhosted(requests, rooms):
    """The wishes of children no age group of the slot takes that day, refused with the reason
    (never waitlisted: they could not leave the line)."""
    refused = []
    for wish, age in facts.unhosted(requests, rooms):
        wish.outcome, wish.reason = AllocationWish.REFUSED, no_group(age)
        wish.booking = wish.waitlist_entry = None
        refused.append(wish)
    return refused


def _settle(order, booked, grouped, by_request, final):
    """Outcome and reason of each wish, except the waiting-list ones' entries: returns the
    wishes to queue. `final`: the rooms once the granted days are booked."""
    waiting = []
    for unit in order:
        outcomes = booked.get(unit.key)
        if outcomes is not None and all(o.ok for o in outcomes):
            _granted(grouped[unit.key], outcomes)
            continue
        request = by_request[unit.key[0]]
        reason = why_not(unit, request, grouped[unit.key], final[unit.day], outcomes)
        for wish in grouped[unit.key]:
            failed = _refusal(outcomes, wish)
            if failed is not None:
                wish.outcome, wish.reason = AllocationWish.REFUSED, failed[:300]
            else:
                wish.reason = reason[:300]
                waiting.append(wish)
    return waiting


def _record(actor, allocation, requests, wishes):
    def count(outcome):
        return sum(1 for w in wishes if w.outcome == outcome)

    record(
        actor,
        "allocation.confirm",
        allocation,
        after={
            "requests": len(requests),
            "booked": count(AllocationWish.BOOKED),
            "waitlisted": count(AllocationWish.WAITLISTED),
            "refused": count(AllocationWish.REFUSED),
        },
    )


def _check_fits(rooms, units, granted, slots):
    over = rules.overflow(rooms, units, granted)
    if over is None:
        return
    (slot_id, day), block = over
    where = f"{slots[slot_id].activity.name}, {fr_day(day)}"
    if block.kind == rules.GROUP:
        limit = f"{block.group.capacity} places pour les {block.group.label}"
    elif block.kind == rules.PLACES:
        limit = f"{block.places} places"
    else:
        limit = f"aucune place pour les enfants de {block.age} ans"
    raise ValidationError(
        f"La proposition dépasse les places ({where} : {limit}, {block.free} encore libres) : "
        "recalculez-la ou retirez des attributions avant de confirmer."
    )


def _check_none_left_out(rooms, units, granted, grouped):
    """A place the proposal leaves free for a request that fits would go to the waiting list
    at once: the manager grants it (to this request or another) before confirming."""
    unit = rules.left_out(rooms, units, granted)
    if unit is None:
        return
    wishes = grouped[unit.key]
    names = common.names(w.child for w in wishes)
    raise ValidationError(
        f"Il reste de la place le {fr_day(wishes[0].date)} pour {names} (rang {unit.rank}) : "
        "attribuez-la à cette demande ou à une autre avant de confirmer, ou recalculez la "
        "proposition."
    )


def _changes(wishes):
    return [booking_actions.Change(w.child, w.slot, w.date) for w in wishes]


def _apply(actor, wishes, now):
    """Book `wishes` in a savepoint: kept when every one is booked, else rolled back and
    _Refused raised with the outcomes."""
    with transaction.atomic():
        outcomes = booking_actions.apply_changes(actor, add=_changes(wishes), now=now)
        if not all(o.ok for o in outcomes):
            raise _Refused(outcomes)
    return outcomes


def _by_unit(outcomes, keys, grouped):
    found = {o.change.key: o for o in outcomes}
    return {k: [found[(w.child.pk, w.slot.pk, w.date)] for w in grouped[k]] for k in keys}


def _book(actor, units, grouped, now):
    """{unit key: [Outcome]} for the granted units: a request's days in one go, or unit by unit
    (each whole or not at all) when one of them is refused."""
    result = {}
    by_request = {}
    for unit in units:
        by_request.setdefault(unit.key[0], []).append(unit.key)
    for keys in by_request.values():
        wishes = [w for k in keys for w in grouped[k]]
        try:
            result.update(_by_unit(_apply(actor, wishes, now), keys, grouped))
            continue
        except _Refused:
            pass
        for key in keys:
            try:
                result.update(_by_unit(_apply(actor, grouped[key], now), [key], grouped))
            except _Refused as refused:
                result.update(_by_unit(refused.outcomes, [key], grouped))
    return result


def _granted(wishes, outcomes):
    for wish, outcome in zip(wishes, outcomes, strict=True):
        wish.outcome, wish.booking = AllocationWish.BOOKED, outcome.booking
        wish.reason = "Place attribuée."


def _refusal(outcomes, wish):
    """The booking machinery's reason for refusing this wish for good (not a full day), or
    None."""
    for outcome in outcomes or ():
        if outcome.change.key == (wish.child.pk, wish.slot.pk, wish.date):
            if not outcome.ok and outcome.code != "full":
                return outcome.message
    return None


def _queue(actor, wishes, by_request, slot_days, now):
    """Waiting-list entries for `wishes`, in rank order (then preference, day, child), each at
    the end of its line (`waitlist.add_to_line`); the children of one unit still to queue share
    a group, so the line serves them together. Then the places left free go to the lines. A
    child already waiting keeps the entry it has."""
    if not wishes:
        return
    wishes.sort(
        key=lambda w: (
            by_request[w.request_id].rank,
            w.preference,
            w.date,
            w.slot.start_time,
            w.child_id,
        )
    )
    enrollments = booking_actions.validated_enrollments(_changes(wishes))
    live = {
        (e.child_id, e.slot_id, e.date): e
        for e in WaitlistEntry.objects.filter(
            child_id__in={w.child_id for w in wishes},
            slot_id__in={w.slot_id for w in wishes},
            date__range=(min(w.date for w in wishes), max(w.date for w in wishes)),
            status__in=WaitlistEntry.LIVE,
        )
    }
    new = []
    for wish in wishes:
        change = booking_actions.Change(wish.child, wish.slot, wish.date)
        if booking_actions.enrollment_for(enrollments, change) is None:
            wish.outcome = AllocationWish.REFUSED
            wish.reason = waitlist.NO_ENROLLMENT
        elif change.key in live:
            wish.outcome, wish.waitlist_entry = AllocationWish.WAITLISTED, live[change.key]
        else:
            new.append(wish)
    groups = _groups(new)
    for wish in new:
        wish.outcome = AllocationWish.WAITLISTED
        wish.waitlist_entry = waitlist.add_to_line(
            actor,
            wish.child,
            wish.slot,
            wish.date,
            source=WaitlistEntry.ALLOCATION,
            now=now,
            group=groups.get(_unit(wish), ""),
            created_by=by_request[wish.request_id].created_by,
        )
    entries = {w.waitlist_entry.pk: w for w in wishes if w.outcome == AllocationWish.WAITLISTED}
    for key in sorted({(w.slot_id, w.date) for w in entries.values()}):
        for served in waitlist.fill(slot_days[key], now):
            wish = entries.get(served.pk)
            if wish is not None and served.status == WaitlistEntry.BOOKED:
                wish.outcome, wish.booking = AllocationWish.BOOKED, served.booking
                wish.reason = "Place obtenue sur la liste d'attente, juste après l'attribution."


def _unit(wish):
    return (wish.request_id, wish.slot_id, wish.date)


def _groups(wishes):
    """{unit: waiting-list group} for the units with several children to queue."""
    units = {}
    for wish in wishes:
        units[_unit(wish)] = units.get(_unit(wish), 0) + 1
    return {unit: waitlist.new_group() for unit, count in units.items() if count > 1}
