"""The family locks of the batch actions: a batch debits only the families it locked; a reject
or a cancellation changes a family's payments only once it holds the family's lock (PostgreSQL,
real threads), as a collection does."""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction

from marmots.billing.models import Payment
from marmots.debits import actions
from marmots.families.models import Family
from tests.concurrency import race
from tests.house import at

from .conftest import COLLECTION, IBAN_B, NOVEMBER


def test_a_mandate_created_while_a_batch_is_made_waits_for_the_next_batch(
    db, creditor, structure, mandate_a, invoices, family_b, manager, monkeypatch
):
    """B's mandate arrives after the batch locked the families on debit (A), before it reads
    what is due: B was not locked, so B is not debited."""
    lock = actions._lock_families

    def then_a_mandate(family_ids):
        lock(family_ids)
        monkeypatch.setattr(actions, "_lock_families", lock)  # once
        actions.create_mandate(
            structure,
            family_b,
            manager,
            holder="Paul Bernard",
            iban=IBAN_B,
            bic="COBADEFFXXX",
            signed_on=datetime.date(2026, 10, 15),
        )

    monkeypatch.setattr(actions, "_lock_families", then_a_mandate)
    batch = actions.make_batch(structure, NOVEMBER, manager)

    a1, a2, b = invoices
    assert sorted(batch.items.values_list("invoice", flat=True)) == [a1.pk, a2.pk]
    later = actions.make_batch(structure, NOVEMBER, manager)
    assert list(later.items.values_list("invoice", flat=True)) == [b.pk]


def statuses():
    return sorted(Payment.objects.values_list("status", flat=True))


def lock_waiters():
    """How many other sessions of this database wait for a row lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # read afresh inside a transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def while_the_family_is_locked(family, action):
    """Run `action` while another transaction holds the family's row (as a payment being
    recorded does; a no-key lock, so only the actions' own family lock waits for it): the
    payment statuses that transaction reads once `action` waits, or has finished without
    waiting; then what `action` returned."""
    held = threading.Event()
    before = statuses()

    def hold():
        with transaction.atomic():
            Family.objects.select_for_update(no_key=True).filter(pk=family.pk).first()
            held.set()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if lock_waiters() or statuses() != before:
                    break
                time.sleep(0.02)
            return statuses()

    def act():
        assert held.wait(timeout=30)
        return action()

    return race(hold, act)


@pytest.fixture
def batch(creditor, mandate_a, mandate_b, invoices, manager):
    return actions.make_batch(creditor.structure, NOVEMBER, manager)


@pytest.mark.django_db(transaction=True)
def test_a_cancellation_waits_for_the_families_lock(postgres, batch, family_b, manager):
    seen, cancelled = while_the_family_is_locked(
        family_b, lambda: actions.cancel_batch(batch, manager)
    )

    assert seen == ["pending"] * 3  # nothing changed under the lock
    assert cancelled.status == cancelled.CANCELLED and statuses() == ["failed"] * 3


@pytest.mark.django_db(transaction=True)
def test_a_reject_waits_for_the_familys_lock(
    postgres, batch, invoices, family_b, manager, time_machine
):
    time_machine.move_to(at(COLLECTION, 9))
    actions.mark_collected(batch, manager)
    item = batch.items.get(invoice=invoices[2])

    seen, rejected = while_the_family_is_locked(
        family_b, lambda: actions.reject_item(item, manager, "AM04 – provision insuffisante")
    )

    assert seen == ["succeeded"] * 3
    assert rejected.payment.status == Payment.FAILED
    assert statuses() == ["failed", "succeeded", "succeeded"]
