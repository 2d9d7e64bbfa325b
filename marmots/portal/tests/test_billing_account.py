"""Mon compte (R3): the balance, the family's figures, the cost of each enrollment, the invoices,
credit notes and payments, through HTTP as the family sees them."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine

from marmots.billing.models import Allocation, BillingSettings, Invoice, InvoiceLine, Payment
from marmots.billing.tests.factories import invoice
from marmots.billing.tests.factories import payment as make_payment
from tests import factories as f
from tests.house import enroll

from .conftest import text

NOVEMBER, DECEMBER = datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)
ON_12_DECEMBER = datetime.datetime(2026, 12, 12, 10, tzinfo=datetime.UTC)
ON_15_JANUARY = datetime.datetime(2027, 1, 15, 10, tzinfo=datetime.UTC)


def get_on(client, user, moment, url):
    """GET `url` at `moment`, logged in then (a session lasts two weeks)."""
    with time_machine.travel(moment):
        client.force_login(user)
        return text(client.get(url))


def pay(family, structure, amount, invoices=()):
    payment = make_payment(
        structure=structure,
        family=family,
        method=Payment.CHEQUE,
        amount=Decimal(amount),
        received_on=datetime.date(2026, 12, 10),
        reference="0001234",
    )
    for target, part in invoices:
        Allocation.objects.create(payment=payment, invoice=target, amount=Decimal(part))
    return payment


def credit(original, amount, corrected=None):
    note = Invoice.objects.create(
        structure=original.structure,
        family=original.family,
        kind=Invoice.CREDIT_NOTE,
        status=Invoice.ISSUED,
        series="AV",
        year=2026,
        number=original.number,
        issued_at=original.issued_at,
        due_date=original.due_date,
        period_start=original.period_start,
        period_end=original.period_end,
        total=Decimal(amount),
        corrects=original,
        reason="Absence excusée",
    )
    InvoiceLine.objects.create(
        invoice=note,
        kind=InvoiceLine.CREDIT,
        label="Avoir",
        amount=Decimal(amount),
        unit_price=Decimal(amount),
        corrects=corrected,
    )
    return note


@pytest.fixture
def month_of_lea(house, family_a, child_a, family_b, child_b):
    """Léa's November and December, a draft, and family B's invoice."""
    enroll(house, child_a, house.evening, house.morning)
    evening, morning = house.evening, house.morning
    november = invoice(
        family_a,
        house.structure,
        [
            {
                "label": "Soir 02/11",
                "amount": "2.40",
                "child": child_a,
                "activity": evening,
                "date": datetime.date(2026, 11, 2),
            },
            {
                "label": "Soir 03/11",
                "amount": "3.60",
                "child": child_a,
                "activity": evening,
                "date": datetime.date(2026, 11, 3),
            },
            {
                "label": "Matin 05/11",
                "amount": "1.80",
                "child": child_a,
                "activity": morning,
                "date": datetime.date(2026, 11, 5),
            },
            {
                "label": "Adhésion 2026-2027",
                "amount": "20.00",
                "child": child_a,
                "kind": InvoiceLine.MEMBERSHIP,
            },
        ],
        month=NOVEMBER,
    )  # 27.80, due 31/12/2026
    december = invoice(
        family_a,
        house.structure,
        [
            {
                "label": "Soir 01/12",
                "amount": "14.60",
                "child": child_a,
                "activity": evening,
                "date": datetime.date(2026, 12, 1),
            },
        ],
        month=DECEMBER,
    )  # 14.60, due 30/01/2027
    invoice(family_a, house.structure, [("Brouillon", "77.00")], issued=False)
    invoice(family_b, house.structure, [("Hugo", "99.00")])
    return november, december


def test_the_account_shows_the_balance_and_each_figure(
    client_a, guardian_a, family_a, month_of_lea
):
    november, december = month_of_lea
    family_a.dependent_children = 2
    family_a.save()
    family_a.quotients.update(annual_income=Decimal("31200"))
    pay(family_a, november.structure, "20.00", [(november, "20.00")])
    credit(november, "-2.40", november.lines.get(label="Soir 02/11"))

    page = get_on(client_a, guardian_a.user, ON_12_DECEMBER, "/portail/compte/")

    # 27.80 + 14.60 - 2.40 credited - 20.00 paid = 20.00; the draft and family B's are not counted.
    assert "Solde à régler : 20,00\u00a0€" in page
    assert "Enfants à charge</dt><dd>2" in page
    assert "31\u202f200,00\u00a0€" in page
    assert "540" in page and "au jeudi 31 décembre 2026" in page
    assert "QF non fourni" not in page
    # Per enrollment: the evening 2.40 + 3.60 + 14.60 - 2.40 credited; the morning 1.80;
    # the membership outside any enrollment.
    assert re.search(r"Périscolaire soir</th>.*?18,20\u00a0€", page, re.S)
    assert re.search(r"Périscolaire matin</th>.*?1,80\u00a0€", page, re.S)
    assert "Hors inscriptions (adhésion" in page and "20,00\u00a0€</p>" in page
    # The invoices, most recent first, with what is paid and what remains.
    assert page.index(december.reference) < page.index(november.reference)
    assert "Réglé</dt><dd>20,00\u00a0€" in page
    assert "(avoirs : -2,40\u00a0€)" in page and "<strong>5,40\u00a0€</strong>" in page
    assert "31/12/2026" in page and "échue" not in page
    # The credit note and the payment.
    assert f"Avoir {Invoice.objects.get(kind='credit_note').reference}" in page
    assert "Absence excusée" in page
    assert f"20,00\u00a0€ par chèque (n° 0001234), pour {november.reference}" in page
    # Never a draft, never another family's invoice.
    assert "77,00" not in page and "99,00" not in page and "Brouillon" not in page


def test_aid_is_shown_apart_from_the_enrollments(client_a, guardian_a, house, family_a, child_a):
    enroll(house, child_a, house.evening)
    day = datetime.date(2026, 11, 2)
    invoice(
        family_a,
        house.structure,
        [
            {"label": "Soir 02/11", "amount": "12.00", "child": child_a, "date": day}
            | {"activity": house.evening},
            {"label": "Aide aux vacances (CAF)", "amount": "-5.00", "child": child_a}
            | {"kind": InvoiceLine.AID, "date": day},
        ],
        month=NOVEMBER,
    )

    page = get_on(client_a, guardian_a.user, ON_12_DECEMBER, "/portail/compte/")

    # The enrollment's amount is what was billed for it; the aid, no activity's, apart.
    assert re.search(r"Périscolaire soir</th>.*?12,00\u00a0€", page, re.S)
    assert "déduites de vos factures : -5,00\u00a0€" in page
    assert "Hors inscriptions" not in page
    assert "Les aides d'organismes sont déduites du total de la facture" in page


def test_an_unpaid_invoice_past_its_due_date_is_overdue(client_a, guardian_a, month_of_lea):
    page = get_on(client_a, guardian_a.user, ON_15_JANUARY, "/portail/compte/")
    assert "Solde à régler : 42,40\u00a0€" in page
    assert page.count('<span class="badge bad">échue</span>') == 1  # November only
    assert "31/12/2026 <strong>(dépassée)</strong>" in page


def test_a_payment_beyond_the_invoices_is_a_credit(client_a, family_a, month_of_lea):
    november, december = month_of_lea
    pay(family_a, november.structure, "47.40", [(november, "27.80"), (december, "14.60")])
    page = text(client_a.get("/portail/compte/"))
    assert "Avoir en votre faveur : 5,00\u00a0€" in page
    assert page.count('<span class="badge ok">réglée</span>') == 2


def test_nothing_due_says_up_to_date(client_b, family_b):
    page = text(client_b.get("/portail/compte/"))
    assert "Vous êtes à jour" in page
    assert "Aucune facture émise pour le moment" in page
    assert "Aucune inscription validée" in page


def test_a_missing_quotient_says_the_maximal_tariff_applies(client_b, family_b):
    page = text(client_b.get("/portail/compte/"))
    assert "Quotient familial</dt>" in page and "non fourni" in page
    assert "QF non fourni : le tarif maximal s'applique" in page


def test_the_fallback_the_manager_chose_is_named(client_b, family_b, structure):
    BillingSettings.objects.create(structure=structure, fallback_quotient=1200)
    page = text(client_b.get("/portail/compte/"))
    assert "QF non fourni : le tarif du QF 1200 s'applique" in page


def test_an_expired_quotient_says_so(client_a, guardian_a):
    page = get_on(client_a, guardian_a.user, ON_15_JANUARY, "/portail/compte/")
    assert "QF expiré le 31/12/2026 : le tarif maximal s'applique" in page
    assert "Mes documents" in page


def test_the_home_shows_what_is_due_and_the_nav_leads_to_the_account(client_a, month_of_lea):
    page = text(client_a.get("/portail/"))
    assert "Solde à régler : 42,40\u00a0€" in page
    assert '<a href="/portail/">Accueil</a>' in page
    assert '<a href="/portail/compte/">Mon compte</a>' in page


def test_the_home_says_nothing_of_money_when_nothing_is_due(client_b, family_b):
    assert "Solde à régler" not in text(client_b.get("/portail/"))


def test_the_account_costs_the_same_queries_with_many_invoices(
    client_a, family_a, house, child_a, django_assert_max_num_queries
):
    enroll(house, child_a, house.evening, house.morning)
    for month in range(1, 13):
        target = invoice(
            family_a,
            house.structure,
            [
                {
                    "label": f"Soir {i}",
                    "amount": "1.20",
                    "child": child_a,
                    "activity": house.evening,
                    "date": datetime.date(2026, month, i + 1),
                }
                for i in range(10)
            ],
            month=datetime.date(2026, month, 1),
        )
        pay(family_a, house.structure, "6.00", [(target, "6.00")])
        credit(target, "-1.20", target.lines.first())
    with django_assert_max_num_queries(15):
        response = client_a.get("/portail/compte/")
    assert response.status_code == 200
    assert text(response).count("Voir le détail") == 12


def test_the_account_page_is_accessible(client_a, month_of_lea):
    page = text(client_a.get("/portail/compte/"))
    assert page.count("<h1>") == 1 and "<h1>Mon compte</h1>" in page
    for heading in (
        "Solde",
        "Famille Martin",
        "Détail par inscription",
        "Factures",
        "Avoirs",
        "Règlements reçus",
    ):
        assert re.search(rf"<h2 id=\"[a-z]+\">{heading}</h2>", page), heading
    assert '<th scope="col">Activité</th>' in page
    assert '<span class="visually-hidden"> de la facture' in page
    assert '<nav class="main" aria-label="Portail Famille">' in page


def test_a_child_with_two_enrollments_counts_each_within_its_dates(
    client_a, family_a, house, child_a
):
    enroll(house, child_a, house.holiday)
    f.EnrollmentFactory(
        child=child_a,
        activity=house.holiday,
        status="validated",
        start_date=datetime.date(2027, 2, 8),
        end_date=datetime.date(2027, 2, 19),
    )
    invoice(
        family_a,
        house.structure,
        [
            {
                "label": "Noël",
                "amount": "24.00",
                "child": child_a,
                "activity": house.holiday,
                "date": datetime.date(2026, 12, 21),
            },
            {
                "label": "Hiver",
                "amount": "12.00",
                "child": child_a,
                "activity": house.holiday,
                "date": datetime.date(2027, 2, 8),
            },
        ],
        month=DECEMBER,
    )
    page = text(client_a.get("/portail/compte/"))
    assert re.search(r"du 21/12/2026 au 01/01/2027</td><td class=\"num\">24,00", page)
    assert re.search(r"du 08/02/2027 au 19/02/2027</td><td class=\"num\">12,00", page)


@pytest.mark.parametrize(
    "url",
    [
        "/portail/compte/",
        "/portail/compte/factures/{invoice}/",
        "/portail/compte/factures/{invoice}/pdf/",
        "/portail/compte/attestations/",
        "/portail/compte/attestations/fiscale/?annee=2026",
        "/portail/compte/attestations/presence/{child}/?du=2026-11-01&au=2026-11-30",
    ],
)
def test_staff_and_anonymous_are_kept_out(client, manager, month_of_lea, child_a, url):
    url = url.format(invoice=month_of_lea[0].pk, child=child_a.pk)
    response = client.get(url)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    client.force_login(manager)
    assert client.get(url).status_code == 403
