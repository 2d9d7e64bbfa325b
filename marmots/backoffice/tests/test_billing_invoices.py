"""Invoices in the back-office: who reaches them, the list and its filters, one invoice with
its explained lines, its PDF, credit notes and payments, a family's billing account."""

import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from pypdf import PdfReader

from marmots.billing.models import Allocation, Invoice, InvoiceLine, Payment
from marmots.billing.tests.factories import invoice as make_invoice
from marmots.billing.tests.factories import payment as make_payment
from marmots.core.models import AuditEntry

TODAY = datetime.datetime(2026, 12, 15, 10, tzinfo=datetime.UTC)
LIST = "/gestion/facturation/factures/"
QUERIES = 10
NOVEMBER = datetime.date(2026, 11, 1)
OCTOBER = datetime.date(2026, 10, 1)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def detail_url(invoice):
    return f"/gestion/facturation/factures/{invoice.pk}/"


def pdf_url(invoice):
    return f"/gestion/facturation/factures/{invoice.pk}/pdf/"


def credit_url(invoice):
    return f"/gestion/facturation/factures/{invoice.pk}/avoir/"


def account_url(family):
    return f"/gestion/facturation/familles/{family.pk}/"


def payment_url(family):
    return f"/gestion/facturation/familles/{family.pk}/reglements/"


def lines_of(child, other_child=None):
    evening = {
        "label": "Périscolaire soir, lundi 02/11",
        "explanation": "Réservé 16h30-17h30, présent 16h30-18h10 : 16h30-18h30 facturé, "
        "4 demi-heures x 0,60 € (QF 540, tranche 0-650) = 2,40 €",
        "quantity": "4",
        "unit_price": "0.60",
        "amount": "2.40",
        "child": child,
    }
    snack = {"label": "Goûter, lundi 02/11", "amount": "0.50", "child": child}
    rows = [evening, snack]
    if other_child:
        rows.append({"label": "Mercredi matin 04/11", "amount": "4.00", "child": other_child})
    return rows


@pytest.fixture
def issued(family_a, child_a, structure):
    return make_invoice(family_a, structure, lines_of(child_a))


@pytest.fixture
def other_invoice(other_family, other_structure):
    return make_invoice(other_family, other_structure, [("Mercredi à Taninges", "8.00")])


def pay(invoice, amount, method=Payment.CHEQUE, reference="n° 1234567"):
    payment = make_payment(
        structure=invoice.structure,
        family=invoice.family,
        method=method,
        amount=Decimal(amount),
        received_on=datetime.date(2026, 12, 10),
        reference=reference,
    )
    Allocation.objects.create(payment=payment, invoice=invoice, amount=Decimal(amount))
    return payment


# Access


def object_urls(invoice, family):
    return [detail_url(invoice), pdf_url(invoice), account_url(family)]


def test_manager_and_staff_read_every_page(client, manager, staff, issued, family_a):
    for user in (manager, staff):
        client.force_login(user)
        for url in [LIST, *object_urls(issued, family_a)]:
            assert client.get(url).status_code == 200, (user, url)


def test_families_and_strangers_are_kept_out(client, guardian_a, issued, family_a):
    urls = [LIST, *object_urls(issued, family_a)]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(guardian_a.user)
    for url in urls + [credit_url(issued), payment_url(family_a)]:
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url, {"motif": "x", "portee": "whole"}).status_code == 403, url
    assert Invoice.objects.count() == 1


def test_another_structures_manager_gets_404(client, other_manager, issued, family_a):
    client.force_login(other_manager)
    for url in object_urls(issued, family_a):
        assert client.get(url).status_code == 404, url
    data = {"portee": "whole", "motif": "Piratage", "moyen": "cash", "montant": "5"}
    for url in (credit_url(issued), payment_url(family_a)):
        assert client.post(url, data | {"recu_le": "2026-12-01"}).status_code == 404, url
    assert "Martin" not in client.get(LIST).content.decode()
    assert Invoice.objects.count() == 1 and not Payment.objects.exists()


