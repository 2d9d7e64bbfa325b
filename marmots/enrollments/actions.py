"""Enrollment actions: every channel (portal, back-office, API) calls these.

Each action owns its transaction, re-checks who acts and the state of the request, writes its
audit entry and sends its e-mails once the transaction is committed.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from marmots.activities.models import Activity, Period
from marmots.billing import balances
from marmots.billing.models import BillingSettings
from marmots.billing.money import fr_money
from marmots.bookings import rules as booking_rules
from marmots.bookings.models import Booking
from marmots.core.access import family_of, is_manager
from marmots.core.audit import record, snapshot
from marmots.families.models import Child, FamilyDocument

from . import rules
from .models import Enrollment
from .tasks import send_enrollment_decision

AUDITED = ["child", "activity", "period", "start_date", "end_date", "status", "refusal_reason"]


def _check_requester(actor, family, activity):
    """The family itself, or a manager of the activity's structure that the family uses."""
    if family_of(actor) == family:
        return
    if not (
        is_manager(actor, activity.structure) and family.structures.contains(activity.structure)
    ):
        raise PermissionDenied("Vous ne pouvez pas inscrire cet enfant.")


def _check_decider(actor, enrollment):
    if not is_manager(actor, enrollment.activity.structure):
        raise PermissionDenied("Action réservée au gestionnaire de la structure.")


def _request_errors(child, activity, period, start_date, end_date):
    if not activity.is_active:
        return ["Cette activité n'est plus proposée."]
    errors = []
    if period is not None and period.structure_id != activity.structure_id:
        errors.append("La période choisie ne concerne pas cette activité.")
        period = None
    if activity.kind == Activity.HOLIDAY and (period is None or period.kind != Period.HOLIDAYS):
        errors.append("Choisissez la période de vacances concernée.")
    errors += rules.date_errors(
        start_date,
        end_date,
        today=timezone.localdate(),
        period_start=period.start_date if period else None,
        period_end=period.end_date if period else None,
    )
    if not errors:
        conflict = _apc_conflict(child, activity, start_date, end_date)
        if conflict:
            errors.append(conflict)
    return errors


def _apc_conflict(child, activity, start_date, end_date):
    """R9: an annual activity held while the child is booked for APC pick-up (French message).

    Counts the child's live APC bookings from today within the requested dates, on the
    activity's weekdays, whose slot overlaps one of the activity's slots.
    """
    if activity.kind != Activity.ANNUAL:
        return None
    times = [(s.start_time, s.end_time) for s in activity.slots.all()]
    bookings = Booking.objects.filter(
        child=child,
        status=Booking.BOOKED,
        with_apc=True,
        date__gte=max(start_date, timezone.localdate()),
        date__lte=end_date,
    ).select_related("slot")
    apc_days = [b.date for b in bookings if _meets(b.slot, times)]
    return booking_rules.annual_conflict_error(
        child_name=child.first_name,
        activity_name=activity.name,
        weekdays=activity.weekdays,
        apc_days=apc_days,
    )


def _meets(slot, times):
    """The slot overlaps one of `times` (an activity without slots is held all day)."""
    overlap = booking_rules.times_overlap
    return not times or any(overlap(slot.start_time, slot.end_time, s, e) for s, e in times)


def _overlapping(child, activity, start_date, end_date):
    return Enrollment.objects.filter(
        child=child,
        activity=activity,
        status__in=[Enrollment.PENDING, Enrollment.VALIDATED],
        start_date__lte=end_date,
        end_date__gte=start_date,
    ).exists()


def _duplicate_error(child):
    return ValidationError(
        f"{child.first_name} a déjà une inscription ou une demande en cours pour cette "
        "activité sur ces dates."
    )


def _check_no_overdue(family, structure):
    """The house rules: while the structure asks for it, an overdue invoice blocks new
    requests (the message names the invoices and what remains to pay), unless the family's
    credit at the structure covers it (a balance of zero or less: an unallocated payment)."""
    if not BillingSettings.objects.filter(
        structure=structure, block_enrollment_when_overdue=True
    ).exists():
        return
    overdue = list(balances.overdue_invoices(family, timezone.localdate(), structure))
    if not overdue or balances.balance(family, structure) <= 0:
        return
    listed = " ; ".join(f"{i.reference}, {fr_money(i.outstanding)}" for i in overdue)
    if len(overdue) == 1:
        message = f"Une facture échue reste à régler ({listed}) : réglez-la"
    else:
        message = f"Des factures échues restent à régler ({listed}) : réglez-les"
    raise ValidationError(f"{message} avant de demander une inscription.")


