"""Manual payments: allocated oldest due first; an overpayment stays as the family's credit."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.billing import actions
from marmots.billing.balances import balance, unpaid_invoices
from marmots.billing.models import Allocation, Payment
from marmots.core.models import AuditEntry
from tests import factories as f

from .factories import invoice

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2027, 1, 15)


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
    return actions.record_payment(
        structure, family, manager, options.pop("method", Payment.CHEQUE), amount, TODAY, **options
    )


def test_a_payment_settles_the_oldest_due_first(structure, family_a, manager, owed):
    november, december = owed

    payment = pay(structure, family_a, manager, "30", reference="Chèque 1234567")

    assert payment.amount == Decimal("30.00") and payment.recorded_by == manager
    assert payment.status == Payment.SUCCEEDED and payment.reference == "Chèque 1234567"
    assert allocated(payment) == [(november, Decimal("22.90")), (december, Decimal("7.10"))]
    assert balance(family_a, structure) == Decimal("2.90")
    assert [i.outstanding for i in unpaid_invoices(family_a, structure)] == [Decimal("2.90")]
    entry = AuditEntry.objects.get(action="payment.record")
    assert entry.family_id == family_a.pk
    assert entry.after["allocated"] == {november.reference: "22.90", december.reference: "7.10"}


def test_an_overpayment_stays_as_a_credit(structure, family_a, manager, owed):
    november, december = owed
    pay(structure, family_a, manager, "30")

    extra = pay(structure, family_a, manager, "10", method=Payment.CASH)

    assert allocated(extra) == [(december, Decimal("2.90"))]
    assert not unpaid_invoices(family_a, structure).exists()
    assert balance(family_a, structure) == Decimal("-7.10")


def test_a_payment_for_chosen_invoices(structure, family_a, manager, owed):
    november, december = owed

    payment = pay(structure, family_a, manager, "10", method=Payment.ANCV, invoices=[december])

    assert allocated(payment) == [(december, Decimal("10.00"))]
    assert [i.outstanding for i in unpaid_invoices(family_a, structure)] == [Decimal("22.90")]


def test_refusals_change_nothing(structure, family_a, family_b, manager, staff, owed):
    theirs = invoice(family_b, structure, [("Bernard", "5.00")])
    stranger = f.FamilyFactory(name="Inconnue")
    refusals = [
        ({"amount": "0"}, "Le montant doit être positif."),
        ({"amount": "-5"}, "Le montant doit être positif."),
        ({"method": "bitcoin"}, "Choisissez un moyen de paiement."),
        ({"received_on": TODAY + datetime.timedelta(days=1)}, "ne peut pas être dans le futur"),
        ({"invoices": [theirs]}, "Choisissez des factures émises de cette famille."),
        ({"family": stranger}, "n'est pas accueillie par la structure"),
    ]
    for changes, message in refusals:
        arguments = {
            "structure": structure,
            "family": family_a,
            "actor": manager,
            "method": Payment.CHEQUE,
            "amount": "10",
            "received_on": TODAY,
            **changes,
        }
        with pytest.raises(ValidationError) as refused:
            actions.record_payment(**arguments)
        assert message in refused.value.messages[0]
    with pytest.raises(PermissionDenied):
        pay(structure, family_a, staff, "10")

    assert not Payment.objects.exists() and not Allocation.objects.exists()
    assert balance(family_a, structure) == Decimal("32.90")
