"""Manual payments: allocated oldest due first or as the manager chooses; an overpayment stays
as the family's credit; every received payment gets its receipt number; bad input changes
nothing; two payments at once never settle the same euro twice (PostgreSQL)."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.billing import payments, settling
from marmots.billing.allocating import check_allocations, spread
from marmots.billing.balances import balance, unpaid_invoices
from marmots.billing.models import Allocation, Payment
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.concurrency import race

from .factories import invoice

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2027, 1, 15)
D = Decimal


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(datetime.datetime(2027, 1, 15, 10, tzinfo=datetime.UTC))


@pytest.fixture
def owed(structure, family_a):
    """November (22,90, due 1 January) and December (10,00, due 1 February)."""
    november = invoice(family_a, structure, [("Novembre", "22.90")])
    december = invoice(
        family_a, structure, [("Décembre", "10.00")], month=datetime.date(2026, 12, 1)
    )
    return november, december


def allocated(payment):
    return [(a.invoice, a.amount) for a in payment.allocations.order_by("invoice__due_date")]


def pay(structure, family, manager, amount, **options):
    options.setdefault("reference", "n° 1234567 Crédit Agricole")
    method = options.pop("method", Payment.CHEQUE)
    return payments.record_payment(structure, family, manager, method, amount, TODAY, **options)


def counts():
    return Payment.objects.count(), Allocation.objects.count(), AuditEntry.objects.count()


# The pure rules


def test_spread_settles_in_order_within_each_due_and_the_amount():
    assert spread(D("30"), [("a", D("22.90")), ("b", D("10"))]) == [
        ("a", D("22.90")),
        ("b", D("7.10")),
    ]
    assert spread(D("5"), [("a", D("0")), ("b", D("10"))]) == [("b", D("5.00"))]
    assert spread(D("50"), [("a", D("1"))]) == [("a", D("1.00"))]
    assert spread(D("0"), [("a", D("1"))]) == []


def test_check_allocations_says_every_reason():
    owed = {1: D("22.90"), 2: D("10.00")}
    labels = {1: "FA-1", 2: "FA-2", 3: "FA-3"}
    assert check_allocations(D("30"), {2: D("10"), 1: D("5")}, owed, labels) == [
        (1, D("5.00")),
        (2, D("10.00")),
    ]
    assert check_allocations(D("30"), {1: None, 2: D("0")}, owed, labels) == []
    with pytest.raises(ValidationError) as refused:
        check_allocations(D("30"), {1: D("-1"), 2: D("10.01"), 3: D("1")}, owed, labels)
    assert refused.value.messages == [
        "Le montant affecté à la facture FA-1 doit être positif.",
        "La facture FA-2 n'a plus que 10,00\u00a0€ à payer : vous y affectez 10,01\u00a0€.",
        "La facture FA-3 n'a plus rien à payer.",
    ]
    with pytest.raises(ValidationError, match="dépassent le montant du règlement"):
        check_allocations(D("20"), {1: D("15"), 2: D("10")}, owed, labels)


# Recording a payment


def test_a_payment_settles_the_oldest_due_first(structure, family_a, manager, owed):
    november, december = owed

    payment = pay(structure, family_a, manager, "30", reference="Chèque 1234567")

    assert payment.amount == D("30.00") and payment.recorded_by == manager
    assert payment.status == Payment.SUCCEEDED and payment.reference == "Chèque 1234567"
    assert payment.receipt_number == "RE-2027-00001"
    assert allocated(payment) == [(november, D("22.90")), (december, D("7.10"))]
    assert balance(family_a, structure) == D("2.90")
    assert [i.outstanding for i in unpaid_invoices(family_a, structure)] == [D("2.90")]
    entry = AuditEntry.objects.get(action="payment.record")
    assert entry.family_id == family_a.pk and entry.after["receipt"] == "RE-2027-00001"
    assert entry.after["allocated"] == {november.reference: "22.90", december.reference: "7.10"}


def test_an_overpayment_stays_as_a_credit(structure, family_a, manager, owed):
    november, december = owed
    pay(structure, family_a, manager, "30")

    extra = pay(structure, family_a, manager, "10", method=Payment.CASH, reference="")

    assert allocated(extra) == [(december, D("2.90"))]
    assert not unpaid_invoices(family_a, structure).exists()
    assert balance(family_a, structure) == D("-7.10")
    assert settling.available_credit(family_a, structure) == D("7.10")


def test_a_payment_for_chosen_invoices(structure, family_a, manager, owed):
    november, december = owed

    payment = pay(structure, family_a, manager, "10", method=Payment.ANCV, invoices=[december])

    assert allocated(payment) == [(december, D("10.00"))]
    assert [i.outstanding for i in unpaid_invoices(family_a, structure)] == [D("22.90")]


def test_the_manager_chooses_the_amounts(structure, family_a, manager, owed):
    november, december = owed

    payment = pay(
        structure,
        family_a,
        manager,
        "40",
        payer="Jeanne Martin (grand-mère)",
        allocations={december.pk: D("10"), november: D("5.50")},
    )

    assert allocated(payment) == [(november, D("5.50")), (december, D("10.00"))]
    assert payment.payer == "Jeanne Martin (grand-mère)"
    # The November invoice is partly paid; what is not allocated is the family's credit.
    assert [i.outstanding for i in unpaid_invoices(family_a, structure)] == [D("17.40")]
    assert settling.available_credit(family_a, structure) == D("24.50")
    assert balance(family_a, structure) == D("-7.10")


def test_an_allocation_of_nothing_keeps_the_whole_payment_as_credit(
    structure, family_a, manager, owed
):
    november, _ = owed

    payment = pay(structure, family_a, manager, "15", allocations={november.pk: D("0")})

    assert allocated(payment) == []
    assert settling.available_credit(family_a, structure) == D("15.00")


def test_receipt_numbers_are_continuous_per_structure(
    structure, other_structure, family_a, manager, owed
):
    family_a.structures.add(other_structure)
    other = f.MembershipFactory(structure=other_structure, role="manager").user
    numbers = [pay(structure, family_a, manager, "1").receipt_number for _ in range(3)]
    numbers.append(pay(other_structure, family_a, other, "1").receipt_number)

    assert numbers == ["RE-2027-00001", "RE-2027-00002", "RE-2027-00003", "RE-2027-00001"]


def test_refusals_change_nothing(structure, other_structure, family_a, family_b, manager, owed):
    november, december = owed
    theirs = invoice(family_b, structure, [("Bernard", "5.00")])
    family_a.structures.add(other_structure)
    elsewhere = invoice(family_a, other_structure, [("Taninges", "8.00")])
    paid = invoice(family_a, structure, [("Octobre", "4.00")], month=datetime.date(2026, 10, 1))
    pay(structure, family_a, manager, "4", invoices=[paid])
    draft = invoice(family_a, structure, [("Janvier", "3.00")], issued=False)
    stranger = f.FamilyFactory(name="Inconnue")
    before = counts()
    refusals = [
        ({"amount": "0"}, "Le montant doit être positif."),
        ({"amount": "-5"}, "Le montant doit être positif."),
        ({"method": "bitcoin"}, "Choisissez un moyen de paiement."),
        ({"method": Payment.CARD}, "Choisissez un moyen de paiement."),
        ({"received_on": TODAY + datetime.timedelta(days=1)}, "ne peut pas être dans le futur"),
        ({"reference": ""}, "Indiquez le numéro du chèque et sa banque"),
        ({"method": Payment.ANCV, "reference": " "}, "nombre et les numéros des chèques-vac"),
        ({"method": Payment.CESU, "reference": ""}, "nombre et les numéros des CESU"),
        ({"reference": "x" * 101}, "ne doit pas dépasser 100 caractères"),
        ({"invoices": [theirs]}, "Choisissez des factures émises de cette famille."),
        ({"family": stranger}, "n'est pas accueillie par la structure"),
        ({"allocations": {theirs.pk: D("5")}}, "Choisissez des factures émises de cette famille."),
        ({"allocations": {elsewhere.pk: D("5")}}, "Choisissez des factures émises de cette"),
        ({"allocations": {draft.pk: D("3")}}, "Choisissez des factures émises de cette famille."),
        ({"allocations": {999999: D("5")}}, "Choisissez des factures émises de cette famille."),
        ({"allocations": {"abc": D("5")}}, "Choisissez des factures émises de cette famille."),
        ({"allocations": {paid.pk: D("1")}}, f"La facture {paid.reference} n'a plus rien à payer"),
        ({"allocations": {november.pk: D("-1")}}, "doit être positif"),
        ({"allocations": {november.pk: D("23")}}, "n'a plus que 22,90\u00a0€ à payer"),
        (
            {"allocations": {november.pk: D("8"), december.pk: D("3")}},
            "Les montants affectés (11,00\u00a0€) dépassent le montant du règlement (10,00\u00a0€)",
        ),
    ]
    for changes, message in refusals:
        arguments = {
            "structure": structure,
            "family": family_a,
            "actor": manager,
            "method": Payment.CHEQUE,
            "amount": "10",
            "received_on": TODAY,
            "reference": "n° 1234567",
            **changes,
        }
        with pytest.raises(ValidationError) as refused:
            payments.record_payment(**arguments)
        assert message in refused.value.messages[0], changes
    assert counts() == before
    assert balance(family_a, structure) == D("32.90")


def test_staff_and_another_structures_manager_may_not_record(
    structure, family_a, staff, other_manager, owed
):
    for user in (staff, other_manager):
        with pytest.raises(PermissionDenied):
            pay(structure, family_a, user, "10")
    assert not Payment.objects.exists()


# Concurrency (PostgreSQL): real threads, each with its own connection.


def slow_reads(monkeypatch, wait):
    """What remains to pay is read, then `wait()` before the payment is written."""
    chosen_parts = settling.chosen_parts

    def read_then_wait(*args):
        parts = chosen_parts(*args)
        wait()
        return parts

    monkeypatch.setattr(settling, "chosen_parts", read_then_wait)


@pytest.mark.django_db(transaction=True)
def test_two_managers_at_once_get_distinct_continuous_receipts(
    postgres, structure, family_a, family_b, manager
):
    second = f.MembershipFactory(structure=structure, role="manager").user
    jobs = [(manager, family_a), (second, family_b)] * 4

    results = race(*[lambda m=m, fam=fam: pay(structure, fam, m, "5") for m, fam in jobs])

    assert all(isinstance(r, Payment) for r in results), results
    numbers = sorted(Payment.objects.values_list("receipt_number", flat=True))
    assert numbers == [f"RE-2027-{n:05d}" for n in range(1, 9)]


@pytest.mark.django_db(transaction=True)
def test_two_payments_for_one_invoice_never_overpay_it(
    postgres, structure, family_a, manager, owed, monkeypatch
):
    november, _ = owed
    second = f.MembershipFactory(structure=structure, role="manager").user
    slow_reads(monkeypatch, lambda: time.sleep(0.3))
    whole = {november.pk: D("22.90")}

    results = race(
        lambda: pay(structure, family_a, manager, "22.90", allocations=whole),
        lambda: pay(structure, family_a, second, "22.90", allocations=whole),
    )

    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1 and "n'a plus rien à payer" in refused[0].messages[0]
    assert Allocation.objects.filter(invoice=november).count() == 1
    assert november.pk not in {i.pk for i in unpaid_invoices(family_a, structure)}


@pytest.mark.django_db(transaction=True)
def test_without_the_family_lock_the_invoice_is_paid_twice(
    postgres, structure, family_a, manager, owed, monkeypatch
):
    november, _ = owed
    second = f.MembershipFactory(structure=structure, role="manager").user
    both_read = threading.Barrier(2)
    slow_reads(monkeypatch, lambda: both_read.wait(timeout=30))
    monkeypatch.setattr(settling, "lock_family", lambda family: None)
    whole = {november.pk: D("22.90")}

    results = race(
        lambda: pay(structure, family_a, manager, "22.90", allocations=whole),
        lambda: pay(structure, family_a, second, "22.90", allocations=whole),
    )

    assert all(isinstance(r, Payment) for r in results), results
    paid = sum(a.amount for a in Allocation.objects.filter(invoice=november))
    assert paid == D("45.80")  # the race the lock prevents
