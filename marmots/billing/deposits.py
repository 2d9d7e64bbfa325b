"""Bank deposit slips ("bordereaux de remise"): received cheques, cash or vouchers handed to
the bank together, numbered continuously per structure and year (BR-2026-001).

The total is computed here from the payments, never taken from a form. The payments' rows are
locked while the slip is made, so a payment is never put on two slips, even by two managers at
the same instant.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from marmots.core.audit import record

from .actions import check_manager, take_numbers
from .models import DepositSlip, Payment
from .money import ZERO, fr_money

DEPOSIT_SERIES = "BR"  # reserved: the settings form refuses it for other documents
DEPOSIT_METHODS = [Payment.CHEQUE, Payment.CASH, Payment.ANCV, Payment.CESU]


def slip_number(year, number):
    return f"{DEPOSIT_SERIES}-{year}-{number:03d}"


def _label(payment):
    name = payment.receipt_number or f"n° {payment.pk}"
    return f"{name} ({payment.family.name}, {fr_money(payment.amount)})"


def _refusals(payments, method, deposited_on):
    """Why each payment cannot go on a slip of `method` deposited on `deposited_on`."""
    words = dict(Payment.METHODS)
    for payment in payments:
        label = _label(payment)
        if payment.status != Payment.SUCCEEDED:
            yield f"Le règlement {label} n'est pas reçu."
        elif payment.method != method:
            yield (
                f"Le règlement {label} est en {payment.get_method_display()}, "
                f"pas en {words[method]}."
            )
        elif payment.deposit_slip_id is not None:
            yield f"Le règlement {label} est déjà sur le bordereau {payment.deposit_slip.number}."
        elif payment.received_on > deposited_on:
            yield f"Le règlement {label} a été reçu après la date de remise."


def create_deposit_slip(structure, actor, method, payment_ids, deposited_on):
    """A deposit slip of the structure's received, not yet deposited payments of `method`."""
    check_manager(actor, structure)
    if method not in DEPOSIT_METHODS:
        raise ValidationError("Choisissez un moyen : chèque, espèces, chèques-vacances ou CESU.")
    ids = sorted({int(pk) for pk in payment_ids})
    if not ids:
        raise ValidationError("Cochez au moins un règlement à remettre.")
    if deposited_on is None or deposited_on > timezone.localdate():
        raise ValidationError("La date de remise ne peut pas être dans le futur.")
    with transaction.atomic():
        payments = list(
            Payment.objects.select_for_update(of=("self",))
            .filter(structure=structure, pk__in=ids)
            .select_related("family")  # not the slip: a row locked late is read afresh
            .order_by("pk")
        )
        if len(payments) != len(ids):
            raise ValidationError("Règlement inconnu : rien n'a été remis.")
        errors = list(_refusals(payments, method, deposited_on))
        if errors:
            raise ValidationError(errors)
        (number,) = take_numbers(structure, DEPOSIT_SERIES, deposited_on.year, 1)
        slip = DepositSlip.objects.create(
            structure=structure,
            number=slip_number(deposited_on.year, number),
            method=method,
            deposited_on=deposited_on,
            total=sum((payment.amount for payment in payments), ZERO),
            created_by=actor,
        )
        Payment.objects.filter(pk__in=ids).update(deposit_slip=slip)
        record(
            actor,
            "deposit.create",
            slip,
            after={
                "number": slip.number,
                "method": method,
                "deposited_on": deposited_on.isoformat(),
                "total": str(slip.total),
                "receipts": [payment.receipt_number for payment in payments],
            },
        )
    return slip


def slip_lines(slip):
    """The slip's payments in the order they are listed: received first, then receipt."""
    return slip.payments.select_related("family").order_by("received_on", "receipt_number", "pk")


def slip_context(slip):
    from .balances import settings_for

    lines = list(slip_lines(slip))
    return {
        "slip": slip,
        "structure": slip.structure,
        "lines": lines,
        "count": len(lines),
        "bank": settings_for(slip.structure).legal_mentions,
    }


def slip_filename(slip):
    return f"bordereau-{slip.number}.pdf"


def slip_pdf(slip) -> bytes:
    """The slip as PDF bytes (WeasyPrint), the structure's identity at the top."""
    from weasyprint import HTML

    html = render_to_string("billing/pdf/deposit_slip.html", slip_context(slip))
    return HTML(string=html).write_pdf()
