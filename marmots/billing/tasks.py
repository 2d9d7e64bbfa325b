"""Billing's background work: drafting a run, e-mailing an issued invoice with its PDF."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_tasks import task

from . import drafting
from .models import Invoice

ACCOUNT_PATH = "/portail/compte/"


@task()
def draft_run(run_id):
    drafting.draft(run_id)


def account_url():
    """The family's account page, where invoices are paid."""
    try:
        path = reverse("portal:account")
    except NoReverseMatch:
        path = ACCOUNT_PATH
    return settings.SITE_URL.rstrip("/") + path


@task()
def send_invoice_email(invoice_id):
    """The issued invoice, its PDF attached, to every guardian of the family with an e-mail.
    Once only: the invoice's row is locked while it is sent and `emailed_at` set, so a task
    run twice (a retry, a second worker) sends nothing more; a failed send sets nothing."""
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("structure", "family")
            .filter(pk=invoice_id, status=Invoice.ISSUED, emailed_at__isnull=True)
            .first()
        )
        if invoice is None or not _send(invoice):
            return
        invoice.emailed_at = timezone.now()
        invoice.save(update_fields=["emailed_at"])


def guardian_emails(family):
    """Whom billing e-mails write to: the family's guardians with an active login and an
    e-mail address (invoices and reminders alike)."""
    return sorted(
        {
            g.user.email
            for g in family.guardians.select_related("user")
            if g.user_id and g.user.is_active and g.user.email
        }
    )


def _send(invoice):
    """E-mail the invoice; False when no guardian has an e-mail to write to."""
    from .pdf import invoice_filename, invoice_pdf

    recipients = guardian_emails(invoice.family)
    if not recipients:
        return False
    context = {"invoice": invoice, "structure": invoice.structure, "url": account_url()}
    context |= _settled(invoice)
    subject = " ".join(render_to_string("billing/email/invoice_subject.txt", context).split())
    body = render_to_string("billing/email/invoice.txt", context).strip() + "\n"
    message = EmailMessage(subject, body, to=recipients)
    message.attach(invoice_filename(invoice), invoice_pdf(invoice), "application/pdf")
    message.send()
    return True


def _settled(invoice):
    """What is already paid on the invoice (the family's credit, used when it was issued) and
    what remains."""
    from .balances import with_outstanding

    row = with_outstanding(Invoice.objects.filter(pk=invoice.pk)).values("paid", "outstanding")
    found = row.first() or {"paid": 0, "outstanding": invoice.total}
    return {"paid": found["paid"], "remaining": found["outstanding"]}
