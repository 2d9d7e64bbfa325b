"""The secret address of a family's iCalendar feed: created, renewed, looked up.

Renewing replaces the secret: the old address stops working at once. The secret never goes
into the audit log.
"""

import datetime
import secrets

from django.db import transaction
from django.utils import timezone

from marmots.core.audit import record

from . import ical
from .models import Booking, CalendarFeed

HISTORY_DAYS = 60


def new_secret():
    return secrets.token_urlsafe(32)


def feed_of(family):
    """The family's feed, or None while it never asked for one."""
    return CalendarFeed.objects.filter(family=family).first()


def renew(actor, family):
    """Create the family's feed, or give it a new secret (the old address stops working)."""
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(
            family=family, defaults={"secret": new_secret()}
        )
        if not created:
            feed.secret = new_secret()
            feed.save()
        record(actor, "calendar_feed.renew", feed, family=family, after={"created": created})
    return feed


def by_secret(secret):
    """The feed with this secret, or None."""
    return CalendarFeed.objects.select_related("family").filter(secret=secret).first()


def feed_text(feed, now=None):
    """The iCalendar text: the family's live bookings from HISTORY_DAYS ago on."""
    now = now or timezone.now()
    since = timezone.localdate(now) - datetime.timedelta(days=HISTORY_DAYS)
    bookings = (
        Booking.objects.for_family(feed.family)
        .filter(status=Booking.BOOKED, date__gte=since)
        .select_related("child", "slot__activity__structure")
    )
    events = [ical.booking_event(b) for b in bookings]
    return ical.calendar(events, name=f"Réservations – famille {feed.family.name}", now=now)
