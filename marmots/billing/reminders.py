"""Reminders for unpaid invoices, e-mailed at the thresholds the manager sets (days after the
due date, `BillingSettings.reminder_days`, e.g. "10, 30").

- Pure rules: `parse_thresholds` reads the manager's text; `due_threshold` says which
  reminder an invoice is due for, by its number of days (only the highest threshold reached,
  never one at or below a reminder already sent: adding a threshold later sends nothing
  twice); `covered_by_credit` says which overdue invoices the family's credit already pays
  (the credit of `settling.credits`, the one the next invoice uses, which skips the invoices
  in a pending direct debit).
- `review(structure, today)` lists what would be reminded today (the back-office preview) and
  what is left out, and why; `queue_reminders` creates the `Reminder` rows (one per invoice and
  threshold: `level` is the threshold's days, and the database refuses a second, so a rerun or
  two runs at once create nothing more) and enqueues `reminder_email.send_reminder_email` for
  each once committed; the task sends once, under the reminder's row lock. Only reminders
  actually sent count: one left unsent (no e-mail address, a direct debit pending then) is
  tried again by the next run while its threshold is still the highest reached.
- `save_thresholds` is the manager's action on the settings. `send_reminders` (the management
  command, daily from cron) runs `queue_reminders` for every structure.
"""

import logging
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from marmots.activities.calendar import PARIS
from marmots.core.audit import record, snapshot

from .actions import check_manager
from .balances import settings_for, with_outstanding
from .models import BillingSettings, Invoice, Reminder
from .money import ZERO, money
from .reminder_email import send_reminder_email
from .settling import credits, in_pending_debit

log = logging.getLogger(__name__)

MAX_REMINDERS = 5
MAX_DAYS = 365
PENDING_DEBIT = "prélèvement en cours"
COVERED = "couverte par l'avoir de la famille"


# Pure rules -------------------------------------------------------------------------------------


def parse_thresholds(text):
    """ "10, 30" -> (10, 30), sorted; "" -> () (no reminders). French ValidationError for
    anything that is not a list of 1 to 5 distinct whole numbers of days from 1 to 365."""
    parts = [part for part in re.split(r"[,;\s]+", (text or "").strip()) if part]
    days = []
    for part in parts:
        if not part.isdigit():
            raise ValidationError(
                f"« {part} » n'est pas un nombre de jours : écrivez des nombres entiers séparés "
                "par des virgules (ex. « 10, 30 »)."
            )
        days.append(int(part))
    if 0 in days:
        raise ValidationError("Une relance part au moins 1 jour après l'échéance (pas 0).")
    if any(day > MAX_DAYS for day in days):
        raise ValidationError(f"Une relance part au plus {MAX_DAYS} jours après l'échéance.")
    twice = sorted({day for day in days if days.count(day) > 1})
    if twice:
        raise ValidationError(f"Le seuil de {twice[0]} jours est écrit deux fois.")
    if len(days) > MAX_REMINDERS:
        raise ValidationError(f"{MAX_REMINDERS} relances au plus.")
    return tuple(sorted(days))


def thresholds_text(thresholds):
    return ", ".join(str(day) for day in thresholds)


def due_threshold(thresholds, due_date, today, outstanding, sent_days=()):
    """The threshold (its days) to remind the invoice at today, or None: none when nothing is
    outstanding or the invoice is not overdue; only the highest threshold reached, and only if
    no reminder was sent at it or at a higher one (`sent_days`: the thresholds of the
    reminders sent)."""
    if not thresholds or due_date is None or outstanding <= 0 or today <= due_date:
        return None
    late = (today - due_date).days
    reached = [days for days in thresholds if late >= days]
    if not reached or max(sent_days, default=0) >= reached[-1]:
        return None
    return reached[-1]


def covered_by_credit(outstandings, credit):
    """Which of the amounts (oldest due first) the family's credit pays in full, used oldest
    first as the next invoice would use it: the indexes covered."""
    covered, left = set(), money(credit)
    for index, amount in enumerate(outstandings):
        if amount > left:
            break
        covered.add(index)
        left -= amount
    return covered


# What is due today ------------------------------------------------------------------------------


@dataclass
class Due:
    invoice: Invoice
    days: int  # the threshold
    late: int
    retry: bool = False  # a reminder at this threshold was created but could not be sent


@dataclass
class Skipped:
    invoice: Invoice
    reason: str


def paris_today():
    return timezone.localdate(timezone=PARIS)


