"""How a payment is spread over invoices: pure rules, no database.

An allocation is a positive part of a payment settling one invoice. Each part stays within what
remains to pay on its invoice, their sum within the payment; what is left of the payment stays a
credit in the family's favour, used later (`actions.apply_credit`).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError

from .money import ZERO, fr_money, money

# Methods whose reference the manager must give: the cheque's number and bank, the vouchers'
# count and numbers.
REFERENCE_REQUIRED = {
    "cheque": "Indiquez le numéro du chèque et sa banque (référence).",
    "ancv": "Indiquez le nombre et les numéros des chèques-vacances (référence).",
    "cesu": "Indiquez le nombre et les numéros des CESU (référence).",
}


def spread(amount, owed):
    """`amount` spread over `owed` ([(key, what remains to pay)], in the order to settle them):
    [(key, part)], each part > 0 and within what remains, their sum within `amount`."""
    left = money(amount)
    parts = []
    for key, due in owed:
        if left <= 0:
            break
        part = min(left, money(due))
        if part > 0:
            parts.append((key, part))
            left -= part
    return parts


def pair(credits, owed):
    """Credits ([(key, amount available)], oldest first) spread over `owed` ([(key, what remains
    to pay)], oldest due first): [(credit key, owed key, part)]."""
    remaining = {key: money(due) for key, due in owed}
    parts = []
    for credit, available in credits:
        for key, part in spread(available, list(remaining.items())):
            parts.append((credit, key, part))
            remaining[key] -= part
    return parts


def check_allocations(amount, chosen, owed, labels):
    """The manager's allocations, checked: `chosen` {key: amount} (None or 0: not allocated),
    `owed` {key: what remains to pay}, `labels` {key: the invoice's reference}. Returns
    [(key, part)] in the order of `owed`; raises ValidationError with every reason it refuses."""
    amount = money(amount)
    errors = []
    parts = {}
    for key, value in chosen.items():
        if value is None or Decimal(value) == 0:
            continue
        part = money(value)
        label = labels.get(key, key)
        if part < 0:
            errors.append(f"Le montant affecté à la facture {label} doit être positif.")
        elif owed.get(key, ZERO) <= 0:
            errors.append(f"La facture {label} n'a plus rien à payer.")
        elif part > owed[key]:
            errors.append(
                f"La facture {label} n'a plus que {fr_money(owed[key])} à payer : "
                f"vous y affectez {fr_money(part)}."
            )
        else:
            parts[key] = part
    total = sum(parts.values(), ZERO)
    if not errors and total > amount:
        errors.append(
            f"Les montants affectés ({fr_money(total)}) dépassent le montant du règlement "
            f"({fr_money(amount)})."
        )
    if errors:
        raise ValidationError(errors)
    return [(key, parts[key]) for key in owed if key in parts]
