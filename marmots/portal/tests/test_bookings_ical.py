"""The iCalendar text (RFC 5545): escaping, folding at 75 octets, CRLF. Pure functions."""

import datetime
from zoneinfo import ZoneInfo

from marmots.bookings import ical

PARIS = ZoneInfo("Europe/Paris")


def unfold(text):
    return text.replace("\r\n ", "")


def test_escape():
    assert ical.escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    assert ical.escape("x\r\ny") == "x\\ny"


def test_short_lines_are_not_folded():
    assert ical.fold("SUMMARY:Léa") == "SUMMARY:Léa"


def test_fold_at_75_octets_without_splitting_characters():
    line = "SUMMARY:" + "é" * 100 + "x" * 30
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 2
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert unfold(folded) == line
    for part in parts:
        part.encode().decode()  # each physical line is valid UTF-8 on its own


def test_calendar_structure():
    event = ical.Event(
        uid="booking-1@test.marmots",
        start=datetime.datetime(2026, 12, 3, 16, 30, tzinfo=PARIS),
        end=datetime.datetime(2026, 12, 3, 17, 30, tzinfo=PARIS),
        summary="Léa – Périscolaire soir 16h30-17h30",
        location="Les Petits Montagnards, 492 Route des Terres Blanches, Mieussy",
    )
    text = ical.calendar(
        [event], name="Réservations", now=datetime.datetime(2026, 11, 30, 8, tzinfo=datetime.UTC)
    )
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    lines = unfold(text).split("\r\n")[:-1]
    assert lines[0] == "BEGIN:VCALENDAR" and "VERSION:2.0" in lines
    assert "DTSTART:20261203T153000Z" in lines and "DTEND:20261203T163000Z" in lines
    assert "DTSTAMP:20261130T080000Z" in lines
    assert "SUMMARY:Léa – Périscolaire soir 16h30-17h30" in lines
    assert "LOCATION:Les Petits Montagnards\\, 492 Route des Terres Blanches\\, Mieussy" in lines
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 1


def test_summer_time_is_converted_to_utc():
    event = ical.Event(
        "u",
        datetime.datetime(2027, 6, 3, 16, 30, tzinfo=PARIS),
        datetime.datetime(2027, 6, 3, 17, 30, tzinfo=PARIS),
        "s",
    )
    text = ical.calendar([event], name="n", now=datetime.datetime(2027, 6, 1, tzinfo=datetime.UTC))
    assert "DTSTART:20270603T143000Z" in text
