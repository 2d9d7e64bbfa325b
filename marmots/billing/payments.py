"""Payment actions of the back-office: record a payment received by the structure (cheque,
cash, transfer, CESU, ANCV) with its allocation to invoices, and use a family's credit on its
unpaid invoices. Each owns its transaction, locks the family's row first (`settling`) and
writes its audit entry. Card payments (`marmots.payments`) and direct debits
(`marmots.debits`) have their own actions.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.core.audit import record
from marmots.families.models import Family

from . import settling
from .actions import check_manager, give_receipt_number
from .allocating import REFERENCE_REQUIRED
from .models import Allocation, Payment
from .money import money


def record_payment(
    structure,
    family,
    actor,
    method,
    amount,
    received_on,
    reference="",
    invoices=None,
    allocations=None,
    payer="",
):
    """A payment received by the manager (cheque, cash, transfer, CESU, ANCV...), numbered
    for its receipt. `allocations` ({invoice or id: amount}) is the manager's own allocation:
    each part within what remains to pay on its invoice, their sum within the payment (empty
    or zero parts are ignored). Without it, the payment settles the family's unpaid invoices
    oldest due first (`invoices` only, when given). What is left stays a credit in the
    family's favour (`apply_credit`)."""
    check_manager(actor, structure)
    amount = money(amount)
    reference, payer = (reference or "").strip(), (payer or "").strip()
    _check_payment(structure, family, method, amount, received_on, reference, payer)
    with transaction.atomic():
        settling.lock_family(family)  # what remains to pay is read after the lock
        if allocations is not None:
            parts = settling.chosen_parts(family, structure, amount, allocations)
        else:
            parts = settling.automatic_parts(family, structure, amount, invoices)
        payment = Payment(
            structure=structure,
            family=family,
            method=method,
            amount=amount,
            received_on=received_on,
            reference=reference,
            payer=payer,
            recorded_by=actor,
        )
        give_receipt_number(payment)
        payment.save()
        Allocation.objects.bulk_create(
            Allocation(payment=payment, invoice=invoice, amount=part) for invoice, part in parts
        )
        record(
            actor,
            "payment.record",
            payment,
            family=family,
            after={
                "receipt": payment.receipt_number,
                "method": method,
                "amount": str(amount),
                "received_on": received_on.isoformat(),
                "reference": reference,
                "allocated": {invoice.reference: str(part) for invoice, part in parts},
            },
        )
    return payment


def _check_payment(structure, family, method, amount, received_on, reference, payer):
    if amount <= 0:
        raise ValidationError("Le montant doit être positif.")
    if method not in dict(Payment.METHODS) or method == Payment.CARD:
        raise ValidationError("Choisissez un moyen de paiement.")
    if received_on > timezone.localdate():
        raise ValidationError("La date de réception ne peut pas être dans le futur.")
    if method in REFERENCE_REQUIRED and not reference:
        raise ValidationError(REFERENCE_REQUIRED[method])
    if len(reference) > 100:
        raise ValidationError("La référence ne doit pas dépasser 100 caractères.")
    if len(payer) > 200:
        raise ValidationError("Le nom du payeur ne doit pas dépasser 200 caractères.")
    if not Family.objects.using([structure]).filter(pk=family.pk).exists():
        raise ValidationError("Cette famille n'est pas accueillie par la structure.")


def apply_credit(family, structure, actor=None):
    """Allocate what is left of the family's received payments in the structure (oldest first)
    to its unpaid invoices there (oldest due first). Returns the allocations made or grown;
    none when there is no credit or nothing to pay, so calling it again changes nothing."""
    check_manager(actor, structure)
    with transaction.atomic():
        settling.lock_family(family)
        return settling.use_credit(family, structure, actor)
