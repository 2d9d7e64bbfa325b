"""The proposal: ranking the requests, granting days within the places, adjusting by hand,
and the view the allocation screen shows."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.activities.models import Period
from marmots.bookings.deadlines import fr_deadline
from marmots.bookings.rules import age_on, fr_day
from marmots.core.audit import record

from . import actions, checks, common, facts, ranking, reasons
from . import proposal as rules
from .models import Allocation, AllocationRequest, AllocationWish


def propose(actor, allocation, *, now=None):
    now = now or timezone.now()
    checks.manager(actor, allocation.period.structure)
    with transaction.atomic():
        allocation = common.locked(allocation)
        period = allocation.period
        common.check_not_confirmed(allocation)
        if period.places_mode != Period.ALLOCATION:
            raise ValidationError(
                f"Les places de « {period.name} » se réservent au fil de l'eau (premier arrivé, "
                "premier servi) : il n'y a rien à attribuer."
            )
        if now < period.requests_close_at:
            raise ValidationError(
                f"Les familles font leurs demandes jusqu'au {fr_deadline(period.requests_close_at)}"
                " : la proposition se calcule après la clôture."
            )
        requests = list(common.active_requests(allocation))
        met = facts.criteria(period, requests)
        ranked = ranking.rank(
            [ranking.Candidate(r.pk, r.created_at, met[r.pk]) for r in requests],
            common.points_of(allocation),
        )
        by_id = {r.pk: r for r in requests}
        for result in ranked:
            request = by_id[result.id]
            request.score, request.rank, request.criteria = (
                result.score,
                result.rank,
                result.as_json(),
            )
        AllocationRequest.objects.bulk_update(
            requests, ["score", "rank", "criteria"], batch_size=common.BATCH
        )
        rooms = facts.rooms(period.structure, common.slots_of(requests), facts.days(requests))
        refused = facts.unhosted(requests, rooms)
        units, grouped = facts.units(requests, leave_out=[w.pk for w, _ in refused])
        granted = rules.allocate(units, rooms)
        wishes = []
        for key, unit_wishes in grouped.items():
            for wish in unit_wishes:
                wish.proposed, wish.outcome, wish.reason = key in granted, "", ""
                wishes.append(wish)
        for wish, age in refused:
            wish.proposed, wish.outcome = False, AllocationWish.REFUSED
            wish.reason = reasons.no_group(age)
            wishes.append(wish)
        for wish in wishes:
            wish.adjusted_by = wish.adjusted_at = None
        AllocationWish.objects.bulk_update(
            wishes,
            ["proposed", "outcome", "reason", "adjusted_by", "adjusted_at"],
            batch_size=common.BATCH,
        )
        allocation.status = Allocation.PROPOSED
        allocation.proposed_at, allocation.proposed_by = now, actor
        allocation.save(update_fields=["status", "proposed_at", "proposed_by"])
        record(
            actor,
            "allocation.propose",
            allocation,
            after={
                "requests": len(requests),
                "granted": sum(1 for w in wishes if w.proposed),
                "waiting": sum(1 for w in wishes if not w.proposed and not w.outcome),
                "refused": len(refused),
            },
        )
    return view(allocation)


def adjust(actor, wish, granted, *, now=None):
    now = now or timezone.now()
    request = wish.request
    allocation = request.allocation
    structure = allocation.period.structure
    checks.manager(actor, structure)
    with transaction.atomic():
        allocation = common.locked(allocation)
        common.check_not_confirmed(allocation)
        if allocation.status != Allocation.PROPOSED:
            raise ValidationError("Calculez d'abord la proposition.")
        request.refresh_from_db(fields=["status"])
        if request.status != AllocationRequest.ACTIVE:
            raise ValidationError("Cette demande a été retirée par la famille.")
        same_day = AllocationWish.objects.filter(slot_id=wish.slot_id, date=wish.date)
        unit = list(same_day.filter(request=request).select_related("child").order_by("child_id"))
        _check_not_refused(next(w for w in unit if w.pk == wish.pk))
        unit = [w for w in unit if w.outcome != AllocationWish.REFUSED]
        names = common.names(w.child for w in unit)
        if granted:
            others = same_day.filter(
                request__allocation=allocation,
                request__status=AllocationRequest.ACTIVE,
                proposed=True,
            ).exclude(request=request)
            births = others.values_list("child__birth_date", flat=True)
            room = facts.rooms(structure, {wish.slot_id: wish.slot}, [(wish.slot_id, wish.date)])
            room = room[(wish.slot_id, wish.date)]
            held = room.taken_ages + tuple(age_on(b, wish.date) for b in births)
            ages = tuple(w.child.age_on(wish.date) for w in unit)
            if rules.blocker(room, held, ages) is not None:
                raise ValidationError(
                    f"Plus de place le {fr_day(wish.date)} pour {names} : retirez d'abord une "
                    "autre attribution."
                )
        before = {"proposed": [w.proposed for w in unit]}
        AllocationWish.objects.filter(pk__in=[w.pk for w in unit]).update(
            proposed=bool(granted), adjusted_by=actor, adjusted_at=now
        )
        record(
            actor,
            "allocation.adjust",
            wish,
            family_id=request.family_id,
            before=before,
            after={
                "proposed": bool(granted),
                "children": names,
                "slot": str(wish.slot),
                "date": wish.date.isoformat(),
            },
        )
    return view(allocation)


def _check_not_refused(wish):
    if wish.outcome == AllocationWish.REFUSED:
        raise ValidationError(
            f"{wish.child.first_name}, {fr_day(wish.date)} : {wish.reason} Ce jour ne peut pas "
            "être attribué (recalculez la proposition si les tranches d'âge ont changé)."
        )


def view(allocation):
    """The ProposalView; once confirmed, `taken` leaves out the allocation's own bookings and
    `granted` counts the days booked."""
    requests = list(common.active_requests(allocation))
    confirmed = allocation.status == Allocation.CONFIRMED
    refused = [
        w.pk for r in requests for w in r.wishes.all() if w.outcome == AllocationWish.REFUSED
    ]
    units, grouped = facts.units(requests, leave_out=refused)
    excluding = None
    if confirmed:
        excluding = AllocationWish.objects.filter(
            request__allocation=allocation, booking__isnull=False
        ).values("booking_id")
    slots = common.slots_of(requests)
    rooms = facts.rooms(
        allocation.period.structure, slots, {u.day for u in units}, excluding=excluding
    )
    granted = {
        key
        for key, wishes in grouped.items()
        if all((w.outcome == AllocationWish.BOOKED) if confirmed else w.proposed for w in wishes)
    }
    fills = rules.fill_rates(units, rooms, granted)
    days = [
        actions.DayFill(slots[slot_id], day, f.places, f.taken, f.granted, f.asked)
        for (slot_id, day), f in fills.items()
    ]
    days.sort(key=lambda d: (d.date, d.slot.start_time, d.slot.pk))
    return actions.ProposalView(allocation, requests, days)
