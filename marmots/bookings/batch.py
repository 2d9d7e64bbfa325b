"""A batch of calendar changes as the family confirms them: what to book and cancel, and how
the summary page describes each line (free, late and billed, on request...), plus the family's
pending requests and absences awaiting a certificate."""

from dataclasses import dataclass

from . import context, deadlines
from .models import Booking, BookingRequest
from .month import cell_key


@dataclass
class Line:
    """One change of a batch as the summary shows it."""

    change: object
    note: str = ""
    warning: bool = False
    late: bool = False  # shown as a late (billed) cancellation

    @property
    def key(self):
        """The cell's form value (see cell_key)."""
        return cell_key(self.change.child.pk, self.change.slot.pk, self.change.date)


def plan(shown, wanted):
    """(adds, cancels) turning the live bookings into the wanted state.

    `shown`: Changes of the editable cells the page showed (only these may be cancelled);
    `wanted`: Changes of the cells ticked. One query.
    """
    everything = list(shown) + list(wanted)
    if not everything:
        return [], []
    booked = set(
        Booking.objects.filter(
            child_id__in={c.child.pk for c in everything},
            slot_id__in={c.slot.pk for c in everything},
            date__range=(min(c.date for c in everything), max(c.date for c in everything)),
            status=Booking.BOOKED,
        ).values_list("child_id", "slot_id", "date")
    )
    wanted_keys = {c.key for c in wanted}
    adds = [c for c in wanted if c.key not in booked]
    cancels = [c for c in shown if c.key in booked and c.key not in wanted_keys]
    return adds, cancels


def _calendars_for(changes):
    structures = {c.slot.activity.structure_id: c.slot.activity.structure for c in changes}
    first, last = min(c.date for c in changes), max(c.date for c in changes)
    return {pk: context.load(st, first, last) for pk, st in structures.items()}


def _add_line(change):
    notes = []
    if not change.slot.activity.families_may_add:
        notes.append("sur demande : la structure doit la valider")
    if change.with_apc:
        notes.append("avec récupération à la fin des APC")
    return Line(change, ", ".join(notes))


def _cancel_line(change, calendar, now):
    activity = change.slot.activity
    window = calendar.window(now, activity, change.slot, change.date)
    if window == deadlines.STARTED:
        return Line(change, "séance commencée : elle ne peut plus être annulée", True)
    if not activity.families_may_cancel:
        return Line(change, "sur demande : la structure doit la valider")
    if window == deadlines.LATE:
        return Line(change, "hors délai : facturé", True, late=True)
    return Line(change, "sans frais")


def describe(adds, cancels, now):
    """([Line] to book, [Line] to cancel) for the summary page."""
    calendars = _calendars_for(list(adds) + list(cancels)) if cancels else {}
    return (
        [_add_line(c) for c in adds],
        [_cancel_line(c, calendars[c.slot.activity.structure_id], now) for c in cancels],
    )


def pending_requests(family):
    """The family's booking requests the manager has not handled yet."""
    return (
        BookingRequest.objects.for_family(family)
        .filter(status=BookingRequest.PENDING)
        .select_related("child", "slot__activity")
    )


def absences_awaiting(family):
    """Declared absences not excused yet: the certificate is due or awaits the manager."""
    return (
        Booking.objects.for_family(family)
        .filter(status=Booking.ABSENT, excused=False)
        .select_related("child", "slot__activity__structure")
    )
