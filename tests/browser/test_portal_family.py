"""A guardian checks a child, edits details, uploads a document in Chromium; axe on each page."""

import pytest

from marmots.families.models import FamilyDocument
from tests import factories as f
from tests.browser.conftest import assert_accessible

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def guardian_page(page, client, guardian_a, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    client.force_login(guardian_a.user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": page.base_url}]
    )
    return page


def test_guided_check_details_and_documents(guardian_page, child_a, structure, tmp_path):
    page = guardian_page
    f.DocumentTypeFactory(structure=structure, name="Attestation d'assurance")
    page.goto(page.base_url + "/portail/")
    assert_accessible(page)
    page.get_by_role("link", name="Commencer la vérification").click()
    assert "Enfant 1 sur 1" in page.content()
    assert_accessible(page)
    page.get_by_label("Allergies").fill("Arachide")
    page.get_by_label("Nom et prénom").fill("Mamie Rose")
    page.locator("#id_personnes-0-phone").fill("06 11 22 33 44")
    page.get_by_role("button", name="valider et continuer").click()
    page.wait_for_url("**/portail/famille/")
    assert "tous vos enfants sont vérifiées" in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Voir la fiche de Léa").click()
    assert "Mamie Rose" in page.content() and "Arachide" in page.content()
    assert_accessible(page)

    page.goto(page.base_url + "/portail/coordonnees/")
    assert_accessible(page)
    page.get_by_label("Commune").fill("Taninges")
    page.get_by_role("button", name="Enregistrer mes coordonnées").click()
    assert "Vos coordonnées sont enregistrées" in page.content()

    page.goto(page.base_url + "/portail/documents/")
    assert_accessible(page)
    page.get_by_label("Type de pièce").select_option(label="Attestation d'assurance")
    upload = tmp_path / "assurance.pdf"
    upload.write_bytes(PDF)
    page.get_by_label("Fichier").set_input_files(str(upload))
    page.get_by_role("button", name="Envoyer").click()
    assert "Pièce envoyée" in page.content()
    assert FamilyDocument.objects.get().original_name == "assurance.pdf"

    page.goto(page.base_url + "/portail/tableau-de-bord/")
    assert "Modification des informations de Léa" in page.content()
    assert_accessible(page)


def test_public_calendar_is_accessible(page, structure):
    page.goto(page.base_url + "/calendrier-des-inscriptions/")
    assert_accessible(page)
