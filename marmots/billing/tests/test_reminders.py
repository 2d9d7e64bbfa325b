"""Reminders for unpaid invoices: the thresholds, the threshold due, what is left out (paid, in
credit, in a pending direct debit), the e-mail through a real SMTP server, sent once."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from marmots.billing import reminder_email, reminders
from marmots.billing.balances import settings_for
from marmots.billing.models import Allocation, BillingSettings, Invoice, Payment, Reminder
from marmots.billing.reminders import covered_by_credit, due_threshold, parse_thresholds
from marmots.core.models import AuditEntry
from marmots.debits.models import DebitBatch, DebitItem, Mandate
from tests import factories as f
from tests.house import at

from .factories import invoice, payment
from .month import pdf_text

D = datetime.date
DUE = D(2027, 1, 5)
DAY = datetime.timedelta(days=1)

# -- pure rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("10, 30", (10, 30)),
        ("30,10", (10, 30)),
        (" 7 ; 14  21 ", (7, 14, 21)),
        ("", ()),
        ("   ", ()),
        (None, ()),
        ("365", (365,)),
        ("1, 2, 3, 4, 5", (1, 2, 3, 4, 5)),
    ],
)
def test_thresholds_are_read_and_sorted(text, expected):
    assert parse_thresholds(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("dix, 30", "« dix » n'est pas un nombre de jours"),
        ("10 jours", "« jours » n'est pas un nombre de jours"),
        ("-5", "« -5 » n'est pas un nombre de jours"),
        ("10.5", "« 10.5 » n'est pas un nombre de jours"),
        ("0, 10", "au moins 1 jour après l'échéance"),
        ("10, 30, 10", "Le seuil de 10 jours est écrit deux fois."),
        ("1, 2, 3, 4, 5, 6", "5 relances au plus."),
        ("10, 366", "au plus 365 jours après l'échéance"),
    ],
)
def test_bad_thresholds_are_refused_in_french(text, message):
    with pytest.raises(ValidationError) as refused:
        parse_thresholds(text)
    assert message in refused.value.messages[0]


@pytest.mark.parametrize(
    "today, sent, expected",
    [
        (DUE, (), None),  # due today: not overdue
        (DUE + 9 * DAY, (), None),
        (DUE + 10 * DAY, (), 10),  # exactly 10 days late
        (DUE + 29 * DAY, (), 10),
        (DUE + 30 * DAY, (), 30),
        (DUE + 45 * DAY, (), 30),  # the highest reached only, never the first too
        (DUE + 20 * DAY, (10,), None),  # already sent
        (DUE + 30 * DAY, (10,), 30),
        (DUE + 300 * DAY, (10, 30), None),
        (DUE + 10 * DAY, (30,), None),  # never a lower one after a higher
    ],
)
def test_the_threshold_due(today, sent, expected):
    assert due_threshold((10, 30), DUE, today, Decimal("12.00"), sent) == expected


def test_no_level_without_anything_to_remind():
    late = DUE + 40 * DAY
    assert due_threshold((10, 30), DUE, late, Decimal("0.00")) is None
    assert due_threshold((10, 30), DUE, late, Decimal("-3.00")) is None
    assert due_threshold((), DUE, late, Decimal("5.00")) is None
    assert due_threshold((10,), None, late, Decimal("5.00")) is None
    # Thresholds changed after the 30-day reminder: no lower one follows it.
    assert due_threshold((5, 15, 60), DUE, DUE + 20 * DAY, Decimal("5.00"), (30,)) is None
    # A threshold added below one already sent sends nothing again.
    assert due_threshold((10, 20, 30), DUE, DUE + 35 * DAY, Decimal("5.00"), (10, 30)) is None


def test_credit_covers_the_oldest_invoices_first():
    amounts = [Decimal("10.00"), Decimal("20.00"), Decimal("5.00")]
    assert covered_by_credit(amounts, Decimal("30.00")) == {0, 1}
    assert covered_by_credit(amounts, Decimal("35.00")) == {0, 1, 2}
    assert covered_by_credit(amounts, Decimal("12.00")) == {0}
    # 15 goes to the 20 first (as the next invoice uses it): nothing is covered in full.
    assert covered_by_credit([Decimal("20.00"), Decimal("5.00")], Decimal("15.00")) == set()
    assert covered_by_credit(amounts, Decimal("0.00")) == set()


# -- queued and sent ----------------------------------------------------------------------------


@pytest.fixture
def bill(structure, family_a, guardian_a):
    billing = settings_for(structure)
    billing.reminder_days = "10, 30"
    billing.save()
    structure.email = "contact@petits-montagnards.fr"
    structure.phone = "04 50 43 27 07"
    structure.save()
    return invoice(family_a, structure, [("Périscolaire", "30.00"), ("Goûters", "12.40")], due=DUE)


def _pay(bill, amount, status=Payment.SUCCEEDED, allocate=True):
    made = payment(
        structure=bill.structure,
        family=bill.family,
        method=Payment.CHEQUE,
        status=status,
        amount=Decimal(amount),
        received_on=DUE,
    )
    if allocate:
        Allocation.objects.create(payment=made, invoice=bill, amount=Decimal(amount))
    return made


def _queue(structure, today, capture):
    with capture(execute=True):
        return reminders.queue_reminders(structure, today=today)


def test_a_reminder_is_emailed_with_the_invoice(
    bill, structure, smtp_server, django_capture_on_commit_callbacks
):
    assert _queue(structure, DUE + 9 * DAY, django_capture_on_commit_callbacks) == []
    (reminder,) = _queue(structure, DUE + 10 * DAY, django_capture_on_commit_callbacks)

    (message,) = smtp_server
    assert message["To"] == "claire.martin@example.org"
    assert message["Subject"].strip() == (
        f"Rappel : facture {bill.reference} à régler – Les Petits Montagnards"
    )
    body = message.get_body(("plain",)).get_content()
    assert f"la facture {bill.reference} de novembre 2026" in body
    assert "Reste à régler : 42,40\u00a0€" in body
    assert "Échéance : 05/01/2027" in body
    assert f"{settings.SITE_URL}/portail/paiement/" in body
    assert "04 50 43 27 07" in body and "contact@petits-montagnards.fr" in body
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == f"facture-{bill.reference}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert bill.reference in pdf_text(attachment.get_content())

    reminder.refresh_from_db()
    assert (reminder.level, reminder.days, reminder.outstanding) == (10, 10, Decimal("42.40"))
    assert reminder.sent_at is not None and reminder.email == "claire.martin@example.org"
    entry = AuditEntry.objects.get(action="reminder.create")
    assert entry.family_id == bill.family_id and entry.actor is None


def test_a_rerun_sends_nothing_more_and_the_next_threshold_once(
    bill, structure, smtp_server, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert len(_queue(structure, DUE + 10 * DAY, capture)) == 1
    assert _queue(structure, DUE + 10 * DAY, capture) == []
    assert _queue(structure, DUE + 29 * DAY, capture) == []
    assert len(_queue(structure, DUE + 30 * DAY, capture)) == 1
    assert _queue(structure, DUE + 90 * DAY, capture) == []
    assert len(smtp_server) == 2
    assert smtp_server[1]["Subject"].strip().startswith("Nouveau rappel : facture")
    assert sorted(Reminder.objects.values_list("level", "days")) == [(10, 10), (30, 30)]


def test_long_overdue_gets_only_the_highest_threshold(bill, structure, smtp_server):
    (reminder,) = reminders.queue_reminders(structure, today=DUE + 60 * DAY)
    assert (reminder.level, reminder.days) == (30, 30)


def test_paid_partly_paid_and_other_invoices(
    bill, structure, family_a, family_b, other_structure, smtp_server
):
    late = DUE + 10 * DAY
    _pay(bill, "42.40")
    invoice(family_a, structure, [("brouillon", "5.00")], issued=False)
    invoice(family_a, other_structure, [("ailleurs", "9.00")], due=DUE)
    partly = invoice(family_b, structure, [("Mercredis", "20.00")], due=DUE)
    _pay(partly, "15.00")
    _pay(partly, "5.00", status=Payment.FAILED)

    due, skipped = reminders.review(structure, late)
    assert [(item.invoice.pk, item.invoice.outstanding) for item in due] == [
        (partly.pk, Decimal("5.00"))
    ]
    assert skipped == []
    (reminder,) = reminders.queue_reminders(structure, today=late)
    assert reminder.invoice == partly and reminder.outstanding == Decimal("5.00")


def test_a_family_in_credit_is_not_reminded(bill, structure, smtp_server):
    late = DUE + 10 * DAY
    received = _pay(bill, "42.40", allocate=False)  # received, not yet allocated
    due, skipped = reminders.review(structure, late)
    assert due == [] and [(s.invoice, s.reason) for s in skipped] == [(bill, reminders.COVERED)]
    assert reminders.queue_reminders(structure, today=late) == []

    received.amount = Decimal("40.00")  # not enough to cover it: reminded
    received.save()
    assert len(reminders.queue_reminders(structure, today=late)) == 1


def _pending_debit(bill, collection_date):
    """The bill in a direct debit sent to the bank, not collected yet."""
    mandate = Mandate.objects.create(
        structure=bill.structure,
        family=bill.family,
        reference="RUM-MARTIN-1",
        holder="Claire Martin",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        signed_on=D(2026, 9, 1),
    )
    batch = DebitBatch.objects.create(
        structure=bill.structure,
        collection_date=collection_date,
        message_id="MSG-1",
        total=bill.total,
        xml="<x/>",
    )
    debit = _pay(bill, "42.40", status=Payment.PENDING)  # allocated, not received yet
    debit.method = Payment.DEBIT
    debit.save()
    DebitItem.objects.create(
        batch=batch,
        invoice=bill,
        mandate=mandate,
        amount=bill.total,
        sequence_type=DebitItem.FRST,
        end_to_end_id="E2E-1",
        payment=debit,
    )
    return debit


def test_an_invoice_in_a_pending_debit_is_not_reminded(
    bill, structure, smtp_server, django_capture_on_commit_callbacks
):
    late = DUE + 10 * DAY
    debit = _pending_debit(bill, late)
    due, skipped = reminders.review(structure, late)
    assert due == [] and [s.reason for s in skipped] == [reminders.PENDING_DEBIT]
    assert reminders.queue_reminders(structure, today=late) == []

    debit.status = Payment.FAILED  # the bank rejected it: the invoice is reminded
    debit.save()
    assert len(_queue(structure, late, django_capture_on_commit_callbacks)) == 1
    assert len(smtp_server) == 1


def test_the_credit_is_not_spent_on_an_invoice_in_a_pending_debit(
    bill, structure, family_a, smtp_server
):
    # The credit (20 €) skips the older bill the bank is collecting (as `apply_credit` does)
    # and covers the later invoice in full: neither is reminded.
    late = DUE + 11 * DAY  # both past their first threshold
    later = invoice(family_a, structure, [("Mercredis", "20.00")], due=DUE + DAY)
    _pending_debit(bill, late)
    _pay(later, "20.00", allocate=False)

    due, skipped = reminders.review(structure, late)

    assert due == []
    assert [(s.invoice, s.reason) for s in skipped] == [
        (bill, reminders.PENDING_DEBIT),
        (later, reminders.COVERED),
    ]
    assert reminders.queue_reminders(structure, today=late) == []


def test_the_email_task_sends_once(bill, smtp_server):
    reminder = Reminder.objects.create(
        invoice=bill, level=10, days=10, outstanding=Decimal("42.40")
    )
    reminder_email.send_reminder_email.enqueue(reminder.pk)
    reminder_email.send_reminder_email.enqueue(reminder.pk)  # a retried task
    assert len(smtp_server) == 1
    reminder.refresh_from_db()
    assert reminder.sent_at is not None


def test_nothing_is_sent_for_an_invoice_paid_meanwhile_or_without_email(
    bill, family_b, structure, smtp_server
):
    reminder = Reminder.objects.create(invoice=bill, level=10, days=10, outstanding=bill.total)
    _pay(bill, "42.40")
    reminder_email.send_reminder_email.enqueue(reminder.pk)
    no_login = invoice(family_b, structure, [("Mercredis", "8.00")], due=DUE)  # no guardian
    other = Reminder.objects.create(invoice=no_login, level=10, days=10, outstanding=no_login.total)
    reminder_email.send_reminder_email.enqueue(other.pk)
    assert smtp_server == []
    assert not Reminder.objects.filter(sent_at__isnull=False).exists()


def test_today_is_the_paris_date(bill, structure, time_machine, smtp_server):
    # 23:30 UTC on 14 January is already the 15th (10 days late) in Paris.
    time_machine.move_to(datetime.datetime(2027, 1, 14, 23, 30, tzinfo=datetime.UTC), tick=False)
    assert len(reminders.queue_reminders(structure)) == 1


def test_no_thresholds_no_reminders(bill, structure):
    BillingSettings.objects.filter(structure=structure).update(reminder_days="")
    assert reminders.queue_reminders(structure, today=DUE + 100 * DAY) == []
    assert reminders.review(structure, DUE + 100 * DAY) == ([], [])


def test_save_thresholds(structure, manager, staff):
    reminders.save_thresholds(structure, " 30 ;10", manager)
    assert settings_for(structure).reminder_days == "10, 30"
    entry = AuditEntry.objects.get(action="billing_settings.reminder_days")
    assert entry.after == {"reminder_days": "10, 30"} and entry.actor == manager
    with pytest.raises(ValidationError):
        reminders.save_thresholds(structure, "10, 10", manager)
    assert settings_for(structure).reminder_days == "10, 30"


def test_send_reminders_command(
    bill, structure, other_structure, time_machine, smtp_server, django_capture_on_commit_callbacks
):
    time_machine.move_to(at(DUE + 10 * DAY, 9), tick=False)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=out)
        call_command("send_reminders", stdout=out)
    assert out.getvalue().splitlines() == [
        "Relances de Les Petits Montagnards : 1 relance(s) envoyée(s).",
        "Relances de Les Petits Montagnards : 0 relance(s) envoyée(s).",
    ]
    assert len(smtp_server) == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_create_one_reminder(postgres, bill, structure, smtp_server):
    runs = 2
    barrier = threading.Barrier(runs)
    counts, errors = [], []

    def run():
        try:
            barrier.wait()
            counts.append(len(reminders.queue_reminders(structure, today=DUE + 10 * DAY)))
        except Exception as error:  # any failure fails the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(counts) == [0, 1]
    assert Reminder.objects.count() == 1
    assert len(smtp_server) == 1


def test_guardians_without_login_are_not_written_to(
    bill, family_a, smtp_server, django_capture_on_commit_callbacks
):
    f.GuardianFactory(family=family_a, user__email="thomas.martin@example.org")
    f.GuardianFactory(family=family_a, user=None, first_name="Mamie", last_name="Martin")
    _queue(bill.structure, DUE + 10 * DAY, django_capture_on_commit_callbacks)
    assert smtp_server[0]["To"] == "claire.martin@example.org, thomas.martin@example.org"
    assert Invoice.objects.get(pk=bill.pk).reminders.get().email == (
        "claire.martin@example.org, thomas.martin@example.org"
    )


def test_the_family_sees_the_reminder_on_its_invoice(bill, client_a, smtp_server):
    url = reverse("portal:invoice", args=[bill.pk])
    assert "Relance envoyée le" not in client_a.get(url).content.decode()
    reminder = Reminder.objects.create(invoice=bill, level=10, days=10, outstanding=bill.total)
    reminder_email.send_reminder_email.enqueue(reminder.pk)
    reminder.refresh_from_db()
    page = client_a.get(url).content.decode()
    assert f"Relance envoyée le {timezone.localdate(reminder.sent_at):%d/%m/%Y}" in page
