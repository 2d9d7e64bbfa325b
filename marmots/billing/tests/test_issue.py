"""Issuing a run: memberships recorded, families e-mailed their invoice with its PDF."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from marmots.billing import actions, tasks
from marmots.billing.models import BillingSettings, Invoice, InvoicingRun, Membership
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.house import at, enroll

from .month import (
    DECEMBER_2,
    MON_2,
    NOVEMBER,
    OCTOBER,
    book,
    evening_with_departure,
    family_with_child,
    pdf_text,
    review_all,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(DECEMBER_2)


@pytest.fixture
def lea(house, tariffs, child_a, guardian_a):
    enroll(house, child_a, house.evening)
    evening_with_departure(house, child_a, MON_2, 18, 10)
    return child_a


def test_issue_emails_each_family_its_invoice(
    house, lea, family_a, manager, smtp_server, django_capture_on_commit_callbacks
):
    f.GuardianFactory(family=family_a, user__email="julien.martin@example.org")
    _, hugo = family_with_child(house, "Bernard", 980)
    book(hugo, house.snack_slot, MON_2)
    unreachable = f.ChildFactory(family=f.FamilyFactory(name="Sansmail"))
    enroll(house, unreachable, house.evening)
    book(unreachable, house.snack_slot, MON_2)
    run = actions.start_run(house.structure, NOVEMBER, manager)
    review_all(run, manager)

    with django_capture_on_commit_callbacks(execute=True):
        actions.issue_run(run, manager)

    assert Invoice.objects.filter(run=run, status=Invoice.ISSUED).count() == 3
    assert len(smtp_server) == 2  # no guardian to write to: invoiced, not e-mailed
    martin = next(m for m in smtp_server if "claire.martin@example.org" in m["To"])
    assert set(martin["To"].split(", ")) == {
        "claire.martin@example.org",
        "julien.martin@example.org",
    }
    assert martin["Subject"].strip() == "Votre facture de novembre 2026 – Les Petits Montagnards"
    body = martin.get_body(("plain",)).get_content()
    invoice = Invoice.objects.get(family=family_a)
    assert "La facture FA-2026-00002 de novembre 2026 est disponible." in body
    assert "Montant : 22,90\u00a0€" in body
    assert "À régler avant le : 01/01/2027" in body
    assert "/portail/compte/" in body
    (attachment,) = list(martin.iter_attachments())
    assert attachment.get_filename() == f"facture-{invoice.reference}.pdf"
    assert "FA-2026-00002" in pdf_text(attachment.get_content())


def test_an_unknown_quotient_is_said_in_the_email(
    house, tariffs, manager, smtp_server, django_capture_on_commit_callbacks
):
    _, child = family_with_child(house, "Roux")
    book(child, house.snack_slot, MON_2)
    run = actions.start_run(house.structure, NOVEMBER, manager)
    review_all(run, manager)
    with django_capture_on_commit_callbacks(execute=True):
        actions.issue_run(run, manager)
    (message,) = smtp_server
    assert "QF non fourni : tarif maximal appliqué." in message.get_body(("plain",)).get_content()


def test_issue_records_memberships_dates_and_audit(house, lea, manager):
    BillingSettings.objects.create(structure=house.structure, payment_days=15)
    run = actions.start_run(house.structure, NOVEMBER, manager)

    run = actions.issue_run(run, manager)

    invoice = Invoice.objects.get(run=run)
    assert invoice.due_date == datetime.date(2026, 12, 17)
    membership = Membership.objects.get()
    assert (membership.child, membership.school_year) == (lea, "2026-2027")
    assert membership.line.invoice == invoice
    assert AuditEntry.objects.get(action="invoicing.issue").after == {"invoices": 1}
    # December's run does not bill the membership again.
    book(lea, house.snack_slot, datetime.date(2026, 12, 1))
    december = actions.start_run(house.structure, datetime.date(2026, 12, 1), manager)
    assert not Invoice.objects.get(run=december).lines.filter(kind="membership").exists()


def test_two_drafts_billing_one_membership_cannot_both_be_issued(house, lea, manager):
    book(lea, house.snack_slot, datetime.date(2026, 10, 5))
    november = actions.start_run(house.structure, NOVEMBER, manager)
    october = actions.start_run(house.structure, OCTOBER, manager)
    # November's draft bills the membership; October's leaves it to November's.
    assert Invoice.objects.get(run=november).lines.filter(kind="membership").exists()
    assert not Invoice.objects.get(run=october).lines.filter(kind="membership").exists()
    review_all(october, manager)
    actions.issue_run(october, manager)
    # Had both billed it, the second issue would be refused and nothing issued.
    Membership.objects.create(
        structure=house.structure,
        family=lea.family,
        child=lea,
        school_year="2026-2027",
        line=Invoice.objects.get(run=october).lines.first(),
    )
    with pytest.raises(ValidationError, match="recalculez le brouillon"):
        actions.issue_run(november, manager)
    november.refresh_from_db()
    assert november.status == InvoicingRun.DRAFTED
    assert not Invoice.objects.filter(run=november, status=Invoice.ISSUED).exists()


def test_a_month_not_over_is_drafted_but_not_issued(house, lea, manager, time_machine):
    time_machine.move_to(at(datetime.date(2026, 11, 30), 23, 30))  # Paris
    run = actions.start_run(house.structure, NOVEMBER, manager)
    review_all(run, manager)

    with pytest.raises(ValidationError) as refused:
        actions.issue_run(run, manager)

    assert refused.value.messages == [
        "Le mois n'est pas terminé : les factures ne peuvent être émises qu'à partir du "
        "1er décembre 2026."
    ]
    run.refresh_from_db()
    assert run.status == InvoicingRun.DRAFTED
    assert not Invoice.objects.filter(status=Invoice.ISSUED).exists()
    # On 1 December in Paris (still 30 November in UTC), November is over.
    time_machine.move_to(at(datetime.date(2026, 12, 1), 0, 30))
    assert actions.issue_run(run, manager).status == InvoicingRun.ISSUED


def test_the_invoice_email_is_sent_once(house, lea, manager, smtp_server):
    run = actions.start_run(house.structure, NOVEMBER, manager)
    review_all(run, manager)
    actions.issue_run(run, manager, notify=False)
    invoice = Invoice.objects.get(run=run)
    assert invoice.emailed_at is None

    tasks.send_invoice_email.enqueue(invoice.pk)
    tasks.send_invoice_email.enqueue(invoice.pk)  # a retried task

    assert len(smtp_server) == 1
    invoice.refresh_from_db()
    assert invoice.emailed_at is not None
