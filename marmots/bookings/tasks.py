"""Background work for bookings: the reminder sent the day before a holiday period opens, and
the waiting-list e-mails (a place offered, a place booked), sent after commit and only while the
entry is still in the state they announce."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django_tasks import task

from marmots.enrollments.models import Enrollment
from marmots.portal.frdates import long_datetime

from .models import OpeningReminder


def reminder_context(reminder):
    period = reminder.period
    enrollments = (
        Enrollment.objects.for_family(reminder.family)
        .filter(period=period, status__in=[Enrollment.PENDING, Enrollment.VALIDATED])
        .select_related("child", "activity")
        .order_by("child__first_name", "activity__name")
    )
    return {
        "period": period,
        "structure": period.structure,
        "opens": long_datetime(period.registration_opens_at),
        "enrollments": list(enrollments),
        "portal_url": f"{settings.SITE_URL}/portail/reservations/",
    }


@task()
def send_opening_reminder(reminder_id):
    """E-mail each guardian of the family (one message each): registrations open tomorrow."""
    reminder = OpeningReminder.objects.select_related("period__structure", "family").get(
        pk=reminder_id
    )
    guardians = reminder.family.guardians.filter(
        user__isnull=False, user__is_active=True
    ).select_related("user")
    context = reminder_context(reminder)
    body = render_to_string("bookings/emails/opening_reminder.txt", context)
    period = reminder.period
    subject = f"Les réservations pour « {period.name} » ouvrent demain – {period.structure.name}"
    messages = [EmailMessage(subject, body, to=[g.user.email]) for g in guardians if g.user.email]
    return get_connection().send_messages(messages) or 0


OFFER_PATH = "/portail/liste-attente/offre/{token}/"
WAITLIST_PATH = "/portail/liste-attente/"


def _guardian_messages(family, subject, body):
    guardians = family.guardians.filter(user__isnull=False, user__is_active=True).select_related(
        "user"
    )
    return [EmailMessage(subject, body, to=[g.user.email]) for g in guardians if g.user.email]


def _waitlist_context(entry):
    from marmots.portal.frdates import long_date

    return {
        "entry": entry,
        "child": entry.child,
        "structure": entry.slot.activity.structure,
        "day": long_date(entry.date),
        "expires": long_datetime(entry.offer_expires_at) if entry.offer_expires_at else "",
        "offer_url": settings.SITE_URL.rstrip("/") + OFFER_PATH.format(token=entry.token),
        "waitlist_url": settings.SITE_URL.rstrip("/") + WAITLIST_PATH,
    }


def _send_waitlist(entry_id, status, template, subject):
    from .models import WaitlistEntry

    entry = (
        WaitlistEntry.objects.select_related("child__family", "slot__activity__structure")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None or entry.status != status:
        return 0  # answered or passed on before the e-mail went out
    context = _waitlist_context(entry)
    body = render_to_string(template, context)
    subject = f"{subject} – {entry.child.first_name}, {context['day']}"
    return get_connection().send_messages(_guardian_messages(entry.child.family, subject, body))


@task()
def send_waitlist_offer(entry_id):
    """E-mail the guardians: a place is offered until a deadline, with the accept/decline link."""
    return (
        _send_waitlist(
            entry_id, "offered", "bookings/emails/waitlist_offer.txt", "Une place s'est libérée"
        )
        or 0
    )


@task()
def send_waitlist_booked(entry_id):
    """E-mail the guardians: a place freed was booked for their child (no offer asked)."""
    return (
        _send_waitlist(entry_id, "booked", "bookings/emails/waitlist_booked.txt", "Place obtenue")
        or 0
    )
