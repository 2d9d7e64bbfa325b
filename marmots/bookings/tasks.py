"""Background work for bookings: the reminder sent the day before a holiday period opens."""

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
