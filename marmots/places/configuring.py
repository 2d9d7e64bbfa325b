"""The manager's settings of a period's places: mode, closing date of requests, points."""

from django.core.exceptions import ValidationError
from django.db import transaction

from marmots.activities.models import Period
from marmots.core.audit import record

from . import checks, common
from .models import Allocation, AllocationRequest


def configure(actor, period, *, mode, requests_close_at=None, points=None, now=None):
    checks.manager(actor, period.structure)
    if mode not in (Period.FIRST_COME, Period.ALLOCATION):
        raise ValidationError("Choisissez un mode d'attribution des places.")
    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        allocation = Allocation.objects.select_for_update().filter(period=locked).first()
        if locked.allocated_at is not None or (
            allocation is not None and allocation.status == Allocation.CONFIRMED
        ):
            raise ValidationError(
                f"L'attribution des places de « {locked.name} » est confirmée : ses réglages ne "
                "peuvent plus changer."
            )
        wanted = checks.points(points, allocation)
        if mode == Period.ALLOCATION:
            checks.close_date(locked, requests_close_at)
        elif allocation is not None:
            active = allocation.requests.filter(status=AllocationRequest.ACTIVE).count()
            if active:
                raise ValidationError(
                    f"{active} demande{'s' if active > 1 else ''} de famille"
                    f"{'s' if active > 1 else ''} en cours pour « {locked.name} » : le premier "
                    "arrivé, premier servi n'est plus possible. Attribuez les places, ou "
                    "retirez d'abord les demandes."
                )
        before = _settings(locked, allocation)
        locked.places_mode = mode
        locked.requests_close_at = requests_close_at if mode == Period.ALLOCATION else None
        locked.save(update_fields=["places_mode", "requests_close_at"])
        if allocation is None and mode == Period.ALLOCATION:
            allocation = Allocation(period=locked)
        if allocation is not None:
            for code, value in wanted.items():
                setattr(allocation, f"points_{code}", value)
            after = _settings(locked, allocation)
            if allocation.status == Allocation.PROPOSED and after != before:
                allocation.status = Allocation.COLLECTING  # the proposal is to compute again
            allocation.save()
        record(
            actor,
            "allocation.settings",
            allocation or locked,
            before=before,
            after=_settings(locked, allocation),
        )
    period.places_mode, period.requests_close_at = locked.places_mode, locked.requests_close_at
    return allocation


def _settings(period, allocation):
    data = {
        "places_mode": period.places_mode,
        "requests_close_at": (
            period.requests_close_at.isoformat() if period.requests_close_at else None
        ),
    }
    if allocation is not None:
        data["points"] = common.points_of(allocation)
    return data
