"""Reminders are decided by their threshold in days, not by its position in the list: adding a
threshold sends nothing twice; only reminders actually sent count, and one left unsent (no
e-mail address, a direct debit pending then) is tried again by a later run."""

import datetime
from decimal import Decimal

import pytest

from marmots.billing import reminders
from marmots.billing.balances import settings_for
from marmots.billing.models import Allocation, Payment, Reminder
from tests import factories as f
from tests.house import at

from .factories import invoice, payment

pytestmark = pytest.mark.django_db
DUE = datetime.date(2027, 1, 5)
DAY = datetime.timedelta(days=1)


def thresholds(structure, text):
    billing = settings_for(structure)
    billing.reminder_days = text
    billing.save()


def queue(structure, today, capture):
    with capture(execute=True):
        return reminders.queue_reminders(structure, today=today)


@pytest.fixture
def bill(structure, family_a):
    thresholds(structure, "10, 30")
    return invoice(family_a, structure, [("Périscolaire", "42.40")], due=DUE)


def test_a_threshold_added_later_resends_nothing(
    bill, structure, guardian_a, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert len(queue(structure, DUE + 10 * DAY, capture)) == 1
    assert len(queue(structure, DUE + 30 * DAY, capture)) == 1
    thresholds(structure, "10, 20, 30")

    assert reminders.review(structure, DUE + 35 * DAY) == ([], [])
    assert queue(structure, DUE + 35 * DAY, capture) == []
    thresholds(structure, "10, 20, 30, 60")
    (last,) = queue(structure, DUE + 60 * DAY, capture)

    assert last.days == 60 and len(mailoutbox) == 3
    assert sorted(Reminder.objects.values_list("days", flat=True)) == [10, 30, 60]
    assert mailoutbox[2].subject.startswith("Nouveau rappel")


def test_a_reminder_never_sent_is_tried_again_the_next_day(
    bill, structure, family_a, mailoutbox, django_capture_on_commit_callbacks, time_machine
):
    capture = django_capture_on_commit_callbacks
    time_machine.move_to(at(DUE + 10 * DAY, 9), tick=False)
    (unsent,) = queue(structure, DUE + 10 * DAY, capture)  # nobody to write to yet
    assert mailoutbox == [] and Reminder.objects.get().sent_at is None
    assert queue(structure, DUE + 10 * DAY, capture) == []  # the same day: on its way

    time_machine.move_to(at(DUE + 11 * DAY, 9), tick=False)
    f.GuardianFactory(family=family_a, user__email="claire.martin@example.org")
    (item,), _ = reminders.review(structure, DUE + 11 * DAY)
    assert (item.days, item.retry) == (10, True)
    (again,) = queue(structure, DUE + 11 * DAY, capture)

    assert again.pk == unsent.pk and Reminder.objects.count() == 1
    assert Reminder.objects.get().sent_at is not None
    (message,) = mailoutbox
    assert message.subject.startswith("Rappel :")  # the first one the family gets
    assert queue(structure, DUE + 12 * DAY, capture) == []


def test_an_unsent_reminder_does_not_use_up_its_threshold(
    bill, structure, guardian_a, mailoutbox, django_capture_on_commit_callbacks, time_machine
):
    """Left unsent while a direct debit was pending; the bank rejected it: reminded."""
    capture = django_capture_on_commit_callbacks
    time_machine.move_to(at(DUE + 10 * DAY, 9), tick=False)
    debit = payment(
        structure=structure,
        family=bill.family,
        method=Payment.DEBIT,
        status=Payment.PENDING,
        amount=bill.total,
        received_on=DUE,
    )
    Allocation.objects.create(payment=debit, invoice=bill, amount=bill.total)
    Reminder.objects.create(invoice=bill, level=10, days=10, outstanding=bill.total)
    time_machine.move_to(at(DUE + 20 * DAY, 9), tick=False)
    assert [s.reason for s in reminders.review(structure)[1]] == [reminders.PENDING_DEBIT]

    debit.status = Payment.FAILED
    debit.save()
    (reminder,) = queue(structure, None, capture)

    assert (reminder.days, reminder.outstanding) == (10, Decimal("42.40"))
    reminder.refresh_from_db()
    assert reminder.sent_at is not None and len(mailoutbox) == 1
