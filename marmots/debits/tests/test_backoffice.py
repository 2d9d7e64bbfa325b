"""The back-office through HTTP: settings, mandates, preparing a batch, its file, collecting,
rejecting, cancelling. Staff read, managers write; another structure's manager gets 404."""

import datetime
import html
from xml.etree import ElementTree

import pytest

from marmots.billing.models import Payment
from marmots.core.models import AuditEntry
from marmots.debits import actions, sepa
from marmots.debits.models import DebitBatch, DebitItem, DebitSettings, Mandate
from tests import factories as f
from tests.house import at

from .conftest import COLLECTION, CREDITOR_IBAN, IBAN_A, IBAN_B

pytestmark = pytest.mark.django_db
BASE = "/gestion/prelevements/"
SETTINGS = {
    "actif": "on",
    "nom": "Les Petits Montagnards",
    "ics": "FR72 ZZZ 123456",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "AGRIFRPP881",
    "jour": "10",
}


def page(response):
    return html.unescape(response.content.decode())


def test_the_manager_saves_the_creditor_settings(client_manager, structure):
    response = client_manager.post(BASE + "reglages/", {**SETTINGS, "iban": CREDITOR_IBAN[:-1]})
    assert response.status_code == 400
    assert "Un IBAN FR compte 27 caractères, celui-ci en a 26." in page(response)
    assert not DebitSettings.objects.filter(enabled=True).exists()

    response = client_manager.post(BASE + "reglages/", SETTINGS)

    assert response.status_code == 302
    saved = DebitSettings.objects.get(structure=structure)
    assert (saved.creditor_id, saved.iban, saved.collection_day) == (
        "FR72ZZZ123456",
        CREDITOR_IBAN,
        10,
    )


def test_staff_read_the_settings_but_cannot_change_them(client_staff, creditor):
    response = client_staff.get(BASE + "reglages/")
    assert response.status_code == 200 and "Seul le gestionnaire" in page(response)
    assert client_staff.post(BASE + "reglages/", {**SETTINGS, "jour": "5"}).status_code == 403
    assert DebitSettings.objects.get().collection_day == 10


def test_the_manager_records_a_mandate(client_manager, family_a, structure):
    url = f"{BASE}mandats/nouveau/?famille={family_a.pk}"
    assert "Nouveau mandat de prélèvement – famille Martin" in page(client_manager.get(url))
    data = {
        "famille": family_a.pk,
        "titulaire": "Claire Martin",
        "iban": "FR14 2004 1010 0505 0001 3M02 607",
        "bic": "PSSTFRPPLYO",
        "signe_le": "2026-09-01",
    }
    refused = client_manager.post(url, data)
    assert refused.status_code == 400 and "clé de contrôle" in page(refused)
    assert not Mandate.objects.exists()

    response = client_manager.post(url, {**data, "iban": IBAN_A})

    mandate = Mandate.objects.get()
    assert response.url == f"{BASE}familles/{family_a.pk}/"
    assert mandate.reference == f"PM-{family_a.pk}-1" and mandate.holder == "Claire Martin"
    listing = page(client_manager.get(BASE + "mandats/"))
    assert "FR14 **** **** **** **** ***2 606" in listing and IBAN_A not in listing
    family_page = page(client_manager.get(response.url))
    assert "FR14 2004 1010 0505 0001 3M02 606" in family_page  # the manager checks it
    revoke = client_manager.post(f"{BASE}mandats/{mandate.pk}/revoquer/")
    assert revoke.status_code == 302
    assert Mandate.objects.get().status == Mandate.REVOKED


def test_staff_see_mandates_masked_and_cannot_write(client_staff, mandate_a, family_a):
    family_page = page(client_staff.get(f"{BASE}familles/{family_a.pk}/"))
    assert "FR14 **** **** **** **** ***2 606" in family_page and IBAN_A not in family_page
    assert client_staff.get(BASE + "mandats/nouveau/").status_code == 403
    assert client_staff.post(f"{BASE}mandats/{mandate_a.pk}/revoquer/").status_code == 403
    assert Mandate.objects.get().status == Mandate.ACTIVE


