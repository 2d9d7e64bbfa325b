"""Requests: where an activity lets families only ask, the manager books or cancels for them."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.core.access import family_of, is_manager
from marmots.core.audit import record

from . import actions
from .models import BookingRequest


def _locked_pending(request):
    locked = (
        BookingRequest.objects.select_for_update(of=("self",))
        .select_related("child", "slot__activity__structure")
        .get(pk=request.pk)
    )
    if locked.status != BookingRequest.PENDING:
        raise ValidationError("Cette demande a déjà été traitée.")
    return locked


AUDIT_ACTIONS = {
    BookingRequest.ACCEPTED: "booking_request.accepted",
    BookingRequest.REFUSED: "booking_request.refused",
    BookingRequest.WITHDRAWN: "booking_request.withdrawn",
}


def _close(actor, locked, status, reason, now):
    locked.status, locked.reason = status, reason
    locked.decided_by, locked.decided_at = actor, now
    locked.save()
    record(
        actor,
        AUDIT_ACTIONS[status],
        locked,
        family_id=locked.child.family_id,
        after={"status": status, "reason": reason},
    )


def decide_request(actor, request, *, accept, reason="", now=None):
    """Accept (the booking or cancellation is made on the family's behalf) or refuse."""
    now = now or timezone.now()
    reason = (reason or "").strip()[:300]
    if not accept and not reason:
        raise ValidationError("Indiquez le motif du refus : la famille le lira.")
    with transaction.atomic():
        locked = _locked_pending(request)
        if not is_manager(actor, locked.slot.activity.structure):
            raise PermissionDenied("Action réservée au gestionnaire de la structure.")
        if accept:
            change = actions.Change(locked.child, locked.slot, locked.date, locked.with_apc)
            key = "add" if locked.action == BookingRequest.ADD else "cancel"
            (outcome,) = actions.apply_changes(actor, now=now, **{key: [change]})
            if not outcome.ok:
                raise ValidationError(outcome.message)
        _close(
            actor,
            locked,
            BookingRequest.ACCEPTED if accept else BookingRequest.REFUSED,
            reason,
            now,
        )
    return locked


def withdraw_request(actor, request, *, now=None):
    """The family withdraws a request the manager has not handled yet."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_pending(request)
        if family_of(actor) is None or family_of(actor).pk != locked.child.family_id:
            raise PermissionDenied("Seule la famille peut retirer sa demande.")
        _close(actor, locked, BookingRequest.WITHDRAWN, "", now)
    return locked