def request_enrollment(
    child, activity, *, start_date, end_date, actor, period=None, comment=""
) -> Enrollment:
    """Record a family's request (pending, shown `?`) for `child` in `activity`."""
    family = child.family
    _check_requester(actor, family, activity)
    if family_of(actor) == family:  # a manager enrolling on the family's behalf is not blocked
        _check_no_overdue(family, activity.structure)
    errors = _request_errors(child, activity, period, start_date, end_date)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Requests for the same child queue here, so the overlap check sees the other's row.
        Child.objects.select_for_update().get(pk=child.pk)
        if _overlapping(child, activity, start_date, end_date):
            raise _duplicate_error(child)
        try:
            with transaction.atomic():
                enrollment = Enrollment.objects.create(
                    child=child,
                    activity=activity,
                    period=period,
                    start_date=start_date,
                    end_date=end_date,
                    comment=(comment or "").strip(),
                    requested_by=actor,
                )
        except IntegrityError:
            raise _duplicate_error(child) from None
        record(actor, "enrollment.request", enrollment, family=family, after=_snap(enrollment))
    return enrollment


def _snap(enrollment):
    return snapshot(enrollment, fields=AUDITED)


def _lock_pending(enrollment):
    locked = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("child__family", "activity__structure", "period")
        .get(pk=enrollment.pk)
    )
    if locked.status != Enrollment.PENDING:
        raise ValidationError(
            f"Cette demande n'est plus en attente (statut : {locked.get_status_display()})."
        )
    return locked


def opening_error(period, now):
    """French message when a holiday period's registrations are not open yet at `now`."""
    if period is None or period.kind != Period.HOLIDAYS or period.registration_opens_at is None:
        return None
    opens = timezone.localtime(period.registration_opens_at)
    if now >= opens:
        return None
    return f"Les inscriptions ouvrent le {opens:%d/%m/%Y} à {opens:%H}h{opens:%M}."


def _link_structure(family, structure, actor):
    """A validated enrollment makes the family one of the structure's families (audited)."""
    if family.structures.filter(pk=structure.pk).exists():
        return
    family.structures.add(structure)
    record(
        actor,
        "family.structure_added",
        structure,
        family=family,
        after={"structure": structure.name},
    )


def _decide(enrollment, actor, status, action, reason="", *, system=False, now=None):
    """`system`: the decision is the application's own (no actor, no manager check)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_pending(enrollment)
        if not system:
            _check_decider(actor, locked)
        if status == Enrollment.VALIDATED:
            # The APC check again: the child may have been booked with APC since the request.
            error = opening_error(locked.period, now) or _apc_conflict(
                locked.child, locked.activity, locked.start_date, locked.end_date
            )
            if error:
                raise ValidationError(error)
        before = _snap(locked)
        locked.status = status
        locked.refusal_reason = reason
        locked.decided_by = actor
        locked.decided_at = now
        locked.save(update_fields=["status", "refusal_reason", "decided_by", "decided_at"])
        record(
            actor, action, locked, family=locked.child.family, before=before, after=_snap(locked)
        )
        if status == Enrollment.VALIDATED:
            _link_structure(locked.child.family, locked.activity.structure, actor)
        transaction.on_commit(lambda: send_enrollment_decision.enqueue(locked.pk))
    enrollment.refresh_from_db()
    return enrollment


def validate_enrollment(enrollment, actor):
    """The manager validates a pending request (`?` becomes `V`); the family is e-mailed."""
    return _decide(enrollment, actor, Enrollment.VALIDATED, "enrollment.validate")


def validate_at_opening(enrollment, *, now=None):
    """The system validates a pending holiday request when its period opens (the activity
    says so and the file is complete: see `bookings.opening`). No actor; same checks, audit
    entry and e-mail as the manager's validation."""
    return _decide(
        enrollment, None, Enrollment.VALIDATED, "enrollment.auto_validate", system=True, now=now
    )


def refuse_enrollment(enrollment, actor, reason):
    """The manager refuses a pending request, with a reason the family reads."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Indiquez le motif du refus : la famille le lira.")
    return _decide(enrollment, actor, Enrollment.REFUSED, "enrollment.refuse", reason)


def cancel_enrollment_request(enrollment, actor):
    """The family withdraws a request the manager has not decided yet."""
    with transaction.atomic():
        locked = _lock_pending(enrollment)
        if family_of(actor) != locked.child.family:
            raise PermissionDenied("Seule la famille peut retirer sa demande.")
        before = _snap(locked)
        locked.status = Enrollment.CANCELLED
        locked.save(update_fields=["status"])
        record(
            actor,
            "enrollment.cancel",
            locked,
            family=locked.child.family,
            before=before,
            after=_snap(locked),
        )
    enrollment.refresh_from_db()
    return enrollment


def file_status(family, activity, on_date, *, child=None):
    """What the family's file lacks for `activity` on `on_date` (French messages).

    With `child`, per-child documents and information are checked for that child only;
    otherwise for every child of the family.
    """
    required_types = list(activity.required_documents.all())
    documents = list(
        FamilyDocument.objects.for_family(family).filter(doc_type__in=required_types)
        if required_types
        else []
    )
    children = [child] if child is not None else list(family.children.all())
    has_quotient = family.quotients.filter(
        valid_from__lte=on_date, valid_until__gte=on_date
    ).exists()
    return rules.file_problems(
        required_types=required_types,
        documents=documents,
        children=children,
        on_date=on_date,
        has_quotient=has_quotient,
    )
