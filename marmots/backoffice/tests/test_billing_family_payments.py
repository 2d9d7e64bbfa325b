"""A payment recorded on a family's billing account with its allocation, the family's credit
used on demand, and the receipt; who may do what; bad input refused in French, nothing written."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from marmots.billing.models import Allocation, Payment
from marmots.billing.tests.factories import invoice as make_invoice
from marmots.billing.tests.factories import payment as make_payment
from marmots.billing.tests.month import pdf_text
from marmots.core.models import AuditEntry

D = Decimal
NOW = datetime.datetime(2026, 12, 15, 10, tzinfo=datetime.UTC)
OCTOBER = datetime.date(2026, 10, 1)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def account_url(family):
    return f"/gestion/facturation/familles/{family.pk}/"


def payment_url(family):
    return f"/gestion/facturation/familles/{family.pk}/reglements/"


def allocation_url(family):
    return f"/gestion/facturation/familles/{family.pk}/reglements/affectation/"


def credit_url(family):
    return f"/gestion/facturation/familles/{family.pk}/avoir/imputer/"


def receipt_url(payment):
    return f"/gestion/facturation/reglements/{payment.pk}/recu/"


@pytest.fixture
def owed(family_a, structure):
    """October (10,00, due 30 November) and November (6,00, due 31 December)."""
    october = make_invoice(family_a, structure, [("Octobre", "10.00")], month=OCTOBER)
    november = make_invoice(family_a, structure, [("Novembre", "6.00")])
    return october, november


def cheque(**fields):
    data = {
        "moyen": "cheque",
        "montant": "12,00",
        "recu_le": "2026-12-14",
        "reference": "n° 1234567 Crédit Agricole",
    }
    return data | fields


def written():
    return Payment.objects.count(), Allocation.objects.count(), AuditEntry.objects.count()


def test_the_form_lists_each_unpaid_invoice_with_an_amount_field(client_manager, family_a, owed):
    october, november = owed
    page = client_manager.get(account_url(family_a)).content.decode()

    assert "Enregistrer le règlement" in page and "Affectation aux factures" in page
    assert f'name="facture_{october.pk}"' in page and f'name="facture_{november.pk}"' in page
    assert page.index(october.reference) < page.index(f'name="facture_{november.pk}"')
    assert f'hx-get="{allocation_url(family_a)}"' in page


def test_the_allocation_is_prefilled_oldest_due_first_up_to_the_amount(
    client_manager, family_a, owed
):
    october, november = owed
    response = client_manager.get(allocation_url(family_a), {"montant": "12,00"})

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert f'name="facture_{october.pk}" id="id_facture_{october.pk}" value="10,00"' in page
    assert f'name="facture_{november.pk}" id="id_facture_{november.pk}" value="2,00"' in page
    unreadable = client_manager.get(allocation_url(family_a), {"montant": "abc"})
    assert f'id="id_facture_{october.pk}" value=""' in unreadable.content.decode()


def test_a_cheque_allocated_as_the_manager_chooses(client_manager, family_a, owed):
    october, november = owed
    data = cheque(montant="20,00", payeur="Jeanne Martin")
    data |= {f"facture_{october.pk}": "4,50", f"facture_{november.pk}": "6"}

    response = client_manager.post(payment_url(family_a), data)

    assert response.status_code == 302 and response["Location"] == account_url(family_a)
    payment = Payment.objects.get()
    assert (payment.method, payment.reference, payment.payer) == (
        "cheque",
        "n° 1234567 Crédit Agricole",
        "Jeanne Martin",
    )
    parts = dict(payment.allocations.values_list("invoice_id", "amount"))
    assert parts == {october.pk: D("4.50"), november.pk: D("6.00")}
    page = client_manager.get(account_url(family_a)).content.decode()
    assert "Règlement de 20,00\u00a0€ enregistré. Reçu n° RE-2026-00001." in page
    assert "9,50\u00a0€ restent en avoir disponible." in page
    assert "Avoir disponible" in page and "<strong>9,50\u00a0€</strong>" in page
    assert "Imputer l'avoir disponible" in page and "payé par Jeanne Martin" in page
    assert receipt_url(payment) in page


def test_every_field_left_empty_settles_the_oldest_first(client_manager, family_a, owed):
    october, november = owed
    data = cheque() | {f"facture_{october.pk}": "", f"facture_{november.pk}": " "}

    assert client_manager.post(payment_url(family_a), data).status_code == 302

    parts = dict(Payment.objects.get().allocations.values_list("invoice_id", "amount"))
    assert parts == {october.pk: D("10.00"), november.pk: D("2.00")}


def test_bad_input_is_refused_in_french_and_writes_nothing(
    client_manager, family_a, family_b, owed, structure, other_structure
):
    october, november = owed
    theirs = make_invoice(family_b, structure, [("Bernard", "5.00")])
    family_a.structures.add(other_structure)
    elsewhere = make_invoice(family_a, other_structure, [("Taninges", "8.00")])
    before = written()
    cases = [
        (cheque(montant="0"), "Le montant doit être positif."),
        (cheque(montant="-5"), "Le montant doit être positif."),
        (cheque(montant="douze"), "Indiquez un montant, par exemple 12,50."),
        (cheque(recu_le="2026-12-16"), "La date de réception ne peut pas être dans le futur."),
        (cheque(reference=""), "Indiquez le numéro du chèque et sa banque (référence)."),
        (cheque(moyen="ancv", reference=""), "nombre et les numéros des chèques-vacances"),
        (cheque(moyen="card"), "Sélectionnez un choix valide"),
        (cheque(**{f"facture_{theirs.pk}": "5"}), "Choisissez des factures émises de cette"),
        (cheque(**{f"facture_{elsewhere.pk}": "5"}), "Choisissez des factures émises de cette"),
        (cheque(facture_999999="5"), "Choisissez des factures émises de cette famille."),
        (cheque(**{f"facture_{october.pk}": "dix"}), "Montant affecté illisible"),
        (cheque(**{f"facture_{october.pk}": "-1"}), "doit être positif"),
        (
            cheque(**{f"facture_{october.pk}": "11"}),
            f"La facture {october.reference} n'a plus que 10,00\u00a0€ à payer",
        ),
        (
            cheque(**{f"facture_{october.pk}": "10", f"facture_{november.pk}": "6"}),
            "Les montants affectés (16,00\u00a0€) dépassent le montant du règlement (12,00",
        ),
    ]
    for data, message in cases:
        response = client_manager.post(payment_url(family_a), data)
        page = response.content.decode()
        assert response.status_code == 400, data
        assert message.replace("'", "&#x27;") in page, message
        assert "Rien n'a été enregistré" in page
    assert written() == before


def test_an_already_paid_invoice_is_refused(client_manager, family_a, owed, manager):
    october, _ = owed
    make_payment(
        structure=october.structure,
        family=family_a,
        method=Payment.CASH,
        amount=D("10"),
        received_on=datetime.date(2026, 12, 1),
    ).allocations.create(invoice=october, amount=D("10"))
    before = written()

    response = client_manager.post(payment_url(family_a), cheque(**{f"facture_{october.pk}": "5"}))

    assert response.status_code == 400
    assert (
        f"La facture {october.reference} n&#x27;a plus rien à payer." in response.content.decode()
    )
    assert written() == before


def test_the_manager_uses_the_familys_credit(client_manager, family_a, owed, structure):
    october, november = owed
    make_payment(
        structure=structure,
        family=family_a,
        method=Payment.TRANSFER,
        amount=D("12"),
        received_on=datetime.date(2026, 12, 1),
    )

    response = client_manager.post(credit_url(family_a), {"structure": structure.pk})

    assert response.status_code == 302
    parts = dict(Allocation.objects.values_list("invoice_id", "amount"))
    assert parts == {october.pk: D("10.00"), november.pk: D("2.00")}
    page = client_manager.get(account_url(family_a)).content.decode()
    assert "Avoir imputé sur 2 factures." in page and "Imputer l'avoir" not in page
    again = client_manager.post(credit_url(family_a), {"structure": structure.pk}, follow=True)
    assert "Rien à imputer" in again.content.decode()
    assert Allocation.objects.count() == 2


def test_the_receipt_downloads_for_staff(client_staff, family_a, owed, structure):
    payment = make_payment(
        structure=structure,
        family=family_a,
        method=Payment.CHEQUE,
        amount=D("12"),
        received_on=datetime.date(2026, 12, 14),
        reference="n° 1234567",
    )

    response = client_staff.get(receipt_url(payment))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "RE-2026-00001" in response["Content-Disposition"]
    assert "RE-2026-00001" in pdf_text(response.content)


def test_who_may_do_what(client, staff, guardian_a, other_manager, family_a, owed, structure):
    october, _ = owed
    payment = make_payment(
        structure=structure,
        family=family_a,
        method=Payment.CASH,
        amount=D("3"),
        received_on=datetime.date(2026, 12, 1),
    )
    pending = make_payment(
        structure=structure,
        family=family_a,
        method=Payment.CARD,
        amount=D("3"),
        received_on=datetime.date(2026, 12, 1),
        status=Payment.PENDING,
    )
    before = written()
    data = cheque(structure=structure.pk)
    client.force_login(staff)
    page = client.get(account_url(family_a)).content.decode()
    assert "Enregistrer le règlement" not in page and "Imputer l'avoir" not in page
    assert client.post(payment_url(family_a), data).status_code == 403
    assert client.post(credit_url(family_a), data).status_code == 403
    assert client.get(allocation_url(family_a), {"montant": "5"}).status_code == 403
    assert client.get(receipt_url(pending)).status_code == 404  # no receipt before it is paid
    client.force_login(other_manager)
    assert client.post(payment_url(family_a), data).status_code == 404
    assert client.post(credit_url(family_a), data).status_code == 404
    assert client.get(allocation_url(family_a), {"montant": "5"}).status_code == 404
    assert client.get(receipt_url(payment)).status_code == 404
    client.force_login(guardian_a.user)
    for url in (account_url(family_a), allocation_url(family_a), receipt_url(payment)):
        assert client.get(url).status_code == 403
    assert client.post(payment_url(family_a), data).status_code == 403
    assert client.post(credit_url(family_a), data).status_code == 403
    assert written() == before


def test_the_account_page_stays_within_a_bounded_number_of_queries(
    client_manager, family_a, owed, structure, django_assert_max_num_queries
):
    for day in range(1, 11):
        make_payment(
            structure=structure,
            family=family_a,
            method=Payment.CASH,
            amount=D("1"),
            received_on=datetime.date(2026, 12, day),
        )
    with django_assert_max_num_queries(20):
        assert client_manager.get(account_url(family_a)).status_code == 200
