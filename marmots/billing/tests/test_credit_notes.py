"""Credit notes: an issued invoice is corrected, never changed; never more than what remains."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.billing import actions, invoicing
from marmots.billing.balances import balance, with_outstanding
from marmots.billing.models import Invoice, InvoiceLine, Membership
from marmots.core.models import AuditEntry
from tests.house import enroll

from .factories import invoice as direct_invoice
from .month import DECEMBER_2, MON_2, NOVEMBER, evening_with_departure, issue_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(house, tariffs, child_a, guardian_a, manager, time_machine):
    """Léa's November: 20,00 membership + 2,40 evening (16:30-18:30) + 0,50 snack = 22,90."""
    time_machine.move_to(DECEMBER_2)
    enroll(house, child_a, house.evening)
    evening_with_departure(house, child_a, MON_2, 18, 10)
    run = issue_month(house.structure, NOVEMBER, manager)
    return Invoice.objects.get(run=run)


def outstanding(invoice):
    return with_outstanding(Invoice.objects.filter(pk=invoice.pk)).get().outstanding


def counts():
    return Invoice.objects.count(), InvoiceLine.objects.count(), Membership.objects.count()


def test_a_whole_credit_note_cancels_the_invoice_line_by_line(issued, manager, family_a):
    assert issued.total == Decimal("22.90")
    before = list(issued.lines.values_list("label", "amount"))

    note = actions.credit_note(issued, manager, "Facturé par erreur")

    assert note.is_credit_note and note.status == Invoice.ISSUED
    assert note.reference == "AV-2026-00001" and note.corrects == issued
    assert note.total == Decimal("-22.90") and note.reason == "Facturé par erreur"
    assert note.payer_name == "Claire Martin" and note.period_start == NOVEMBER
    credit = list(note.lines.order_by("order"))
    assert [(c.kind, c.amount, c.corrects_id) for c in credit] == [
        ("credit", -amount, line_id)
        for line_id, amount in issued.lines.order_by("order").values_list("pk", "amount")
    ]
    assert credit[1].label.startswith("Avoir : Périscolaire soir")
    # The invoice itself is unchanged; what the family owes is derived.
    assert list(issued.lines.values_list("label", "amount")) == before
    assert outstanding(issued) == 0 and balance(family_a) == 0
    # Fully credited: the family is billed again for November, membership included.
    assert not Membership.objects.exists()
    (month,) = invoicing.gather(issued.structure, NOVEMBER).families
    assert month.family_id == family_a.pk and len(month.memberships) == 1
    entry = AuditEntry.objects.get(action="invoice.credit_note")
    assert entry.family_id == family_a.pk and entry.after["corrects"] == "FA-2026-00001"


def test_partial_credit_notes_by_amount_and_by_lines(issued, manager):
    membership, evening, snack = issued.lines.order_by("order")

    by_line = actions.credit_note(issued, manager, "Goûter non servi", lines=[snack])
    by_amount = actions.credit_note(issued, manager, "Geste commercial", amount="5")

    assert [(c.corrects, c.amount) for c in by_line.lines.all()] == [(snack, Decimal("-0.50"))]
    # An amount takes the care first (what remains of each line), the membership last; the
    # credit note lists them in the invoice's order.
    assert [(c.corrects, c.amount) for c in by_amount.lines.order_by("order")] == [
        (membership, Decimal("-2.60")),
        (evening, Decimal("-2.40")),
    ]
    assert outstanding(issued) == Decimal("17.40")
    assert Membership.objects.count() == 1  # its line is not credited in full
    rest = actions.credit_note(issued, manager, "Solde", amount="17.40")
    assert [(c.corrects, c.amount) for c in rest.lines.all()] == [(membership, Decimal("-17.40"))]
    assert not Membership.objects.exists()
    assert [n.number for n in issued.credit_notes.order_by("number")] == [1, 2, 3]


