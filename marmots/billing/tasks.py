"""Billing's background work: drafting a run, e-mailing an issued invoice with its PDF."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
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
    """The issued invoice, its PDF attached, to every guardian of the family with an e-mail."""
    from .pdf import invoice_filename, invoice_pdf

    invoice = (
        Invoice.objects.select_related("structure", "family")
        .filter(pk=invoice_id, status=Invoice.ISSUED)
        .first()
    )
    if invoice is None:
        return
    recipients = sorted(
        {
            g.user.email
            for g in invoice.family.guardians.select_related("user")
            if g.user_id and g.user.is_active and g.user.email
        }
    )
    if not recipients:
        return
    context = {"invoice": invoice, "structure": invoice.structure, "url": account_url()}
    subject = " ".join(render_to_string("billing/email/invoice_subject.txt", context).split())
    body = render_to_string("billing/email/invoice.txt", context).strip() + "\n"
    message = EmailMessage(subject, body, to=recipients)
    message.attach(invoice_filename(invoice), invoice_pdf(invoice), "application/pdf")
    message.send()
