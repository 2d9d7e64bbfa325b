"""Booking actions: every channel (portal, back-office, API) calls these.

Each action owns its transaction, checks who acts and every rule on the server (enrollment,
opening, closures, deadlines, APC, places), writes its audit entries and returns one `Outcome`
per requested change, with a French message saying what happened or why it was refused.
A family acts within the deadlines; a manager of the structure acts on the family's behalf past
them, and the booking records it.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.activities.models import Activity
from marmots.core.access import family_of, is_manager
from marmots.core.audit import record, snapshot
from marmots.enrollments.models import Enrollment

from . import capacity, context, deadlines, rules
from .models import Booking, BookingRequest

BOOKED = "booked"
CANCELLED = "cancelled"
LATE = "late"
REQUESTED = "requested"
REFUSED = "refused"

AUDITED = ["child", "slot", "date", "status", "with_apc", "excused", "excuse_reason"]


@dataclass(frozen=True)
class Change:
    """One day asked for: the child, the slot (with its activity loaded) and the date."""

    child: object
    slot: object
    date: datetime.date
    with_apc: bool = False

    @property
    def key(self):
        return (self.child.pk, self.slot.pk, self.date)


@dataclass
class Outcome:
    """What happened to one change. `code` names it for programs: the result when it went
    ahead ("booked", "cancelled", "late", "requested"), else the reason of the refusal
    ("not_enrolled", "not_bookable", "closed", "allocation", "not_open", "deadline",
    "started", "apc", "already", "full", "no_booking", "pending_request"; for waiting lists
    "waitlisted", "already_waiting", "free")."""

    change: Change
    result: str
    message: str
    booking: Booking | None = None
    code: str = ""

    @property
    def ok(self):
        return self.result != REFUSED


def _snap(booking):
    return snapshot(booking, fields=AUDITED)


def structure_of(changes):
    """The one structure the changes concern (ValidationError in French if several)."""
    structures = {c.slot.activity.structure_id for c in changes}
    if len(structures) != 1:
        raise ValidationError("Une même demande ne peut concerner qu'une structure à la fois.")
    return changes[0].slot.activity.structure


def acting_for_family(actor, children, structure):
    """False when the actor is the children's own guardian, True for a manager of `structure`
    acting on the family's behalf; PermissionDenied for anyone else."""
    family = family_of(actor)
    if family is not None and all(child.family_id == family.pk for child in children):
        return False
    if is_manager(actor, structure):
        return True
    raise PermissionDenied("Vous ne pouvez pas gérer les réservations de cet enfant.")


def unique(changes):
    """The distinct changes (one per child, slot and day), by day, time and child."""
    seen = {}
    for change in changes:
        seen.setdefault(change.key, change)
    return sorted(seen.values(), key=lambda c: (c.date, c.slot.start_time, c.child.pk))


def validated_enrollments(changes):
    """The validated enrollments the changes' children may have for their activities and days
    (one query; `enrollment_for` picks a change's own)."""
    children = {c.child.pk for c in changes}
    activities = {c.slot.activity_id for c in changes}
    first, last = min(c.date for c in changes), max(c.date for c in changes)
    return list(
        Enrollment.objects.filter(
            child_id__in=children,
            activity_id__in=activities,
            status=Enrollment.VALIDATED,
            start_date__lte=last,
            end_date__gte=first,
        )
    )


def enrollment_for(enrollments, change):
    """The enrollment among `enrollments` covering the change's child, activity and day, or
    None."""
    return next(
        (
            e
            for e in enrollments
            if e.child_id == change.child.pk
            and e.activity_id == change.slot.activity_id
            and e.start_date <= change.date <= e.end_date
        ),
        None,
    )


def _live_bookings(changes):
    """{(child id, slot id, date): the live booking} for the changes' children, slots and days."""
    first, last = min(c.date for c in changes), max(c.date for c in changes)
    rows = Booking.objects.filter(
        child_id__in={c.child.pk for c in changes},
        slot_id__in={c.slot.pk for c in changes},
        date__range=(first, last),
    ).exclude(status=Booking.CANCELLED)
    # of=("self",): the booking rows only (the default ordering joins the slot, whose row a
    # plain FOR UPDATE would lock too, against a manager saving the slot's settings).
    return {(b.child_id, b.slot_id, b.date): b for b in rows.select_for_update(of=("self",))}


def _annual_activities(child):
    """The child's validated annual enrollments, as rules.apc_error wants them."""
    enrollments = Enrollment.objects.filter(
        child=child, status=Enrollment.VALIDATED, activity__kind=Activity.ANNUAL
    ).select_related("activity")
    return [
        (
            e.activity.name,
            e.activity.weekdays,
            e.start_date,
            e.end_date,
            [(s.start_time, s.end_time) for s in e.activity.slots.all()],
        )
        for e in enrollments
    ]


def _closed_message(calendar, activity, slot, day, now):
    """Why a family may no longer book or cancel `slot` on `day` free of charge, as
    (code, message), or None."""
    window = calendar.window(now, activity, slot, day)
    if window == deadlines.STARTED:
        return "started", "La séance a déjà commencé."
    if window == deadlines.LATE:
        limit = deadlines.fr_deadline(calendar.deadline(activity, slot, day))
        return "deadline", f"Les réservations du {rules.fr_day(day)} sont closes depuis le {limit}."
    return None


