"""The reminders page: thresholds (managers write, staff read), today's preview, the button
that sends them, the history; another structure is 404."""

import datetime

import pytest

from marmots.billing.balances import settings_for
from marmots.billing.models import BillingSettings, Reminder
from marmots.billing.tests.factories import invoice
from marmots.core.models import AuditEntry
from tests.house import at

URL = "/gestion/relances/"
DUE = datetime.date(2027, 1, 5)
LATE = DUE + datetime.timedelta(days=10)


@pytest.fixture(autouse=True)
def ten_days_late(time_machine):
    """Before any login: a session opened at another date would have expired."""
    time_machine.move_to(at(LATE, 9), tick=False)


@pytest.fixture
def bill(structure, family_a, guardian_a):
    billing = settings_for(structure)
    billing.reminder_days = "10, 30"
    billing.save()
    return invoice(family_a, structure, [("Périscolaire", "42.40")], due=DUE)


def test_the_manager_sees_thresholds_and_preview(
    client_manager, bill, django_assert_max_num_queries
):
    Reminder.objects.create(invoice=bill, level=5, days=5, outstanding=bill.total)
    BillingSettings.objects.update(reminder_days="5, 10, 30")
    with django_assert_max_num_queries(20):
        response = client_manager.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="5, 10, 30"' in page
    assert bill.reference in page and "Martin" in page
    assert "<td>10 jours</td>" in page and "42,40" in page
    assert "Envoyer les relances dues" in page
    assert "non envoyée" in page  # the history's first reminder, never sent


def test_bad_thresholds_are_refused_and_nothing_saved(client_manager, bill):
    response = client_manager.post(
        URL + "seuils/", {"structure": bill.structure.pk, "relances": "10, dix"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "« dix » n&#x27;est pas un nombre de jours" in page
    assert "Rien n'a été enregistré" in page
    assert settings_for(bill.structure).reminder_days == "10, 30"
    assert not AuditEntry.objects.filter(action="billing_settings.reminder_days").exists()

    response = client_manager.post(
        URL + "seuils/", {"structure": bill.structure.pk, "relances": "1,2,3,4,5,6"}
    )
    assert response.status_code == 400 and "5 relances au plus." in response.content.decode()


def test_thresholds_are_saved(client_manager, bill):
    response = client_manager.post(
        URL + "seuils/", {"structure": bill.structure.pk, "relances": "45;15"}, follow=True
    )
    assert "Seuils de relance enregistrés." in response.content.decode()
    assert settings_for(bill.structure).reminder_days == "15, 45"
    client_manager.post(URL + "seuils/", {"structure": bill.structure.pk, "relances": ""})
    assert settings_for(bill.structure).reminder_days == ""
    assert "Aucun seuil de relance" in client_manager.get(URL).content.decode()


def test_the_manager_sends_the_reminders_due(
    client_manager, bill, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_manager.post(URL + "envoyer/", {"structure": bill.structure.pk})
    assert response.status_code == 302
    reminder = Reminder.objects.get()
    assert (reminder.invoice, reminder.days) == (bill, 10) and reminder.sent_at is not None
    (message,) = mailoutbox
    assert message.to == ["claire.martin@example.org"]
    assert AuditEntry.objects.get(action="reminder.create").actor == manager

    page = client_manager.get(response.url).content.decode()
    assert "1 relance(s) en cours d&#x27;envoi aux familles." in page
    assert "Aucune relance n'est due aujourd'hui." in page
    assert "claire.martin@example.org" in page  # the history
    with django_capture_on_commit_callbacks(execute=True):
        again = client_manager.post(URL + "envoyer/", {"structure": bill.structure.pk}, follow=True)
    assert "Aucune relance n&#x27;est due aujourd&#x27;hui." in again.content.decode()
    assert Reminder.objects.count() == 1 and len(mailoutbox) == 1


def test_staff_read_but_cannot_send_or_change(client_staff, bill):
    page = client_staff.get(URL).content.decode()
    assert bill.reference in page
    assert "Envoyer les relances dues" not in page and "disabled" in page
    assert client_staff.post(URL + "envoyer/", {"structure": bill.structure.pk}).status_code == 403
    response = client_staff.post(URL + "seuils/", {"structure": bill.structure.pk, "relances": ""})
    assert response.status_code == 403
    assert not Reminder.objects.exists()
    assert settings_for(bill.structure).reminder_days == "10, 30"


def test_another_structure_is_404(client, other_manager, bill):
    client.force_login(other_manager)
    assert client.get(URL, {"structure": bill.structure.pk}).status_code == 404
    assert client.post(URL + "envoyer/", {"structure": bill.structure.pk}).status_code == 404
    response = client.post(URL + "seuils/", {"structure": bill.structure.pk, "relances": "5"})
    assert response.status_code == 404
    own = client.get(URL).content.decode()
    assert bill.reference not in own
    assert not Reminder.objects.exists()
    assert settings_for(bill.structure).reminder_days == "10, 30"


def test_families_cannot_reach_the_page(client_a, bill):
    assert client_a.get(URL).status_code == 403
