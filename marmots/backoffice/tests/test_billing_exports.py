"""Exports and reports of billing (/gestion/facturation/exports/, rapport-heures/,
aides/a-reclamer/) through HTTP; the files are read back with csv and openpyxl."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from marmots.billing.models import Aid, Allocation, InvoiceLine, Payment
from marmots.billing.tests.factories import invoice
from marmots.billing.tests.factories import payment as make_payment
from tests import factories as f
from tests.house import at

URL = "/gestion/facturation/exports/"
NOVEMBER = "first=2026-11-01&last=2026-11-30"


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(datetime.date(2027, 1, 5), 10), tick=False)


def pay(invoice_, amount):
    payment = make_payment(
        structure=invoice_.structure,
        family=invoice_.family,
        method=Payment.CHEQUE,
        amount=Decimal(amount),
        received_on=datetime.date(2026, 12, 10),
    )
    Allocation.objects.create(payment=payment, invoice=invoice_, amount=Decimal(amount))


@pytest.fixture
def invoices(structure, other_structure, family_a, child_a, family_b, house):
    """November: family A's invoice (part paid, overdue), family B's (paid); a December
    invoice, a draft and another structure's invoice outside the export."""
    a = invoice(
        family_a,
        structure,
        [
            {
                "label": "Périscolaire soir, lundi 02/11 (Léa)",
                "amount": "2.40",
                "child": child_a,
                "activity": house.evening,
                "date": datetime.date(2026, 11, 2),
                "quantity": "4",
                "unit_price": "0.60",
                "quotient": 540,
                "bracket": "0-650",
                "minutes_booked": 60,
                "minutes_attended": 100,
                "minutes_billed": 120,
            },
            {"label": "Goûter", "amount": "0.50", "child": child_a, "kind": InvoiceLine.EXTRA},
            {"label": "Adhésion", "amount": "20.00", "kind": InvoiceLine.MEMBERSHIP},
        ],
        due=datetime.date(2026, 12, 31),
    )
    pay(a, "10.00")
    family_b.name = '=HYPERLINK("http://example.org")'
    family_b.save()
    b = invoice(family_b, structure, [("Journée", "24.00")])
    pay(b, "24.00")
    invoice(family_a, structure, [("Décembre", "9.99")], month=datetime.date(2026, 12, 1))
    invoice(family_a, structure, [("Brouillon", "5.00")], issued=False)
    theirs = f.FamilyFactory(name="Dupuis", structures=[other_structure])
    invoice(theirs, other_structure, [("Taninges", "7.00")])
    return a, b


def read_csv(response):
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return book.worksheets[0]


def test_the_invoices_csv(client_manager, invoices):
    a, b = invoices
    response = client_manager.get(f"{URL}factures.csv?{NOVEMBER}")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "factures-petits-montagnards-20261101-20261130.csv" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["Référence", "Famille", "Du"]
    assert rows[1] == [
        a.reference,
        "Martin",
        "01/11/2026",
        "30/11/2026",
        f"{a.issued_at:%d/%m/%Y}",
        "31/12/2026",
        "22,90",
        "10,00",
        "12,90",
        "Facture",
        "Échue",
    ]
    assert rows[2][1] == '\'=HYPERLINK("http://example.org")'  # never a formula
    assert rows[2][6:] == ["24,00", "24,00", "0,00", "Facture", "Payée"]
    assert len(rows) == 3


def test_the_invoices_xlsx(client_manager, invoices):
    a, _ = invoices
    sheet = read_xlsx(client_manager.get(f"{URL}factures.xlsx?{NOVEMBER}"))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Référence" and sheet["A1"].font.bold
    assert rows[1][:3] == (a.reference, "Martin", datetime.datetime(2026, 11, 1))
    assert rows[1][6:9] == (22.9, 10, 12.9) and sheet["G2"].number_format == "#,##0.00"
    assert sheet["B3"].data_type == "s" and sheet["B3"].value.startswith("=HYPERLINK")
    assert sheet.column_dimensions["B"].width == 24
    assert len(rows) == 3


def test_the_lines_csv_and_xlsx(client_manager, invoices, child_a):
    a, _ = invoices
    rows = read_csv(client_manager.get(f"{URL}lignes.csv?{NOVEMBER}"))
    assert rows[1] == [
        a.reference,
        "Martin",
        f"{child_a.first_name} {child_a.last_name}",
        "02/11/2026",
        "Périscolaire soir",
        "présence",
        "Périscolaire soir, lundi 02/11 (Léa)",
        "4,00",
        "0,60",
        "2,40",
        "540",
        "0-650",
        "60",
        "100",
        "120",
    ]
    assert [row[5] for row in rows[1:]] == ["présence", "supplément", "adhésion", "présence"]
    sheet = read_xlsx(client_manager.get(f"{URL}lignes.xlsx?{NOVEMBER}"))
    line = list(sheet.iter_rows(min_row=2, max_row=2, values_only=True))[0]
    assert line[7:] == (4, 0.6, 2.4, 540, "0-650", 60, 100, 120)


