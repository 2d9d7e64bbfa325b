"""French dates as people write them: "lundi 14 décembre 2026 à 20h00"."""

from django.utils import timezone

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def long_date(day):
    """date -> "lundi 14 décembre 2026" ("1er" for the first of the month)."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]} {day.year}"


def long_datetime(moment):
    """aware datetime -> "lundi 14 décembre 2026 à 20h00", in the local time zone."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{long_date(moment.date())} à {moment.hour}h{moment.minute:02d}"
