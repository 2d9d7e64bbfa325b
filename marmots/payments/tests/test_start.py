"""Bad input is refused with a clear French message and changes nothing."""

import datetime
import html

import pytest

from marmots.billing.models import Allocation
from marmots.billing.tests.factories import invoice, payment
from marmots.payments.models import OnlinePayment, ProviderSettings

from .conftest import (
    KEY_ENV,
    PAY,
    RECAP,
    START,
    choice,
    counts,
    debit_payment,
    pending_debit,
    start,
)

pytestmark = pytest.mark.django_db


def refused(response, words):
    assert response.status_code == 400, response.status_code
    assert words in html.unescape(response.text), response.text
    return response


def test_bad_amounts_are_refused(client_a, structure, owed, dummy):
    november, december = owed
    before = counts()
    cases = [
        ({november: "0"}, "doit être positif"),
        ({november: "-5"}, "doit être positif"),
        ({november: "0,00"}, "doit être positif"),
        ({november: "douze"}, "n'est pas un nombre"),
        ({november: "1.234"}, "au centime près"),
        ({november: "22,91"}, "dépasse ce qui reste à régler (22,90"),
        ({november: "0,50"}, "au moins 1,00"),
        ({}, "Choisissez au moins une facture à payer."),
    ]
    for amounts, words in cases:
        refused(start(client_a, structure, amounts), words)
        refused(client_a.get(RECAP, choice(structure, amounts)), words)
    assert counts() == before


def test_another_familys_invoice_is_refused(client_a, structure, family_b, owed, dummy):
    theirs = invoice(family_b, structure, [("Bernard", "15.00")])
    november, _ = owed
    before = counts()

    refused(start(client_a, structure, {theirs: "15"}), "ne fait pas partie de vos factures")
    refused(start(client_a, structure, {november: "5", theirs: "15"}), "ne fait pas partie")
    refused(client_a.get(RECAP, choice(structure, {theirs: "15"})), "ne fait pas partie")
    assert counts() == before


def test_an_invoice_of_another_structure_is_refused(
    client_a, structure, other_structure, family_a, owed, dummy
):
    november, _ = owed
    refused(start(client_a, other_structure, {november: "5"}), "n'est pas proposé par")
    ProviderSettings.objects.create(structure=other_structure, kind=ProviderSettings.DUMMY)
    refused(start(client_a, other_structure, {november: "5"}), "ne fait pas partie")
    assert not OnlinePayment.objects.exists()


def test_a_paid_invoice_is_refused(client_a, structure, family_a, owed, dummy):
    november, _ = owed
    cheque = payment(
        structure=structure,
        family=family_a,
        method="cheque",
        amount=november.total,
        received_on=datetime.date(2027, 1, 5),
    )
    Allocation.objects.create(payment=cheque, invoice=november, amount=november.total)
    before = counts()

    refused(start(client_a, structure, {november: "22.90"}), "est déjà réglée")
    assert counts() == before
    assert november.reference not in client_a.get(PAY).text


def test_an_invoice_in_a_pending_debit_is_shown_but_not_payable(
    client_a, structure, family_a, owed, dummy
):
    november, december = owed
    pending_debit(structure, family_a, november)
    before = counts()

    refused(start(client_a, structure, {november: "22.90"}), "sera prélevée le 10/02/2027")
    page = client_a.get(PAY)
    assert "Prélèvement prévu le 10/02/2027" in page.text
    assert f'id="facture-{november.pk}"' not in page.text
    assert f'id="facture-{december.pk}"' in page.text
    assert counts() == before


def test_what_settling_calls_in_a_pending_debit_is_not_payable_by_card(
    client_a, structure, family_a, owed, dummy
):
    """One definition for every part: a pending debit payment allocated to the invoice (as
    `marmots.billing.settling.in_pending_debit` says), whatever the debit's batch rows."""
    november, december = owed
    debit_payment(structure, family_a, november)
    before = counts()

    refused(start(client_a, structure, {november: "22.90"}), "est en cours de prélèvement")
    page = client_a.get(PAY).text
    assert f'id="facture-{november.pk}"' not in page and "Prélèvement en cours" in page
    assert f'id="facture-{december.pk}"' in page
    assert counts() == before


