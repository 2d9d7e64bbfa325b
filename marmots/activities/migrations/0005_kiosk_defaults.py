"""Existing after-school activities get the house rules' kiosk settings: families check in at
the morning arrival and out at the evening departure; the maximum span is the slots' span."""

from django.db import migrations
from django.db.models import Max, Min

KIOSK_BY_KIND = {"morning": "arrival", "evening": "departure", "wednesday": "both", "holiday": "both"}


def forwards(apps, schema_editor):
    Activity = apps.get_model("activities", "Activity")
    for activity in Activity.objects.filter(kind__in=KIOSK_BY_KIND):
        activity.kiosk_events = KIOSK_BY_KIND[activity.kind]
        if activity.kind in ("morning", "evening"):
            span = activity.slots.aggregate(start=Min("start_time"), end=Max("end_time"))
            if span["start"] and span["end"]:
                activity.max_span_start, activity.max_span_end = span["start"], span["end"]
        activity.save(update_fields=["kiosk_events", "max_span_start", "max_span_end"])


class Migration(migrations.Migration):
    dependencies = [("activities", "0004_kiosk_settings")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
