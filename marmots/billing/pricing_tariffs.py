"""Which tariff applies and what one unit costs: brackets by quotient (with the child's rank and
the family's residence) or an effort rate. Pure: no database.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from .money import money
from .pricing_explain import ordinal

BRACKETS = "brackets"
EFFORT_RATE = "effort_rate"
RESIDENT = "resident"
NON_RESIDENT = "non_resident"
ANY = "any"


@dataclass(frozen=True)
class Price:
    """The price of one unit and how it was found."""

    tariff: object  # TariffRule
    unit_price: Decimal
    quotient: int | None  # the QF used (the fallback when unknown); None: the maximal tariff
    bracket: str  # "0-650", "1151 et plus", "taux d'effort", "" for a single price
    note: str  # "(QF 540, tranche 0-650)", "" when the price does not depend on anything


class TariffBook:
    """The tariffs indexed by kind and activity, and the prices found so far for one family
    (a month prices the same tariff for the same child many times)."""

    def __init__(self, tariffs, family):
        self.family = family
        self._by_key = defaultdict(list)
        for tariff in tariffs:
            self._by_key[(tariff.kind, tariff.activity_id)].append(tariff)
        for found in self._by_key.values():
            found.sort(key=lambda t: (t.valid_from, t.id), reverse=True)
        self._prices = {}
        self._valid = {}  # {(kind, day, activity id): candidates(...)}, a month asks each often

    def candidates(self, kind, day, activity_id=None):
        """Tariffs of `kind` valid on `day` for the activity, the newest first."""
        key = (kind, day, activity_id)
        if key not in self._valid:
            found = self._by_key.get((kind, activity_id), ())
            self._valid[key] = tuple(t for t in found if t.valid_on(day))
        return self._valid[key]

    def price(self, tariff, rank=1):
        key = (id(tariff), rank)
        if key not in self._prices:
            self._prices[key] = price(tariff, self.family, rank)
        return self._prices[key]


def for_slot(found, slot_id):
    """The tariff of a slot: a slot-specific one wins over an activity-wide one."""
    specific = [t for t in found if t.slot_id == slot_id]
    return (specific or activity_wide(found) or [None])[0]


def activity_wide(found):
    return [t for t in found if t.slot_id is None]


def bracket_label(row):
    if row.qf_max is None:
        return f"{row.qf_min} et plus"
    return f"{row.qf_min}-{row.qf_max}"


def fr_number(value):
    """ "0,0027", "50" """
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",")


def _missing(family):
    return family.quotient_missing or "QF non fourni"


def _rows(tariff, family, rank):
    """The price rows for this family's residence (an exact one preferred over "any") and the
    highest rank row not above the child's rank."""
    wanted = RESIDENT if family.resident else NON_RESIDENT
    rows = [r for r in tariff.prices if r.residence == wanted]
    rows = rows or [r for r in tariff.prices if r.residence == ANY]
    ranks = [r.min_rank for r in rows if r.min_rank <= rank]
    if not ranks:
        return []
    return [r for r in rows if r.min_rank == max(ranks)]


def _bracket_price(tariff, family, rank):
    rows = _rows(tariff, family, rank)
    if not rows:
        return None
    qf = family.quotient if family.quotient is not None else family.fallback_quotient
    if qf is None:
        row = max(rows, key=lambda r: r.qf_min)
    else:
        matching = [r for r in rows if r.qf_min <= qf and (r.qf_max is None or qf <= r.qf_max)]
        if not matching:
            return None
        row = max(matching, key=lambda r: r.qf_min)
    flat = all(r.qf_min == 0 and r.qf_max is None for r in rows)
    parts = []
    if not flat:
        if family.quotient is not None:
            parts.append(f"QF {qf}")
        elif qf is not None:
            parts.append(f"{_missing(family)} : QF {qf} retenu")
        else:
            parts.append(f"{_missing(family)} : tarif maximal")
        parts.append(f"tranche {bracket_label(row)}")
    if row.min_rank > 1:
        parts.append(f"{ordinal(rank)} enfant")
    if row.residence == RESIDENT:
        parts.append("résident")
    elif row.residence == NON_RESIDENT:
        parts.append("non-résident")
    note = f"({', '.join(parts)})" if parts else ""
    return Price(tariff, row.amount, qf, "" if flat else bracket_label(row), note)


def _effort_price(tariff, family):
    qf = family.quotient if family.quotient is not None else family.fallback_quotient
    floor, ceiling = tariff.qf_floor, tariff.qf_ceiling
    rate = fr_number(tariff.rate)
    if qf is None:
        if ceiling is None:
            return None
        used = ceiling
        note = f"{_missing(family)} : tarif maximal, plafond {ceiling} x {rate}"
    else:
        used = qf
        if floor is not None and qf < floor:
            used = floor
        if ceiling is not None and qf > ceiling:
            used = ceiling
        shown = (
            f"QF {qf}" if family.quotient is not None else f"{_missing(family)} : QF {qf} retenu"
        )
        if used == qf:
            note = f"{shown} x {rate}"
        else:
            limit = "plancher" if used == floor else "plafond"
            note = f"{shown}, {limit} {used} x {rate}"
    unit_price = money(Decimal(used) * tariff.rate)
    return Price(tariff, unit_price, qf, "taux d'effort", f"({note}, taux d'effort)")


def price(tariff, family, rank=1):
    """The Price of one unit of `tariff` for this family and child rank; None when no row
    applies (a gap in the brackets)."""
    if tariff.method == EFFORT_RATE:
        return _effort_price(tariff, family)
    return _bracket_price(tariff, family, rank)
