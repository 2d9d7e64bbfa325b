"""The opening of a holiday period's registrations (R7): automatic validation and reminders.

Both functions are idempotent and meant to run from cron (management commands
`open_holiday_periods`, every few minutes, and `send_opening_reminders`, daily):

- `open_due_periods(now)`: once a holiday period has opened, the pending enrollment requests
  of activities set to `auto_validate_at_opening` whose file is complete are validated by the
  same action as the manager's (audited with no actor, the family e-mailed). A request whose
  file is incomplete stays pending: it is validated on a later run once the file is complete,
  or by the manager.
- `send_opening_reminders(now)`: the day before a holiday period opens (Paris date), each
  family with a pending or validated enrollment for it is e-mailed once. The `OpeningReminder`
  row is inserted first, in its own transaction; the e-mail goes once it is committed, so two
  runs at the same time send one e-mail per family (at most once: a lost send is not retried).
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from marmots.activities.calendar import PARIS
from marmots.activities.models import Period
from marmots.enrollments.actions import file_status, validate_at_opening
from marmots.enrollments.models import Enrollment

from .models import OpeningReminder
from .tasks import send_opening_reminder

WARNING = "Avertissement"


@dataclass
class OpeningRun:
    validated: int = 0
    incomplete: int = 0


def blocking_problems(enrollment, today):
    """What the file lacks for this request, warnings left out (the manager's view of it)."""
    problems = file_status(
        enrollment.child.family,
        enrollment.activity,
        max(enrollment.start_date, today),
        child=enrollment.child,
    )
    return [p for p in problems if not p.startswith(WARNING)]


def due_requests(now):
    """Pending requests of auto-validated activities in holiday periods open at `now`."""
    return (
        Enrollment.objects.filter(
            status=Enrollment.PENDING,
            activity__auto_validate_at_opening=True,
            period__kind=Period.HOLIDAYS,
            period__registration_opens_at__lte=now,
            period__end_date__gte=timezone.localdate(now),
        )
        .select_related("child__family", "activity", "period")
        .order_by("requested_at", "pk")
    )


def open_due_periods(now=None):
    """Validate the due requests whose file is complete; returns the counts."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    run = OpeningRun()
    for enrollment in due_requests(now):
        if blocking_problems(enrollment, today):
            run.incomplete += 1
            continue
        try:
            validate_at_opening(enrollment, now=now)
        except ValidationError:
            continue  # decided meanwhile (by the manager or another run)
        run.validated += 1
    return run


def opening_tomorrow(now):
    """Holiday periods whose registrations open on the day after `now` (Paris dates)."""
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    start = datetime.datetime.combine(tomorrow, datetime.time(0), tzinfo=PARIS)
    end = datetime.datetime.combine(
        tomorrow + datetime.timedelta(days=1), datetime.time(0), tzinfo=PARIS
    )
    return Period.objects.filter(
        kind=Period.HOLIDAYS, registration_opens_at__gte=start, registration_opens_at__lt=end
    )


def families_to_remind(period):
    """Ids of the families with a pending or validated enrollment for `period`."""
    return sorted(
        set(
            Enrollment.objects.filter(
                period=period, status__in=[Enrollment.PENDING, Enrollment.VALIDATED]
            ).values_list("child__family_id", flat=True)
        )
    )


def _remind_once(period, family_id):
    """Insert the reminder row; the e-mail is sent after commit. False if already there."""
    try:
        with transaction.atomic():
            reminder = OpeningReminder.objects.create(period=period, family_id=family_id)
            transaction.on_commit(lambda: send_opening_reminder.enqueue(reminder.pk), robust=True)
    except IntegrityError:
        return False
    return True


def send_opening_reminders(now=None):
    """Remind the families of the periods opening tomorrow; returns how many were reminded."""
    now = now or timezone.now()
    sent = 0
    for period in opening_tomorrow(now):
        already = set(
            OpeningReminder.objects.filter(period=period).values_list("family_id", flat=True)
        )
        for family_id in families_to_remind(period):
            if family_id not in already and _remind_once(period, family_id):
                sent += 1
    return sent
