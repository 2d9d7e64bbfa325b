"""Two batches made at once never debit an invoice twice (PostgreSQL, real threads): the
structure's settings row is locked while a batch reads what is due. Without the lock, the
race is real."""

import threading

import pytest
from django.core.exceptions import ValidationError

from marmots.debits import actions
from marmots.debits.models import DebitBatch, DebitItem, DebitSettings
from tests.concurrency import race

from .conftest import NOVEMBER


def make(creditor, manager):
    return lambda: actions.make_batch(creditor.structure, NOVEMBER, manager)


def debited_invoices():
    return sorted(DebitItem.objects.values_list("invoice", flat=True))


@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_debit_each_invoice_once(
    postgres, creditor, mandate_a, mandate_b, invoices, manager
):
    results = race(make(creditor, manager), make(creditor, manager))

    made = [r for r in results if isinstance(r, DebitBatch)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == len(refused) == 1, results
    assert refused[0].messages == [actions.NOTHING_DUE]
    assert debited_invoices() == sorted(i.pk for i in invoices)


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_an_invoice_is_debited_twice(
    postgres, creditor, mandate_a, mandate_b, invoices, manager, monkeypatch
):
    both_locked = threading.Barrier(2)

    def unlocked(structure):
        """_lock_structure without select_for_update: both read what is due together."""
        settings = DebitSettings.objects.get(structure=structure)
        both_locked.wait(timeout=30)
        return settings

    def no_family_lock(structure):
        pass

    monkeypatch.setattr(actions, "_lock_structure", unlocked)
    monkeypatch.setattr(actions, "_lock_families", no_family_lock)
    results = race(make(creditor, manager), make(creditor, manager))

    assert all(isinstance(r, DebitBatch) for r in results), results
    assert debited_invoices() == sorted(i.pk for i in invoices for _ in range(2))
