"""A month's batch: pending debit payments and their items; collected, rejected or cancelled.
Every refusal is in French and writes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.billing.balances import balance, unpaid_invoices
from marmots.billing.models import Allocation, Payment
from marmots.billing.tests.factories import invoice, payment
from marmots.core.models import AuditEntry
from marmots.debits import actions
from marmots.debits.models import DebitBatch, DebitItem, Mandate
from tests.house import at

from .conftest import COLLECTION, NOVEMBER

pytestmark = pytest.mark.django_db


def counts():
    return (
        DebitBatch.objects.count(),
        DebitItem.objects.count(),
        Payment.objects.count(),
        Allocation.objects.count(),
    )


def statuses():
    return sorted(Payment.objects.values_list("status", flat=True))


@pytest.fixture
def batch(creditor, mandate_a, mandate_b, invoices, manager):
    return actions.make_batch(creditor.structure, NOVEMBER, manager)


def test_a_batch_holds_a_pending_payment_per_invoice(batch, invoices, mandate_a, manager):
    assert batch.collection_date == COLLECTION and batch.total == Decimal("76.00")
    assert batch.status == DebitBatch.GENERATED and batch.created_by == manager
    a1, a2, b = invoices
    items = {i.invoice: i for i in batch.items.select_related("payment")}
    assert set(items) == {a1, a2, b}
    first = items[a1]
    assert (first.amount, first.sequence_type, first.end_to_end_id) == (
        Decimal("22.90"),
        "FRST",
        f"{a1.reference}-{batch.pk}",
    )
    assert first.mandate == mandate_a
    pay = first.payment
    assert (pay.method, pay.status, pay.received_on, pay.receipt_number) == (
        Payment.DEBIT,
        Payment.PENDING,
        COLLECTION,
        "",
    )
    assert pay.family_id == a1.family_id and pay.reference == mandate_a.reference
    assert list(pay.allocations.values_list("invoice", "amount")) == [(a1.pk, Decimal("22.90"))]
    # Pending: nothing is paid yet.
    assert balance(a1.family) == Decimal("28.00")
    entry = AuditEntry.objects.get(action="debit_batch.create")
    assert entry.after == {
        "month": "novembre 2026",
        "collection_date": "2026-12-10",
        "items": 3,
        "total": "76.00",
    }


def test_what_was_partly_paid_is_debited_for_the_rest(
    creditor, structure, mandate_a, invoices, family_a, manager
):
    a1, a2, _ = invoices
    paid = payment(
        structure=structure,
        family=family_a,
        method=Payment.CHEQUE,
        amount=Decimal("10.00"),
        received_on=datetime.date(2026, 12, 1),
    )
    Allocation.objects.create(payment=paid, invoice=a1, amount=Decimal("10.00"))

    batch = actions.make_batch(structure, NOVEMBER, manager)

    assert dict(batch.items.values_list("invoice", "amount")) == {
        a1.pk: Decimal("12.90"),
        a2.pk: Decimal("5.10"),
    }


def test_only_families_with_an_active_mandate_and_months_up_to_the_chosen_one(
    creditor, structure, mandate_a, invoices, family_a, manager
):
    older = invoice(family_a, structure, [("Octobre", "3.00")], month=datetime.date(2026, 10, 1))
    later = invoice(family_a, structure, [("Décembre", "9.00")], month=datetime.date(2026, 12, 1))

    batch = actions.make_batch(structure, NOVEMBER, manager)

    a1, a2, b = invoices
    assert set(batch.items.values_list("invoice", flat=True)) == {a1.pk, a2.pk, older.pk}
    assert later.pk not in batch.items.values_list("invoice", flat=True)  # not that month


def test_an_invoice_goes_in_one_batch_at_a_time(batch, creditor, manager):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        actions.make_batch(creditor.structure, NOVEMBER, manager)
    assert refused.value.messages == [actions.NOTHING_DUE]
    assert counts() == before


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"enabled": False}, "n'est pas activé"),
        ({"creditor_name": ""}, "Indiquez le nom du créancier"),
        ({"creditor_id": "FR73ZZZ123456"}, "Réglages du créancier : Cet identifiant créancier"),
        ({"iban": ""}, "Réglages du créancier : Indiquez l'IBAN."),
        ({"bic": "AGRI"}, "Réglages du créancier : Un BIC compte 8 ou 11 caractères."),
    ],
)
def test_incomplete_or_invalid_settings_refuse_the_batch(
    creditor, mandate_a, invoices, manager, changes, message
):
    for field, value in changes.items():
        setattr(creditor, field, value)
    creditor.save()
    with pytest.raises(ValidationError) as refused:
        actions.make_batch(creditor.structure, NOVEMBER, manager)
    assert any(message in m for m in refused.value.messages)
    assert counts() == (0, 0, 0, 0)


def test_no_settings_at_all(structure, mandate_a, invoices, manager):
    with pytest.raises(ValidationError, match="pas activé"):
        actions.make_batch(structure, NOVEMBER, manager)
    assert counts() == (0, 0, 0, 0)


def test_nothing_due(creditor, mandate_a, manager):
    with pytest.raises(ValidationError, match="Aucune facture à prélever"):
        actions.make_batch(creditor.structure, NOVEMBER, manager)
    assert counts() == (0, 0, 0, 0)


def test_a_month_to_come_is_refused(creditor, mandate_a, invoices, manager):
    with pytest.raises(ValidationError, match="n'a pas commencé"):
        actions.make_batch(creditor.structure, datetime.date(2027, 1, 1), manager)
    assert counts() == (0, 0, 0, 0)


def test_only_the_manager_makes_a_batch(creditor, mandate_a, invoices, staff, other_manager):
    for user in (staff, other_manager):
        with pytest.raises(PermissionDenied):
            actions.make_batch(creditor.structure, NOVEMBER, user)
    assert counts() == (0, 0, 0, 0)


def test_a_batch_is_collected_on_its_date(batch, manager, time_machine, mandate_a, invoices):
    with pytest.raises(ValidationError, match="prévus le 10/12/2026"):
        actions.mark_collected(batch, manager)
    assert statuses() == ["pending"] * 3

    time_machine.move_to(at(COLLECTION, 9))
    actions.mark_collected(batch, manager)

    assert batch.status == DebitBatch.COLLECTED
    receipts = sorted(Payment.objects.values_list("receipt_number", flat=True))
    assert receipts == ["RE-2026-00001", "RE-2026-00002", "RE-2026-00003"]
    assert statuses() == ["succeeded"] * 3
    assert Mandate.objects.filter(first_collected_on=COLLECTION).count() == 2
    assert balance(invoices[0].family) == Decimal("0.00")
    assert not unpaid_invoices(invoices[0].family).exists()
    with pytest.raises(ValidationError, match="déjà marquée encaissée"):
        actions.mark_collected(batch, manager)
    with pytest.raises(ValidationError, match="ne peut plus être annulée"):
        actions.cancel_batch(batch, manager)
    assert statuses() == ["succeeded"] * 3


def test_a_rejected_debit_is_due_again_and_goes_in_a_later_batch(
    batch, creditor, manager, time_machine, invoices, mandate_b
):
    a1, _, b = invoices
    item_b = batch.items.get(invoice=b)
    time_machine.move_to(at(COLLECTION, 9))
    actions.mark_collected(batch, manager)

    actions.reject_item(item_b, manager, "AM04 – provision insuffisante")

    item_b.payment.refresh_from_db()
    assert item_b.payment.status == Payment.FAILED
    assert item_b.rejected_reason == "AM04 – provision insuffisante"
    assert item_b.payment.receipt_number  # numbers stay continuous
    assert balance(b.family) == Decimal("48.00")
    mandate_b.refresh_from_db()
    assert mandate_b.first_collected_on is None  # its first debit came back: FRST again
    entry = AuditEntry.objects.get(action="debit_item.reject")
    assert entry.family_id == b.family_id and entry.after["reason"].startswith("AM04")

    with pytest.raises(ValidationError, match="déjà rejeté"):
        actions.reject_item(item_b, manager, "Encore")
    assert AuditEntry.objects.filter(action="debit_item.reject").count() == 1

    # December's batch takes B's November invoice again (and nothing of A's, collected).
    time_machine.move_to(at(datetime.date(2027, 1, 4), 9))
    later = actions.make_batch(creditor.structure, datetime.date(2026, 12, 1), manager)
    assert list(later.items.values_list("invoice", "sequence_type")) == [(b.pk, "FRST")]
    assert later.collection_date == datetime.date(2027, 1, 11)  # the 10th is a Sunday


def test_a_rejected_item_before_collection_stays_failed(batch, manager, time_machine, invoices):
    actions.reject_item(batch.items.get(invoice=invoices[2]), manager, "AC04 – compte clôturé")
    time_machine.move_to(at(COLLECTION, 9))
    actions.mark_collected(batch, manager)
    assert statuses() == ["failed", "succeeded", "succeeded"]
    assert Payment.objects.get(status="failed").receipt_number == ""


@pytest.mark.parametrize("reason, message", [("  ", "Indiquez le motif"), ("x" * 201, "200")])
def test_a_reject_needs_a_reason(batch, manager, reason, message):
    item = batch.items.first()
    with pytest.raises(ValidationError, match=message):
        actions.reject_item(item, manager, reason)
    assert statuses() == ["pending"] * 3 and not AuditEntry.objects.filter(
        action="debit_item.reject"
    )


def test_a_cancelled_batch_frees_its_invoices(batch, creditor, manager, invoices):
    actions.cancel_batch(batch, manager)

    assert batch.status == DebitBatch.CANCELLED and statuses() == ["failed"] * 3
    assert AuditEntry.objects.get(action="debit_batch.cancel").after == {"cancelled": 3}
    for action, message in [
        (actions.cancel_batch, "déjà annulée"),
        (actions.mark_collected, "annulée"),
    ]:
        with pytest.raises(ValidationError, match=message):
            action(batch, manager)
    with pytest.raises(ValidationError, match="annulée"):
        actions.reject_item(batch.items.first(), manager, "AM04")
    again = actions.make_batch(creditor.structure, NOVEMBER, manager)
    assert again.items.count() == 3 and again.total == Decimal("76.00")


def test_only_the_manager_handles_a_batch(batch, staff, other_manager):
    for user in (staff, other_manager):
        for action in (actions.mark_collected, actions.cancel_batch):
            with pytest.raises(PermissionDenied):
                action(batch, user)
        with pytest.raises(PermissionDenied):
            actions.reject_item(batch.items.first(), user, "AM04")
    assert statuses() == ["pending"] * 3


def test_an_invoice_debited_again_gets_a_new_end_to_end_id(batch, creditor, manager, invoices):
    b = invoices[2]
    first = batch.items.get(invoice=b).end_to_end_id
    actions.cancel_batch(batch, manager)  # the same collection date again
    again = actions.make_batch(creditor.structure, NOVEMBER, manager)

    second = again.items.get(invoice=b).end_to_end_id
    assert first != second and first.startswith(b.reference) and second.startswith(b.reference)
    assert f"<EndToEndId>{second}</EndToEndId>" in again.xml
    assert f"<EndToEndId>{first}</EndToEndId>" not in again.xml
