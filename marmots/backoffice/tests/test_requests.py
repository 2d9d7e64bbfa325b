"""What waits for the manager: home counters, change requests, documents to review."""

import datetime

import pytest

from marmots.families.models import ChangeRequest, FamilyDocument
from tests import factories as f

from .conftest import PDF_BYTES, make_document


def test_home_counts_what_waits_with_links(
    client_manager, activity, child_a, change_request, document, other_family, other_structure
):
    f.EnrollmentFactory(child=child_a, activity=activity)
    foreign_type = f.DocumentTypeFactory(structure=other_structure)
    make_document(other_family, foreign_type)  # another structure's: not counted
    page = client_manager.get("/gestion/").content.decode()
    assert page.count('<p class="counter">1</p>') == 3
    for url in ("/gestion/inscriptions/", "/gestion/demandes/", "/gestion/documents/"):
        assert f'href="{url}"' in page


# Change requests -------------------------------------------------------------------------------


def test_pending_change_request_shows_before_and_after(client_staff, change_request):
    page = client_staff.get("/gestion/demandes/").content.decode()
    assert "Allergies" in page and "Arachide" in page and "(vide)" in page
    assert "PAI (projet d&#x27;accueil individualisé)" in page
    assert "<td>Non</td>" in page and "<strong>Oui</strong>" in page
    assert "Refuser" not in page  # staff only read


def test_manager_accepts_a_change_request(client_manager, change_request, child_a):
    url = f"/gestion/demandes/{change_request.pk}/decision/"
    response = client_manager.post(url, {f"c{change_request.pk}-decision": "accept"})
    assert response.status_code == 302
    child_a.refresh_from_db()
    assert child_a.allergies == "Arachide" and child_a.pai is True
    change_request.refresh_from_db()
    assert change_request.status == ChangeRequest.APPLIED
    assert "Arachide" not in client_manager.get("/gestion/demandes/").content.decode()


def test_refusing_needs_a_note(client_manager, change_request, child_a):
    url = f"/gestion/demandes/{change_request.pk}/decision/"
    prefix = f"c{change_request.pk}"
    response = client_manager.post(url, {f"{prefix}-decision": "refuse", f"{prefix}-note": " "})
    assert response.status_code == 400
    assert "Expliquez à la famille pourquoi la demande est refusée." in response.content.decode()
    change_request.refresh_from_db()
    assert change_request.status == ChangeRequest.PENDING
    response = client_manager.post(
        url, {f"{prefix}-decision": "refuse", f"{prefix}-note": "Certificat médical requis."}
    )
    assert response.status_code == 302
    change_request.refresh_from_db()
    child_a.refresh_from_db()
    assert change_request.status == ChangeRequest.REFUSED
    assert change_request.decision_note == "Certificat médical requis."
    assert child_a.allergies == ""


def test_a_change_request_made_stale_is_refused_with_the_fields(
    client_manager, change_request, child_a
):
    child_a.allergies = "Gluten"  # changed since the family asked
    child_a.save()
    url = f"/gestion/demandes/{change_request.pk}/decision/"
    response = client_manager.post(url, {f"c{change_request.pk}-decision": "accept"})
    assert response.status_code == 400
    assert "La fiche a changé depuis la demande (allergies)" in response.content.decode()
    child_a.refresh_from_db()
    change_request.refresh_from_db()
    assert (child_a.allergies, child_a.pai) == ("Gluten", False)
    assert change_request.status == ChangeRequest.PENDING


# Documents -------------------------------------------------------------------------------------


def test_staff_of_the_structure_open_the_file(client_staff, document):
    response = client_staff.get(f"/gestion/documents/{document.pk}/fichier/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="document-{document.pk}"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_documents_to_review_are_listed(client_staff, document):
    page = client_staff.get("/gestion/documents/").content.decode()
    assert "Attestation d&#x27;assurance" in page and "assurance.pdf" in page


def test_manager_accepts_a_document_until_a_date(client_manager, document):
    prefix = f"d{document.pk}"
    data = {f"{prefix}-decision": "accept", f"{prefix}-valid_until": "2099-08-31"}
    response = client_manager.post(f"/gestion/documents/{document.pk}/decision/", data)
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == FamilyDocument.ACCEPTED
    assert document.valid_until == datetime.date(2099, 8, 31)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"decision": "refuse", "reason": ""}, "Indiquez le motif du refus"),
        ({"decision": "accept", "valid_until": "2001-01-01"}, "déjà passée"),
        ({"decision": "accept", "valid_until": "31/02/2099"}, "Saisissez une date valide"),
    ],
)
def test_bad_document_decision_changes_nothing(client_manager, document, data, message):
    prefixed = {f"d{document.pk}-{k}": v for k, v in data.items()}
    response = client_manager.post(f"/gestion/documents/{document.pk}/decision/", prefixed)
    assert response.status_code == 400
    assert message in response.content.decode()
    document.refresh_from_db()
    assert document.status == FamilyDocument.PENDING


def test_manager_refuses_a_document_with_a_reason(client_manager, document):
    prefix = f"d{document.pk}"
    data = {f"{prefix}-decision": "refuse", f"{prefix}-reason": "Attestation de l'an dernier."}
    client_manager.post(f"/gestion/documents/{document.pk}/decision/", data)
    document.refresh_from_db()
    assert document.status == FamilyDocument.REFUSED
    assert document.refusal_reason == "Attestation de l'an dernier."
