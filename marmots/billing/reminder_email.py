"""The reminder e-mail for an unpaid invoice (see `reminders.py`), sent by a background task
the way `tasks.send_invoice_email` sends invoices: the invoice's PDF attached, to the same
recipients (`tasks.guardian_emails`), once."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

from .balances import with_outstanding
from .models import Invoice, Reminder
from .money import money
from .settling import in_pending_debit
from .tasks import guardian_emails

PAY_PATH = "/portail/paiement/"


@task()
def send_reminder_email(reminder_id):
    """E-mail the reminder to the family's guardians. Once only: the reminder's row is locked
    while it is sent and `sent_at` set, so a task run twice sends nothing more. Nothing is sent
    (and `sent_at` stays empty) when the invoice was settled or put in a direct debit meanwhile,
    or when no guardian has an e-mail."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(of=("self",))
            .select_related("invoice__structure", "invoice__family")
            .filter(pk=reminder_id, sent_at__isnull=True)
            .first()
        )
        if reminder is None:
            return
        invoices = Invoice.objects.filter(pk=reminder.invoice_id)
        invoice = with_outstanding(invoices).annotate(debit_pending=in_pending_debit()).get()
        recipients = guardian_emails(reminder.invoice.family)
        if invoice.outstanding <= 0 or invoice.debit_pending or not recipients:
            return
        reminder.outstanding = money(invoice.outstanding)
        _send(reminder, recipients)
        reminder.email = ", ".join(recipients)[:254]
        reminder.sent_at = timezone.now()
        reminder.save(update_fields=["outstanding", "email", "sent_at"])


def _send(reminder, recipients):
    from .pdf import invoice_filename, invoice_pdf

    invoice = reminder.invoice
    earlier = invoice.reminders.filter(sent_at__isnull=False).exclude(pk=reminder.pk)
    context = {
        "reminder": reminder,
        "again": earlier.exists(),
        "invoice": invoice,
        "structure": invoice.structure,
        "outstanding": reminder.outstanding,
        "pay_url": settings.SITE_URL.rstrip("/") + PAY_PATH,
    }
    subject = " ".join(render_to_string("billing/email/reminder_subject.txt", context).split())
    body = render_to_string("billing/email/reminder.txt", context).strip() + "\n"
    message = EmailMessage(subject, body, to=recipients)
    message.attach(invoice_filename(invoice), invoice_pdf(invoice), "application/pdf")
    message.send()