def thresholds_of(structure):
    """The structure's thresholds; () when none, or when the stored text is unreadable."""
    try:
        return parse_thresholds(settings_for(structure).reminder_days)
    except ValidationError:
        log.warning("Unreadable reminder thresholds for structure %s", structure.pk)
        return ()


def overdue(structure, today):
    """The structure's issued invoices due before `today` with something left to pay, oldest
    due first, annotated with `debit_pending` and with their reminders."""
    invoices = Invoice.objects.filter(structure=structure, due_date__lt=today)
    return (
        with_outstanding(invoices)
        .filter(outstanding__gt=0)
        .annotate(debit_pending=in_pending_debit())
        .select_related("family")
        .prefetch_related("reminders")
        .order_by("due_date", "id")
    )


def review(structure, today=None):
    """([Due], [Skipped]): what would be reminded today, and the overdue invoices left out."""
    thresholds = thresholds_of(structure)
    if not thresholds:
        return [], []
    today = today or paris_today()
    invoices = list(overdue(structure, today))
    by_family = {}
    for invoice in invoices:
        by_family.setdefault(invoice.family_id, []).append(invoice)
    credit = credits(structure, list(by_family))
    covered = set()
    for family_id, own in by_family.items():
        payable = [i for i in own if not i.debit_pending]  # the credit skips them too
        amounts = [i.outstanding for i in payable]
        covered |= {payable[n].pk for n in covered_by_credit(amounts, credit.get(family_id, ZERO))}
    due, skipped = [], []
    for invoice in invoices:
        made = {r.days: r for r in invoice.reminders.all()}
        sent = [days for days, reminder in made.items() if reminder.sent_at is not None]
        days = due_threshold(thresholds, invoice.due_date, today, invoice.outstanding, sent)
        if days is None or _in_flight(made.get(days)):
            continue
        if invoice.debit_pending:
            skipped.append(Skipped(invoice, PENDING_DEBIT))
        elif invoice.pk in covered:
            skipped.append(Skipped(invoice, COVERED))
        else:
            late = (today - invoice.due_date).days
            due.append(Due(invoice, days, late, retry=days in made))
    return due, skipped


def _in_flight(reminder):
    """A reminder created today (Paris) and not sent yet: its e-mail task is on its way (a
    rerun the same day sends nothing more); one left unsent on an earlier day is tried again."""
    return (
        reminder is not None
        and reminder.sent_at is None
        and timezone.localdate(reminder.created_at, timezone=PARIS) >= paris_today()
    )


# Actions ----------------------------------------------------------------------------------------


def save_thresholds(structure, text, actor):
    """Set the structure's thresholds from the manager's text (stored as "10, 30")."""
    check_manager(actor, structure)
    value = thresholds_text(parse_thresholds(text))
    with transaction.atomic():
        settings_for(structure)
        billing = BillingSettings.objects.select_for_update().get(structure=structure)
        before = snapshot(billing, fields=["reminder_days"])
        billing.reminder_days = value
        billing.save(update_fields=["reminder_days"])
        record(
            actor,
            "billing_settings.reminder_days",
            billing,
            before=before,
            after={"reminder_days": value},
        )
    return billing


def _create(item, actor):
    """The reminder row and its audit entry (or the row left unsent by an earlier run); its
    e-mail enqueued once committed. None when another run sent it (or a higher one) first."""
    invoice = item.invoice
    try:
        with transaction.atomic():
            Invoice.objects.select_for_update(of=("self",)).filter(pk=invoice.pk).first()
            mine = Reminder.objects.filter(invoice=invoice)
            sent = mine.filter(sent_at__isnull=False).values_list("days", flat=True)
            if max(sent, default=0) >= item.days:
                return None
            reminder = mine.filter(level=item.days).first()
            if _in_flight(reminder):
                return None
            if reminder is None:
                reminder = Reminder.objects.create(
                    invoice=invoice,
                    level=item.days,
                    days=item.days,
                    outstanding=invoice.outstanding,
                )
                record(
                    actor,
                    "reminder.create",
                    reminder,
                    family_id=invoice.family_id,
                    after={"invoice": invoice.reference, "days": item.days},
                )
            transaction.on_commit(lambda: send_reminder_email.enqueue(reminder.pk), robust=True)
    except IntegrityError:
        return None
    return reminder


def queue_reminders(structure, today=None, actor=None):
    """Create the reminders due today (Paris date) and enqueue their e-mails (again for one
    left unsent on an earlier day); the reminders enqueued. `actor` None is the system (the
    daily command); otherwise the structure's manager."""
    check_manager(actor, structure)
    due, _ = review(structure, today)
    return [reminder for item in due if (reminder := _create(item, actor)) is not None]
