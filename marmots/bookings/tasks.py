"""Background work for bookings: the reminder sent the day before a holiday period opens, and
the waiting-list e-mails (a place offered, a place booked), sent after commit and only while the
entry is still in the state they announce."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import timezone
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
BOOKING_PATH = "/portail/reservations/{pk}/"


def _guardian_messages(family, subject, body):
    guardians = family.guardians.filter(user__isnull=False, user__is_active=True).select_related(
        "user"
    )
    return [EmailMessage(subject, body, to=[g.user.email]) for g in guardians if g.user.email]


def _names(entries):
    names = [e.child.first_name for e in entries]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


def _waitlist_context(entries):
    from marmots.portal.frdates import long_date

    site = settings.SITE_URL.rstrip("/")
    for entry in entries:
        entry.offer_url = site + OFFER_PATH.format(token=entry.token)
        entry.booking_url = site + BOOKING_PATH.format(pk=entry.booking_id)
        entry.expires = long_datetime(entry.offer_expires_at) if entry.offer_expires_at else ""
    first = entries[0]
    return {
        "entries": entries,
        "entry": first,
        "child": first.child,
        "names": _names(entries),
        "structure": first.slot.activity.structure,
        "day": long_date(first.date),
        "expires": first.expires,
        "same_expiry": len({e.offer_expires_at for e in entries}) == 1,
        "waitlist_url": site + WAITLIST_PATH,
    }


def _send_waitlist(entry_ids, status, template, subjects):
    """E-mail the guardians about the entries `entry_ids` (one child, or siblings of one line
    served together) still in `status` (an offer: still open, its deadline not passed even if
    the cron has not expired it yet, the worker running late); `subjects`: (one child, several).
    """
    from .models import WaitlistEntry

    ids = [entry_ids] if isinstance(entry_ids, int) else list(entry_ids)
    entries = WaitlistEntry.objects.filter(pk__in=ids, status=status)
    if status == WaitlistEntry.OFFERED:
        entries = entries.filter(offer_expires_at__gt=timezone.now())
    entries = list(
        entries.select_related("child__family", "slot__activity__structure").order_by(
            "child__first_name", "pk"
        )
    )
    if not entries:
        return 0  # answered or passed on before the e-mail went out
    context = _waitlist_context(entries)
    body = render_to_string(template, context)
    subject = f"{subjects[len(entries) > 1]} – {context['names']}, {context['day']}"
    family = entries[0].child.family
    return get_connection().send_messages(_guardian_messages(family, subject, body))


@task()
def send_waitlist_offer(entry_ids):
    """E-mail the guardians: a place (one per child of a group of siblings, in one message) is
    offered until a deadline, with each child's accept/decline link."""
    subjects = ("Une place s'est libérée", "Des places se sont libérées")
    return _send_waitlist(entry_ids, "offered", "bookings/emails/waitlist_offer.txt", subjects) or 0


@task()
def send_waitlist_booked(entry_ids):
    """E-mail the guardians: a place freed was booked for their child (or each of the siblings
    waiting together), no offer asked, with a link to each booking."""
    subjects = ("Place obtenue", "Places obtenues")
    return _send_waitlist(entry_ids, "booked", "bookings/emails/waitlist_booked.txt", subjects) or 0
