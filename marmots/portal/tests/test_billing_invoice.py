"""An invoice as the family reads it: its lines per child with their explanations, the aid
deducted, what is paid and what remains; its PDF; and nobody else's."""

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from marmots.billing.models import Aid, Allocation, Invoice, InvoiceLine, Payment
from marmots.billing.tests.factories import invoice
from marmots.billing.tests.factories import payment as make_payment
from tests import factories as f

from .conftest import text

EXPLANATION = (
    "Réservé 17h30-18h00, présent 16h30-18h10 : 16h30-18h30 facturé, "
    "4 demi-heures x 0,60 € (QF 540, tranche 0-650) = 2,40 €"
)


@pytest.fixture
def aid(house, family_a):
    return Aid.objects.create(
        structure=house.structure,
        family=family_a,
        payer="Comité d'entreprise Somfy",
        label="Aide aux loisirs",
        method=Aid.PERCENT,
        percent=Decimal("50"),
        valid_from=datetime.date(2026, 9, 1),
        valid_until=datetime.date(2027, 8, 31),
    )


@pytest.fixture
def november(house, family_a, child_a, aid):
    tom = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2021, 3, 1))
    result = invoice(
        family_a,
        house.structure,
        [
            {
                "label": "Périscolaire soir, lundi 02/11 (Léa)",
                "amount": "2.40",
                "child": child_a,
                "activity": house.evening,
                "date": datetime.date(2026, 11, 2),
                "explanation": EXPLANATION,
            },
            {
                "label": "Goûter, lundi 02/11 (Léa)",
                "amount": "0.50",
                "child": child_a,
                "kind": InvoiceLine.EXTRA,
                "explanation": "Goûter servi à 16h30 : 0,50 €",
            },
            {
                "label": "Périscolaire soir, mardi 03/11 (Léa)",
                "amount": "0.00",
                "child": child_a,
                "kind": InvoiceLine.INFO,
                "explanation": "Annulé le 29/10 avant le délai : non facturé",
            },
            {
                "label": "Accueil de loisirs, lundi 02/11 (Tom)",
                "amount": "12.00",
                "child": tom,
                "activity": house.holiday,
                "explanation": "Journée avec repas : 12,00 € (QF 540, tranche 0-650)",
            },
            {
                "label": "Aide aux loisirs (Tom)",
                "amount": "-6.00",
                "child": tom,
                "kind": InvoiceLine.AID,
                "aid": aid,
                "explanation": "50 % de 12,00 € pris en charge",
            },
        ],
    )
    result.quotient = 540
    result.save()
    return result


def pay(target, amount):
    payment = make_payment(
        structure=target.structure,
        family=target.family,
        method=Payment.TRANSFER,
        amount=Decimal(amount),
        received_on=datetime.date(2026, 12, 5),
    )
    Allocation.objects.create(payment=payment, invoice=target, amount=Decimal(amount))


def test_the_invoice_explains_each_line_per_child(client_a, november):
    pay(november, "5.00")
    page = text(client_a.get(f"/portail/compte/factures/{november.pk}/"))

    assert f"<h1>Facture {november.reference}</h1>" in page
    assert "<h3>Léa Martin : 2,90\u00a0€</h3>" in page
    assert "<h3>Tom Martin : 6,00\u00a0€</h3>" in page
    assert EXPLANATION in page
    assert "Annulé le 29/10 avant le délai : non facturé" in page and "(non facturé)" in page
    assert "Aide payée par Comité d'entreprise Somfy, déduite de votre facture." in page
    # Totals: services 14.90, aid -6.00, total 8.90, paid 5.00, 3.90 remains, due 31/12/2026.
    assert "Prestations</dt><dd>14,90\u00a0€" in page
    assert "Aides déduites</dt><dd>-6,00\u00a0€" in page
    assert "Total de la facture</dt><dd><strong>8,90\u00a0€" in page
    assert "Déjà réglé</dt><dd>5,00\u00a0€" in page
    assert "Reste à régler</dt><dd><strong>3,90\u00a0€" in page
    assert "Échéance</dt><dd>31/12/2026" in page
    assert "Règlement du 05/12/2026 par virement : 5,00\u00a0€" in page
    assert f'href="/portail/compte/factures/{november.pk}/pdf/"' in page


def test_a_credit_note_has_its_own_page(client_a, november):
    note = Invoice.objects.create(
        structure=november.structure,
        family=november.family,
        kind=Invoice.CREDIT_NOTE,
        status=Invoice.ISSUED,
        series="AV",
        year=2026,
        number=1,
        issued_at=november.issued_at,
        due_date=november.due_date,
        period_start=november.period_start,
        period_end=november.period_end,
        total=Decimal("-2.40"),
        corrects=november,
        reason="Absence excusée (certificat médical)",
    )
    InvoiceLine.objects.create(
        invoice=note,
        kind=InvoiceLine.CREDIT,
        label="Annulation soir 02/11",
        amount=Decimal("-2.40"),
        unit_price=Decimal("-2.40"),
        corrects=november.lines.get(amount=Decimal("2.40")),
    )
    page = text(client_a.get(f"/portail/compte/factures/{note.pk}/"))
    assert f"<h1>Avoir {note.reference}</h1>" in page
    assert "Absence excusée (certificat médical)" in page
    assert "Montant de l'avoir</dt><dd><strong>-2,40\u00a0€" in page
    invoice_page = text(client_a.get(f"/portail/compte/factures/{november.pk}/"))
    assert "Avoirs</dt><dd>-2,40\u00a0€" in invoice_page
    assert "Reste à régler</dt><dd><strong>6,50\u00a0€" in invoice_page


def test_another_familys_invoice_and_drafts_are_not_found(
    client_b, client, family_a, november, guardian_a, house
):
    draft = invoice(family_a, house.structure, [("Brouillon", "1.00")], issued=False)
    for url in (
        f"/portail/compte/factures/{november.pk}/",
        f"/portail/compte/factures/{november.pk}/pdf/",
    ):
        assert client_b.get(url).status_code == 404
    client.force_login(guardian_a.user)
    for url in (
        f"/portail/compte/factures/{draft.pk}/",
        f"/portail/compte/factures/{draft.pk}/pdf/",
    ):
        assert client.get(url).status_code == 404


def test_the_pdf_is_the_invoice(client_a, november):
    response = client_a.get(f"/portail/compte/factures/{november.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    content = "\n".join(page.extract_text() for page in reader.pages)
    assert november.reference in content and "8,90" in content
