"""Money: `Decimal` end to end, rounded here and only here."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
THIN = "\u202f"  # narrow no-break space, the French thousands separator


def money(value) -> Decimal:
    """`value` rounded to the cent, halves away from zero (the rounding of French invoices)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def fr_money(value) -> str:
    """ "1 234,50 €" (narrow no-break space between thousands, no-break space before €)."""
    value = money(value)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]

    return sign + THIN.join(groups) + f",{cents}\u00a0€"
