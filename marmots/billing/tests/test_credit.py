"""A family's credit (what is left of its received payments) used by its next invoice: when the
run is issued, or when the manager asks; never on another structure's invoice; once only."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from marmots.billing import payments, settling
from marmots.billing.allocating import pair
from marmots.billing.balances import balance, unpaid_invoices
from marmots.billing.models import Allocation, Invoice, Payment
from marmots.billing.pdf import invoice_pdf
from marmots.core.models import AuditEntry
from marmots.debits.models import DebitBatch, DebitItem, Mandate
from tests.house import at, enroll

from .factories import invoice, payment
from .month import (
    DECEMBER_2,
    FRI_6,
    MON_2,
    MON_9,
    NOVEMBER,
    OCTOBER,
    THU_5,
    TUE_3,
    book,
    evening_with_departure,
    issue_month,
    pdf_text,
)

pytestmark = pytest.mark.django_db
D = Decimal
OCTOBER_5 = datetime.date(2026, 10, 5)
NOVEMBER_2 = at(datetime.date(2026, 11, 2), 9)
RECEIVED = datetime.date(2026, 11, 6)
NOV_2 = NOVEMBER_2.date()


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


def credit_of(family, structure):
    return settling.available_credit(family, structure)


def received(family, structure, amount, **fields):
    """A payment received and left unallocated (a credit)."""
    fields = {"method": Payment.CHEQUE, "received_on": RECEIVED, "reference": "n° 1"} | fields
    return payment(structure=structure, family=family, amount=D(amount), **fields)


def test_pair_uses_the_oldest_credit_on_the_oldest_due():
    credits = [("p1", D("10")), ("p2", D("5"))]
    owed = [("october", D("4")), ("november", D("20"))]
    assert pair(credits, owed) == [
        ("p1", "october", D("4.00")),
        ("p1", "november", D("6.00")),
        ("p2", "november", D("5.00")),
    ]
    assert pair([("p1", D("3"))], [("a", D("0")), ("b", D("1"))]) == [("p1", "b", D("1.00"))]
    assert pair([], owed) == [] and pair(credits, []) == []


def test_an_october_overpayment_pays_part_of_the_november_invoice(
    house, tariffs, family_a, child_a, guardian_a, manager, time_machine, mailoutbox, commits
):
    enroll(house, child_a, house.evening)
    time_machine.move_to(NOVEMBER_2)
    book(child_a, house.snack_slot, OCTOBER_5)
    issue_month(house.structure, OCTOBER, manager)
    october = Invoice.objects.get(period_start=OCTOBER)
    cheque = payments.record_payment(
        house.structure, family_a, manager, Payment.CHEQUE, october.total + 10, NOV_2, "n° 77"
    )
    assert credit_of(family_a, house.structure) == D("10.00")
    time_machine.move_to(DECEMBER_2)
    for day in (MON_2, TUE_3, THU_5, FRI_6, MON_9):  # 5 x 2,90 €
        evening_with_departure(house, child_a, day, 18, 10)

    with commits(execute=True):  # the e-mails go once the issue is committed
        issue_month(house.structure, NOVEMBER, manager)

    november = Invoice.objects.get(period_start=NOVEMBER)
    assert november.total == D("14.50")
    assert Allocation.objects.get(invoice=november).payment == cheque
    row = unpaid_invoices(family_a, house.structure).get()
    assert (row.pk, row.paid, row.outstanding) == (november.pk, D("10.00"), november.total - 10)
    assert balance(family_a, house.structure) == november.total - 10
    assert credit_of(family_a, house.structure) == D("0.00")
    text = " ".join(pdf_text(invoice_pdf(november)).split())
    assert "Réglé le 02/11/2026 (chèque) -10,00 €" in text
    assert "Reste à payer au 02/12/2026 4,50 €" in text
    (mail,) = [m for m in mailoutbox if november.reference in m.subject + m.body]
    assert "Déjà réglé : 10,00\u00a0€" in mail.body
    assert "Reste à payer : " in mail.body and "À régler avant le : 01/01/2027" in mail.body
    entry = AuditEntry.objects.get(action="payment.credit_apply")
    assert entry.actor == manager and entry.family_id == family_a.pk
    assert entry.after["allocated"] == [
        {"receipt": cheque.receipt_number, "invoice": november.reference, "amount": "10.00"}
    ]


def test_a_credit_larger_than_the_invoice_settles_it_and_the_mail_says_so(
    house, tariffs, family_a, child_a, guardian_a, manager, time_machine, mailoutbox, commits
):
    enroll(house, child_a, house.evening)
    time_machine.move_to(DECEMBER_2)
    received(family_a, house.structure, "100")
    evening_with_departure(house, child_a, MON_2, 18, 10)

    with commits(execute=True):
        issue_month(house.structure, NOVEMBER, manager)

    november = Invoice.objects.get(period_start=NOVEMBER)
    assert not unpaid_invoices(family_a, house.structure).exists()
    assert credit_of(family_a, house.structure) == D("100") - november.total
    assert balance(family_a, house.structure) == november.total - D("100")
    (mail,) = mailoutbox
    assert "Rien à payer : cette facture est entièrement réglée." in mail.body


def test_the_manager_applies_the_credit_once(structure, family_a, manager):
    november = invoice(family_a, structure, [("Novembre", "22.90")])
    december = invoice(family_a, structure, [("Décembre", "10")], month=datetime.date(2026, 12, 1))
    older = received(family_a, structure, "20", received_on=datetime.date(2026, 10, 1))
    newer = received(family_a, structure, "5")

    made = payments.apply_credit(family_a, structure, manager)

    assert {(a.payment, a.invoice, a.amount) for a in made} == {
        (older, november, D("20.00")),
        (newer, november, D("2.90")),
        (newer, december, D("2.10")),
    }
    assert credit_of(family_a, structure) == D("0.00")
    assert [i.outstanding for i in unpaid_invoices(family_a, structure)] == [D("7.90")]
    # Idempotent: nothing left, nothing more; one audit entry.
    assert payments.apply_credit(family_a, structure, manager) == []
    assert Allocation.objects.count() == 3
    assert AuditEntry.objects.filter(action="payment.credit_apply").count() == 1


def test_a_payment_partly_allocated_settles_more_of_the_same_invoice(structure, family_a, manager):
    november = invoice(family_a, structure, [("Novembre", "22.90")])
    cheque = payments.record_payment(
        structure,
        family_a,
        manager,
        Payment.CHEQUE,
        "30",
        RECEIVED,
        "n° 2",
        allocations={november.pk: D("5")},
    )

    (grown,) = payments.apply_credit(family_a, structure, manager)

    assert (grown.payment, grown.invoice, grown.amount) == (cheque, november, D("22.90"))
    assert Allocation.objects.get().amount == D("22.90")
    assert credit_of(family_a, structure) == D("7.10")


def test_a_credit_never_pays_another_structures_invoice(
    structure, other_structure, family_a, manager, other_manager
):
    family_a.structures.add(other_structure)
    theirs = invoice(family_a, other_structure, [("Taninges", "8.00")])
    received(family_a, structure, "10")

    assert payments.apply_credit(family_a, structure, manager) == []
    assert payments.apply_credit(family_a, other_structure, other_manager) == []

    assert not Allocation.objects.exists()
    assert [i.pk for i in unpaid_invoices(family_a, other_structure)] == [theirs.pk]
    assert credit_of(family_a, structure) == D("10.00")
    assert credit_of(family_a, other_structure) == D("0.00")


def test_only_received_payments_are_credit_and_debited_invoices_wait(structure, family_a, manager):
    november = invoice(family_a, structure, [("Novembre", "22.90")])
    received(family_a, structure, "8", status=Payment.PENDING, method=Payment.DEBIT)
    received(family_a, structure, "9", status=Payment.FAILED, method=Payment.CARD)
    assert payments.apply_credit(family_a, structure, manager) == []

    debit = received(
        family_a, structure, "22.90", status=Payment.PENDING, method=Payment.DEBIT, reference=""
    )
    mandate = Mandate.objects.create(
        structure=structure,
        family=family_a,
        reference="RUM-1",
        holder="Claire Martin",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        signed_on=datetime.date(2026, 9, 1),
    )
    batch = DebitBatch.objects.create(
        structure=structure,
        collection_date=datetime.date(2026, 12, 10),
        message_id="M1",
        total=D("22.90"),
        xml="",
    )
    DebitItem.objects.create(
        batch=batch,
        invoice=november,
        mandate=mandate,
        amount=D("22.90"),
        sequence_type=DebitItem.FRST,
        end_to_end_id="E1",
        payment=debit,
    )
    Allocation.objects.create(payment=debit, invoice=november, amount=D("22.90"))
    received(family_a, structure, "10")

    assert payments.apply_credit(family_a, structure, manager) == []
    assert credit_of(family_a, structure) == D("10.00")


def test_staff_may_not_apply_a_credit(structure, family_a, staff):
    invoice(family_a, structure, [("Novembre", "22.90")])
    received(family_a, structure, "10")
    with pytest.raises(PermissionDenied):
        payments.apply_credit(family_a, structure, staff)
    assert not Allocation.objects.exists()
