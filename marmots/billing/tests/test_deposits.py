"""Bank deposit slips: numbered continuously per structure and year, total computed from the
payments, a payment never on two slips (even at once, PostgreSQL); refusals change nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.billing import deposits
from marmots.billing.balances import settings_for
from marmots.billing.models import DepositSlip, Payment
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.concurrency import race

from .factories import payment
from .month import pdf_text

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 15)
D = Decimal


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 15, 10, tzinfo=datetime.UTC))


def received(family, structure, amount, method=Payment.CHEQUE, **fields):
    fields = {"received_on": datetime.date(2026, 12, 10), "reference": "n° 1 LCL"} | fields
    return payment(structure=structure, family=family, method=method, amount=D(amount), **fields)


@pytest.fixture
def cheques(structure, family_a, family_b):
    return [
        received(family_a, structure, "22.90", reference="n° 1234567 Crédit Agricole"),
        received(family_b, structure, "15.00", payer="Jeanne Bernard", reference="n° 42 LCL"),
    ]


def make(structure, manager, payments, method=Payment.CHEQUE, day=TODAY):
    return deposits.create_deposit_slip(structure, manager, method, [p.pk for p in payments], day)


def slipped():
    return DepositSlip.objects.count(), Payment.objects.filter(deposit_slip__isnull=False).count()


def test_a_slip_of_cheques(structure, manager, cheques):
    slip = make(structure, manager, cheques, day=datetime.date(2026, 12, 14))

    assert slip.number == "BR-2026-001" and slip.method == Payment.CHEQUE
    assert slip.total == D("37.90") and slip.deposited_on == datetime.date(2026, 12, 14)
    assert slip.created_by == manager
    assert set(slip.payments.all()) == set(cheques)
    entry = AuditEntry.objects.get(action="deposit.create")
    assert entry.after["total"] == "37.90" and len(entry.after["receipts"]) == 2


def test_numbers_are_continuous_per_structure_and_year(
    structure, other_structure, family_a, manager, other_manager, time_machine
):
    family_a.structures.add(other_structure)
    numbers = [make(structure, manager, [received(family_a, structure, "5")]).number]
    numbers.append(make(structure, manager, [received(family_a, structure, "6")]).number)
    theirs = received(family_a, other_structure, "7", method=Payment.CASH, reference="")
    numbers.append(make(other_structure, other_manager, [theirs], Payment.CASH).number)
    january_4 = datetime.date(2027, 1, 4)
    time_machine.move_to(datetime.datetime(2027, 1, 4, 10, tzinfo=datetime.UTC))
    january = make(structure, manager, [received(family_a, structure, "8")], day=january_4)
    numbers.append(january.number)

    assert numbers == ["BR-2026-001", "BR-2026-002", "BR-2026-001", "BR-2027-001"]


def test_refusals_change_nothing(structure, other_structure, family_a, manager, cheques):
    family_a.structures.add(other_structure)
    cash = received(family_a, structure, "10", method=Payment.CASH, reference="")
    pending = received(family_a, structure, "10", status=Payment.PENDING)
    transfer = received(family_a, structure, "10", method=Payment.TRANSFER)
    theirs = received(family_a, other_structure, "10")
    late = received(family_a, structure, "10", received_on=TODAY)
    deposited = received(family_a, structure, "3")
    make(structure, manager, [deposited])
    before = slipped()
    yesterday = TODAY - datetime.timedelta(days=1)
    refusals = [
        ([], Payment.CHEQUE, TODAY, "Cochez au moins un règlement"),
        ([cash], Payment.CHEQUE, TODAY, "est en espèces, pas en chèque"),
        ([cheques[0], cash], Payment.CHEQUE, TODAY, "est en espèces"),
        ([pending], Payment.CHEQUE, TODAY, "n'est pas reçu"),
        ([deposited], Payment.CHEQUE, TODAY, "est déjà sur le bordereau BR-2026-001"),
        ([theirs], Payment.CHEQUE, TODAY, "Règlement inconnu"),
        ([transfer], Payment.TRANSFER, TODAY, "Choisissez un moyen"),
        (cheques, "bitcoin", TODAY, "Choisissez un moyen"),
        (cheques, Payment.CHEQUE, TODAY + datetime.timedelta(days=1), "dans le futur"),
        ([late], Payment.CHEQUE, yesterday, "a été reçu après la date de remise"),
    ]
    for chosen, method, day, message in refusals:
        with pytest.raises(ValidationError) as refused:
            make(structure, manager, chosen, method, day)
        assert message in " ".join(refused.value.messages), (method, message)
    with pytest.raises(ValidationError, match="Règlement inconnu"):
        deposits.create_deposit_slip(structure, manager, Payment.CHEQUE, [999999], TODAY)

    assert slipped() == before


def test_staff_and_another_structures_manager_may_not_make_a_slip(
    structure, staff, other_manager, cheques
):
    for user in (staff, other_manager):
        with pytest.raises(PermissionDenied):
            make(structure, user, cheques)
    assert not DepositSlip.objects.exists()


def test_the_slip_pdf(structure, manager, cheques):
    billing = settings_for(structure)
    billing.legal_mentions = "IBAN FR76 3000 6000 0112 3456 7890 189 – Crédit Agricole des Savoie"
    billing.save()
    slip = make(structure, manager, cheques)

    text = " ".join(pdf_text(deposits.slip_pdf(slip)).split())

    for expected in [
        "Les Petits Montagnards",
        "Bordereau de remise n° BR-2026-001",
        "Remis le 15/12/2026",
        "IBAN FR76 3000 6000 0112 3456 7890 189",
        "n° 1234567 Crédit Agricole",
        "Jeanne Bernard (famille Bernard) n° 42 LCL 15,00 €",
        "Martin",
        "Total : 2 règlements 37,90 €",
    ]:
        assert expected in text, expected
    assert deposits.slip_filename(slip) == "bordereau-BR-2026-001.pdf"


# Concurrency (PostgreSQL)


@pytest.mark.django_db(transaction=True)
def test_two_managers_at_once_never_put_a_payment_on_two_slips(
    postgres, structure, family_a, manager, cheques
):
    second = f.MembershipFactory(structure=structure, role="manager").user
    shared = cheques[0]
    own = received(family_a, structure, "30")

    results = race(
        lambda: make(structure, manager, [shared]),
        lambda: make(structure, second, [own, shared]),
    )

    made = [r for r in results if isinstance(r, DepositSlip)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == len(refused) == 1, results
    assert "est déjà sur le bordereau BR-2026-001" in refused[0].messages[0]
    shared.refresh_from_db()
    assert shared.deposit_slip == made[0] and DepositSlip.objects.get() == made[0]
    assert made[0].number == "BR-2026-001"
