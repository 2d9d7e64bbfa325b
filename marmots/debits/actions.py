"""Direct debit actions: a month's batch from its file to its collection (or its rejects, or
its cancellation); the creditor settings and mandates (`mandates.py`) are re-exported here.

Each action checks that a manager of the structure acts, owns its transaction, writes its
audit entry and says in French why it refuses. Making a batch locks the structure's settings
row (one batch made at a time), then the rows of the families on direct debit (a payment
recorded meanwhile waits), so an invoice is never put in two batches at once; it spends their
credit first and debits only the families it locked (not one whose mandate was created
meanwhile). Collecting, rejecting or cancelling locks the batch row, then its families (id
order), then their payments: a debit never settles what a credit note or another payment
made meanwhile already settled, and what a collection frees is spent at once on the family's
other unpaid invoices.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from marmots.billing.actions import check_manager, give_receipt_number
from marmots.billing.balances import with_outstanding
from marmots.billing.models import Allocation, Invoice, Payment
from marmots.billing.money import ZERO, money
from marmots.billing.payments import apply_credit
from marmots.billing.settling import families_with_credit, lock_family, use_credit
from marmots.core.audit import record
from marmots.core.french import month_label
from marmots.families.models import Family

from . import queries, rules, sepa
from .mandates import create_mandate, revoke_mandate, save_settings  # noqa: F401 (actions)
from .models import DebitBatch, DebitItem, DebitSettings, Mandate

NOTHING_DUE = (
    "Aucune facture à prélever : pas de facture impayée d'une famille avec un mandat actif."
)
FUTURE_MONTH = "Ce mois n'a pas commencé : ses factures ne sont pas encore émises."


def _fr(day):
    return f"{day:%d/%m/%Y}"


# Batches ------------------------------------------------------------------------------------


def _lock_structure(structure):
    """The structure's settings row, locked: batches of a structure are made one at a time."""
    queries.settings_for(structure)
    return DebitSettings.objects.select_for_update().get(structure=structure)


def _lock_families(family_ids):
    """The families' rows, locked in id order (against a payment recorded meanwhile)."""
    for family_id in sorted(set(family_ids)):
        lock_family(family_id)


def _spend_credit(structure, family_ids, actor):
    """What is left of the families' received payments settles their invoices first."""
    with_credit = families_with_credit(structure, family_ids)
    for family in Family.objects.filter(pk__in=with_credit).order_by("pk"):
        apply_credit(family, structure, actor)


def _debit(row, structure, batch):
    invoice, mandate = row.invoice, row.mandate
    return sepa.Debit(
        holder=mandate.holder,
        iban=mandate.iban,
        bic=mandate.bic,
        amount=row.amount,
        sequence_type=row.sequence_type,
        mandate_reference=mandate.reference,
        signed_on=mandate.signed_on,
        end_to_end_id=rules.end_to_end_id(invoice.reference, batch.pk),
        description=f"{structure.name} - facture {invoice.reference}",
    )


