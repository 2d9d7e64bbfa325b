"""Absences and excuses: a child falls ill, a late cancellation is forgiven.

The family declares an illness from the portal until the session starts (even the same
morning) and attaches the medical certificate then or within the structure's
`certificate_days` after the day. With the certificate the booking is excused at once or once
the manager approves it, as the structure chose. The manager may excuse any late cancellation
or absence with a reason. Each action owns its transaction and audit entry.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.core.access import is_manager
from marmots.core.audit import record, snapshot
from marmots.families.files import check_upload, stored_name

from . import capacity, context, deadlines, rules, waitlist
from .actions import AUDITED, acting_for_family
from .models import Booking

CERTIFICATE_REASON = "Maladie : certificat médical fourni."


def _locked(booking):
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("child", "slot__activity__structure")
        .get(pk=booking.pk)
    )


def _audit(actor, action, booking, before):
    record(
        actor,
        action,
        booking,
        family_id=booking.child.family_id,
        before=before,
        after=_snap(booking),
    )


def _snap(booking):
    return snapshot(booking, fields=AUDITED + ["certificate"])


def certificate_due(booking):
    """The last day the certificate can be attached."""
    structure = booking.slot.activity.structure
    return booking.date + datetime.timedelta(days=structure.certificate_days)


def _store_certificate(booking, uploaded, actor, now):
    mime = check_upload(uploaded)
    booking.certificate.save(stored_name(mime), uploaded, save=False)
    booking.certificate_uploaded_at = now
    if booking.slot.activity.structure.certificate_auto_excuse:
        booking.excused = True
        booking.excuse_reason = CERTIFICATE_REASON
        booking.excused_by = actor
        booking.excused_at = now


def declare_absence(actor, booking, certificate=None, *, now=None):
    """The child is ill: the booking stays billable until a certificate excuses it.

    Declared while the day can still be cancelled free of charge, the booking is simply
    cancelled free (status cancelled): no certificate is needed then. Where families may only
    ask to cancel, it is recorded as an absence even then (a free cancellation is the
    manager's decision).
    """
    now = now or timezone.now()
    if certificate is not None:
        check_upload(certificate)
    with transaction.atomic():
        key = (booking.slot_id, booking.date)
        slot_day = capacity.lock_slot_days([key])[key]  # before the booking: the booking order
        locked = _locked(booking)
        on_behalf = acting_for_family(actor, [locked.child], locked.slot.activity.structure)
        if locked.status != Booking.BOOKED:
            raise ValidationError("Cette réservation n'est plus active.")
        started = deadlines.session_start(locked.date, locked.slot.start_time)
        if now >= started and not on_behalf:
            raise ValidationError("La séance a déjà commencé : prévenez directement la structure.")
        before = _snap(locked)
        may_cancel = on_behalf or locked.slot.activity.families_may_cancel
        free = may_cancel and now < _deadline(locked)
        locked.status = Booking.CANCELLED if free else Booking.ABSENT
        locked.cancelled_at, locked.cancelled_by = now, actor
        locked.cancelled_on_behalf = on_behalf
        if certificate is not None and not free:
            _store_certificate(locked, certificate, actor, now)
        locked.save()
        _audit(actor, "booking.cancel" if free else "booking.absence", locked, before)
        waitlist.fill(slot_day, now)  # the place goes to the next in line
    return locked


def _deadline(booking):
    activity = booking.slot.activity
    calendar = context.load(activity.structure, booking.date, booking.date)
    return calendar.deadline(activity, booking.slot, booking.date)


def attach_certificate(actor, booking, certificate, *, now=None):
    """Attach the medical certificate of a declared absence, within the days allowed."""
    now = now or timezone.now()
    check_upload(certificate)
    with transaction.atomic():
        locked = _locked(booking)
        on_behalf = acting_for_family(actor, [locked.child], locked.slot.activity.structure)
        if locked.status != Booking.ABSENT:
            raise ValidationError("Déclarez d'abord l'absence de l'enfant pour ce jour.")
        if locked.excused:
            raise ValidationError("Cette absence est déjà excusée.")
        due = certificate_due(locked)
        if timezone.localdate(now) > due and not on_behalf:
            raise ValidationError(
                f"Le délai pour fournir le certificat est dépassé (jusqu'au {rules.fr_day(due)})."
            )
        before = _snap(locked)
        _store_certificate(locked, certificate, actor, now)
        locked.save()
        _audit(actor, "booking.certificate", locked, before)
    return locked


def excuse(actor, booking, reason, *, now=None):
    """The manager excuses a late cancellation or an absence: it is no longer billed."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Indiquez le motif de l'excuse.")
    with transaction.atomic():
        locked = _locked(booking)
        if not is_manager(actor, locked.slot.activity.structure):
            raise PermissionDenied("Action réservée au gestionnaire de la structure.")
        if locked.status not in (Booking.LATE_CANCELLED, Booking.ABSENT):
            raise ValidationError(
                "Seules une annulation hors délai ou une absence peuvent être excusées."
            )
        if locked.excused:
            raise ValidationError("Cette réservation est déjà excusée.")
        before = _snap(locked)
        locked.excused, locked.excuse_reason = True, reason[:300]
        locked.excused_by, locked.excused_at = actor, now
        locked.save()
        _audit(actor, "booking.excuse", locked, before)
    return locked


def approve_certificate(actor, booking, *, now=None):
    """The manager accepts the certificate attached to an absence."""
    if not booking.certificate:
        raise ValidationError("Aucun certificat n'a été joint à cette absence.")
    return excuse(actor, booking, CERTIFICATE_REASON, now=now)
