"""The demo provider end to end through our views: the family chooses, checks the recap, pays
at the simulated bank (accept or refuse), comes back and sees the receipt."""

import importlib
import sys
from decimal import Decimal

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from marmots.billing.balances import balance
from marmots.billing.models import Allocation, Payment
from marmots.core.models import AuditEntry
from marmots.payments.checks import refuse_to_serve_on_errors
from marmots.payments.models import Notification, OnlinePayment

from .conftest import BANK, PAY, RECAP, choice, counts, query_of, start

pytestmark = pytest.mark.django_db


def test_the_family_pays_two_invoices_at_the_simulated_bank(
    client_a, structure, family_a, owed, dummy
):
    november, december = owed
    page = client_a.get(PAY)
    assert page.status_code == 200
    assert f"Facture {november.reference}" in page.text and "22,90" in page.text
    assert "Continuer" in page.text

    recap = client_a.get(RECAP, choice(structure, {november: "22,90", december: "10,00"}))
    assert recap.status_code == 200
    assert "32,90" in recap.text and "claire.martin@example.org" in recap.text
    assert "Payer par carte" in recap.text

    to_bank = start(client_a, structure, {november: "22.90", december: "10.00"})
    assert to_bank.status_code == 302 and to_bank.url.startswith(BANK + "?")
    attempt = OnlinePayment.objects.get()
    asked = query_of(to_bank.url)
    assert asked["amount"] == "32.90" and asked["transaction_id"] == attempt.transaction_id
    assert attempt.status == OnlinePayment.PENDING and attempt.reference.startswith("PL")
    assert len(attempt.reference) == 12

    bank = client_a.get(to_bank.url)
    assert bank.status_code == 200
    assert "Accepter le paiement" in bank.text and "Refuser le paiement" in bank.text
    assert "32,90\u00a0€" in bank.text and attempt.reference in bank.text  # in French

    back = client_a.post(
        BANK, {"transaction_id": asked["transaction_id"], "amount": "32.90", "decision": "accept"}
    )
    assert back.status_code == 302
    assert back.url.startswith(f"/portail/paiement/retour/{attempt.reference}/?")
    clean = client_a.get(back.url)  # the browser's return carries the signed data again
    assert (
        clean.status_code == 302 and clean.url == f"/portail/paiement/retour/{attempt.reference}/"
    )
    result = client_a.get(clean.url)
    assert "Paiement reçu" in result.text

    attempt.refresh_from_db()
    payment = attempt.payment
    assert attempt.status == OnlinePayment.PAID
    assert payment.method == Payment.CARD and payment.amount == Decimal("32.90")
    assert payment.receipt_number and payment.reference.startswith(attempt.reference)
    assert sorted(Allocation.objects.values_list("invoice_id", "amount")) == sorted(
        [(november.pk, Decimal("22.90")), (december.pk, Decimal("10.00"))]
    )
    assert balance(family_a, structure) == Decimal("0.00")
    outcomes = list(Notification.objects.order_by("pk").values_list("channel", "outcome"))
    assert outcomes == [("notify", "credited"), ("return", "duplicate")]
    assert AuditEntry.objects.filter(action="payment.online", family_id=family_a.pk).exists()
    assert f"/portail/paiement/recus/{payment.pk}/" in result.text
    receipt = client_a.get(f"/portail/paiement/recus/{payment.pk}/")
    assert payment.receipt_number in receipt.text and november.reference in receipt.text
    account = client_a.get("/portail/compte/")
    assert "Vous êtes à jour" in account.text and f"Reçu {payment.receipt_number}" in account.text


def test_a_refusal_at_the_simulated_bank_credits_nothing(client_a, structure, owed, dummy):
    november, _ = owed
    to_bank = start(client_a, structure, {november: "10.00"})
    asked = query_of(to_bank.url)

    back = client_a.post(BANK, {**asked, "decision": "refuse"})
    result = client_a.get(back.url, follow=True)

    attempt = OnlinePayment.objects.get()
    assert attempt.status == OnlinePayment.REFUSED and attempt.payment is None
    assert "Paiement refusé" in result.text
    assert not Payment.objects.exists()
    assert Notification.objects.filter(outcome=Notification.NOT_PAID).count() == 1


def test_a_partial_payment_leaves_the_rest_to_pay(client_a, structure, family_a, owed, dummy):
    november, _ = owed
    to_bank = start(client_a, structure, {november: "12,50"})
    asked = query_of(to_bank.url)
    assert asked["amount"] == "12.50"

    client_a.post(BANK, {**asked, "decision": "accept"})

    assert balance(family_a, structure) == Decimal("20.40")
    assert Allocation.objects.get().amount == Decimal("12.50")


def test_the_account_page_offers_to_pay(client_a, owed, dummy):
    page = client_a.get("/portail/compte/")
    assert 'href="/portail/paiement/"' in page.text and "Payer mes factures" in page.text


def test_the_bank_tampered_amount_is_not_credited(client_a, structure, owed, dummy):
    november, _ = owed
    asked = query_of(start(client_a, structure, {november: "22.90"}).url)

    client_a.post(BANK, {**asked, "amount": "0.01", "decision": "accept"})

    attempt = OnlinePayment.objects.get()
    assert attempt.status == OnlinePayment.ERROR and not Payment.objects.exists()
    assert Notification.objects.get(channel="notify").outcome == Notification.MISMATCH


def test_the_simulated_bank_is_served_in_demo_mode_only(client_a, structure, owed, dummy, settings):
    november, _ = owed
    url = start(client_a, structure, {november: "22.90"}).url
    before = counts()
    settings.MARMOTS_DEMO_BANK = False

    assert client_a.get(url).status_code == 404
    assert client_a.post(BANK, {**query_of(url), "decision": "accept"}).status_code == 404
    assert counts() == before


def test_the_demo_provider_is_unavailable_without_the_simulated_bank(
    client_a, structure, owed, dummy, settings
):
    settings.MARMOTS_DEMO_BANK = False
    november, _ = owed
    before = counts()

    response = start(client_a, structure, {november: "22.90"})

    assert response.status_code == 400
    assert "Le paiement en ligne est momentanément indisponible" in response.text
    assert counts() == before


def ours():
    return [e.id for e in run_checks() if e.id.startswith("payments.")]


def test_a_system_check_refuses_the_simulated_bank_without_debug():
    with override_settings(MARMOTS_DEMO_BANK=True, DEBUG=False):
        assert ours() == ["payments.E001"]
        with pytest.raises(SystemCheckError, match="MARMOTS_DEMO_BANK"):
            call_command("check")
    with override_settings(MARMOTS_DEMO_BANK=True, DEBUG=True):
        assert ours() == []
    with override_settings(MARMOTS_DEMO_BANK=False, DEBUG=False):
        assert ours() == []


def test_the_wsgi_server_refuses_to_start_with_the_simulated_bank_without_debug():
    """gunicorn never runs the system checks: config/wsgi.py runs the payments' ones."""
    with override_settings(MARMOTS_DEMO_BANK=True, DEBUG=False):
        with pytest.raises(ImproperlyConfigured, match="MARMOTS_DEMO_BANK"):
            refuse_to_serve_on_errors()
        sys.modules.pop("config.wsgi", None)
        with pytest.raises(ImproperlyConfigured, match="payments.E001"):
            importlib.import_module("config.wsgi")
    with override_settings(MARMOTS_DEMO_BANK=False, DEBUG=False):
        refuse_to_serve_on_errors()
        assert importlib.import_module("config.wsgi").application