def make_batch(structure, month, actor):
    """The batch of `month` (a date in it): a pending debit payment per invoice due, its
    items and its pain.008 file, collected on the settings' day of the following month."""
    check_manager(actor, structure)
    today = timezone.localdate()
    if month.replace(day=1) > today:
        raise ValidationError(FUTURE_MONTH)
    with transaction.atomic():
        settings = _lock_structure(structure)
        problems = queries.settings_problems(settings)
        if problems:
            raise ValidationError(problems)
        on_debit = list(queries.active_mandates(structure).values_list("family_id", flat=True))
        _lock_families(on_debit)
        _spend_credit(structure, on_debit, actor)
        rows = queries.due(structure, month, family_ids=on_debit)  # only the locked families
        if not rows:
            raise ValidationError(NOTHING_DUE)
        date = rules.collection_date(month, settings.collection_day, today)
        batch = DebitBatch.objects.create(  # its id names the debits in the file
            structure=structure,
            collection_date=date,
            message_id=f"~{uuid.uuid4().hex}",  # until the file's own
            total=queries.total(rows),
            xml="",
            created_by=actor,
        )
        debits = [_debit(row, structure, batch) for row in rows]
        batch.message_id, batch.xml = sepa.build(settings, date, debits)
        batch.save(update_fields=["message_id", "xml"])
        payments = Payment.objects.bulk_create(
            Payment(
                structure=structure,
                family_id=row.invoice.family_id,
                method=Payment.DEBIT,
                status=Payment.PENDING,
                amount=row.amount,
                received_on=date,
                reference=row.mandate.reference,
                recorded_by=actor,
            )
            for row in rows
        )
        Allocation.objects.bulk_create(
            Allocation(payment=p, invoice=row.invoice, amount=row.amount)
            for p, row in zip(payments, rows, strict=True)
        )
        DebitItem.objects.bulk_create(
            DebitItem(
                batch=batch,
                invoice=row.invoice,
                mandate=row.mandate,
                amount=row.amount,
                sequence_type=row.sequence_type,
                end_to_end_id=debit.end_to_end_id,
                payment=p,
            )
            for p, row, debit in zip(payments, rows, debits, strict=True)
        )
        record(
            actor,
            "debit_batch.create",
            batch,
            after={
                "month": month_label(month.replace(day=1)),
                "collection_date": date.isoformat(),
                "items": len(rows),
                "total": str(batch.total),
            },
        )
    return batch


def _locked_batch(batch):
    batches = DebitBatch.objects.select_for_update(of=("self",)).select_related("structure")
    return batches.get(pk=batch.pk)


def _cap_allocations(payments):
    """Each debit payment settles at most what its invoice still owes from received payments
    (a card payment may have paid it since the file was made): its allocation shrinks, or
    goes; the rest of the money stays the family's credit. ({invoice reference: left over},
    the ids of the families with money left over)."""
    allocations = Allocation.objects.filter(payment__in=payments).select_related("invoice")
    allocations = list(allocations.order_by("pk"))
    invoices = Invoice.objects.filter(pk__in=[a.invoice_id for a in allocations])
    owed = {
        pk: money(amount)
        for pk, amount in with_outstanding(invoices).values_list("pk", "outstanding")
    }
    left, families = {}, set()
    for allocation in allocations:
        part = min(allocation.amount, max(owed.get(allocation.invoice_id, ZERO), ZERO))
        owed[allocation.invoice_id] = owed.get(allocation.invoice_id, ZERO) - part
        if part == allocation.amount:
            continue
        left[allocation.invoice.reference] = str(allocation.amount - part)
        families.add(allocation.invoice.family_id)
        if part == ZERO:
            allocation.delete()
        else:
            allocation.amount = part
            allocation.save(update_fields=["amount"])
    return left, sorted(families)


def _spend_freed(structure, family_ids, actor):
    """What a collection left over settles the families' other unpaid invoices now (their
    rows are locked by the caller)."""
    for family in Family.objects.filter(pk__in=family_ids).order_by("pk"):
        use_credit(family, structure, actor)


