"""The plain values the pricing function takes and returns (no database, no Django).

`invoicing.py` reads the database once for a whole month and builds these; `pricing.py` turns
them into invoice lines with their explanations. Times are local (Europe/Paris) `time`s.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property


@dataclass(frozen=True)
class PriceRow:
    """One price of a bracket tariff (`TariffPrice`)."""

    qf_min: int
    qf_max: int | None  # None: no upper limit
    amount: Decimal
    min_rank: int = 1  # from this rank among siblings (1 = the eldest)
    residence: str = "any"  # "any", "resident" or "non_resident"


@dataclass(frozen=True)
class TariffRule:
    """A `Tariff` as the pricing function reads it."""

    id: int
    kind: str  # Tariff.KINDS: attendance, extra, unbooked, late_pickup, membership
    unit: str  # Tariff.UNITS: slot, half_hour, half_day, day, session, child_year, family_year
    label: str
    valid_from: datetime.date
    valid_until: datetime.date | None = None
    activity_id: int | None = None
    slot_id: int | None = None  # None: every slot of the activity (an extra: every session)
    method: str = "brackets"  # or "effort_rate"
    prices: tuple[PriceRow, ...] = ()
    rate: Decimal | None = None  # effort rate: price of one unit = QF x rate
    qf_floor: int | None = None
    qf_ceiling: int | None = None

    def valid_on(self, day):
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class SlotSpec:
    id: int
    start: datetime.time
    end: datetime.time
    label: str = ""


@dataclass(frozen=True)
class ActivitySpec:
    """An activity: its slots (in order), the maximum span billed by the missed check-in rule,
    and the kiosk events asked of families."""

    id: int
    name: str
    kind: str  # Activity.KINDS: morning, evening, wednesday, holiday, apc, annual
    slots: tuple[SlotSpec, ...]
    max_span: tuple[datetime.time, datetime.time] | None = None
    family_events: frozenset = frozenset()  # subset of {"arrival", "departure"}

    @cached_property
    def start(self):
        """When a session opens: the first slot's start (16:30 in the evening)."""
        return min(s.start for s in self.slots)

    @cached_property
    def end(self):
        """When a session closes: the last slot's end (8:30 in the morning, 18:30 in the
        evening); a departure after it is a pick-up after closing time."""
        return max(s.end for s in self.slots)


@dataclass(frozen=True)
class BookingFact:
    """One booking row of the session, whatever its status."""

    slot_id: int
    status: str  # Booking.STATUSES: booked, cancelled (in time), late, absent
    excused: bool = False
    excuse_reason: str = ""


@dataclass(frozen=True)
class SessionFacts:
    """One child in one activity on one day: its bookings, its attendance, and what the missed
    check-in rule says of it (`checkin.rules.Verdict`)."""

    child_id: int
    day: datetime.date
    activity_id: int
    bookings: tuple[BookingFact, ...] = ()
    present: bool = False  # the register, else any effective kiosk or staff event
    arrival: datetime.time | None = None  # first effective arrival (local time)
    departure: datetime.time | None = None  # last effective departure (local time)
    missed: bool = False  # present but an event asked of the family is missing
    month_missed: int = 0  # missed sessions of this child in the calendar month
    beyond: bool = False  # the month is past the structure's threshold
    max_span: bool = False  # the rule bills this session at the activity's maximum span
    missed_threshold: int | None = None  # the structure's threshold, for the explanation


@dataclass(frozen=True)
class ChildFacts:
    id: int
    first_name: str
    rank: int = 1  # among the siblings enrolled (or billed) in the month, by birth (1 = eldest)


@dataclass(frozen=True)
class FamilyFacts:
    quotient: int | None  # the quotient valid on the month's first day; None: unknown/expired
    quotient_missing: str = ""  # when None: "QF non fourni" or "QF expiré le 31/08/2026"
    fallback_quotient: int | None = None  # the manager's choice; None: the maximal tariff
    resident: bool = False


@dataclass(frozen=True)
class AidRule:
    """Third-party aid (`Aid`): a share of eligible lines paid by a payer."""

    id: int
    payer: str
    label: str
    activity_ids: frozenset
    method: str  # "per_unit" (amount per billed session or day) or "percent"
    valid_from: datetime.date
    valid_until: datetime.date
    child_id: int | None = None  # None: every child of the family
    amount: Decimal | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class MembershipDue:
    """A yearly membership not billed yet (`child_id` None: per family)."""

    school_year: str
    day: datetime.date  # the day whose tariff applies (the month's first day)
    child_id: int | None = None


@dataclass(frozen=True)
class Line:
    """An invoice line, as `InvoiceLine` stores it."""

    kind: str  # InvoiceLine.KINDS
    label: str  # short: "Périscolaire soir, lundi 02/11 (Léa)"
    explanation: str  # why it exists and how its price was found
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal  # quantity x unit_price, rounded once (money.money)
    child_id: int | None = None
    activity_id: int | None = None
    day: datetime.date | None = None
    minutes_booked: int = 0
    minutes_attended: int = 0
    minutes_billed: int = 0
    quotient: int | None = None  # the QF the price used (the fallback's when unknown)
    bracket: str = ""  # "0-650", "1151 et plus", "taux d'effort"
    tariff_id: int | None = None
    aid_id: int | None = None


@dataclass(frozen=True)
class Finding:
    """An anomaly for the manager to review before issuing (`Anomaly.KINDS`)."""

    kind: str  # unbooked, no_show, quotient, missed_beyond
    message: str
    child_id: int | None = None
    activity_id: int | None = None
    day: datetime.date | None = None
