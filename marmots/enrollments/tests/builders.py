"""Shared setup for enrollment tests (portal, back-office, actions): plain builder functions."""

import datetime
import zoneinfo

from django.utils import timezone

from marmots.activities.models import Activity, Period
from marmots.enrollments.models import Enrollment
from marmots.families.models import FamilyDocument
from tests import factories as f

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
TODAY = datetime.date(2026, 6, 15)
NOW = datetime.datetime(2026, 6, 15, 9, 0, tzinfo=PARIS)
# Toussaint 2026 (zone A): first weekday Monday 19 October; opens four weeks before at 20:00.
TOUSSAINT_OPENS = datetime.datetime(2026, 9, 21, 20, 0, tzinfo=PARIS)


def freeze(time_machine, when=NOW):
    time_machine.move_to(when, tick=False)


def evening(structure):
    return f.ActivityFactory(structure=structure, name="Périscolaire soir", kind=Activity.EVENING)


def holiday_activity(structure):
    return f.ActivityFactory(
        structure=structure,
        name="Accueil de loisirs",
        kind=Activity.HOLIDAY,
        weekdays=[0, 1, 2, 3, 4],
        in_holidays=True,
    )


def toussaint(structure, opens_at=TOUSSAINT_OPENS):
    return f.PeriodFactory(
        structure=structure,
        kind=Period.HOLIDAYS,
        name="Vacances de la Toussaint 2026",
        start_date=datetime.date(2026, 10, 17),
        end_date=datetime.date(2026, 11, 1),
        registration_opens_at=opens_at,
    )


def enrollment(child, activity, status=Enrollment.PENDING, **kwargs):
    values = {
        "start_date": datetime.date(2026, 9, 1),
        "end_date": datetime.date(2027, 7, 3),
        "status": status,
    }
    if status in (Enrollment.VALIDATED, Enrollment.REFUSED):
        values["decided_at"] = timezone.now()
    if status == Enrollment.REFUSED:
        values["refusal_reason"] = "Plus de place ce jour-là."
    values.update(kwargs)
    return f.EnrollmentFactory(child=child, activity=activity, **values)


def document(family, doc_type, *, child=None, status=FamilyDocument.ACCEPTED, valid_until=None):
    return FamilyDocument.objects.create(
        family=family,
        child=child,
        doc_type=doc_type,
        file=f"families/{family.pk}/documents/piece.pdf",
        original_name="piece.pdf",
        content_type="application/pdf",
        size=1000,
        status=status,
        valid_until=valid_until,
    )
