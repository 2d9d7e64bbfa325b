"""Third-party aid (/gestion/facturation/aides/) through HTTP: create, edit, end; the terms of
an aid that issued invoices deducted never change."""

import datetime
from decimal import Decimal

import pytest

from marmots.billing.models import Aid, InvoiceLine
from marmots.billing.tests.factories import invoice
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.house import at

URL = "/gestion/facturation/aides/"
NEW = URL + "nouvelle/"


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(datetime.date(2026, 12, 2), 10), tick=False)


def aid_data(family, activity, **fields):
    return {
        "family": family.pk,
        "child": "",
        "payer": "CAF de la Haute-Savoie",
        "label": "Aide aux vacances",
        "reference": "1234567",
        "activities": [activity.pk],
        "method": "per_unit",
        "amount": "5,00",
        "percent": "",
        "valid_from": "2026-12-01",
        "valid_until": "2027-08-31",
    } | fields


def make_aid(structure, family, activity, **fields):
    values = {
        "payer": "CAF de la Haute-Savoie",
        "label": "Aide aux vacances",
        "reference": "1234567",
        "method": Aid.PER_UNIT,
        "amount": Decimal("5.00"),
        "valid_from": datetime.date(2026, 9, 1),
        "valid_until": datetime.date(2027, 8, 31),
    } | fields
    aid = Aid.objects.create(structure=structure, family=family, **values)
    aid.activities.add(activity)
    return aid


def deducted(aid, day=datetime.date(2026, 11, 30)):
    """An issued invoice that deducted `aid` on `day`."""
    lines = [
        {"label": "Journée", "amount": "24.00", "date": day, "child": None},
        {
            "label": aid.label,
            "amount": "-5.00",
            "kind": InvoiceLine.AID,
            "aid": aid,
            "date": day,
            "unit_price": "-5.00",
        },
    ]
    return invoice(aid.family, aid.structure, lines)


