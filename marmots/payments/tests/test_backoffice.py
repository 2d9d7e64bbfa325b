"""The manager's side: the provider settings (the secret's variable, never its value), the
attempts and the notification log, each structure seeing only its own."""

import html

import pytest

from marmots.core.models import AuditEntry
from marmots.payments.models import Notification, OnlinePayment, ProviderSettings

from .conftest import KEY_ENV, start

pytestmark = pytest.mark.django_db
SETTINGS = "/gestion/paiement-en-ligne/reglages/"
ATTEMPTS = "/gestion/paiement-en-ligne/"
LOG = "/gestion/paiement-en-ligne/notifications/"
SYSTEMPAY = {
    "kind": "systempayv2",
    "minimum_amount": "1,00",
    "systempay_site_id": "12345678",
    "systempay_ctx_mode": "TEST",
    "systempay_signature_algo": "hmac_sha256",
    "secret_env": KEY_ENV,
}


def test_the_manager_chooses_systempay_and_sees_whether_its_key_is_set(
    client_manager, structure, monkeypatch
):
    monkeypatch.delenv(KEY_ENV, raising=False)

    saved = client_manager.post(SETTINGS, SYSTEMPAY)

    assert saved.status_code == 302
    provider = ProviderSettings.objects.get(structure=structure)
    assert provider.kind == "systempayv2" and provider.secret_env == KEY_ENV
    assert provider.options == {
        "vads_site_id": "12345678",
        "vads_ctx_mode": "TEST",
        "signature_algo": "hmac_sha256",
    }
    assert AuditEntry.objects.filter(action="provider_settings.update").exists()
    page = html.unescape(client_manager.get(SETTINGS).text)
    assert "absente" in page and f"La variable d'environnement « {KEY_ENV} »" in page
    assert f"/paiement/notification/{structure.pk}/systempayv2/" in page
    assert "indisponible" in html.unescape(client_manager.get(ATTEMPTS).text)

    monkeypatch.setenv(KEY_ENV, "TopSecretValue42")
    page = client_manager.get(SETTINGS).text
    assert "définie" in page and "TopSecretValue42" not in page
    assert "indisponible" not in client_manager.get(ATTEMPTS).text


def test_bad_settings_are_refused(client_manager, structure, settings):
    settings.MARMOTS_DEMO_BANK = False
    cases = [
        ({**SYSTEMPAY, "systempay_site_id": "123"}, "8 chiffres"),
        ({**SYSTEMPAY, "secret_env": "ma clé"}, "majuscules"),
        ({**SYSTEMPAY, "secret_env": "SECRET_KEY"}, "commençant par MARMOTS_PAYMENT_"),
        ({**SYSTEMPAY, "secret_env": "DATABASE_URL"}, "commençant par MARMOTS_PAYMENT_"),
        ({"kind": "payfip_ws", "minimum_amount": "1", "payfip_numcli": "12"}, "6 chiffres"),
        ({"kind": "dummy", "minimum_amount": "1"}, "qu'en démonstration"),
        ({"kind": "", "minimum_amount": "-1"}, "supérieure ou égale à 0"),
    ]
    for data, words in cases:
        response = client_manager.post(SETTINGS, data)
        assert response.status_code == 400 and words in html.unescape(response.text), words
    assert not ProviderSettings.objects.exists()


def test_payfip_settings(client_manager, structure):
    data = {"kind": "payfip_ws", "minimum_amount": "1", "payfip_numcli": "123456"}
    data["payfip_saisie"] = "W"
    client_manager.post(SETTINGS, data)

    provider = ProviderSettings.objects.get()
    assert provider.options == {"numcli": "123456", "saisie": "W"} and provider.secret_env == ""
    page = client_manager.get(SETTINGS).text
    assert 'value="123456"' in page


def test_the_manager_cannot_choose_the_providers_addresses(client_manager, structure):
    """The addresses our server calls (PayFiP) or sends families to (SystemPay) are the
    deployment's: a manager's account cannot point them elsewhere."""
    assert "service_url" not in client_manager.get(SETTINGS).text
    elsewhere = "https://collecte.example.net/"
    payfip = {"kind": "payfip_ws", "minimum_amount": "1", "payfip_numcli": "123456"}
    payfip["payfip_saisie"] = "T"
    client_manager.post(SETTINGS, {**payfip, "payfip_service_url": elsewhere})
    assert ProviderSettings.objects.get().options == {"numcli": "123456", "saisie": "T"}

    client_manager.post(SETTINGS, {**SYSTEMPAY, "systempay_service_url": elsewhere})

    assert "service_url" not in ProviderSettings.objects.get().options


def test_only_the_manager_changes_the_settings(client_staff, structure):
    assert client_staff.get(SETTINGS).status_code == 403
    assert client_staff.post(SETTINGS, SYSTEMPAY).status_code == 403
    assert client_staff.get(ATTEMPTS).status_code == 200
    assert not ProviderSettings.objects.exists()


def test_another_structure_sees_nothing(client_a, other_manager, structure, owed, dummy):
    november, _ = owed
    start(client_a, structure, {november: "22.90"})
    attempt = OnlinePayment.objects.get()
    client_a.get(f"/paiement/notification/{structure.pk}/dummy/?transaction_id=x&signed=1")
    assert Notification.objects.get().outcome == Notification.FORGED
    client_a.force_login(other_manager)  # the same browser, now another structure's manager

    assert attempt.reference not in client_a.get(ATTEMPTS).text
    assert "transaction_id=x" not in client_a.get(LOG).text
    assert client_a.get(f"{SETTINGS}?structure={structure.pk}").status_code == 404


def test_the_log_shows_forged_notifications(client_manager, structure, owed, dummy):
    forged = "transaction_id=abc&amount=32.90&signed=1&ok=1"
    client_manager.get(f"/paiement/notification/{structure.pk}/dummy/?{forged}")

    page = html.unescape(client_manager.get(LOG).text)

    assert Notification.objects.get().outcome == Notification.FORGED
    assert "signature invalide</td>" in page and forged in page
    assert forged in html.unescape(client_manager.get(LOG + "?issue=forged").text)
    assert forged not in html.unescape(client_manager.get(LOG + "?issue=credited").text)


def test_the_attempts_list(
    client_a, manager, structure, family_a, owed, dummy, django_assert_max_num_queries
):
    november, december = owed
    for _ in range(3):
        start(client_a, structure, {november: "22.90", december: "1"})
    start(client_a, structure, {november: "22.90"})
    attempt = OnlinePayment.objects.first()
    client_a.force_login(manager)

    with django_assert_max_num_queries(12):
        page = client_a.get(ATTEMPTS).text
    with django_assert_max_num_queries(12):
        client_a.get(LOG)

    assert attempt.reference in page and family_a.name in page and "22,90" in page
    assert attempt.transaction_id in page  # the provider's id, not on the family's payment
    assert attempt.reference in client_a.get(ATTEMPTS + "?etat=pending").text
    assert attempt.reference not in client_a.get(ATTEMPTS + "?etat=paid").text
