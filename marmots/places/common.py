"""What the allocation actions share: locks, the active requests as the screens show them."""

from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch

from marmots.activities.models import Period

from . import ranking
from .models import Allocation, AllocationRequest, AllocationWish

# Rows per UPDATE of a bulk_update: one CASE over thousands of rows costs PostgreSQL more than
# linear time (benchmarks/places.py measured it); batches keep the whole linear.
BATCH = 500


def points_of(allocation):
    """{criterion code: points} of the allocation."""
    return {code: getattr(allocation, f"points_{code}") for code in ranking.CODES}


def locked(allocation):
    """The allocation, locked after its period: every allocation action (and `configure`)
    takes the period's row first, then the allocation's, so that none waits on another in a
    circle."""
    Period.objects.select_for_update().filter(pk=allocation.period_id).first()
    return (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("period__structure")
        .get(pk=allocation.pk)
    )


def check_not_confirmed(allocation):
    if allocation.status == Allocation.CONFIRMED:
        raise ValidationError(
            f"L'attribution des places de « {allocation.period.name} » est déjà confirmée."
        )


def active_requests(allocation):
    """The active requests in rank order (unranked ones last, by date), wishes loaded."""
    wishes = AllocationWish.objects.select_related(
        "child", "slot__activity", "waitlist_entry", "booking"
    ).order_by("date", "slot__start_time", "child__first_name", "child_id")
    return (
        AllocationRequest.objects.filter(allocation=allocation, status=AllocationRequest.ACTIVE)
        .select_related("family")
        .prefetch_related(Prefetch("wishes", queryset=wishes))
        .order_by(F("rank").asc(nulls_last=True), "created_at", "id")
    )


def slots_of(requests):
    return {w.slot_id: w.slot for r in requests for w in r.wishes.all()}


def names(children):
    names = [c.first_name for c in children]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]
