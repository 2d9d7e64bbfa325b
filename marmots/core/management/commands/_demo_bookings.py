"""The Martin family's weekly templates and their bookings for the coming four weeks.

Léa: morning 8:00-8:30 on Mondays and Thursdays, evening 16:30-17:30 on school days; Tom:
evening 16:30-17:30 on Mondays, Tuesdays and Fridays and the Wednesday morning every even week.
The bookings are written as the template would book them (closed days skipped), so the portal
calendar shows booked days as soon as the demo starts. Running it again adds nothing.
"""

import datetime

from django.utils import timezone

from marmots.activities.models import TimeSlot
from marmots.bookings import context, rules
from marmots.bookings.models import Booking, TemplateEntry
from marmots.enrollments.models import Enrollment
from marmots.families.models import Family

WEEKS_AHEAD = 4

PLAN = {
    "Léa": [
        ("Périscolaire matin", datetime.time(8), [0, 3], TemplateEntry.EVERY),
        ("Périscolaire soir", datetime.time(16, 30), [0, 1, 3, 4], TemplateEntry.EVERY),
    ],
    "Tom": [
        ("Périscolaire soir", datetime.time(16, 30), [0, 1, 4], TemplateEntry.EVERY),
        ("Mercredis", datetime.time(8, 30), [2], TemplateEntry.EVEN),
    ],
}


def load_bookings(structure, guardian_user):
    family = Family.objects.filter(guardians__user=guardian_user).first()
    if family is None:
        return
    today = timezone.localdate()
    last = today + datetime.timedelta(weeks=WEEKS_AHEAD)
    calendar = context.load(structure, today, last)
    for child in family.children.all():
        for activity_name, start, weekdays, weeks in PLAN.get(child.first_name, []):
            slot = TimeSlot.objects.get(
                activity__structure=structure, activity__name=activity_name, start_time=start
            )
            for weekday in weekdays:
                TemplateEntry.objects.get_or_create(
                    child=child, slot=slot, weekday=weekday, defaults={"weeks": weeks}
                )
            _book(calendar, child, slot, today, last, guardian_user)


def _book(calendar, child, slot, first, last, user):
    entries = list(TemplateEntry.objects.filter(child=child, slot=slot))
    for day, _entry in rules.template_dates(entries, first, last):
        if calendar.closed_reason(slot.activity, day):
            continue
        enrollment = Enrollment.objects.filter(
            child=child,
            activity=slot.activity,
            status=Enrollment.VALIDATED,
            start_date__lte=day,
            end_date__gte=day,
        ).first()
        if enrollment is None:
            continue
        live = Booking.objects.filter(child=child, slot=slot, date=day).exclude(
            status=Booking.CANCELLED
        )
        if not live.exists():
            Booking.objects.create(
                child=child, slot=slot, date=day, enrollment=enrollment, booked_by=user
            )