def test_staff_read_without_write_forms_and_get_403_on_writes(client_staff, issued, family_a):
    page = client_staff.get(detail_url(issued)).content.decode()
    assert "Télécharger le PDF" in page and "Émettre l'avoir" not in page
    assert (
        "Enregistrer le règlement" not in client_staff.get(account_url(family_a)).content.decode()
    )
    assert (
        client_staff.post(credit_url(issued), {"portee": "whole", "motif": "x"}).status_code == 403
    )
    data = {"moyen": "cash", "montant": "5", "recu_le": "2026-12-01"}
    assert client_staff.post(payment_url(family_a), data).status_code == 403
    assert Invoice.objects.count() == 1 and not Payment.objects.exists()


# One invoice


def test_the_invoice_shows_its_lines_per_child_with_their_explanation(
    client_manager, family_a, child_a, structure
):
    hugo = family_a.children.create(
        first_name="Hugo", last_name="Martin", birth_date=datetime.date(2019, 5, 2)
    )
    invoice = make_invoice(family_a, structure, lines_of(child_a, hugo))
    Invoice.objects.filter(pk=invoice.pk).update(
        quotient_note="QF non fourni : tarif maximal appliqué"
    )
    pay(invoice, "2.00")
    page = client_manager.get(detail_url(invoice)).content.decode()
    assert f"Facture {invoice.reference}" in page
    lea, hugo_at = page.index(f"<h3>Léa {child_a.last_name}</h3>"), page.index("<h3>Hugo Martin")
    assert lea < page.index("Périscolaire soir, lundi 02/11") < hugo_at
    assert hugo_at < page.index("Mercredi matin 04/11")
    assert "4 demi-heures x 0,60 € (QF 540, tranche 0-650) = 2,40 €" in page
    assert '<p class="explanation">' in page
    assert "QF non fourni : tarif maximal appliqué" in page
    assert "du 01/11/2026 au 30/11/2026" in page and "31/12/2026" in page
    assert "6,90\u00a0€" in page  # the total
    assert "n° 1234567" in page and "2,00\u00a0€" in page  # the payment and its allocation
    assert "4,90\u00a0€</strong>" in page  # what remains
    assert "À payer" in page


def test_a_draft_reads_brouillon_and_offers_no_credit_note(client_manager, family_a, structure):
    draft = make_invoice(family_a, structure, [("Goûter", "0.50")], issued=False)
    page = client_manager.get(detail_url(draft)).content.decode()
    assert "Brouillon de facture" in page and "Brouillon</span>" in page
    assert "pas encore (brouillon)" in page and "Émettre l'avoir" not in page


def test_the_pdf_downloads_as_an_attachment_with_the_reference(client_manager, issued):
    response = client_manager.get(pdf_url(issued))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert f"facture-{issued.reference}.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert issued.reference in text


# Credit notes


def test_a_credit_note_on_the_whole_invoice(client_manager, issued):
    response = client_manager.post(
        credit_url(issued), {"portee": "whole", "motif": "Facturé par erreur"}
    )
    assert response.status_code == 302 and response["Location"] == detail_url(issued)
    note = Invoice.objects.get(kind=Invoice.CREDIT_NOTE)
    assert (note.corrects, note.total, note.reason) == (
        issued,
        Decimal("-2.90"),
        "Facturé par erreur",
    )
    page = client_manager.get(detail_url(issued)).content.decode()
    assert f"Avoir {note.reference} émis" in page and "-2,90\u00a0€" in page
    assert "0,00\u00a0€</strong>" in page and "Émettre l'avoir" not in page
    assert AuditEntry.objects.filter(action="invoice.credit_note").exists()
    note_page = client_manager.get(detail_url(note)).content.decode()
    assert f"Avoir {note.reference}" in note_page and issued.reference in note_page


