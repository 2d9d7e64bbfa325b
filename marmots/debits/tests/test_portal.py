"""The family portal through HTTP: the mandate and the debits to come; family B sees nothing
of A's."""

import html

import pytest

from marmots.debits import actions

from .conftest import IBAN_A, NOVEMBER

pytestmark = pytest.mark.django_db
URL = "/portail/prelevement/"
NBSP = "\u00a0"


def page(response):
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_family_sees_its_mandate_and_the_coming_debits(
    client_a, creditor, mandate_a, invoices, manager
):
    text = page(client_a.get(URL))
    assert "Claire Martin" in text and mandate_a.reference in text
    assert "FR14 **** **** **** **** ***2 606" in text and IBAN_A not in text
    assert "01/09/2026" in text
    assert f"Prélèvement prévu le 10/12/2026 : 22,90{NBSP}€" in text
    assert "date confirmée lors de la préparation" in text

    actions.make_batch(creditor.structure, NOVEMBER, manager)

    text = page(client_a.get(URL))
    assert f"Prélèvement prévu le 10/12/2026 : 5,10{NBSP}€" in text
    assert "date confirmée" not in text
    detail = page(client_a.get(f"{URL}mandats/{mandate_a.pk}/"))
    assert "FR72ZZZ123456" in detail and "Les Petits Montagnards" in detail
    assert invoices[0].reference in detail and "prévu" in detail
    assert invoices[2].reference not in detail  # B's invoice


def test_a_family_without_mandate(client_b, creditor, mandate_a, invoices):
    text = page(client_b.get(URL))
    assert "Pas de prélèvement automatique" in text
    assert "Prélèvement prévu" not in text and mandate_a.reference not in text


def test_family_b_cannot_see_as_mandate(client_b, mandate_a):
    assert client_b.get(f"{URL}mandats/{mandate_a.pk}/").status_code == 404


def test_staff_and_strangers_are_kept_out(client, client_manager, mandate_a):
    assert client_manager.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302