def test_a_draft_or_unknown_invoice_is_refused(client_a, structure, family_a, owed, dummy):
    draft = invoice(family_a, structure, [("Brouillon", "8.00")], issued=False)
    before = counts()

    refused(start(client_a, structure, {draft: "8"}), "ne fait pas partie")
    response = client_a.post(
        START, {"structure": structure.pk, "facture": ["abc"], "email": "a@example.org"}
    )
    refused(response, "ne fait pas partie")
    response = client_a.post(
        START, {"structure": structure.pk, "facture": [999999], "montant-999999": "1"}
    )
    refused(response, "ne fait pas partie")
    assert counts() == before


def test_a_bad_email_is_refused(client_a, structure, owed, dummy):
    november, _ = owed
    before = counts()
    for email in ("", "claire", "claire@", "c" * 70 + "@example.org"):
        refused(start(client_a, structure, {november: "5"}, email=email), "adresse e-mail valide")
    assert counts() == before


def test_no_provider_no_online_payment(client_a, structure, owed):
    november, _ = owed
    refused(start(client_a, structure, {november: "5"}), "n'est pas proposé par")
    assert "ne propose pas le paiement en ligne" in html.unescape(client_a.get(PAY).text)
    ProviderSettings.objects.create(structure=structure, kind="")
    refused(start(client_a, structure, {november: "5"}), "n'est pas proposé par")
    assert not OnlinePayment.objects.exists()


def test_a_missing_secret_stops_online_payment(client_a, structure, owed, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    ProviderSettings.objects.create(
        structure=structure,
        kind=ProviderSettings.SYSTEMPAY,
        options={"vads_site_id": "12345678", "vads_ctx_mode": "TEST"},
        secret_env=KEY_ENV,
    )
    november, _ = owed

    response = start(client_a, structure, {november: "5"})

    refused(response, "Le paiement en ligne est momentanément indisponible")
    assert KEY_ENV not in response.text
    assert not OnlinePayment.objects.exists()


def test_a_secret_outside_the_payment_variables_is_never_read(
    client_a, manager, structure, owed, monkeypatch
):
    """Settings saved before the rule, naming Django's own secret: not read, not sent."""
    djangos = "SECRET_KEY"
    monkeypatch.setenv(djangos, "the-django-key")
    ProviderSettings.objects.create(
        structure=structure,
        kind=ProviderSettings.SYSTEMPAY,
        options={"vads_site_id": "12345678", "vads_ctx_mode": "TEST"},
        secret_env=djangos,
    )
    november, _ = owed

    refused(start(client_a, structure, {november: "5"}), "momentanément indisponible")
    assert not OnlinePayment.objects.exists()
    client_a.force_login(manager)
    page = html.unescape(client_a.get("/gestion/paiement-en-ligne/").text)
    assert "commençant par MARMOTS_PAYMENT_" in page


def test_the_choice_needs_a_guardian(client, client_manager, owed, dummy):
    assert client_manager.get(PAY).status_code == 403
    client.logout()
    assert client.get(PAY).status_code == 302


def test_a_family_owing_to_two_structures_pays_each_apart(
    client_a, structure, other_structure, family_a, owed, dummy, settings
):
    family_a.structures.add(other_structure)
    theirs = invoice(family_a, other_structure, [("Taninges", "7.00")])
    ProviderSettings.objects.create(structure=other_structure, kind=ProviderSettings.DUMMY)
    november, _ = owed

    page = client_a.get(PAY)
    assert structure.name in page.text and other_structure.name in page.text
    assert page.text.count('name="structure"') == 2

    refused(start(client_a, structure, {november: "5", theirs: "7"}), "ne fait pas partie")
    assert start(client_a, other_structure, {theirs: "7"}).status_code == 302
    assert OnlinePayment.objects.get().structure == other_structure
