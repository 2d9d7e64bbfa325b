"""Invoice numbers: continuous per series and issue year, in family-name order, unique even when
runs are issued at once (PostgreSQL: the sequence row is locked; without the lock, the race)."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from marmots.billing import actions
from marmots.billing.models import Invoice, InvoiceSequence, InvoicingRun
from tests.concurrency import race
from tests.house import at

from .month import DECEMBER_2, MON_2, NOVEMBER, OCTOBER, book, family_with_child, review_all

OCTOBER_5 = datetime.date(2026, 10, 5)


def billed(house, names, day):
    """One family per name, each with one evening booked on `day`."""
    children = []
    for name in names:
        _, child = family_with_child(house, name, 540)
        book(child, house.snack_slot, day)
        children.append(child)
    return children


def issued(house, month, manager):
    run = actions.start_run(house.structure, month, manager)
    assert run.status == InvoicingRun.DRAFTED, run.error
    review_all(run, manager)
    return actions.issue_run(run, manager)


def numbers(run):
    return list(
        Invoice.objects.filter(run=run).order_by("number").values_list("family__name", "number")
    )


@pytest.mark.django_db
def test_numbers_are_continuous_in_family_name_order(house, tariffs, manager, time_machine):
    time_machine.move_to(DECEMBER_2)
    billed(house, ["Roux", "Abel", "Martin"], MON_2)

    run = issued(house, NOVEMBER, manager)

    assert numbers(run) == [("Abel", 1), ("Martin", 2), ("Roux", 3)]
    first = Invoice.objects.get(run=run, number=1)
    assert first.reference == "FA-2026-00001" and first.year == 2026
    assert first.due_date == datetime.date(2027, 1, 1)  # 2 December + 30 days
    assert run.issued_by == manager and run.issued_at is not None
    # October's invoices, issued later, follow; January's start again at 1 for 2027.
    billed(house, ["Zola"], OCTOBER_5)
    assert numbers(issued(house, OCTOBER, manager)) == [("Zola", 4)]
    time_machine.move_to(at(datetime.date(2027, 1, 4), 9))
    billed(house, ["Blanc", "Aubry"], datetime.date(2026, 12, 3))
    january = issued(house, datetime.date(2026, 12, 1), manager)
    assert numbers(january) == [("Aubry", 1), ("Blanc", 2)]
    assert Invoice.objects.get(run=january, number=1).reference == "FA-2027-00001"
    assert dict(InvoiceSequence.objects.values_list("year", "last_number")) == {2026: 4, 2027: 2}


@pytest.mark.django_db
def test_an_issued_run_never_changes(house, tariffs, manager, time_machine):
    time_machine.move_to(DECEMBER_2)
    (child,) = billed(house, ["Martin"], MON_2)
    run = issued(house, NOVEMBER, manager)
    fields = ["number", "total", "status", "issued_at", "due_date", "payer_name"]
    before = list(Invoice.objects.values_list(*fields))
    lines = list(Invoice.objects.get().lines.values_list("label", "amount"))
    book(child, house.snack_slot, MON_2 + datetime.timedelta(days=1))

    for action, message in [
        (actions.recompute_run, "Cette facturation est émise"),
        (actions.discard_run, "Cette facturation est émise"),
        (actions.issue_run, "déjà émise"),
    ]:
        with pytest.raises(ValidationError, match=message):
            action(run, manager)

    assert list(Invoice.objects.values_list(*fields)) == before
    assert list(Invoice.objects.get().lines.values_list("label", "amount")) == lines
    # A new run of the month leaves the invoiced family alone: corrections go by credit note.
    again = actions.start_run(house.structure, NOVEMBER, manager)
    assert again.status == InvoicingRun.DRAFTED and not Invoice.objects.filter(run=again).exists()


@pytest.mark.django_db
def test_each_series_counts_on_its_own(house, tariffs, manager, time_machine):
    time_machine.move_to(DECEMBER_2)
    billed(house, ["Abel", "Blanc"], MON_2)
    run = issued(house, NOVEMBER, manager)
    first, second = Invoice.objects.filter(run=run).order_by("number")

    notes = [actions.credit_note(invoice, manager, "Erreur") for invoice in (second, first)]

    assert [n.reference for n in notes] == ["AV-2026-00001", "AV-2026-00002"]
    assert InvoiceSequence.objects.get(series="FA").last_number == 2


# Concurrency (PostgreSQL): real threads, each with its own connection.


def two_drafted_runs(house, manager):
    billed(house, [f"Octobre{n}" for n in range(6)], OCTOBER_5)
    billed(house, [f"Novembre{n}" for n in range(9)], MON_2)
    october = actions.start_run(house.structure, OCTOBER, manager)
    november = actions.start_run(house.structure, NOVEMBER, manager)
    review_all(october, manager)
    review_all(november, manager)
    return october, november


@pytest.mark.django_db(transaction=True)
def test_two_runs_issued_at_once_get_unique_continuous_numbers(
    postgres, house, tariffs, manager, time_machine
):
    time_machine.move_to(DECEMBER_2)
    october, november = two_drafted_runs(house, manager)

    results = race(
        lambda: actions.issue_run(october, manager), lambda: actions.issue_run(november, manager)
    )

    assert [r.status for r in results] == [InvoicingRun.ISSUED] * 2
    given = sorted(Invoice.objects.values_list("number", flat=True))
    assert given == list(range(1, 16))
    # Each run's numbers are one block: the lock is held until its transaction ends.
    for run in (october, november):
        mine = [n for _, n in numbers(run)]
        assert mine == list(range(mine[0], mine[0] + len(mine)))
    assert InvoiceSequence.objects.get().last_number == 15


@pytest.mark.django_db(transaction=True)
def test_without_the_lock_the_same_issue_collides(
    postgres, house, tariffs, manager, time_machine, monkeypatch
):
    time_machine.move_to(DECEMBER_2)
    october, november = two_drafted_runs(house, manager)
    # The series' row exists (an earlier issue made it): both runs read it without waiting.
    InvoiceSequence.objects.create(structure=house.structure, series="FA", year=2026)
    both_read = threading.Barrier(2)

    def unlocked(structure, series, year, count):
        """take_numbers without select_for_update: both runs read the same last number."""
        sequence = InvoiceSequence.objects.get(structure=structure, series=series, year=year)
        both_read.wait(timeout=30)
        first = sequence.last_number + 1
        sequence.last_number += count
        sequence.save(update_fields=["last_number"])
        return range(first, first + count)

    monkeypatch.setattr(actions, "take_numbers", unlocked)
    results = race(
        lambda: actions.issue_run(october, manager), lambda: actions.issue_run(november, manager)
    )

    # Both took numbers from 1: the database's unique constraint refuses the second run.
    assert sorted(type(r).__name__ for r in results) == ["IntegrityError", "InvoicingRun"]
    assert any(isinstance(r, IntegrityError) for r in results)
    assert Invoice.objects.filter(status=Invoice.ISSUED).count() in (6, 9)


@pytest.mark.django_db(transaction=True)
def test_two_starts_of_the_same_month_give_one_run(
    postgres, house, tariffs, manager, time_machine, monkeypatch
):
    time_machine.move_to(DECEMBER_2)
    billed(house, ["Martin"], MON_2)
    both_checked = threading.Barrier(2)
    live_run = actions.live_run

    def checked_together(structure, month):
        found = live_run(structure, month)
        both_checked.wait(timeout=30)  # both saw no live run
        return found

    monkeypatch.setattr(actions, "live_run", checked_together)
    results = race(*[lambda: actions.start_run(house.structure, NOVEMBER, manager)] * 2)

    refused = [r for r in results if isinstance(r, ValidationError)]
    started = [r for r in results if isinstance(r, InvoicingRun)]
    assert len(refused) == len(started) == 1
    assert refused[0].messages == [actions.LIVE_EXISTS]
    assert InvoicingRun.objects.get().status == InvoicingRun.DRAFTED
    assert Invoice.objects.count() == 1
