"""The payments journal and deposit slips in the back-office: staff read, managers make the
slips; the total comes from the payments, never the form; another structure gets 404."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from marmots.billing.balances import settings_for
from marmots.billing.models import DepositSlip, Payment
from marmots.billing.tests.factories import payment as make_payment
from marmots.billing.tests.month import pdf_text

D = Decimal
NOW = datetime.datetime(2026, 12, 15, 10, tzinfo=datetime.UTC)
JOURNAL = "/gestion/remises/"
SLIPS = "/gestion/remises/bordereaux/"
CREATE = "/gestion/remises/bordereaux/nouveau/"

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def slip_url(slip):
    return f"/gestion/remises/bordereaux/{slip.pk}/"


def pdf_url(slip):
    return f"/gestion/remises/bordereaux/{slip.pk}/pdf/"


def received(family, amount, method=Payment.CHEQUE, day=10, **fields):
    return make_payment(
        structure=fields.pop("structure", None) or family.structures.first(),
        family=family,
        method=method,
        amount=D(amount),
        received_on=datetime.date(2026, 12, day),
        **fields,
    )


@pytest.fixture
def cheques(family_a, family_b):
    return [
        received(family_a, "22.90", reference="n° 1234567 Crédit Agricole"),
        received(family_b, "15.00", day=12, reference="n° 42 LCL", payer="Jeanne Bernard"),
    ]


def post_slip(client, payments, method="cheque", **fields):
    data = {"moyen": method, "remis_le": "2026-12-15", "reglements": [p.pk for p in payments]}
    return client.post(CREATE, data | fields)


def test_the_journal_lists_received_payments_with_filters(
    client_staff, family_a, cheques, django_assert_max_num_queries
):
    cash = received(family_a, "5", method=Payment.CASH, day=3)
    received(family_a, "7", method=Payment.CARD, day=4, status=Payment.PENDING)
    for day in range(1, 20):
        received(family_a, "1", method=Payment.TRANSFER, day=day)

    with django_assert_max_num_queries(12):
        page = client_staff.get(JOURNAL).content.decode()
    assert "22 règlements reçus, 61,90\u00a0€ au total." in page
    assert "n° 1234567 Crédit Agricole" in page and "payé par Jeanne Bernard" in page
    assert "à remettre" in page and "7,00" not in page  # a pending card payment is not received

    page = client_staff.get(JOURNAL, {"moyen": "cash"}).content.decode()
    assert "1 règlement reçu, 5,00\u00a0€ au total." in page and cash.receipt_number in page
    page = client_staff.get(JOURNAL, {"du": "2026-12-11", "au": "2026-12-12"}).content.decode()
    assert "3 règlements reçus, 17,00\u00a0€ au total." in page
    page = client_staff.get(JOURNAL, {"q": "Jeanne"}).content.decode()
    assert "1 règlement reçu, 15,00\u00a0€ au total." in page


def test_the_manager_makes_a_slip_of_the_ticked_cheques(
    client_manager, family_a, cheques, structure
):
    cash = received(family_a, "5", method=Payment.CASH)
    page = client_manager.get(CREATE, {"moyen": "cheque"}).content.decode()
    assert all(f'value="{p.pk}"' in page for p in cheques) and f'value="{cash.pk}"' not in page
    assert "Établir le bordereau" in page

    response = post_slip(client_manager, cheques, total="1.00")  # a total posted is ignored

    slip = DepositSlip.objects.get()
    assert response.status_code == 302 and response["Location"] == slip_url(slip)
    assert (slip.number, slip.total, slip.method) == ("BR-2026-001", D("37.90"), "cheque")
    assert {p.deposit_slip_id for p in Payment.objects.filter(method="cheque")} == {slip.pk}
    page = client_manager.get(slip_url(slip)).content.decode()
    assert "Bordereau BR-2026-001 établi." in page
    assert "2 règlements, total 37,90\u00a0€" in page and "Jeanne Bernard" in page
    assert "Les Petits Montagnards" in page and "Remis le" in page
    assert f'value="{cheques[0].pk}"' not in client_manager.get(CREATE).content.decode()
    journal = client_manager.get(JOURNAL, {"non_remis": "on"}).content.decode()
    assert "1 règlement reçu, 5,00\u00a0€ au total." in journal


def test_the_slip_is_printable_and_downloads_as_pdf(client_manager, client, cheques, staff):
    settings = settings_for(cheques[0].structure)
    settings.legal_mentions = "IBAN FR76 3000 6000 0112 3456 7890 189"
    settings.save()
    post_slip(client_manager, cheques)
    slip = DepositSlip.objects.get()
    client.force_login(staff)

    assert "IBAN FR76 3000 6000 0112 3456 7890 189" in client.get(slip_url(slip)).content.decode()
    response = client.get(pdf_url(slip))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "bordereau-BR-2026-001.pdf" in response["Content-Disposition"]
    text = " ".join(pdf_text(response.content).split())
    assert "Bordereau de remise n° BR-2026-001" in text and "37,90 €" in text
    assert "BR-2026-001" in client.get(SLIPS).content.decode()


def test_bad_slips_are_refused_in_french_and_write_nothing(
    client_manager, family_a, cheques, other_family, other_structure
):
    cash = received(family_a, "5", method=Payment.CASH)
    pending = received(family_a, "5", status=Payment.PENDING)
    theirs = received(other_family, "8", structure=other_structure)
    post_slip(client_manager, [cheques[1]])
    cases = [
        (post_slip(client_manager, []), "Cochez au moins un règlement à remettre."),
        (post_slip(client_manager, [cheques[0], cash]), "est en espèces, pas en chèque"),
        (post_slip(client_manager, [cheques[1]]), "est déjà sur le bordereau BR-2026-001"),
        (post_slip(client_manager, [pending]), "n&#x27;est pas reçu"),
        (post_slip(client_manager, [theirs]), "Règlement inconnu"),
        (post_slip(client_manager, cheques[:1], "transfer"), "Sélectionnez un choix valide"),
        (post_slip(client_manager, cheques[:1], remis_le="2026-12-16"), "dans le futur"),
        (post_slip(client_manager, cheques[:1], reglements="abc"), "Règlement inconnu"),
    ]
    for response, message in cases:
        page = response.content.decode()
        assert response.status_code == 400 and message in page, message
        assert "Aucun bordereau n'a été établi" in page
    assert DepositSlip.objects.count() == 1
    assert Payment.objects.filter(deposit_slip__isnull=False).count() == 1


def test_who_may_do_what(client, staff, guardian_a, other_manager, manager, cheques):
    client.force_login(manager)
    post_slip(client, cheques[:1])
    slip = DepositSlip.objects.get()
    client.force_login(staff)
    for url in (JOURNAL, SLIPS, slip_url(slip), pdf_url(slip)):
        assert client.get(url).status_code == 200, url
    assert "Nouveau bordereau" not in client.get(JOURNAL).content.decode()
    assert client.get(CREATE).status_code == 403
    assert post_slip(client, cheques[1:]).status_code == 403
    client.force_login(other_manager)
    assert client.get(slip_url(slip)).status_code == 404
    assert client.get(pdf_url(slip)).status_code == 404
    page = client.get(JOURNAL).content.decode()
    assert "Aucun règlement ne correspond." in page and "Martin" not in page
    assert post_slip(client, cheques[1:]).status_code == 400  # not theirs: unknown
    client.force_login(guardian_a.user)
    for url in (JOURNAL, SLIPS, CREATE, slip_url(slip), pdf_url(slip)):
        assert client.get(url).status_code == 403, url
    assert post_slip(client, cheques[1:]).status_code == 403
    assert DepositSlip.objects.count() == 1
    assert Payment.objects.filter(deposit_slip__isnull=False).count() == 1