class Batch:
    """The state one booking transaction works on: loaded once, after the locks."""

    def __init__(self, actor, changes, on_behalf, now, late_seen=None):
        self.actor, self.on_behalf, self.now = actor, on_behalf, now
        self.late_seen = late_seen
        self.calendar = context.load(
            changes[0].slot.activity.structure,
            min(c.date for c in changes),
            max(c.date for c in changes),
        )
        self.slot_days = capacity.lock_slot_days((c.slot.pk, c.date) for c in changes)
        self.enrollments = validated_enrollments(changes)
        self.live = _live_bookings(changes)
        self._annual = {}

    def annual(self, child):
        if child.pk not in self._annual:
            self._annual[child.pk] = _annual_activities(child)
        return self._annual[child.pk]

    def age_groups(self, slot):
        return self.calendar.age_groups.get(slot.pk, [])


def refuse(change, code, message):
    """The Outcome of a change refused for `code` (see Outcome), with its French message."""
    return Outcome(change, REFUSED, message, code=code)


def _book_error(batch, change):
    """The first rule that forbids this booking, as (code, French message); None: it may go
    ahead."""
    child, slot, day = change.child, change.slot, change.date
    activity = slot.activity
    if enrollment_for(batch.enrollments, change) is None:
        return "not_enrolled", (
            f"{child.first_name} n'a pas d'inscription validée à « {activity.name} » "
            f"pour le {rules.fr_day(day)}."
        )
    if not batch.on_behalf and (activity.kind == Activity.ANNUAL or not activity.is_active):
        # Neither is offered in the calendar or the weekly template: a crafted request only.
        return "not_bookable", f"« {activity.name} » ne se réserve pas à la séance."
    closed = batch.calendar.closed_reason(activity, day)
    if closed:
        return "closed", closed
    if not batch.on_behalf:
        not_yet = batch.calendar.not_yet_error(activity, day, batch.now)
        if not_yet:
            return not_yet
        late = _closed_message(batch.calendar, activity, slot, day, batch.now)
        if late:
            return late
    if change.with_apc:
        apc = rules.apc_error(
            day,
            slot_allows_apc=slot.apc_pickup,
            slot_start=slot.start_time,
            slot_end=slot.end_time,
            child_name=child.first_name,
            annual_activities=batch.annual(child),
        )
        if apc:
            return "apc", apc
    return None


def _book_one(batch, change):
    error = _book_error(batch, change)
    if error:
        return refuse(change, *error)
    existing = batch.live.get(change.key)
    if existing is not None and existing.status == Booking.BOOKED:
        return refuse(
            change, "already", f"{change.child.first_name} est déjà inscrit(e) ce jour-là."
        )
    if existing is not None and not batch.on_behalf:
        return refuse(
            change,
            "already",
            f"La séance de {change.child.first_name} ce jour-là a été annulée hors délai ou "
            "déclarée en absence : seule la structure peut la rétablir.",
        )
    if not change.slot.activity.families_may_add and not batch.on_behalf:
        return _ask(batch, change, BookingRequest.ADD)
    full = capacity.full_error(
        change.slot,
        change.date,
        change.child,
        batch.slot_days.get((change.slot.pk, change.date)),
        batch.age_groups(change.slot),
    )
    if full:
        return refuse(change, "full", full)
    if existing is not None:
        return _reinstate(batch, change, existing)
    booking = Booking.objects.create(
        child=change.child,
        slot=change.slot,
        date=change.date,
        enrollment=enrollment_for(batch.enrollments, change),
        with_apc=change.with_apc,
        booked_by=batch.actor,
        booked_on_behalf=batch.on_behalf,
    )
    batch.live[change.key] = booking
    record(
        batch.actor,
        "booking.book_on_behalf" if batch.on_behalf else "booking.book",
        booking,
        family_id=change.child.family_id,
        after=_snap(booking),
    )
    return Outcome(change, BOOKED, "Réservé.", booking, code=BOOKED)


def _reinstate(batch, change, booking):
    """A manager books again a day cancelled late or declared absent: the same row is live."""
    before = _snap(booking)
    booking.status = Booking.BOOKED
    booking.excused, booking.excuse_reason = False, ""
    booking.excused_by = booking.excused_at = None
    booking.cancelled_at = booking.cancelled_by = None
    booking.cancelled_on_behalf = False
    booking.with_apc = change.with_apc
    booking.booked_by, booking.booked_on_behalf = batch.actor, True
    booking.save()
    record(
        batch.actor,
        "booking.book_on_behalf",
        booking,
        family_id=change.child.family_id,
        before=before,
        after=_snap(booking),
    )
    return Outcome(change, BOOKED, "Réservé à nouveau.", booking, code=BOOKED)


