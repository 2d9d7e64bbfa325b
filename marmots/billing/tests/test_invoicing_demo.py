"""load_demo's billing: the demo tariffs, and the Martin family's invoice for the last complete
month, made by the real engine from that month's bookings and attendance, loaded twice."""

import datetime
from decimal import Decimal
from io import StringIO

import time_machine
from django.core import mail
from django.core.management import call_command

from marmots.billing.models import Aid, Invoice, InvoicingRun, Membership, Tariff
from marmots.billing.pdf import invoice_pdf
from tests.house import at

from .month import pdf_text

FRIDAY = datetime.date(2026, 11, 27)


def load(when=FRIDAY):
    with time_machine.travel(at(when, 10)):
        call_command("load_demo", stdout=StringIO())


def test_the_demo_invoices_last_month_once(db):
    load()
    load()

    run = InvoicingRun.objects.get()
    assert (run.month, run.status) == (datetime.date(2026, 10, 1), InvoicingRun.ISSUED)
    invoice = Invoice.objects.get()
    assert invoice.family.name == "Martin" and invoice.reference == "FA-2026-00001"
    assert invoice.quotient == 540 and invoice.quotient_note == ""
    assert invoice.due_date == datetime.date(2026, 12, 27)
    kinds = set(invoice.lines.values_list("kind", flat=True))
    assert {"membership", "attendance", "extra"} <= kinds
    assert invoice.lines.filter(kind="membership").count() == 2
    assert Membership.objects.count() == 2
    assert invoice.total == sum(invoice.lines.values_list("amount", flat=True))
    assert invoice.total > Decimal("40.00")
    assert not run.anomalies.filter(reviewed_at__isnull=True).exists()
    assert mail.outbox == []
    assert Tariff.objects.filter(kind="attendance").exists()
    assert Aid.objects.get().payer == "CAF de la Haute-Savoie"
    with time_machine.travel(at(FRIDAY, 10)):
        text = pdf_text(invoice_pdf(invoice))
    assert "FA-2026-00001" in text and "Les Petits Montagnards" in text


def test_before_the_school_year_there_is_nothing_to_invoice(db):
    load(datetime.date(2026, 9, 15))
    assert not InvoicingRun.objects.exists() and not Invoice.objects.exists()
    assert Tariff.objects.exists()
