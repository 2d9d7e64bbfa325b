"""iCalendar (RFC 5545) text of a family's bookings. Pure: no database access.

Times are written in UTC (no VTIMEZONE needed); text values are escaped, lines end with CRLF
and are folded at 75 octets without splitting a UTF-8 character.
"""

import datetime
from dataclasses import dataclass

from .deadlines import session_start

CRLF = "\r\n"
LIMIT = 75  # octets per line, CRLF excluded


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime.datetime
    end: datetime.datetime
    summary: str
    location: str = ""
    description: str = ""


def escape(text):
    """TEXT value escaping: backslash, semicolon, comma and newlines."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line):
    """The content line split into lines of at most 75 octets; continuations start with a
    space (which counts in the 75)."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > LIMIT:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return CRLF.join(parts)


def utc(moment):
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def hours(time):
    """16:30 -> "16h30"."""
    return f"{time.hour}h{time.minute:02d}"


def booking_event(booking):
    """The Event of a booking loaded with its child and slot, activity and structure."""
    slot, activity = booking.slot, booking.slot.activity
    structure = activity.structure
    address = ", ".join(
        part for part in [structure.name, structure.address, structure.city] if part
    )
    description = "Récupération à la fin des APC." if booking.with_apc else ""
    return Event(
        uid=f"booking-{booking.pk}@{structure.slug}.marmots",
        start=session_start(booking.date, slot.start_time),
        end=session_start(booking.date, slot.end_time),
        summary=(
            f"{booking.child.first_name} – {activity.name} "
            f"{hours(slot.start_time)}-{hours(slot.end_time)}"
        ),
        location=address,
        description=description,
    )


def _event_lines(event, stamp):
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{utc(event.start)}",
        f"DTEND:{utc(event.end)}",
        f"SUMMARY:{escape(event.summary)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape(event.description)}")
    return [*lines, "END:VEVENT"]


def calendar(events, *, name, now):
    """The whole VCALENDAR as text."""
    stamp = utc(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Marmots//Réservations//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for event in events:
        lines += _event_lines(event, stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