def test_the_full_iban_only_for_a_manager_of_the_mandates_structure(
    client_manager, manager, other_structure, other_manager, family_a, mandate_a
):
    f.MembershipFactory(structure=other_structure, user=manager, role="staff")
    family_a.structures.add(other_structure)
    there = actions.create_mandate(
        other_structure,
        family_a,
        other_manager,
        holder="Claire Martin",
        iban=IBAN_B,
        bic="COBADEFFXXX",
        signed_on=datetime.date(2026, 10, 1),
    )

    text = page(client_manager.get(f"{BASE}familles/{family_a.pk}/"))

    assert "FR14 2004 1010 0505 0001 3M02 606" in text  # managed here
    assert "DE89 **** **** **** **30 00" in text and "DE89 3704" not in text  # staff there
    assert f"/mandats/{mandate_a.pk}/revoquer/" in text
    assert f"/mandats/{there.pk}/revoquer/" not in text


def test_another_structure_gets_404(client, other_manager, creditor, mandate_a, invoices, manager):
    batch = actions.make_batch(creditor.structure, datetime.date(2026, 11, 1), manager)
    item = batch.items.first()
    client.force_login(other_manager)
    for url in [
        f"{BASE}familles/{mandate_a.family_id}/",
        f"{BASE}mandats/nouveau/?famille={mandate_a.family_id}",
        f"{BASE}remises/{batch.pk}/",
        f"{BASE}remises/{batch.pk}/fichier/",
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        f"{BASE}mandats/{mandate_a.pk}/revoquer/",
        f"{BASE}remises/{batch.pk}/encaisser/",
        f"{BASE}remises/{batch.pk}/annuler/",
        f"{BASE}prelevements/{item.pk}/rejeter/",
    ]:
        assert client.post(url, {"motif": "AM04"}).status_code == 404, url
    assert "Martin" not in page(client.get(BASE + "mandats/"))
    assert "76,00" not in page(client.get(BASE))
    assert set(Payment.objects.values_list("status", flat=True)) == {"pending"}
    assert Mandate.objects.get().status == Mandate.ACTIVE


