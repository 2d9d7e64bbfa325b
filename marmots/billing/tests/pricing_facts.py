"""The demo activities and tariffs of Les Petits Montagnards (shared demo settings) as the plain
facts the pricing function reads, and small builders for the pricing tests."""

import datetime
from decimal import Decimal

from marmots.billing.facts import (
    ActivitySpec,
    BookingFact,
    ChildFacts,
    FamilyFacts,
    PriceRow,
    SessionFacts,
    SlotSpec,
    TariffRule,
)
from marmots.billing.pricing import findings, price_month


def t(hour, minute=0):
    return datetime.time(hour, minute)


D = Decimal
START = datetime.date(2026, 9, 1)
MONDAY = datetime.date(2026, 11, 2)
TUESDAY = datetime.date(2026, 11, 3)
WEDNESDAY = datetime.date(2026, 11, 4)
HOLIDAY_MONDAY = datetime.date(2026, 12, 21)

MORNING = ActivitySpec(
    1,
    "Périscolaire matin",
    "morning",
    slots=(
        SlotSpec(11, t(7), t(7, 30)),
        SlotSpec(12, t(7, 30), t(8)),
        SlotSpec(13, t(8), t(8, 30)),
    ),
    max_span=(t(7), t(8, 30)),
    family_events=frozenset({"arrival"}),
)
EVENING = ActivitySpec(
    2,
    "Périscolaire soir",
    "evening",
    slots=(
        SlotSpec(21, t(16, 30), t(17, 30), "Goûter"),
        SlotSpec(22, t(17, 30), t(18)),
        SlotSpec(23, t(18), t(18, 30)),
    ),
    max_span=(t(16, 30), t(18, 30)),
    family_events=frozenset({"departure"}),
)
WEDNESDAY_ACT = ActivitySpec(
    3,
    "Mercredis",
    "wednesday",
    slots=(
        SlotSpec(31, t(8, 30), t(12), "Matin"),
        SlotSpec(32, t(12), t(13, 30), "Repas"),
        SlotSpec(33, t(13, 30), t(17, 30), "Après-midi"),
    ),
)
HOLIDAY = ActivitySpec(
    4, "Accueil de loisirs", "holiday", slots=(SlotSpec(41, t(8, 30), t(17, 30), "Journée"),)
)
ACTIVITIES = {a.id: a for a in (MORNING, EVENING, WEDNESDAY_ACT, HOLIDAY)}

LEA = ChildFacts(1, "Léa", rank=1)
TOM = ChildFacts(2, "Tom", rank=2)
CHILDREN = {LEA.id: LEA, TOM.id: TOM}


def brackets(*amounts):
    """Rows for the three demo brackets (0-650, 651-1150, 1151 and more), or one flat row."""
    if len(amounts) == 1:
        return (PriceRow(0, None, D(amounts[0])),)
    limits = [(0, 650), (651, 1150), (1151, None)]
    return tuple(PriceRow(low, high, D(a)) for (low, high), a in zip(limits, amounts, strict=True))


def tariff(id, kind="attendance", unit="half_hour", label="Tarif", prices=(), **fields):
    fields.setdefault("valid_from", START)
    return TariffRule(id=id, kind=kind, unit=unit, label=label, prices=prices, **fields)


PERISCOLAIRE = brackets("0.60", "0.90", "1.20")
DEMO = (
    tariff(101, label="Périscolaire matin (demi-heure)", activity_id=1, prices=PERISCOLAIRE),
    tariff(102, label="Périscolaire soir (demi-heure)", activity_id=2, prices=PERISCOLAIRE),
    tariff(
        103,
        "unbooked",
        "session",
        "Périscolaire matin : présence sans réservation",
        brackets("1.00"),
        activity_id=1,
    ),
    tariff(
        104,
        "unbooked",
        "session",
        "Périscolaire soir : présence sans réservation",
        brackets("1.00"),
        activity_id=2,
    ),
    tariff(105, "extra", "session", "Goûter", brackets("0.50"), activity_id=2),  # every session
    tariff(
        106,
        unit="slot",
        label="Mercredi : matin",
        activity_id=3,
        slot_id=31,
        prices=brackets("4.00", "6.00", "8.00"),
    ),
    tariff(
        107,
        unit="slot",
        label="Mercredi : repas",
        activity_id=3,
        slot_id=32,
        prices=brackets("3.50", "4.00", "4.50"),
    ),
    tariff(
        108,
        unit="slot",
        label="Mercredi : après-midi",
        activity_id=3,
        slot_id=33,
        prices=brackets("4.00", "6.00", "8.00"),
    ),
    tariff(
        109,
        unit="day",
        label="Accueil de loisirs : journée avec repas",
        activity_id=4,
        prices=brackets("12.00", "18.00", "24.00"),
    ),
    tariff(110, "membership", "child_year", "Adhésion annuelle", brackets("20.00")),
)
LATE_PICKUP = tariff(
    111, "late_pickup", "session", "Départ après la fermeture", brackets("5.00"), activity_id=2
)


def text(line):
    """The explanation with plain spaces (fr_money puts a no-break space before €)."""
    return line.explanation.replace("\u00a0", " ")


def family(quotient=540, **fields):
    return FamilyFacts(quotient=quotient, **fields)


def book(slot_id, status="booked", excused=False, reason=""):
    return BookingFact(slot_id, status, excused, reason)


def session(activity, day, *bookings, child=LEA, **fields):
    """A session; `bookings` are slot ids (kept) or BookingFacts."""
    facts = tuple(b if isinstance(b, BookingFact) else book(b) for b in bookings)
    return SessionFacts(
        child_id=child.id, day=day, activity_id=activity.id, bookings=facts, **fields
    )


def price(*sessions, fam=None, tariffs=DEMO, activities=ACTIVITIES, **kw):
    return price_month(fam or family(), CHILDREN, activities, sessions, tariffs, **kw)


def find(*sessions, fam=None, tariffs=DEMO, activities=ACTIVITIES, **kw):
    return findings(fam or family(), CHILDREN, activities, sessions, tariffs, **kw)
