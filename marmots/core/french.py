"""French names of weekdays and months, and ordinals, with no Django import (the pure rules use
them)."""

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


def month_label(first):
    """date(2026, 12, 1) -> 'décembre 2026'."""
    return f"{MONTHS[first.month - 1]} {first.year}"


def ordinal(number, *, feminine=False):
    """1 -> "1er" ("1re" when feminine: "en 1re position"), 2 -> "2e"."""
    if number == 1:
        return "1re" if feminine else "1er"
    return f"{number}e"