def mark_collected(batch, actor):
    """The bank collected the batch: its pending payments are received (receipt numbers
    given), each settling what its invoice still owes (what is left over settles the family's
    other unpaid invoices); its mandates have had their first collection."""
    check_manager(actor, batch.structure)
    with transaction.atomic():
        locked = _locked_batch(batch)
        if locked.status == DebitBatch.COLLECTED:
            raise ValidationError("Cette remise est déjà marquée encaissée.")
        if locked.status == DebitBatch.CANCELLED:
            raise ValidationError("Cette remise est annulée : elle ne peut pas être encaissée.")
        if timezone.localdate() < locked.collection_date:
            raise ValidationError(
                f"Ces prélèvements sont prévus le {_fr(locked.collection_date)} : marquez-les "
                "encaissés à partir de cette date."
            )
        pending = Payment.objects.filter(debit_item__batch=locked, status=Payment.PENDING)
        _lock_families(pending.values_list("family_id", flat=True))
        pending = list(pending.select_for_update(of=("self",)).order_by("pk"))
        left, freed = _cap_allocations(pending)
        for payment in pending:
            payment.status = Payment.SUCCEEDED
            give_receipt_number(payment)
            payment.save(update_fields=["status", "receipt_number"])
        _spend_freed(locked.structure, freed, actor)  # now that the money is received
        received = [payment.pk for payment in pending]
        Mandate.objects.filter(items__payment__in=received, first_collected_on__isnull=True).update(
            first_collected_on=locked.collection_date
        )
        locked.status = DebitBatch.COLLECTED
        locked.save(update_fields=["status"])
        after = {"received": len(received)}
        if left:
            after["credit"] = left  # paid meanwhile: the family's credit
        record(actor, "debit_batch.collect", locked, after=after)
    batch.refresh_from_db()
    return batch


def reject_item(item, actor, reason):
    """The bank rejected (or returned) one debit: its payment failed, for the bank's reason;
    the invoice is due again and goes in a later batch."""
    check_manager(actor, item.batch.structure)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Indiquez le motif du rejet donné par la banque.")
    if len(reason) > 200:
        raise ValidationError("Le motif ne doit pas dépasser 200 caractères.")
    with transaction.atomic():
        batch = _locked_batch(item.batch)
        if batch.status == DebitBatch.CANCELLED:
            raise ValidationError("Cette remise est annulée : ses prélèvements n'ont pas eu lieu.")
        family = DebitItem.objects.filter(pk=item.pk).values_list("payment__family", flat=True)
        _lock_families([family.get()])  # after the batch row, before the payment row
        items = DebitItem.objects.select_for_update(of=("self",)).select_related("invoice")
        locked = items.get(pk=item.pk)
        payment = Payment.objects.select_for_update().get(pk=locked.payment_id)
        if payment.status == Payment.FAILED:
            raise ValidationError("Ce prélèvement est déjà rejeté.")
        was_received = payment.status == Payment.SUCCEEDED
        payment.status = Payment.FAILED
        payment.save(update_fields=["status"])
        locked.rejected_reason = reason
        locked.save(update_fields=["rejected_reason"])
        collected = DebitItem.objects.filter(
            mandate=locked.mandate_id, payment__status=Payment.SUCCEEDED
        )
        if was_received and not collected.exists():
            # A returned first debit: the next one is a first (FRST) again.
            Mandate.objects.filter(pk=locked.mandate_id).update(first_collected_on=None)
        record(
            actor,
            "debit_item.reject",
            locked,
            family_id=payment.family_id,
            after={
                "invoice": locked.invoice.reference,
                "amount": str(locked.amount),
                "reason": reason,
            },
        )
    item.refresh_from_db()
    return item


def cancel_batch(batch, actor):
    """Withdraw a batch not collected (the file was not sent, or was recalled): its pending
    payments fail and its invoices are due again."""
    check_manager(actor, batch.structure)
    with transaction.atomic():
        locked = _locked_batch(batch)
        if locked.status == DebitBatch.COLLECTED:
            raise ValidationError(
                "Cette remise est encaissée : elle ne peut plus être annulée (rejetez les "
                "prélèvements refusés par la banque un par un)."
            )
        if locked.status == DebitBatch.CANCELLED:
            raise ValidationError("Cette remise est déjà annulée.")
        pending = Payment.objects.filter(debit_item__batch=locked, status=Payment.PENDING)
        _lock_families(pending.values_list("family_id", flat=True))
        ids = list(
            pending.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True)
        )
        failed = Payment.objects.filter(pk__in=ids).update(status=Payment.FAILED)
        locked.status = DebitBatch.CANCELLED
        locked.save(update_fields=["status"])
        record(actor, "debit_batch.cancel", locked, after={"cancelled": failed})
    batch.refresh_from_db()
    return batch