def _ask(batch, change, action):
    pending = BookingRequest.objects.filter(
        child=change.child, slot=change.slot, date=change.date, status=BookingRequest.PENDING
    ).first()
    if pending is not None:
        return refuse(change, "pending_request", "Une demande est déjà en attente pour ce jour.")
    request = BookingRequest.objects.create(
        child=change.child,
        slot=change.slot,
        date=change.date,
        action=action,
        with_apc=change.with_apc,
        created_by=batch.actor,
    )
    record(
        batch.actor,
        "booking.request_add" if action == BookingRequest.ADD else "booking.request_cancel",
        request,
        family_id=change.child.family_id,
        after={"slot": str(change.slot), "date": str(change.date)},
    )
    return Outcome(
        change,
        REQUESTED,
        "Demande envoyée : la structure doit la valider.",
        None,
        code=REQUESTED,
    )


def _cancel_one(batch, change):
    booking = batch.live.get(change.key)
    if booking is None or booking.status != Booking.BOOKED:
        return refuse(change, "no_booking", "Il n'y a pas de réservation active ce jour-là.")
    activity = change.slot.activity
    window = batch.calendar.window(batch.now, activity, change.slot, change.date)
    if window == deadlines.STARTED and not batch.on_behalf:
        return refuse(
            change, "started", "La séance a déjà commencé : elle ne peut plus être annulée."
        )
    if not activity.families_may_cancel and not batch.on_behalf:
        return _ask(batch, change, BookingRequest.CANCEL)
    late = window != deadlines.FREE
    if late and _late_unseen(batch, change):
        limit = deadlines.fr_deadline(batch.calendar.deadline(activity, change.slot, change.date))
        return refuse(
            change,
            "deadline",
            f"Le délai d'annulation sans frais est passé depuis l'affichage de la page (le "
            f"{limit}) : rien n'a été annulé. Annulez à nouveau pour une annulation hors délai, "
            "facturée.",
        )
    before = _snap(booking)
    booking.status = Booking.LATE_CANCELLED if late else Booking.CANCELLED
    booking.cancelled_at = batch.now
    booking.cancelled_by = batch.actor
    booking.cancelled_on_behalf = batch.on_behalf
    booking.save()
    record(
        batch.actor,
        "booking.cancel_late" if late else "booking.cancel",
        booking,
        family_id=change.child.family_id,
        before=before,
        after=_snap(booking),
    )
    if late:
        return Outcome(
            change,
            LATE,
            "Annulé hors délai : la séance reste facturée, sauf si la structure l'excuse.",
            booking,
            code=LATE,
        )
    return Outcome(change, CANCELLED, "Annulé sans frais.", booking, code=CANCELLED)


def _give_freed(batch, outcomes):
    """Places freed by these cancellations go to their waiting lists, in this transaction."""
    from . import waitlist

    for key in sorted({(o.change.slot.pk, o.change.date) for o in outcomes if o.ok and o.booking}):
        waitlist.fill(batch.slot_days[key], batch.now)


def _late_unseen(batch, change):
    """A family cancelling late without having been shown that it would be late."""
    return not batch.on_behalf and batch.late_seen is not None and change.key not in batch.late_seen


def apply_changes(actor, *, add=(), cancel=(), now=None, dry_run=False, late_seen=None):
    """Book the `add` changes and cancel the `cancel` ones in one transaction.

    Returns one Outcome per distinct change (cancellations first). Raises PermissionDenied when
    the actor may not act for one of the children, ValidationError when the changes span
    several structures; every other refusal is an Outcome with its reason, and changes nothing.
    `dry_run`: run every check and write, then roll the transaction back (a preview: the
    outcomes say what would happen, and nothing is kept; their bookings are not saved).
    `late_seen`: when given, the keys (Change.key) of the cancellations the family was shown as
    late (billed); any other that has become late since is refused rather than billed.
    """
    now = now or timezone.now()
    add, cancel = unique(add), unique(cancel)
    changes = cancel + add
    if not changes:
        return []
    structure = structure_of(changes)
    on_behalf = acting_for_family(actor, {c.child for c in changes}, structure)
    with transaction.atomic():
        batch = Batch(actor, changes, on_behalf, now, late_seen)
        outcomes = [_cancel_one(batch, c) for c in cancel]
        _give_freed(batch, outcomes)
        outcomes += [_book_one(batch, c) for c in add]
        if dry_run:
            transaction.set_rollback(True)
    return outcomes


def apply_by_structure(actor, *, add=(), cancel=(), **options):
    """apply_changes once per structure the changes concern (a family normally uses one), for
    pages and routes that may mix structures; the outcomes in the same order per structure."""
    groups = {}
    for key, changes in (("add", add), ("cancel", cancel)):
        for change in changes:
            group = groups.setdefault(change.slot.activity.structure_id, {"add": [], "cancel": []})
            group[key].append(change)
    outcomes = []
    for group in groups.values():
        outcomes += apply_changes(actor, **group, **options)
    return outcomes


def book(actor, changes, *, now=None):
    return apply_changes(actor, add=changes, now=now)


def cancel(actor, changes, *, now=None):
    return apply_changes(actor, cancel=changes, now=now)


def change_for(booking):
    return Change(booking.child, booking.slot, booking.date, booking.with_apc)
