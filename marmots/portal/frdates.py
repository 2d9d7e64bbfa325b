"""French dates as people write them: "lundi 14 décembre 2026 à 20h00", and the months that
the calendar pages (portal and back-office) navigate: "?mois=2026-12"."""

import calendar
import datetime
import re

from django.utils import timezone

from marmots.bookings.rules import plausible
from marmots.core.french import MONTHS, WEEKDAYS, month_label  # noqa: F401 (re-exported)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def long_date(day):
    """date -> "lundi 14 décembre 2026" ("1er" for the first of the month)."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]} {day.year}"


def long_datetime(moment):
    """aware datetime -> "lundi 14 décembre 2026 à 20h00", in the local time zone."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{long_date(moment.date())} à {moment.hour}h{moment.minute:02d}"


def parse_month(value):
    """'2026-12' -> date(2026, 12, 1); None when it is not a month of a plausible year."""
    match = _MONTH.match((value or "").strip())
    if not match or not 1 <= int(match[2]) <= 12:
        return None
    first = datetime.date(int(match[1]), int(match[2]), 1)
    return first if plausible(first) else None


def month_bounds(first):
    """(first day, last day) of the month of `first`."""
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def shift_month(first, months):
    """The first day of the month `months` away from the month of `first`."""
    index = first.year * 12 + first.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def previous_month(today):
    """(first day, last day) of the month before the one holding `today`: the month the
    invoicing, the exports and the certificates offer by default."""
    return month_bounds(shift_month(today.replace(day=1), -1))