def test_a_whole_month_through_the_back_office(
    client_manager, creditor, mandate_a, mandate_b, invoices, time_machine
):
    # Preview: the invoices, their total and the date.
    preview = client_manager.get(BASE + "preparer/", {"mois": "2026-11"})
    text = page(preview)
    assert "Aperçu : prélèvement le 10/12/2026" in text
    assert "3 prélèvements pour un total de 76,00" in text
    assert invoices[0].reference in text and "FR14 **** **** **** **** ***2 606" in text
    assert not DebitBatch.objects.exists()

    created = client_manager.post(BASE + "preparer/", {"mois": "2026-11"})
    batch = DebitBatch.objects.get()
    assert created.url == f"{BASE}remises/{batch.pk}/"
    assert "76,00" in page(client_manager.get(created.url))

    again = client_manager.post(BASE + "preparer/", {"mois": "2026-11"})
    assert again.status_code == 400 and "Aucune facture à prélever" in page(again)
    assert DebitBatch.objects.count() == 1

    download = client_manager.get(f"{BASE}remises/{batch.pk}/fichier/")
    assert download["Content-Type"] == "application/xml"
    assert 'filename="prelevements-2026-12-10.xml"' in download["Content-Disposition"]
    sepa.schema().validate(download.content.decode())
    tree = ElementTree.fromstring(download.content)
    assert tree.find(".//{*}GrpHdr/{*}CtrlSum").text == "76.00"

    early = client_manager.post(f"{BASE}remises/{batch.pk}/encaisser/")
    assert early.status_code == 400 and "prévus le 10/12/2026" in page(early)

    item_b = DebitItem.objects.get(invoice=invoices[2])
    url = f"{BASE}prelevements/{item_b.pk}/rejeter/"
    no_reason = client_manager.post(url, {"motif": ""})
    assert no_reason.status_code == 400 and "Indiquez le motif du rejet" in page(no_reason)
    assert client_manager.post(url, {"motif": "AM04 – provision insuffisante"}).status_code == 302
    twice = client_manager.post(url, {"motif": "AM04"})
    assert twice.status_code == 400 and "déjà rejeté" in page(twice)

    time_machine.move_to(at(COLLECTION, 9))
    assert client_manager.post(f"{BASE}remises/{batch.pk}/encaisser/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == DebitBatch.COLLECTED
    assert sorted(Payment.objects.values_list("status", flat=True)) == [
        "failed",
        "succeeded",
        "succeeded",
    ]
    cancel = client_manager.post(f"{BASE}remises/{batch.pk}/annuler/")
    assert cancel.status_code == 400 and "ne peut plus être annulée" in page(cancel)
    assert DebitBatch.objects.get().status == DebitBatch.COLLECTED
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {
        "debit_batch.create",
        "debit_item.reject",
        "debit_batch.collect",
    }


def test_a_batch_is_cancelled(client_manager, creditor, mandate_a, invoices):
    client_manager.post(BASE + "preparer/", {"mois": "2026-11"})
    batch = DebitBatch.objects.get()
    assert client_manager.post(f"{BASE}remises/{batch.pk}/annuler/").status_code == 302
    assert set(Payment.objects.values_list("status", flat=True)) == {"failed"}
    assert "annulée" in page(client_manager.get(BASE))


def test_settings_problems_are_shown_before_making_a_batch(client_manager, mandate_a, invoices):
    preview = page(client_manager.get(BASE + "preparer/", {"mois": "2026-11"}))
    assert "La remise ne peut pas être créée" in preview
    assert "Le prélèvement n'est pas activé" in preview
    refused = client_manager.post(BASE + "preparer/", {"mois": "2026-11"})
    assert refused.status_code == 400 and not DebitBatch.objects.exists()


def test_staff_read_batches_but_do_not_write(client_staff, creditor, mandate_a, invoices, manager):
    batch = actions.make_batch(creditor.structure, datetime.date(2026, 11, 1), manager)
    assert client_staff.get(BASE).status_code == 200
    assert client_staff.get(f"{BASE}remises/{batch.pk}/").status_code == 200
    assert client_staff.get(f"{BASE}remises/{batch.pk}/fichier/").status_code == 403
    assert client_staff.get(BASE + "preparer/").status_code == 403
    assert client_staff.post(f"{BASE}remises/{batch.pk}/annuler/").status_code == 403
    assert DebitBatch.objects.get().status == DebitBatch.GENERATED


def test_pages_need_a_login(client):
    assert client.get(BASE).status_code == 302


def test_a_family_of_another_structure_is_not_offered(client_manager, other_structure):
    stranger = f.FamilyFactory(name="Dupuis", structures=[other_structure])
    data = {
        "famille": stranger.pk,
        "titulaire": "Marc Dupuis",
        "iban": IBAN_A,
        "bic": "PSSTFRPPLYO",
        "signe_le": "2026-09-01",
    }
    refused = client_manager.post(BASE + "mandats/nouveau/", data)
    assert refused.status_code == 400
    assert "Choisissez une famille de la structure." in page(refused)
    assert not Mandate.objects.exists()


def test_list_pages_keep_their_queries_few(
    client_manager, creditor, mandate_a, mandate_b, invoices, manager, django_assert_max_num_queries
):
    batch = actions.make_batch(creditor.structure, datetime.date(2026, 11, 1), manager)
    for url in [BASE, BASE + "mandats/", f"{BASE}remises/{batch.pk}/"]:
        with django_assert_max_num_queries(12):
            assert client_manager.get(url).status_code == 200
