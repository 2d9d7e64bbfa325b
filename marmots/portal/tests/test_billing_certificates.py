"""Mes attestations: the tax certificate of a year and a child's attendance certificate, with
French validation messages, for the family's own children only."""

import datetime
import io

import pytest
from pypdf import PdfReader

from marmots.billing.tests.factories import invoice
from marmots.checkin.models import RegisterMark
from tests import factories as f
from tests.house import enroll

from .conftest import text


def pdf_text(response):
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def tom(house, family_a):
    child = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2021, 3, 1))
    enroll(house, child, house.evening)
    invoice(
        family_a,
        house.structure,
        [
            {
                "label": "Soir",
                "amount": "2.40",
                "child": child,
                "activity": house.evening,
                "date": datetime.date(2026, 11, 2),
            }
        ],
    )
    RegisterMark.objects.create(
        child=child, activity=house.evening, date=datetime.date(2026, 11, 2), present=True
    )
    return child


def test_the_page_offers_each_certificate(client_a, child_a, tom):
    page = text(client_a.get("/portail/compte/attestations/"))
    assert "<h1>Mes attestations</h1>" in page
    assert '<option value="2026">2026</option>' in page
    assert f'action="/portail/compte/attestations/presence/{tom.pk}/"' in page
    assert f'action="/portail/compte/attestations/presence/{child_a.pk}/"' in page
    assert f'<label for="id_du_{tom.pk}">Du' in page and f'id="id_au_{tom.pk}"' in page
    assert 'name="structure"' in page and 'type="hidden"' in page  # one structure: no choice


def test_the_tax_certificate_downloads(client_a, tom):
    response = client_a.get("/portail/compte/attestations/fiscale/", {"annee": "2026"})
    content = pdf_text(response)
    assert "attestation-fiscale-martin-2026.pdf" in response["Content-Disposition"]
    assert "Tom" in content and "2,40" in content


def test_a_year_without_a_child_under_6_is_refused_in_french(client_a, house, family_a, child_a):
    invoice(family_a, house.structure, [{"label": "Soir", "amount": "2.40", "child": child_a}])
    page = text(client_a.get("/portail/compte/attestations/fiscale/", {"annee": "2026"}))
    assert "Aucun frais de garde facturé en 2026 pour un enfant de moins de 6 ans" in page
    page = text(client_a.get("/portail/compte/attestations/fiscale/", {"annee": "1999"}))
    assert "Choisissez une année de la liste." in page
    page = text(client_a.get("/portail/compte/attestations/fiscale/"))
    assert "Choisissez l'année." in page


def test_without_invoices_there_is_no_tax_certificate_yet(client_b, family_b):
    page = text(client_b.get("/portail/compte/attestations/"))
    assert "pas encore d'attestation fiscale" in page


def test_the_attendance_certificate_downloads(client_a, tom):
    response = client_a.get(
        f"/portail/compte/attestations/presence/{tom.pk}/",
        {"du": "2026-11-01", "au": "2026-11-30"},
    )
    content = pdf_text(response)
    assert "Attestation de présence" in content and "Tom" in content
    assert "Périscolaire soir" in content


@pytest.mark.parametrize(
    "period, message",
    [
        ({"du": "2026-11-30", "au": "2026-11-01"}, "La date de fin doit suivre la date de début."),
        ({"du": "2025-01-01", "au": "2026-11-01"}, "Une attestation couvre au plus une année."),
        ({"du": "2027-11-01", "au": "2027-11-30"}, "La période ne peut pas commencer après"),
        ({"du": "", "au": "2026-11-30"}, "Indiquez la date « du »."),
        ({"du": "31/02/2026", "au": "2026-11-30"}, "Saisissez une date valide"),
    ],
)
def test_a_wrong_period_is_explained_in_french(client_a, tom, period, message):
    response = client_a.get(f"/portail/compte/attestations/presence/{tom.pk}/", period)
    assert response["Content-Type"].startswith("text/html")
    assert message in text(response)


def test_another_familys_child_is_not_found(client_b, tom):
    response = client_b.get(
        f"/portail/compte/attestations/presence/{tom.pk}/",
        {"du": "2026-11-01", "au": "2026-11-30"},
    )
    assert response.status_code == 404


def test_the_tax_certificate_is_the_familys_own(client_b, house, family_b, tom):
    """Family B asks for 2026: Tom's care is family A's, so B has nothing to certify."""
    child = f.ChildFactory(family=family_b, birth_date=datetime.date(2022, 1, 5))
    invoice(family_b, house.structure, [{"label": "Soir", "amount": "1.20", "child": child}])
    content = pdf_text(client_b.get("/portail/compte/attestations/fiscale/", {"annee": "2026"}))
    assert "Tom" not in content and "1,20" in content


def test_a_family_with_two_structures_chooses_one(client_a, family_a, other_structure, tom):
    family_a.structures.add(other_structure)
    page = text(client_a.get("/portail/compte/attestations/"))
    assert '<select name="structure"' in page and "Accueil de Taninges" in page
    response = client_a.get(
        "/portail/compte/attestations/fiscale/",
        {"annee": "2026", "structure": other_structure.pk},
    )
    assert "Aucun frais de garde facturé en 2026" in text(response)  # none at Taninges
    response = client_a.get(
        "/portail/compte/attestations/fiscale/", {"annee": "2026", "structure": "999999"}
    )
    assert "Choisissez une structure de la liste." in text(response)
