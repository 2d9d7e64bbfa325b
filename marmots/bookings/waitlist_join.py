"""Joining waiting lines, and the positions in them (`waitlist.py` tells the whole story).

`join` checks every change like a booking would (enrollment, closed day, opening, a day still
free...) and puts each accepted child at the end of its line through `add_to_line`, the one
function that creates entries (the allocation's confirmation uses it too). Brothers and sisters
of one family joining the same slot-day in the same call share a `group`: the line serves them
together (`waitlist_fill.py`).
"""

import datetime
import uuid

from django.db import transaction
from django.utils import timezone

from . import actions, capacity, deadlines, rules
from .models import Booking, WaitlistEntry
from .waitlist_fill import LINE_ORDER, audit, live_line

WAITLISTED = "waitlisted"


def positions(entries):
    """{entry id: position in its line (1 = next)} for the live ones among `entries` (one query
    whatever their number)."""
    live = [e for e in entries if e.status in WaitlistEntry.LIVE]
    if not live:
        return {}
    keys = {(e.slot_id, e.date) for e in live}
    rows = (
        WaitlistEntry.objects.filter(
            slot_id__in={k[0] for k in keys},
            date__range=(min(k[1] for k in keys), max(k[1] for k in keys)),
            status__in=WaitlistEntry.LIVE,
        )
        .order_by("slot_id", "date", *LINE_ORDER)
        .values_list("pk", "slot_id", "date")
    )
    result, counters = {}, {}
    for pk, slot_id, day in rows:
        counters[(slot_id, day)] = counters.get((slot_id, day), 0) + 1
        result[pk] = counters[(slot_id, day)]
    return {e.pk: result[e.pk] for e in live if e.pk in result}


def new_group():
    """A fresh key for brothers and sisters joining one line together."""
    return uuid.uuid4().hex


def add_to_line(actor, child, slot, day, *, source, now, group="", with_apc=False, created_by=None):
    """Put `child` at the end of the line of `slot` on `day` and record it ("waitlist.join"):
    the new entry. The caller holds the slot-day's lock and has checked that the child may wait
    there. `group`: the same key for siblings joining together (`new_group`); `created_by`: who
    asked (the booking the entry obtains records them), `actor` when not given.

    The entry's `queued_at` is `now`, or just after the last live entry's when that is not
    earlier (an earlier `now` read before the lock was taken, or entries added in turn at the
    same `now`), so the position announced is the one kept."""
    entry = WaitlistEntry.objects.create(
        child=child,
        slot=slot,
        date=day,
        with_apc=with_apc,
        source=source,
        group=group,
        queued_at=_end_of_line(slot.pk, day, now),
        created_by=created_by or actor,
    )
    audit(actor, "waitlist.join", entry)
    return entry


def _end_of_line(slot_id, day, now):
    last = live_line(slot_id, day).order_by("-queued_at").values_list("queued_at", flat=True)
    last = last.first()
    return now if last is None or last < now else last + datetime.timedelta(microseconds=1)


def join(actor, changes, *, now=None):
    """Put the children of `changes` (bookings.actions.Change) on the waiting lists of their
    slot-days, in one transaction: one Outcome each (code "waitlisted", or the refusal's).

    Refused: no validated enrollment, a closed day, registrations not open or awaiting
    allocation, a session started, a child already booked or already waiting, a child no age
    group of the slot takes, and a day that still has a place for the child (book it instead).
    A manager may add a child on the family's behalf, also one whose booking of that day was
    cancelled late or declared absent (the place it obtains books that row again).
    Siblings joining the same slot-day together share a group (served together).
    """
    now = now or timezone.now()
    changes = actions.unique(changes)
    if not changes:
        return []
    structure = actions.structure_of(changes)
    on_behalf = actions.acting_for_family(actor, {c.child for c in changes}, structure)
    source = WaitlistEntry.MANAGER if on_behalf else WaitlistEntry.FAMILY
    with transaction.atomic():
        batch = actions.Batch(actor, changes, on_behalf, now)
        live = _live_entries(changes)
        errors = {c.key: _join_error(batch, c, live) for c in changes}
        groups = _groups([c for c in changes if errors[c.key] is None])
        outcomes = []
        for change in changes:
            if errors[change.key]:
                outcomes.append(actions.refuse(change, *errors[change.key]))
                continue
            entry = add_to_line(
                actor,
                change.child,
                change.slot,
                change.date,
                source=source,
                now=now,
                group=groups.get(change.key, ""),
                with_apc=change.with_apc,
            )
            outcomes.append(_joined(change, entry))
    return outcomes


