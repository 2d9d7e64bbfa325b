"""Families' requests: the days they ask for, replaced until the closing date, or withdrawn.

A request keeps the date it was first sent (`created_at`) when the family changes its days:
that date breaks ties between requests of equal score.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.activities.models import Period
from marmots.core.access import family_of, is_manager
from marmots.core.audit import record

from . import checks, common
from .models import Allocation, AllocationRequest, AllocationWish


def save_request(
    actor,
    period,
    wishes,
    *,
    declares_working=False,
    declares_special_needs=False,
    note="",
    now=None,
):
    now = now or timezone.now()
    wishes = list(wishes)
    if not wishes:
        raise ValidationError("Choisissez au moins un jour.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(f"Les précisions tiennent en {NOTE_MAX} caractères au plus.")
    family = checks.family_for(actor, period, {w.child for w in wishes})
    with transaction.atomic():
        period = (
            Period.objects.select_for_update(of=("self",))
            .select_related("structure")
            .get(pk=period.pk)
        )
        allocation = Allocation.objects.select_for_update().filter(period=period).first()
        checks.open_for_requests(period, allocation, now)
        checks.wishes(period, wishes)
        if allocation is None:
            allocation = Allocation.objects.create(period=period)
        request = (
            AllocationRequest.objects.select_for_update()
            .filter(allocation=allocation, family=family, status=AllocationRequest.ACTIVE)
            .first()
        )
        before = _request_snap(request) if request is not None else None
        if request is None:
            request = AllocationRequest(
                allocation=allocation, family=family, created_at=now, created_by=actor
            )
        request.declares_working = bool(declares_working)
        request.declares_special_needs = bool(declares_special_needs)
        request.note = note
        request.save()
        request.wishes.all().delete()
        AllocationWish.objects.bulk_create(
            AllocationWish(
                request=request, child=w.child, slot=w.slot, date=w.date, preference=w.preference
            )
            for w in wishes
        )
        record(
            actor,
            "allocation.request",
            request,
            family=family,
            before=before,
            after=_request_snap(request),
        )
    return request


NOTE_MAX = 500


def _request_snap(request):
    wishes = request.wishes.order_by("date", "slot__start_time", "child_id")
    return {
        "declares_working": request.declares_working,
        "declares_special_needs": request.declares_special_needs,
        "note": request.note,
        "wishes": [
            f"{w.child.first_name} {w.date.isoformat()} {w.slot.label} (choix {w.preference})"
            for w in wishes.select_related("child", "slot")
        ],
    }


def withdraw_request(actor, request, *, now=None):
    period = request.allocation.period
    family = family_of(actor)
    if (family is None or family.pk != request.family_id) and not is_manager(
        actor, period.structure
    ):
        raise PermissionDenied("Cette demande n'est pas la vôtre.")
    with transaction.atomic():
        allocation = common.locked(request.allocation)
        locked = AllocationRequest.objects.select_for_update().get(pk=request.pk)
        if allocation.status == Allocation.CONFIRMED:
            raise ValidationError(
                "Les places sont déjà attribuées : annulez les réservations obtenues ou quittez "
                "les listes d'attente depuis vos réservations."
            )
        if locked.status != AllocationRequest.ACTIVE:
            raise ValidationError("Cette demande est déjà retirée.")
        locked.status = AllocationRequest.WITHDRAWN
        locked.save(update_fields=["status", "updated_at"])
        record(
            actor,
            "allocation.withdraw",
            locked,
            family_id=locked.family_id,
            before={"status": AllocationRequest.ACTIVE},
            after={"status": locked.status},
        )
    request.status = locked.status
    return request
