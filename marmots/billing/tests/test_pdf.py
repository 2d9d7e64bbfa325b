"""Invoice and credit note PDFs (WeasyPrint), read back with pypdf."""

import datetime
from decimal import Decimal

import pytest

from marmots.billing import actions, payments
from marmots.billing.models import Aid, BillingSettings, Invoice, Payment
from marmots.billing.money import fr_money
from marmots.billing.pdf import invoice_filename, invoice_pdf
from tests.house import enroll

from .factories import invoice as direct_invoice
from .month import (
    DECEMBER_2,
    MON_2,
    NOVEMBER,
    book,
    evening_with_departure,
    family_with_child,
    issue_month,
    pdf_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(house, tariffs, child_a, guardian_a, manager, time_machine):
    time_machine.move_to(DECEMBER_2)
    structure = house.structure
    structure.address, structure.postcode, structure.city = (
        "492 Route des Terres Blanches",
        "74440",
        "Mieussy",
    )
    structure.phone, structure.website = (
        "04 50 43 27 07",
        "https://www.lespetitsmontagnards-mieussy.fr",
    )
    structure.save()
    BillingSettings.objects.create(
        structure=structure, legal_mentions="Association loi 1901 – SIRET 123 456 789 00012"
    )
    guardian_a.address, guardian_a.postcode, guardian_a.city = (
        "12 Chemin des Gets",
        "74440",
        "Mieussy",
    )
    guardian_a.save()
    enroll(house, child_a, house.evening)
    evening_with_departure(house, child_a, MON_2, 18, 10)
    run = issue_month(structure, NOVEMBER, manager)
    return Invoice.objects.get(run=run)


def flat(text):
    """pypdf's text with every kind of space as one plain space."""
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def test_the_invoice_pdf_says_who_what_when_and_why(issued):
    text = flat(pdf_text(invoice_pdf(issued)))

    for expected in [
        "Les Petits Montagnards",
        "492 Route des Terres Blanches",
        "Tél. 04 50 43 27 07",
        "lespetitsmontagnards-mieussy.fr",
        "Claire Martin",
        "12 Chemin des Gets",
        "Facture n° FA-2026-00001",
        "du 01/11/2026 au 30/11/2026",
        "Émise le 02/12/2026",
        "À régler avant le 01/01/2027",
        "Quotient familial appliqué : 540",
        "Périscolaire soir, lundi 02/11",
        "présent 16h30-18h10 : 16h30-18h30 facturé, 4 demi-heures x 0,60 €",
        "Adhésion 2026-2027",
        "Total de la facture 22,90 €",
        "Reste à payer au 02/12/2026 22,90 €",
        "SIRET 123 456 789 00012",
    ]:
        assert expected in text, expected
    assert invoice_filename(issued) == "facture-FA-2026-00001.pdf"


def test_the_pdf_shows_what_is_paid_and_credited(issued, manager, family_a):
    payments.record_payment(
        issued.structure, family_a, manager, Payment.CHEQUE, "10", DECEMBER_2.date(), "n° 12"
    )
    note = actions.credit_note(issued, manager, "Goûter non servi", amount="0.50")

    text = flat(pdf_text(invoice_pdf(issued)))
    assert "Avoir AV-2026-00001 du 02/12/2026 -0,50 €" in text
    assert "Réglé le 02/12/2026 (chèque) -10,00 €" in text
    assert "Reste à payer au 02/12/2026 12,40 €" in text

    text = flat(pdf_text(invoice_pdf(note)))
    assert "Avoir n° AV-2026-00001" in text
    assert "corrigeant la facture n° FA-2026-00001 du 02/12/2026" in text
    assert "Motif : Goûter non servi" in text
    assert "Total de l'avoir -0,50 €" in text and "Reste à payer" not in text
    assert invoice_filename(note) == "avoir-AV-2026-00001.pdf"


def test_an_unknown_quotient_is_said_on_the_pdf(house, tariffs, manager, time_machine):
    time_machine.move_to(DECEMBER_2)
    _, child = family_with_child(house, "Roux")
    book(child, house.snack_slot, MON_2)
    run = issue_month(house.structure, NOVEMBER, manager)

    text = flat(pdf_text(invoice_pdf(Invoice.objects.get(run=run))))

    assert "QF non fourni : tarif maximal appliqué" in text
    assert "tranche 1151 et plus" in text or "1,20 €" in text


def test_a_draft_pdf_says_it_is_a_draft(structure, family_a):
    draft = direct_invoice(
        family_a, structure, [("Aide CAF", "0.00")], issued=False, month=datetime.date(2026, 10, 1)
    )
    text = flat(pdf_text(invoice_pdf(draft)))
    assert "Brouillon de facture (sans valeur)" in text and "Reste à payer" not in text
    assert invoice_filename(draft) == f"facture-brouillon-{draft.pk}.pdf"
    assert draft.total == Decimal("0.00")


def test_aid_lines_are_deducted_on_the_pdf(
    house, tariffs, family_a, child_a, manager, time_machine
):
    time_machine.move_to(DECEMBER_2)
    aid = Aid.objects.create(
        structure=house.structure,
        family=family_a,
        payer="CAF de la Haute-Savoie",
        label="Aide aux temps libres",
        method=Aid.PER_UNIT,
        amount=Decimal("1.00"),
        valid_from=datetime.date(2026, 9, 1),
        valid_until=datetime.date(2027, 8, 31),
    )
    aid.activities.add(house.evening)
    enroll(house, child_a, house.evening)
    evening_with_departure(house, child_a, MON_2, 18, 10)
    run = issue_month(house.structure, NOVEMBER, manager)
    invoice = Invoice.objects.get(run=run)
    aid_lines = list(invoice.lines.filter(kind="aid"))
    assert aid_lines and all(line.amount < 0 and line.aid == aid for line in aid_lines)
    gross = sum(line.amount for line in invoice.lines.exclude(kind="aid"))
    assert invoice.total == gross + sum(line.amount for line in aid_lines)

    text = flat(pdf_text(invoice_pdf(invoice)))

    assert "Aides déduites (versées par un tiers)" in text
    assert f"Total des prestations {fr_money(gross)}".replace("\xa0", " ") in text
    assert f"Total de la facture {fr_money(invoice.total)}".replace("\xa0", " ") in text