def join_by_structure(actor, changes, **options):
    """`join` once per structure the changes concern (a family normally uses one), for pages
    and routes that may mix structures; the outcomes in the same order per structure."""
    by_structure = {}
    for change in changes:
        by_structure.setdefault(change.slot.activity.structure_id, []).append(change)
    outcomes = []
    for group in by_structure.values():
        outcomes += join(actor, group, **options)
    return outcomes


def _groups(changes):
    """{change key: group} for the brothers and sisters joining one slot-day together."""
    together = {}
    for change in changes:
        key = (change.child.family_id, change.slot.pk, change.date)
        together.setdefault(key, []).append(change)
    groups = {}
    for members in together.values():
        if len(members) > 1:
            group = new_group()
            groups.update({c.key: group for c in members})
    return groups


def _joined(change, entry):
    position = positions([entry])[entry.pk]
    return actions.Outcome(
        change,
        WAITLISTED,
        f"{change.child.first_name} est sur la liste d'attente du "
        f"{rules.fr_day(change.date)} (position {position}).",
        code=WAITLISTED,
    )


def _live_entries(changes):
    first, last = min(c.date for c in changes), max(c.date for c in changes)
    rows = WaitlistEntry.objects.filter(
        child_id__in={c.child.pk for c in changes},
        slot_id__in={c.slot.pk for c in changes},
        date__range=(first, last),
        status__in=WaitlistEntry.LIVE,
    )
    return {(e.child_id, e.slot_id, e.date) for e in rows}


def _join_error(batch, change, live):
    """(code, French message) when the child may not join this line, else None."""
    child, slot, day = change.child, change.slot, change.date
    activity = slot.activity
    if actions.enrollment_for(batch.enrollments, change) is None:
        return "not_enrolled", (
            f"{child.first_name} n'a pas d'inscription validée à « {activity.name} » "
            f"pour le {rules.fr_day(day)} : la liste d'attente est réservée aux enfants inscrits."
        )
    closed = batch.calendar.closed_reason(activity, day)
    if closed:
        return "closed", closed
    if batch.now >= deadlines.session_start(day, slot.start_time):
        return "started", "La séance a déjà commencé."
    if not batch.on_behalf:
        error = _family_error(batch, activity, day)
        if error:
            return error
    existing = batch.live.get(change.key)
    if existing is not None and (existing.status == Booking.BOOKED or not batch.on_behalf):
        if existing.status == Booking.BOOKED:
            return "already", f"{child.first_name} a déjà une réservation ce jour-là."
        return "already", (
            f"La séance de {child.first_name} ce jour-là a été annulée hors délai ou déclarée en "
            "absence : seule la structure peut la rétablir."
        )
    if change.key in live:
        return "already_waiting", f"{child.first_name} est déjà sur la liste d'attente de ce jour."
    groups = batch.age_groups(slot)
    age = rules.age_on(child.birth_date, day)
    if groups and rules.group_for(age, groups) is None:
        return "not_bookable", f"Aucune place n'est prévue pour les enfants de {age} ans."
    slot_day = batch.slot_days.get((slot.pk, day))
    if capacity.full_error(slot, day, child, slot_day, groups) is None:
        return "free", (
            f"Il reste une place le {rules.fr_day(day)} pour {child.first_name} : réservez-la "
            "directement, la liste d'attente n'est ouverte que pour les jours complets."
        )
    return None


def _family_error(batch, activity, day):
    """What keeps a family (not the manager) off the line of `activity` on `day`, or None."""
    if not activity.families_may_add:
        # A place given from the line would skip the manager's approval of each booking.
        return "not_bookable", (
            f"« {activity.name} » se réserve sur demande validée par la structure : "
            "demandez-lui d'inscrire votre enfant sur la liste d'attente."
        )
    return batch.calendar.not_yet_error(activity, day, batch.now)