def test_the_manager_creates_an_aid(client_manager, house, family_a, child_a, manager):
    assert client_manager.get(NEW).status_code == 200
    data = aid_data(family_a, house.holiday, child=child_a.pk)
    assert client_manager.post(NEW, data).status_code == 302
    aid = Aid.objects.get()
    assert (aid.family, aid.child, aid.amount, aid.percent) == (
        family_a,
        child_a,
        Decimal("5.00"),
        None,
    )
    assert list(aid.activities.all()) == [house.holiday]
    entry = AuditEntry.objects.get(action="aid.create")
    assert (entry.actor, entry.family_id) == (manager, family_a.pk)
    html = client_manager.get(URL).content.decode()
    assert "Aide aux vacances" in html and "5,00\u00a0€ par unité" in html and "Léa" in html


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"method": "percent", "amount": "", "percent": "120"}, "percent", "entre 0 et 100"),
        ({"amount": ""}, "amount", "Indiquez le montant déduit"),
        ({"valid_until": "2026-11-30"}, "valid_until", "La fin de l&#x27;aide doit suivre"),
        ({"activities": []}, "activities", "Ce champ est obligatoire."),
    ],
)
def test_wrong_aids_are_explained(client_manager, house, family_a, fields, field, message):
    response = client_manager.post(NEW, aid_data(family_a, house.holiday, **fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Aid.objects.exists()


def test_a_child_of_another_family_or_structure_is_refused(
    client_manager, house, family_a, child_b, other_structure
):
    response = client_manager.post(NEW, aid_data(family_a, house.holiday, child=child_b.pk))
    assert "Cet enfant n&#x27;est pas de la famille choisie." in response.content.decode()
    theirs = f.ActivityFactory(structure=other_structure, name="Mercredis à Taninges")
    response = client_manager.post(NEW, aid_data(family_a, theirs))
    assert response.status_code == 400 and not Aid.objects.exists()


def test_only_families_of_the_aids_structure_are_offered(
    client_manager, manager, house, family_a, other_structure
):
    f.MembershipFactory(structure=other_structure, role="manager", user=manager)
    elsewhere = f.FamilyFactory(name="Dupont", structures=[other_structure])
    # Creating: the structure is chosen in the same form; the server checks the pair.
    data = aid_data(elsewhere, house.holiday, structure=house.structure.pk)
    response = client_manager.post(NEW, data)
    assert response.status_code == 400
    assert "Cette famille n&#x27;est pas accueillie par la structure choisie." in (
        response.content.decode()
    )
    assert not Aid.objects.exists()
    # Editing: the structure is known, only its families are offered.
    aid = make_aid(house.structure, family_a, house.holiday)
    page = client_manager.get(f"{URL}{aid.pk}/").content.decode()
    assert f'<option value="{family_a.pk}" selected>Martin</option>' in page
    assert "Dupont" not in page
    response = client_manager.post(f"{URL}{aid.pk}/", aid_data(elsewhere, house.holiday))
    assert response.status_code == 400
    aid.refresh_from_db()
    assert aid.family == family_a


def test_a_percent_aid(client_manager, house, family_a):
    data = aid_data(family_a, house.holiday, method="percent", amount="3", percent="50")
    assert client_manager.post(NEW, data).status_code == 302
    aid = Aid.objects.get()
    assert (aid.amount, aid.percent) == (None, Decimal("50"))
    assert "50 %" in client_manager.get(URL).content.decode()


def test_a_deducted_aid_keeps_its_terms(client_manager, house, family_a, structure):
    aid = make_aid(structure, family_a, house.holiday)
    deducted(aid)
    page = client_manager.get(f"{URL}{aid.pk}/").content.decode()
    assert "Des factures émises déduisent cette aide jusqu'au 30/11/2026" in page
    data = aid_data(family_a, house.holiday, amount="9,00", reference="7654321")
    assert (
        client_manager.post(f"{URL}{aid.pk}/", data | {"valid_from": "2026-09-01"}).status_code
        == 302
    )
    aid.refresh_from_db()
    assert (aid.amount, aid.reference) == (Decimal("5.00"), "7654321")

    response = client_manager.post(f"{URL}{aid.pk}/", data | {"valid_until": "2026-11-15"})
    assert response.status_code == 400
    assert "elle ne peut pas finir avant" in response.content.decode()


def test_ending_an_aid(client_manager, house, family_a, structure):
    aid = make_aid(structure, family_a, house.holiday)
    deducted(aid)
    response = client_manager.post(
        f"{URL}{aid.pk}/terminer/", {"last_day": "2026-11-01"}, follow=True
    )
    assert (
        "Des factures émises déduisent cette aide jusqu&#x27;au 30/11/2026"
        in response.content.decode()
    )
    aid.refresh_from_db()
    assert aid.valid_until == datetime.date(2027, 8, 31)

    response = client_manager.post(f"{URL}{aid.pk}/terminer/", {"last_day": "2026-12-31"})
    assert response.status_code == 302
    aid.refresh_from_db()
    assert aid.valid_until == datetime.date(2026, 12, 31)
    assert AuditEntry.objects.filter(action="aid.end", family_id=family_a.pk).exists()


def test_staff_read_other_structures_see_nothing(
    client, staff, other_manager, guardian_a, house, family_a, structure
):
    aid = make_aid(structure, family_a, house.holiday)
    client.force_login(staff)
    html = client.get(URL).content.decode()
    assert "Aide aux vacances" in html and "Modifier" not in html
    assert client.get(NEW).status_code == 403
    assert client.post(f"{URL}{aid.pk}/terminer/", {"last_day": "2026-12-31"}).status_code == 403
    client.force_login(other_manager)
    assert "Aide aux vacances" not in client.get(URL).content.decode()
    assert client.get(f"{URL}{aid.pk}/").status_code == 404
    assert client.post(f"{URL}{aid.pk}/terminer/", {"last_day": "2026-12-31"}).status_code == 404
    client.force_login(guardian_a.user)
    assert client.get(URL).status_code == 403
    aid.refresh_from_db()
    assert aid.valid_until == datetime.date(2027, 8, 31)
