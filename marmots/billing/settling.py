"""What a payment may settle and what is left of payments: the queries and writes behind
`payments.record_payment`, `payments.apply_credit` and `actions.credit_note` (which own the
transaction; `use_credit`, called by three of them, writes its own audit entry).

A family's credit in a structure is the part of its received payments not allocated to any
invoice (an overpayment, a payment recorded before its invoice, what a credit note gave back
on an invoice already paid: `release_overpaid`). It is the one definition: `credits` serves
the account pages, `apply_credit` and the reminders alike. Invoices collected by a direct
debit still pending are not offered: the bank is about to pay them. Every function writing or
reading what remains to pay runs after `lock_family`, inside the caller's transaction, so two
payments of a family never settle the same euro twice.
"""

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Sum

from marmots.core.audit import record
from marmots.families.models import Family

from .allocating import check_allocations, pair, spread
from .balances import sum_subquery, unpaid_invoices, with_outstanding
from .models import Allocation, Invoice, Payment
from .money import ZERO, money

NOT_OURS = "Choisissez des factures émises de cette famille."


def lock_family(family):
    """Lock the family's row (a family or its id) until the transaction ends: one payment of
    a family at a time. Every action writing a family's payments or allocations takes it
    first, before any sequence row."""
    Family.objects.select_for_update().filter(pk=getattr(family, "pk", family)).first()


def in_pending_debit():
    """Exists: the invoice is in a direct debit sent to the bank and not collected yet (a
    pending debit payment is allocated to it). The one definition for every part."""
    pending = Allocation.objects.filter(
        invoice=OuterRef("pk"), payment__method=Payment.DEBIT, payment__status=Payment.PENDING
    )
    return Exists(pending)


def payable_invoices(family, structure):
    """The family's unpaid invoices in the structure that a payment may settle (not those in a
    pending direct debit), oldest due first, annotated with `outstanding`."""
    return unpaid_invoices(family, structure).exclude(in_pending_debit())


def with_unallocated(payments):
    """Payments annotated with `unallocated`: their amount less what they already settle."""
    allocated = Allocation.objects.filter(payment=OuterRef("pk"))
    return payments.annotate(allocated=sum_subquery(allocated, "amount")).annotate(
        unallocated=F("amount") - F("allocated")
    )


def credit_payments(family, structure):
    """The family's received payments in the structure with something left, oldest first."""
    received = Payment.objects.for_family(family).filter(
        structure=structure, status=Payment.SUCCEEDED
    )
    return with_unallocated(received).filter(unallocated__gt=0).order_by("received_on", "pk")


def credits(structure, family_ids):
    """{family id: its credit in the structure} of the families among `family_ids` (ids or a
    values queryset) with a credit; the others are left out."""
    received = Payment.objects.filter(
        structure=structure, status=Payment.SUCCEEDED, family_id__in=family_ids
    )
    left = with_unallocated(received).filter(unallocated__gt=0)
    rows = left.order_by().values("family_id").annotate(s=Sum("unallocated"))
    return {row["family_id"]: money(row["s"]) for row in rows}


def available_credit(family, structure):
    """What is left of the family's received payments in the structure (zero or more)."""
    return credits(structure, [family.pk]).get(family.pk, ZERO)


def families_with_credit(structure, family_ids):
    """The ids among `family_ids` of families with a credit in the structure."""
    return sorted(credits(structure, family_ids))


# Allocating a payment being recorded


def _ids(keys):
    """Invoice ids from invoices or ids; a key that is not one is refused."""
    try:
        return [int(getattr(key, "pk", key)) for key in keys]
    except (TypeError, ValueError):
        raise ValidationError(NOT_OURS) from None


def _ours(family, structure, ids):
    """The family's issued invoices in the structure among `ids`; unknown ids, another family's
    or another structure's invoice, a draft or a credit note are refused (the same words: a
    manager learns nothing of another family's invoices)."""
    found = Invoice.objects.for_family(family).filter(
        structure=structure, kind=Invoice.INVOICE, status=Invoice.ISSUED, pk__in=ids
    )
    invoices = {invoice.pk: invoice for invoice in found}
    if len(invoices) != len(set(ids)):
        raise ValidationError(NOT_OURS)
    return invoices


