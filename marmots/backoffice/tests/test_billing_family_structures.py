"""A family in two structures run by the same manager: the payment form shows each structure's
invoices apart, only the chosen structure's once it is chosen, and a payment recorded in one
structure is not refused for the other structure's empty fields."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from marmots.billing.models import Allocation, Payment
from marmots.billing.tests.factories import invoice
from tests import factories as f

D = Decimal
NOW = datetime.datetime(2026, 12, 15, 10, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def account_url(family):
    return f"/gestion/facturation/familles/{family.pk}/"


def payment_url(family):
    return f"/gestion/facturation/familles/{family.pk}/reglements/"


def allocation_url(family):
    return f"/gestion/facturation/familles/{family.pk}/reglements/affectation/"


@pytest.fixture
def both(structure, other_structure, manager, family_a):
    """The manager runs both structures; family A owes 10,00 in each."""
    f.MembershipFactory(structure=other_structure, user=manager, role="manager")
    family_a.structures.add(other_structure)
    here = invoice(family_a, structure, [("Périscolaire", "10.00")])
    there = invoice(family_a, other_structure, [("Taninges", "10.00")])
    return here, there


def cheque(structure, **fields):
    data = {
        "structure": structure.pk,
        "moyen": "cheque",
        "montant": "10,00",
        "recu_le": "2026-12-14",
        "reference": "n° 1234567 Crédit Agricole",
    }
    return data | fields


def test_each_structures_invoices_are_shown_apart(client_manager, family_a, both, structure):
    here, there = both
    page = client_manager.get(account_url(family_a)).content.decode()
    assert "<caption>Factures de Les Petits Montagnards</caption>" in page
    assert "<caption>Factures de Accueil de Taninges</caption>" in page
    assert f'name="facture_{here.pk}"' in page and f'name="facture_{there.pk}"' in page
    assert "choisissez la structure" in page

    chosen = client_manager.get(
        allocation_url(family_a), {"structure": structure.pk, "montant": "4"}
    )
    rows = chosen.content.decode()
    assert f'name="facture_{here.pk}" id="id_facture_{here.pk}" value="4,00"' in rows
    assert f'name="facture_{there.pk}"' not in rows


def test_a_payment_in_one_structure_ignores_the_others_empty_fields(
    client_manager, family_a, both, structure
):
    here, there = both
    data = cheque(structure, **{f"facture_{here.pk}": "6", f"facture_{there.pk}": ""})

    response = client_manager.post(payment_url(family_a), data)

    assert response.status_code == 302
    payment = Payment.objects.get()
    assert payment.structure == structure
    assert list(Allocation.objects.values_list("invoice_id", "amount")) == [(here.pk, D("6.00"))]


def test_a_zero_on_the_other_structure_is_ignored_too(client_manager, family_a, both, structure):
    here, there = both
    empty = {f"facture_{here.pk}": "", f"facture_{there.pk}": "0"}

    assert client_manager.post(payment_url(family_a), cheque(structure, **empty)).status_code == 302

    assert not Allocation.objects.exists()  # one 0 typed: the payment stays a credit
    assert Payment.objects.get().structure == structure


def test_an_amount_on_the_other_structures_invoice_is_refused(
    client_manager, family_a, both, structure
):
    here, there = both
    data = cheque(structure, **{f"facture_{there.pk}": "5"})

    response = client_manager.post(payment_url(family_a), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Choisissez des factures émises de cette famille." in page
    assert f'name="facture_{there.pk}"' not in page  # only the chosen structure's rows
    assert f'name="facture_{here.pk}"' in page
    assert not Payment.objects.exists()
