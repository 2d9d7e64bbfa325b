import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marmots.families import actions
from marmots.families.models import FamilyDocument

from .conftest import EXE, PDF, PNG, text


def upload(client, doc_type, content, name="attestation.pdf", child=None):
    data = {"doc_type": doc_type.pk, "file": SimpleUploadedFile(name, content)}
    if child:
        data["child"] = child.pk
    return client.post("/portail/documents/", data, follow=True)


def test_documents_page_lists_what_the_file_needs(
    client_a, child_a, insurance, vaccinations, structure, other_structure
):
    from tests import factories as f

    f.DocumentTypeFactory(structure=other_structure, name="Pièce d'ailleurs")
    html = text(client_a.get("/portail/documents/"))
    assert "Attestation d'assurance" in html
    assert "Vaccinations (Léa)" in html
    assert "manquant" not in html  # no enrollment asks for anything yet
    assert "non demandé pour les inscriptions en cours" in html
    assert "Pièce d'ailleurs" not in html

    activity = f.ActivityFactory(structure=structure)
    activity.required_documents.add(insurance, vaccinations)
    f.EnrollmentFactory(child=child_a, activity=activity)
    html = text(client_a.get("/portail/documents/"))
    assert html.count("manquant") == 2


def test_a_pending_request_elsewhere_brings_that_structures_documents(
    client_a, child_a, other_structure
):
    from tests import factories as f

    theirs = f.DocumentTypeFactory(structure=other_structure, name="Pièce de Taninges")
    activity = f.ActivityFactory(structure=other_structure)
    activity.required_documents.add(theirs)
    assert "Pièce de Taninges" not in text(client_a.get("/portail/documents/"))
    assert "Pièce envoyée" not in text(upload(client_a, theirs, PDF))
    assert not FamilyDocument.objects.exists()
    enrollment = f.EnrollmentFactory(child=child_a, activity=activity)
    html = text(client_a.get("/portail/documents/"))
    assert "Pièce de Taninges" in html and "manquant" in html
    assert "Pièce envoyée" in text(upload(client_a, theirs, PDF))
    assert FamilyDocument.objects.get().doc_type == theirs
    assert '<th scope="row">Pièce de Taninges</th>' in text(client_a.get("/portail/documents/"))
    enrollment.status = "cancelled"
    enrollment.save()
    html = text(client_a.get("/portail/documents/"))
    assert '<th scope="row">Pièce de Taninges</th>' not in html


def test_upload_then_download_own_file(client_a, family_a, insurance):
    response = upload(client_a, insurance, PDF)
    assert "Pièce envoyée" in text(response)
    assert "en attente" in text(response)
    document = FamilyDocument.objects.get()
    assert (document.family, document.content_type) == (family_a, "application/pdf")
    download = client_a.get(f"/portail/documents/{document.pk}/telecharger/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "attestation.pdf" in download["Content-Disposition"]
    assert download["Cache-Control"] == "private, no-store"  # a family's file stays private


def test_per_child_upload(client_a, child_a, vaccinations):
    upload(client_a, vaccinations, PNG, name="carnet.png", child=child_a)
    assert FamilyDocument.objects.get().child == child_a


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (EXE, "Le fichier doit être un PDF, une image JPEG ou PNG."),
        (b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024), "taille maximale de 10 Mo"),
    ],
)
def test_bad_files_are_refused_in_french(client_a, insurance, content, message):
    response = upload(client_a, insurance, content, name="facture.pdf")
    assert message in text(response)
    assert not FamilyDocument.objects.exists()


def test_missing_fields_are_refused(client_a, insurance, vaccinations):
    response = client_a.post("/portail/documents/", {"doc_type": insurance.pk})
    assert "Aucun fichier n’a été soumis" in text(response) or (
        "Ce champ est obligatoire" in text(response)
    )
    response = upload(client_a, vaccinations, PDF)
    assert "Indiquez l'enfant concerné" in text(response)
    assert not FamilyDocument.objects.exists()


def test_states_are_shown(
    client_a, family_a, guardian_a, manager, insurance, vaccinations, child_a
):
    today = datetime.date.today()
    accepted = actions.upload_document(
        family_a, insurance, SimpleUploadedFile("a.pdf", PDF), guardian_a.user
    )
    actions.review_document(
        accepted, accept=True, actor=manager, valid_until=today + datetime.timedelta(days=10)
    )
    refused = actions.upload_document(
        family_a, vaccinations, SimpleUploadedFile("v.pdf", PDF), guardian_a.user, child=child_a
    )
    actions.review_document(refused, accept=False, actor=manager, reason="Page manquante")
    html = text(client_a.get("/portail/documents/"))
    assert "expire bientôt" in html
    assert "refusé</span> : Page manquante" in html
