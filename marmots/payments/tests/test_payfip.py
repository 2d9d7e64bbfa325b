"""PayFiP end to end through our views with test credentials: eopayment's payfip_ws backend
talks SOAP (zeep) to a real PayFiP web service on loopback; the notification carries only
the idop, and the backend asks the service what became of it."""

from decimal import Decimal

import pytest

from marmots.billing.balances import balance
from marmots.billing.models import Payment
from marmots.payments.models import Notification, OnlinePayment, ProviderSettings

from .conftest import counts, start
from .payfip_server import PayFiPServer

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
PAYFIP_PAGE = "https://www.payfip.gouv.fr/tpa/paiementws.web?idop="


@pytest.fixture
def payfip_server():
    with PayFiPServer() as server:
        yield server


@pytest.fixture
def payfip(structure, payfip_server, settings):
    """PayFiP, whose web service the deployment (not the manager) points at loopback."""
    settings.MARMOTS_PAYFIP_SERVICE_URL = payfip_server.url
    return ProviderSettings.objects.create(
        structure=structure,
        kind=ProviderSettings.PAYFIP,
        options={"numcli": "123456", "saisie": "T"},
    )


def notify(client, structure, idop):
    url = f"/paiement/notification/{structure.pk}/payfip_ws/"
    return client.post(url, f"idOp={idop}", content_type=FORM)


@pytest.fixture
def idop(client_a, structure, owed, payfip, payfip_server):
    november, december = owed
    response = start(client_a, structure, {november: "22.90", december: "10.00"})
    assert response.status_code == 302 and response.url.startswith(PAYFIP_PAGE)
    return response.url.removeprefix(PAYFIP_PAGE)


def test_a_paid_notification_credits_once(
    client, client_a, structure, family_a, idop, payfip_server, settings
):
    attempt = OnlinePayment.objects.get()
    asked = payfip_server.created[idop]
    assert attempt.transaction_id == idop and attempt.status == OnlinePayment.PENDING
    assert asked["montant"] == "3290" and asked["refdet"] == attempt.reference
    assert asked["numcli"] == "123456" and asked["saisie"] == "T"
    assert asked["mel"] == "claire.martin@example.org"
    assert asked["urlnotif"] == (
        f"{settings.SITE_URL}/paiement/notification/{structure.pk}/payfip_ws/"
    )
    assert asked["urlredirect"] == (
        f"{settings.SITE_URL}/portail/paiement/retour/{attempt.reference}/"
    )

    waiting = notify(client, structure, idop)  # the family is still on PayFiP's page
    assert waiting.status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.PENDING
    assert "En attente" in client_a.get(f"/portail/paiement/retour/{attempt.reference}/").text

    payfip_server.results[idop] = "P"
    answers = [notify(client, structure, idop) for _ in range(3)]

    assert [a.status_code for a in answers] == [200] * 3
    attempt.refresh_from_db()
    payment = Payment.objects.get()
    assert attempt.status == OnlinePayment.PAID and attempt.payment == payment
    assert payment.amount == Decimal("32.90")
    assert payment.reference == attempt.reference  # what the family reads; idop: the attempt
    assert balance(family_a, structure) == Decimal("0.00")
    outcomes = list(Notification.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["not_paid", "credited", "duplicate", "duplicate"]

    # PayFiP sends the family back with the idop (posted): judged again, nothing more.
    url = f"/portail/paiement/retour/{attempt.reference}/"
    back = client_a.post(url, f"idOp={idop}", content_type=FORM, follow=True)
    assert "Paiement reçu" in back.text and Payment.objects.count() == 1


def test_a_refused_payment_credits_nothing(client, structure, idop, payfip_server):
    payfip_server.results[idop] = "R"

    assert notify(client, structure, idop).status_code == 200

    attempt = OnlinePayment.objects.get()
    assert attempt.status == OnlinePayment.REFUSED and not Payment.objects.exists()
    assert Notification.objects.get().outcome == Notification.NOT_PAID


def test_another_amount_is_not_credited(client, structure, idop, payfip_server):
    payfip_server.results[idop] = "P"
    payfip_server.amounts[idop] = "100"

    notify(client, structure, idop)

    assert Notification.objects.get().outcome == Notification.MISMATCH
    assert OnlinePayment.objects.get().status == OnlinePayment.ERROR
    assert not Payment.objects.exists()


def test_an_idop_we_never_asked_for_is_unknown(client, structure, idop, payfip_server):
    payfip_server.created["idop999"] = payfip_server.created[idop]
    payfip_server.results["idop999"] = "P"

    assert notify(client, structure, "idop999").status_code == 400

    assert Notification.objects.get().outcome == Notification.UNKNOWN
    assert not Payment.objects.exists()


def test_an_unreachable_payfip_stops_the_payment(client_a, structure, owed, payfip, payfip_server):
    payfip_server.httpd.shutdown()
    payfip_server.httpd.server_close()
    november, _ = owed
    before = counts()

    response = start(client_a, structure, {november: "22.90"})

    assert response.status_code == 400
    assert "momentanément indisponible" in response.text
    # The attempt is kept, in error, with PayFiP's reason for the manager.
    attempt = OnlinePayment.objects.get()
    assert attempt.status == OnlinePayment.ERROR and attempt.bank_status
    assert counts()[1:] == before[1:]


def test_a_service_address_in_the_settings_is_not_asked(
    client, structure, idop, payfip, payfip_server
):
    """A manager's account cannot point the verification at a server answering "paid": only
    the deployment chooses PayFiP's address."""
    with PayFiPServer() as liar:
        liar.created[idop], liar.results[idop] = payfip_server.created[idop], "P"
        payfip.options["service_url"] = liar.url
        payfip.save()

        assert notify(client, structure, idop).status_code == 200

    assert Notification.objects.get().outcome == Notification.NOT_PAID  # still in progress
    assert OnlinePayment.objects.get().status == OnlinePayment.PENDING
    assert not Payment.objects.exists()