def test_a_credit_note_of_an_amount_then_refused_beyond_what_remains(client_manager, issued):
    data = {"portee": "amount", "montant": "1,50", "motif": "Goûter non servi"}
    assert client_manager.post(credit_url(issued), data).status_code == 302
    assert Invoice.objects.get(kind=Invoice.CREDIT_NOTE).total == Decimal("-1.50")
    response = client_manager.post(credit_url(issued), data | {"montant": "1,50"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Aucun avoir n'a été émis" in page
    assert "dépasserait ce qui reste de la facture (1,40\u00a0€)" in page
    assert Invoice.objects.filter(kind=Invoice.CREDIT_NOTE).count() == 1


@pytest.mark.parametrize(
    "data, error",
    [
        ({"portee": "amount", "motif": "Erreur"}, "Indiquez le montant de l&#x27;avoir."),
        ({"portee": "whole", "motif": ""}, "Indiquez le motif de l&#x27;avoir."),
        ({"portee": "amount", "montant": "abc", "motif": "x"}, "Indiquez un montant"),
        ({"portee": "amount", "montant": "-3", "motif": "x"}, "Le montant doit être positif."),
    ],
)
def test_an_incomplete_credit_note_changes_nothing(client_manager, issued, data, error):
    response = client_manager.post(credit_url(issued), data)
    assert response.status_code == 400 and error in response.content.decode()
    assert not Invoice.objects.filter(kind=Invoice.CREDIT_NOTE).exists()


def test_a_draft_cannot_be_credited(client_manager, family_a, structure):
    draft = make_invoice(family_a, structure, [("Goûter", "0.50")], issued=False)
    response = client_manager.post(credit_url(draft), {"portee": "whole", "motif": "x"})
    assert response.status_code == 302
    page = client_manager.get(response["Location"]).content.decode()
    assert "Seule une facture émise peut être corrigée par un avoir." in page
    assert not Invoice.objects.filter(kind=Invoice.CREDIT_NOTE).exists()


# The list


@pytest.fixture
def several(family_a, family_b, child_a, structure):
    paid = make_invoice(family_a, structure, [("Octobre", "10.00")], month=OCTOBER)
    pay(paid, "10.00")
    late = make_invoice(
        family_b, structure, [("Octobre B", "7.00")], month=OCTOBER, due=datetime.date(2026, 12, 1)
    )
    november = make_invoice(family_a, structure, lines_of(child_a))
    draft = make_invoice(family_b, structure, [("Décembre", "3.00")], issued=False, month=NOVEMBER)
    return {"paid": paid, "late": late, "november": november, "draft": draft}


def listed(client, **params):
    page = client.get(LIST, params).content.decode()
    return page, {ref for ref in _refs(page)}


def _refs(page):
    for invoice in Invoice.objects.all():
        if f'href="/gestion/facturation/factures/{invoice.pk}/"' in page:
            yield invoice.pk


def test_the_list_shows_paid_outstanding_and_overdue(client_manager, several):
    page, found = listed(client_manager)
    assert found == {i.pk for i in several.values()}
    assert several["late"].reference in page and "En retard" in page
    assert "Payée" in page and "Brouillon</span>" in page
    assert "7,00\u00a0€" in page and "10,00\u00a0€" in page


def test_the_list_filters(client_manager, several, issued):
    ids = {k: v.pk for k, v in several.items()}
    assert listed(client_manager, mois="2026-10")[1] == {ids["paid"], ids["late"]}
    assert listed(client_manager, statut="draft")[1] == {ids["draft"]}
    assert listed(client_manager, q="bern")[1] == {ids["late"], ids["draft"]}
    assert listed(client_manager, impayees="on")[1] == {ids["late"], ids["november"], issued.pk}
    both = listed(client_manager, impayees="on", q="Martin", mois="2026-11")[1]
    assert both == {ids["november"], issued.pk}
    page, found = listed(client_manager, mois="n'importe quoi")
    assert "Indiquez un mois sous la forme 2026-12." in page


def test_credit_notes_are_listed_with_the_invoice_they_correct(client_manager, issued):
    client_manager.post(credit_url(issued), {"portee": "whole", "motif": "Erreur"})
    note = Invoice.objects.get(kind=Invoice.CREDIT_NOTE)
    page, found = listed(client_manager, statut="credit_note")
    assert found == {note.pk} and f"corrige {issued.reference}" in page


def test_the_list_queries_are_bounded(client_manager, structure, django_assert_max_num_queries):
    from tests import factories as f

    for n in range(32):
        family = f.FamilyFactory(name=f"Famille {n:02d}", structures=[structure])
        invoice = make_invoice(family, structure, [("Mercredi", "8.00")])
        if n % 2:
            pay(invoice, "3.00")
    with django_assert_max_num_queries(QUERIES):
        page = client_manager.get(LIST).content.decode()
    assert len(re.findall(r'href="/gestion/facturation/factures/\d+/"', page)) == 32
    with django_assert_max_num_queries(QUERIES):
        client_manager.get(LIST, {"impayees": "on", "mois": "2026-11", "q": "famille"})


# A family's account


def test_the_family_account(client_manager, family_a, structure, issued, child_a):
    october = make_invoice(family_a, structure, [("Octobre", "10.00")], month=OCTOBER)
    pay(october, "10.00", reference="VIR-42")
    client_manager.post(
        credit_url(issued), {"portee": "amount", "montant": "0,50", "motif": "Goûter"}
    )
    page = client_manager.get(account_url(family_a)).content.decode()
    assert "Facturation – famille Martin" in page
    assert "<strong>2,40\u00a0€</strong> dû par la famille" in page  # 2.90 + 10 - 0.50 - 10
    assert issued.reference in page and october.reference in page
    assert "-0,50\u00a0€" in page and "Goûter" in page  # the credit note
    assert "VIR-42" in page and f"{october.reference} (10,00\u00a0€)" in page
    assert "540, valable du 01/01/2026 au 31/12/2026" in page and "valide" in page


def test_a_family_without_quotient_says_so(client_manager, family_b):
    page = client_manager.get(account_url(family_b)).content.decode()
    assert "non fourni</span>" in page and "Aucune facture émise." in page


def test_the_family_record_links_to_its_billing_account(client_manager, family_a):
    page = client_manager.get(f"/gestion/familles/{family_a.pk}/").content.decode()
    assert f'href="{account_url(family_a)}">Facturation</a>' in page


def test_manager_records_a_payment_allocated_oldest_first(client_manager, family_a, structure):
    october = make_invoice(family_a, structure, [("Octobre", "10.00")], month=OCTOBER)
    november = make_invoice(family_a, structure, [("Novembre", "6.00")])
    data = {"moyen": "cheque", "montant": "12,00", "recu_le": "2026-12-14", "reference": "CH-9"}
    response = client_manager.post(payment_url(family_a), data)
    assert response.status_code == 302 and response["Location"] == account_url(family_a)
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.reference) == (
        Decimal("12.00"),
        "cheque",
        "CH-9",
    )
    parts = dict(payment.allocations.values_list("invoice_id", "amount"))
    assert parts == {october.pk: Decimal("10.00"), november.pk: Decimal("2.00")}
    page = client_manager.get(account_url(family_a)).content.decode()
    assert (
        "Règlement de 12,00\u00a0€ enregistré." in page and "<strong>4,00\u00a0€</strong>" in page
    )


def test_a_payment_in_the_future_is_refused(client_manager, family_a, issued):
    data = {"moyen": "cash", "montant": "5", "recu_le": "2026-12-20"}
    response = client_manager.post(payment_url(family_a), data)
    assert response.status_code == 400
    assert "La date de réception ne peut pas être dans le futur." in response.content.decode()
    assert not Payment.objects.exists()


def test_invoice_lines_of_a_family_have_no_child_heading(
    client_manager, family_a, child_a, structure
):
    invoice = make_invoice(
        family_a,
        structure,
        [
            {"label": "Adhésion familiale", "amount": "20", "kind": InvoiceLine.MEMBERSHIP},
            {"label": "Soir 02/11", "amount": "2.40", "child": child_a},
        ],
    )
    page = client_manager.get(detail_url(invoice)).content.decode()
    assert "<h3>Famille</h3>" in page and "Adhésion familiale" in page
    # The children first, the family's lines last (as on the PDF and the portal).
    assert page.index(f"<h3>{child_a.first_name} {child_a.last_name}</h3>") < page.index(
        "<h3>Famille</h3>"
    )
