"""What a family may pay online: pure checks on the amounts asked, with French reasons."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from marmots.billing.money import fr_money, money

NOTHING = "Choisissez au moins une facture à payer."
NOT_YOURS = "Cette facture ne fait pas partie de vos factures à régler ici."
BAD_EMAIL = "Indiquez une adresse e-mail valide : la banque y envoie le ticket de paiement."


def parse_amount(raw):
    """A typed amount ("12,50", "12.5", Decimal) as Decimal, or None when unreadable."""
    if isinstance(raw, Decimal):
        value = raw
    else:
        text = str(raw or "").strip().replace("\u202f", "").replace(" ", "").replace("€", "")
        try:
            value = Decimal(text.replace(",", "."))
        except InvalidOperation:
            return None
    return value if value.is_finite() else None


def parse_amounts(amounts):
    """{invoice id (int): raw amount}; refuses an empty choice or an id that is no number."""
    if not amounts:
        raise ValidationError(NOTHING)
    parsed = {}
    for key, raw in amounts.items():
        try:
            parsed[int(key)] = raw
        except (TypeError, ValueError):
            raise ValidationError(NOT_YOURS) from None
    return parsed


def check_amount(invoice, raw):
    """The amount to pay on `invoice` (annotated with `outstanding`, `in_debit` and
    `debit_on`)."""
    ref = invoice.reference
    if invoice.outstanding <= 0:
        raise ValidationError(f"La facture {ref} est déjà réglée.")
    if invoice.in_debit:
        when = f"sera prélevée le {invoice.debit_on:%d/%m/%Y}" if invoice.debit_on else ""
        raise ValidationError(
            f"La facture {ref} {when or 'est en cours de prélèvement'} : "
            "elle ne se paie pas en ligne."
        )
    value = parse_amount(raw)
    if value is None:
        raise ValidationError(f"Le montant indiqué pour la facture {ref} n'est pas un nombre.")
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(f"Le montant pour la facture {ref} se donne au centime près.")
    if value <= 0:
        raise ValidationError(f"Le montant à payer pour la facture {ref} doit être positif.")
    if value > invoice.outstanding:
        raise ValidationError(
            f"Le montant indiqué pour la facture {ref} ({fr_money(value)}) dépasse ce qui "
            f"reste à régler ({fr_money(invoice.outstanding)})."
        )
    return money(value)


def check_total(total, low, high):
    if total < low:
        raise ValidationError(
            f"Un paiement en ligne est d'au moins {fr_money(low)} : choisissez d'autres "
            "factures ou réglez auprès de la structure."
        )
    if high is not None and total > high:
        raise ValidationError(f"Un paiement en ligne ne peut dépasser {fr_money(high)}.")