def automatic_parts(family, structure, amount, invoices=None):
    """[(invoice, part)]: `amount` over the payable invoices (`invoices` only, when given),
    oldest due first."""
    payable = payable_invoices(family, structure)
    if invoices is not None:
        ids = _ids(invoices)
        if not ids:
            raise ValidationError(NOT_OURS)
        _ours(family, structure, ids)
        payable = payable.filter(pk__in=ids)
    rows = {invoice.pk: invoice for invoice in payable}
    owed = [(pk, invoice.outstanding) for pk, invoice in rows.items()]
    return [(rows[pk], part) for pk, part in spread(amount, owed)]


def chosen_parts(family, structure, amount, chosen):
    """[(invoice, part)] of the manager's allocation `chosen` ({invoice or id: amount}, zero or
    None: not allocated, whatever the invoice), checked against what remains to pay (read now,
    under the lock)."""
    chosen = {
        pk: value
        for pk, value in zip(_ids(chosen), chosen.values(), strict=True)
        if value is not None and value != 0
    }
    invoices = _ours(family, structure, list(chosen))
    debited = Invoice.objects.filter(pk__in=list(chosen)).filter(in_pending_debit())
    refs = sorted(invoice.reference for invoice in debited)
    if refs:
        raise ValidationError(
            f"Facture en cours de prélèvement ({', '.join(refs)}) : la banque va la régler, "
            "n'y affectez pas ce règlement."
        )
    owed = {i.pk: i.outstanding for i in unpaid_invoices(family, structure).filter(pk__in=chosen)}
    labels = {pk: invoice.reference for pk, invoice in invoices.items()}
    parts = check_allocations(amount, chosen, owed, labels)
    return [(invoices[pk], part) for pk, part in parts]


# Using what is left


def allocate_credit(family, structure):
    """Allocate what is left of the family's received payments (oldest first) to its payable
    invoices (oldest due first): [(allocation made or grown, the part added)]. Nothing when
    nothing is left or nothing is owed, so a second call changes nothing."""
    credits = {payment.pk: payment for payment in credit_payments(family, structure)}
    if not credits:
        return []
    owed = {invoice.pk: invoice for invoice in payable_invoices(family, structure)}
    parts = pair(
        [(pk, p.unallocated) for pk, p in credits.items()],
        [(pk, i.outstanding) for pk, i in owed.items()],
    )
    existing = {
        (a.payment_id, a.invoice_id): a
        for a in Allocation.objects.filter(
            payment_id__in=[p for p, _, _ in parts], invoice_id__in=[i for _, i, _ in parts]
        )
    }
    made = []
    for payment_id, invoice_id, part in parts:
        allocation = existing.get((payment_id, invoice_id))
        if allocation is None:
            allocation = Allocation(amount=part)
        else:  # the payment already settles part of this invoice: it settles more of it
            allocation.amount += part
        allocation.payment, allocation.invoice = credits[payment_id], owed[invoice_id]
        allocation.save()
        made.append((allocation, part))
    return made


def use_credit(family, structure, actor):
    """`allocate_credit` with its audit entry, inside the caller's transaction, the family's
    row locked: the allocations made or grown."""
    made = allocate_credit(family, structure)
    if made:
        record(
            actor,
            "payment.credit_apply",
            family,
            family=family,
            after={
                "structure": structure.pk,
                "allocated": [
                    {
                        "receipt": a.payment.receipt_number,
                        "invoice": a.invoice.reference,
                        "amount": str(part),
                    }
                    for a, part in made
                ],
            },
        )
    return [allocation for allocation, _ in made]


def release_overpaid(invoice):
    """After a credit note: shrink the invoice's newest allocations of received payments by what
    it is now over-paid (paid beyond its total and credit notes), so that money becomes the
    family's credit. [(receipt number, part released)]; nothing when it is not over-paid."""
    excess = -money(with_outstanding(Invoice.objects.filter(pk=invoice.pk)).get().outstanding)
    released = []
    allocations = Allocation.objects.filter(invoice=invoice, payment__status=Payment.SUCCEEDED)
    for allocation in allocations.select_related("payment").order_by("-pk"):
        if excess <= 0:
            break
        part = min(excess, allocation.amount)
        if part == allocation.amount:
            allocation.delete()
        else:
            allocation.amount -= part
            allocation.save(update_fields=["amount"])
        released.append((allocation.payment.receipt_number, part))
        excess -= part
    return released
