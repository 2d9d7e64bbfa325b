"""Two notifications of the same payment at once (the bank's and the family's return) credit
once: the attempt's row is locked while one is judged (PostgreSQL). Without the lock, both
would credit."""

import threading

import pytest

from marmots.billing.models import Payment
from marmots.payments import actions, demo_bank, providers
from marmots.payments.models import Notification, OnlinePayment
from tests.concurrency import race

from .conftest import start


@pytest.fixture
def paid(client_a, structure, owed, dummy):
    """The provider and the signed notification that the attempt was paid."""
    november, december = owed
    start(client_a, structure, {november: "22.90", december: "10.00"})
    attempt = OnlinePayment.objects.get()
    body = demo_bank.sign(
        [
            ("transaction_id", attempt.transaction_id),
            ("amount", "32.90"),
            ("signed", "1"),
            ("ok", "1"),
        ]
    )
    return dummy, body


def twice(provider, body):
    def one(channel):
        return lambda: (
            actions.handle_notification(provider, channel, "POST", "", body, "127.0.0.1").outcome
        )

    return race(one("notify"), one("return"))


@pytest.mark.django_db(transaction=True)
def test_two_notifications_at_once_credit_once(postgres, paid):
    results = twice(*paid)

    assert sorted(results) == ["credited", "duplicate"]
    assert Payment.objects.filter(method=Payment.CARD).count() == 1
    assert Notification.objects.count() == 2
    assert OnlinePayment.objects.get().status == OnlinePayment.PAID


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_both_would_credit(postgres, paid, monkeypatch):
    both_read = threading.Barrier(2)
    amount_of = providers.paid_amount

    def after_both_read(kind, data):
        both_read.wait(timeout=30)  # both saw the attempt still pending
        return amount_of(kind, data)

    monkeypatch.setattr(providers, "paid_amount", after_both_read)
    monkeypatch.setattr(
        OnlinePayment.objects, "select_for_update", lambda **kw: OnlinePayment.objects.all()
    )

    results = twice(*paid)

    assert results == ["credited", "credited"]
    assert Payment.objects.filter(method=Payment.CARD).count() == 2