def _with_membership(house, family, child, *lines):
    """An issued invoice opening with the child's membership (20,00), as the engine writes it,
    then `lines`; its `Membership` row recorded."""
    membership = {
        "label": "Adhésion 2026-2027",
        "amount": "20.00",
        "child": child,
        "kind": InvoiceLine.MEMBERSHIP,
    }
    found = direct_invoice(family, house.structure, [membership, *lines])
    Membership.objects.create(
        structure=house.structure,
        family=family,
        child=child,
        school_year="2026-2027",
        line=found.lines.get(kind=InvoiceLine.MEMBERSHIP),
    )
    return found


def test_a_goodwill_credit_takes_the_care_and_keeps_the_membership(
    house, family_a, child_a, manager
):
    care = {"label": "Accueil de loisirs", "amount": "30.00", "child": child_a}
    billed = _with_membership(house, family_a, child_a, care)

    note = actions.credit_note(billed, manager, "Geste commercial", amount="20")

    assert [(c.corrects.kind, c.amount) for c in note.lines.all()] == [
        (InvoiceLine.ATTENDANCE, Decimal("-20.00"))
    ]
    assert Membership.objects.get().line.invoice == billed  # not billed again next time
    # Beyond the care, the membership is credited, and freed once credited in full.
    more = actions.credit_note(billed, manager, "Geste commercial", amount="15")
    assert [(c.corrects.kind, c.amount) for c in more.lines.order_by("order")] == [
        (InvoiceLine.MEMBERSHIP, Decimal("-5.00")),
        (InvoiceLine.ATTENDANCE, Decimal("-10.00")),
    ]
    assert Membership.objects.exists()
    actions.credit_note(billed, manager, "Solde")
    assert not Membership.objects.exists()


def test_a_whole_credit_frees_the_membership_of_an_invoice_with_aid(
    house, family_a, child_a, manager
):
    care = {"label": "Accueil de loisirs", "amount": "30.00", "child": child_a}
    aid = {"label": "Aide CAF", "amount": "-10.00", "child": child_a, "kind": InvoiceLine.AID}
    billed = _with_membership(house, family_a, child_a, care, aid)  # 40,00

    note = actions.credit_note(billed, manager, "Facturé par erreur")

    # The care is credited in full, the membership for the 10,00 left: the invoice is
    # cancelled, so the membership is billed again next time.
    assert note.total == Decimal("-40.00")
    assert not Membership.objects.exists()


def test_refusals_change_nothing(issued, manager, staff, family_b, house):
    membership, evening, snack = issued.lines.order_by("order")
    actions.credit_note(issued, manager, "Goûter non servi", lines=[snack])
    other = direct_invoice(family_b, house.structure, [("Autre", "3.00")], issued=False)
    draft = direct_invoice(family_b, house.structure, [("Brouillon", "3.00")], issued=False)
    before = counts()

    refusals = [
        (issued, {"reason": " "}, "Indiquez le motif"),
        (issued, {"amount": "23"}, r"L'avoir \(23,00\xa0€\) dépasserait .* \(22,40\xa0€\)"),
        (issued, {"amount": "0"}, "doit être positif"),
        (issued, {"lines": [snack]}, "déjà entièrement créditée"),
        (issued, {"lines": [other.lines.get()]}, "Choisissez des lignes facturées"),
        (issued, {"lines": []}, "Choisissez des lignes facturées"),
        (issued, {"amount": "1", "lines": [evening]}, "pas les deux"),
        (draft, {}, "Seule une facture émise"),
        (issued.credit_notes.get(), {}, "Seule une facture émise"),
    ]
    for invoice, options, message in refusals:
        options.setdefault("reason", "Motif")
        with pytest.raises(ValidationError) as refused:
            actions.credit_note(invoice, manager, **options)
        assert re.search(message, refused.value.messages[0])
    with pytest.raises(PermissionDenied):
        actions.credit_note(issued, staff, "Motif")

    assert counts() == before
    actions.credit_note(issued, manager, "Tout")
    with pytest.raises(ValidationError, match="déjà entièrement corrigée"):
        actions.credit_note(issued, manager, "Encore")