def test_the_exports_read_a_bounded_number_of_queries(
    client_manager, invoices, structure, family_a, django_assert_max_num_queries
):
    for _ in range(30):
        invoice(family_a, structure, [("Ligne", "1.00"), ("Autre", "2.00")])
    with django_assert_max_num_queries(8):
        rows = read_csv(client_manager.get(f"{URL}lignes.csv?{NOVEMBER}"))
    assert len(rows) == 1 + 4 + 60
    with django_assert_max_num_queries(8):
        assert len(read_csv(client_manager.get(f"{URL}factures.csv?{NOVEMBER}"))) == 33


def test_the_page_proposes_last_month(client_manager, invoices):
    html = client_manager.get(URL).content.decode()
    assert "du 01/12/2026 au 31/12/2026" in html
    assert f'{URL}factures.xlsx?first=2026-12-01&amp;last=2026-12-31"' in html
    html = client_manager.get(f"{URL}?{NOVEMBER}").content.decode()
    assert f"{URL}lignes.csv?{NOVEMBER.replace('&', '&amp;')}" in html


def test_a_wrong_period_is_explained(client_manager, invoices):
    response = client_manager.get(f"{URL}factures.csv?first=2026-11-30&last=2026-11-01")
    assert response.status_code == 400
    assert "La fin de la période doit suivre son début." in response.content.decode()
    response = client_manager.get(f"{URL}lignes.xlsx?first=2025-01-01&last=2026-11-01")
    assert "Choisissez une période d&#x27;un an au plus." in response.content.decode()
    assert client_manager.get(f"{URL}factures.pdf?{NOVEMBER}").status_code == 404


def test_only_managers_and_only_their_structure(client, staff, other_manager, guardian_a, invoices):
    client.force_login(staff)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}factures.csv?{NOVEMBER}").status_code == 403
    client.force_login(guardian_a.user)
    assert client.get(f"{URL}lignes.csv?{NOVEMBER}").status_code == 403
    client.force_login(other_manager)
    rows = read_csv(client.get(f"{URL}factures.csv?{NOVEMBER}"))
    assert [row[1] for row in rows[1:]] == ["Dupuis"]


# The hours report and the aid to claim -----------------------------------------------------


def test_the_hours_report_page_and_files(client_manager, invoices, family_a, structure):
    page = client_manager.get(f"/gestion/facturation/rapport-heures/?{NOVEMBER}")
    html = page.content.decode()
    assert "Novembre 2026" in html and "0-650" in html
    assert '<td class="num">1,00</td>' in html and '<td class="num">2,00</td>' in html
    rows = read_csv(client_manager.get(f"{URL}heures.csv?{NOVEMBER}"))
    assert rows == [
        [
            "Mois",
            "Tranche de QF",
            "Heures réservées",
            "Heures de présence",
            "Heures facturées",
            "Enfants",
        ],
        ["11/2026", "0-650", "1,00", "1,67", "2,00", "1"],
    ]
    sheet = read_xlsx(client_manager.get(f"{URL}heures.xlsx?{NOVEMBER}"))
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        (datetime.datetime(2026, 11, 1), "0-650", 1, 1.67, 2, 1)
    ]


def test_the_aid_claims_page_and_csv(client_manager, structure, family_a, child_a, house):
    aid = Aid.objects.create(
        structure=structure,
        family=family_a,
        payer="CAF de la Haute-Savoie",
        label="Aide aux vacances",
        reference="1234567",
        method=Aid.PER_UNIT,
        amount=Decimal("5.00"),
        valid_from=datetime.date(2026, 9, 1),
        valid_until=datetime.date(2027, 8, 31),
    )
    aid.activities.add(house.holiday)
    day = datetime.date(2026, 11, 4)
    aid_line = {
        "label": "Aide aux vacances",
        "kind": InvoiceLine.AID,
        "aid": aid,
        "child": child_a,
        "date": day,
        "quantity": "2",
        "unit_price": "-5.00",
        "amount": "-10.00",
    }
    invoice(family_a, structure, [{"label": "Journées", "amount": "48.00", "date": day}, aid_line])
    html = client_manager.get(f"/gestion/facturation/aides/a-reclamer/?{NOVEMBER}").content
    html = html.decode()
    assert "CAF de la Haute-Savoie : 10,00\u00a0€" in html and "1234567" in html
    rows = read_csv(client_manager.get(f"{URL}aides.csv?{NOVEMBER}"))
    assert rows[1] == [
        "CAF de la Haute-Savoie",
        "Martin",
        f"{child_a.first_name} {child_a.last_name}",
        "Aide aux vacances",
        "1234567",
        "2,00",
        "10,00",
    ]
