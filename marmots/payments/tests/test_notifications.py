"""Notifications: replayed, forged, tampered, for another amount, for an unknown payment. Each
is logged; only a verified one for the amount asked credits, and only once."""

from decimal import Decimal

import pytest

from marmots.billing.balances import balance
from marmots.billing.models import Allocation, Payment
from marmots.billing.settling import available_credit
from marmots.billing.tests.factories import payment as direct_payment
from marmots.payments import demo_bank
from marmots.payments.models import Notification, OnlinePayment

from .conftest import debit_payment, query_of, start

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


def notify_url(structure, kind="dummy"):
    return f"/paiement/notification/{structure.pk}/{kind}/"


def paid(attempt, amount=None, **extra):
    """The simulated bank's signed notification that `attempt` was paid."""
    fields = [
        ("transaction_id", attempt.transaction_id),
        ("amount", str(attempt.amount if amount is None else amount)),
        ("signed", "1"),
        ("ok", "1"),
        *extra.items(),
    ]
    return demo_bank.sign(fields)


@pytest.fixture
def attempt(client_a, structure, owed, dummy):
    november, december = owed
    start(client_a, structure, {november: "22.90", december: "10.00"})
    return OnlinePayment.objects.get()


def post(client, structure, body, kind="dummy"):
    return client.post(notify_url(structure, kind), body, content_type=FORM)


def test_a_notification_replayed_ten_times_credits_once(client, structure, family_a, attempt):
    body = paid(attempt)

    answers = [post(client, structure, body) for _ in range(10)]

    assert [a.status_code for a in answers] == [200] * 10
    assert answers[0].text == "signature ok"  # eopayment's return_content for the dummy bank
    assert Payment.objects.count() == 1 and Allocation.objects.count() == 2
    assert balance(family_a, structure) == Decimal("0.00")
    outcomes = list(Notification.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["credited"] + ["duplicate"] * 9
    assert Notification.objects.filter(online_payment=attempt).count() == 10


def test_a_forged_notification_is_refused_and_logged(client, structure, attempt):
    forged = f"transaction_id={attempt.transaction_id}&amount=32.90&signed=1&ok=1"

    answer = post(client, structure, forged)

    assert answer.status_code == 400
    note = Notification.objects.get()
    assert note.outcome == Notification.FORGED and note.body == forged
    assert note.online_payment == attempt and note.remote_addr == "127.0.0.1"
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.PENDING and not Payment.objects.exists()


def test_a_tampered_notification_is_refused(client, structure, attempt):
    refused = paid(attempt).replace("ok=1", "ok=1&amount=0.01")
    signed_for_another = paid(attempt).replace(attempt.transaction_id, "0" * 32)

    for body in (refused, signed_for_another, paid(attempt) + "0"):
        assert post(client, structure, body).status_code == 400

    assert set(Notification.objects.values_list("outcome", flat=True)) == {"forged"}
    assert not Payment.objects.exists()


def test_an_amount_other_than_the_one_asked_is_not_credited(client, structure, attempt):
    answer = post(client, structure, paid(attempt, amount="30.00"))

    assert answer.status_code == 200  # received and understood; nothing to retry
    note = Notification.objects.get()
    assert note.outcome == Notification.MISMATCH and "30,00" in note.message
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.ERROR and not Payment.objects.exists()
    # The bank's later word for the amount asked still credits it, once.
    post(client, structure, paid(attempt))
    post(client, structure, paid(attempt))
    assert Payment.objects.get().amount == Decimal("32.90")


def test_an_unknown_payment_is_refused(client, structure, attempt):
    answer = post(client, structure, paid(attempt).replace(attempt.transaction_id, "f" * 32))
    assert answer.status_code == 400  # the signature covers the id: forged

    unknown = demo_bank.sign(
        [("transaction_id", "f" * 32), ("amount", "5"), ("signed", "1"), ("ok", "1")]
    )
    assert post(client, structure, unknown).status_code == 400
    assert Notification.objects.order_by("-pk").first().outcome == Notification.UNKNOWN
    assert not Payment.objects.exists()


def test_an_unreadable_notification_is_logged(client, structure, attempt):
    assert client.get(notify_url(structure) + "?hello=1").status_code == 400
    assert Notification.objects.get().outcome == Notification.INVALID


def test_another_provider_or_structure_is_refused(client, structure, other_structure, attempt):
    assert post(client, structure, paid(attempt), kind="systempayv2").status_code == 400
    assert post(client, structure, paid(attempt), kind="x" * 40).status_code == 400
    assert Notification.objects.filter(outcome=Notification.INVALID).count() == 2
    assert post(client, other_structure, paid(attempt)).status_code == 404
    assert not Payment.objects.exists()


def test_what_was_paid_meanwhile_stays_as_a_credit(client, structure, family_a, owed, attempt):
    november, december = owed
    cheque = direct_payment(
        structure=structure,
        family=family_a,
        method=Payment.CHEQUE,
        amount=Decimal("22.90"),
        received_on=attempt.created_at.date(),
    )
    Allocation.objects.create(payment=cheque, invoice=november, amount=Decimal("22.90"))

    post(client, structure, paid(attempt))

    card = Payment.objects.get(method=Payment.CARD)
    assert [(a.invoice, a.amount) for a in card.allocations.all()] == [(december, Decimal("10.00"))]
    assert balance(family_a, structure) == Decimal("-22.90")  # a credit for the next invoice


def test_an_invoice_sent_to_direct_debit_meanwhile_gets_nothing_from_the_card(
    client, structure, family_a, owed, attempt
):
    november, december = owed
    debit_payment(structure, family_a, november)  # the bank is about to collect it

    post(client, structure, paid(attempt))

    card = Payment.objects.get(method=Payment.CARD)
    assert [(a.invoice, a.amount) for a in card.allocations.all()] == [(december, Decimal("10.00"))]
    assert available_credit(family_a, structure) == Decimal("22.90")


def test_a_huge_notification_is_read_whole_and_stored_cut(client, structure, attempt):
    body = paid(attempt, padding="x" * 100_000)  # signed: the whole text must be read

    assert post(client, structure, body).status_code == 200

    note = Notification.objects.get()
    assert note.outcome == Notification.CREDITED
    assert note.body == body[:4000] and note.query == ""
    client.get(notify_url(structure) + "?" + "y" * 100_000)
    assert len(Notification.objects.latest("pk").query) == 4000


def test_a_refusal_then_a_payment_credits_once(client, structure, attempt):
    refused = demo_bank.sign(
        [("transaction_id", attempt.transaction_id), ("signed", "1"), ("reason", "refused")]
    )
    post(client, structure, refused)
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.REFUSED
    assert post(client, structure, refused).status_code == 200

    post(client, structure, paid(attempt))

    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.PAID and Payment.objects.count() == 1
    outcomes = list(Notification.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["not_paid", "duplicate", "credited"]


def test_a_dummy_notification_is_refused_outside_the_demo(client, structure, attempt, settings):
    settings.MARMOTS_DEMO_BANK = False

    assert post(client, structure, paid(attempt)).status_code == 503
    assert Notification.objects.get().outcome == Notification.INVALID
    assert not Payment.objects.exists()


def test_the_bank_url_carries_what_the_page_shows(client_a, structure, owed, dummy):
    november, _ = owed
    asked = query_of(start(client_a, structure, {november: "5"}).url)
    assert asked["email"] == "claire.martin@example.org"
    assert asked["origin"] == structure.name
