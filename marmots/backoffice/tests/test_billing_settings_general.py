"""Back-office billing settings (/gestion/facturation/reglages/) through HTTP."""

from decimal import Decimal

import pytest
from django.utils import timezone

from marmots.billing.balances import settings_for
from marmots.billing.models import Payment
from marmots.billing.tests.factories import payment
from marmots.core.models import AuditEntry

URL = "/gestion/facturation/reglages/"


def data(**fields):
    return {
        "invoice_series": "fa",
        "credit_note_series": "AV",
        "receipt_series": "RE",
        "payment_days": "15",
        "fallback_quotient": "",
        "block_enrollment_when_overdue": "on",
        "resident_cities": " Mieussy ,, Taninges ",
        "legal_mentions": "SIRET 123 456 789 00012",
    } | fields


def test_the_manager_changes_the_settings(client_manager, structure, manager):
    page = client_manager.get(URL).content.decode()
    assert "Réglages de facturation" in page and 'value="FA"' in page
    assert client_manager.post(URL, data()).status_code == 302
    saved = settings_for(structure)
    assert (saved.invoice_series, saved.payment_days) == ("FA", 15)
    assert saved.fallback_quotient is None and saved.block_enrollment_when_overdue
    assert saved.resident_cities == "Mieussy, Taninges"
    entry = AuditEntry.objects.get(action="billing_settings.update")
    assert entry.actor == manager and entry.before["payment_days"] == 30
    assert entry.after["payment_days"] == 15


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"invoice_series": "F A"}, "Lettres et chiffres seulement"),
        ({"credit_note_series": "FA"}, "Les avoirs ont un préfixe différent"),
        ({"invoice_series": "re"}, "Les reçus ont un préfixe différent de celui des factures."),
        ({"receipt_series": "AV"}, "Les reçus ont un préfixe différent de celui des avoirs."),
        ({"invoice_series": "br"}, "« BR » est réservé aux bordereaux de remise en banque"),
        ({"receipt_series": "BR"}, "« BR » est réservé aux bordereaux de remise en banque"),
        ({"credit_note_series": "BR"}, "« BR » est réservé aux bordereaux de remise en banque"),
        ({"receipt_series": ""}, "Ce champ est obligatoire."),
        ({"payment_days": "400"}, "ne dépasse pas 365 jours"),
    ],
)
def test_wrong_settings_are_explained(client_manager, structure, fields, message):
    response = client_manager.post(URL, data(**fields))
    assert response.status_code == 400 and message in response.content.decode()
    assert settings_for(structure).payment_days == 30


def test_the_receipt_prefix_is_the_managers_choice(client_manager, structure, family_a):
    assert 'name="receipt_series" value="RE"' in client_manager.get(URL).content.decode()
    assert client_manager.post(URL, data(receipt_series="rc")).status_code == 302
    assert settings_for(structure).receipt_series == "RC"
    received = payment(
        structure=structure,
        family=family_a,
        method=Payment.CASH,
        amount=Decimal("5"),
        received_on=timezone.localdate(),
    )
    assert received.receipt_number == f"RC-{timezone.localdate().year}-00001"


def test_staff_read_only_other_structure_404(client, staff, other_manager, structure):
    client.force_login(staff)
    page = client.get(URL).content.decode()
    assert "Seul le gestionnaire modifie ces réglages." in page and "disabled" in page
    assert client.post(URL, data()).status_code == 403
    client.force_login(other_manager)
    assert client.get(f"{URL}?structure={structure.pk}").status_code == 404
    assert client.post(f"{URL}?structure={structure.pk}", data()).status_code == 404
    assert settings_for(structure).payment_days == 30
