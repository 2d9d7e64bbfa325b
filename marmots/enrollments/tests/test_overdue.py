"""An overdue invoice blocks a family's new enrollment requests when the structure asks for it
(portal and API alike, since both call the action); the check page lists unpaid invoices."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from marmots.accounts.models import ApiToken
from marmots.billing.balances import settings_for
from marmots.billing.models import Allocation, BillingSettings, Payment
from marmots.billing.tests.factories import invoice
from marmots.billing.tests.factories import payment as make_payment
from marmots.core.models import AuditEntry
from marmots.enrollments.actions import request_enrollment
from marmots.enrollments.models import Enrollment

from . import builders as b

PORTAL = "/portail/inscriptions/demander/"
MESSAGE = (
    "Une facture échue reste à régler ({ref}, 42,40\u00a0€) : réglez-la avant de demander "
    "une inscription."
)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    b.freeze(time_machine)  # 15 June 2026


@pytest.fixture
def activity(structure):
    return b.evening(structure)


@pytest.fixture
def blocking(structure):
    found = settings_for(structure)
    found.block_enrollment_when_overdue = True
    found.save()
    return found


def april(family, structure, due=datetime.date(2026, 5, 31)):
    """April's invoice of 42,40 €, due on `due`."""
    return invoice(
        family, structure, [("Avril", "42.40")], month=datetime.date(2026, 4, 1), due=due
    )


def portal_data(child, activity):
    return {
        "child": child.pk,
        "activity": activity.pk,
        "period": "",
        "start_date": "2026-09-01",
        "end_date": "2027-07-03",
        "comment": "",
    }


def escaped(text):
    return text.replace("'", "&#x27;")


def test_the_portal_refuses_and_writes_nothing(client_a, child_a, activity, blocking):
    overdue = april(child_a.family, activity.structure)
    response = client_a.post(PORTAL, portal_data(child_a, activity))
    assert response.status_code == 200
    assert escaped(MESSAGE.format(ref=overdue.reference)) in response.content.decode()
    assert not Enrollment.objects.exists()
    assert not AuditEntry.objects.filter(action="enrollment.request").exists()


def test_several_overdue_invoices_are_all_named(client_a, child_a, activity, blocking):
    first = april(child_a.family, activity.structure)
    second = april(child_a.family, activity.structure, due=datetime.date(2026, 6, 1))
    html = client_a.post(PORTAL, portal_data(child_a, activity)).content.decode()
    assert (
        escaped(
            f"Des factures échues restent à régler ({first.reference}, 42,40\u00a0€ ; "
            f"{second.reference}, 42,40\u00a0€) : réglez-les avant"
        )
        in html
    )
    assert not Enrollment.objects.exists()


def test_the_api_refuses_too(guardian_a, child_a, activity, blocking):
    overdue = april(child_a.family, activity.structure)
    data = {
        "child_id": child_a.pk,
        "activity_id": activity.pk,
        "start_date": "2026-09-01",
        "end_date": "2027-07-03",
    }
    _, key = ApiToken.issue(guardian_a.user, name="tests")
    api = Client(headers={"authorization": f"Bearer {key}"})
    response = api.post("/api/v1/enrollments", data, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == MESSAGE.format(ref=overdue.reference)
    assert not Enrollment.objects.exists()


def _pay(invoice_):
    payment = make_payment(
        structure=invoice_.structure,
        family=invoice_.family,
        method=Payment.TRANSFER,
        amount=invoice_.total,
        received_on=b.TODAY,
    )
    Allocation.objects.create(payment=payment, invoice=invoice_, amount=invoice_.total)


def _credit(family, structure, amount):
    """A payment left unallocated: a credit in the family's favour at the structure."""
    make_payment(
        structure=structure,
        family=family,
        method=Payment.TRANSFER,
        amount=Decimal(amount),
        received_on=b.TODAY,
    )


@pytest.mark.parametrize(
    "case", ["option off", "paid", "not yet due", "other structure", "credit covers it"]
)
def test_allowed_otherwise(client_a, child_a, activity, structure, other_structure, case):
    if case != "option off":
        BillingSettings.objects.create(structure=structure, block_enrollment_when_overdue=True)
    due = datetime.date(2026, 6, 30) if case == "not yet due" else datetime.date(2026, 5, 31)
    owed = april(child_a.family, other_structure if case == "other structure" else structure, due)
    if case == "paid":
        _pay(owed)
    if case == "credit covers it":
        _credit(child_a.family, structure, "42.40")  # balance zero: nothing is owed
    response = client_a.post(PORTAL, portal_data(child_a, activity))
    assert response.status_code == 302
    assert Enrollment.objects.get().status == Enrollment.PENDING


def test_a_credit_elsewhere_or_too_small_still_blocks(
    client_a, child_a, activity, other_structure, blocking
):
    overdue = april(child_a.family, activity.structure)
    _credit(child_a.family, other_structure, "100.00")  # another structure's credit
    _credit(child_a.family, activity.structure, "42.39")  # one cent short
    response = client_a.post(PORTAL, portal_data(child_a, activity))
    assert escaped(MESSAGE.format(ref=overdue.reference)) in response.content.decode()
    assert not Enrollment.objects.exists()


def test_the_manager_enrolls_on_the_familys_behalf(child_a, activity, manager, blocking):
    april(child_a.family, activity.structure)
    enrollment = request_enrollment(
        child_a,
        activity,
        start_date=datetime.date(2026, 9, 1),
        end_date=datetime.date(2027, 7, 3),
        actor=manager,
    )
    assert enrollment.status == Enrollment.PENDING


def test_the_check_page_lists_unpaid_invoices(client_manager, child_a, activity, other_structure):
    overdue = april(child_a.family, activity.structure)
    later = april(child_a.family, activity.structure, due=datetime.date(2026, 7, 15))
    payment = make_payment(
        structure=activity.structure,
        family=child_a.family,
        method=Payment.CHEQUE,
        amount=Decimal("2.40"),
        received_on=b.TODAY,
    )
    Allocation.objects.create(payment=payment, invoice=later, amount=Decimal("2.40"))
    elsewhere = april(child_a.family, other_structure)
    pending = b.enrollment(child_a, activity)
    html = client_manager.get(f"/gestion/inscriptions/{pending.pk}/").content.decode()
    assert "Factures impayées" in html
    assert f"<td>{overdue.reference}</td>" in html
    assert '<th scope="col" class="num">Reste dû</th>' in html
    assert '<td class="num">42,40\u00a0€</td>' in html
    assert '31/05/2026 <span class="badge bad">Échue</span>' in html
    assert f"<td>{later.reference}</td>" in html and "40,00\u00a0€" in html
    assert "15/07/2026</td>" in html
    assert elsewhere.reference not in html


def test_the_check_page_without_unpaid_invoices(client_manager, child_a, activity):
    pending = b.enrollment(child_a, activity)
    html = client_manager.get(f"/gestion/inscriptions/{pending.pk}/").content.decode()
    assert "Aucune facture impayée." in html
