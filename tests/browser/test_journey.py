"""Issue 2's journey in Chromium: the manager creates a family and its child, the guardian sets
a password from the e-mailed link, checks the child's information and asks for an enrollment;
the manager validates it; the portal shows `V` and the certificate PDF downloads."""

import datetime
import io
import re

from pypdf import PdfReader

from marmots.accounts.tests.helpers import link_in
from tests import factories as f
from tests.browser.conftest import assert_accessible

PASSWORD = "Roc-d-Enfer-2244"  # noqa: S105


def log_in(page, email, password):
    page.goto(page.base_url + "/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_from_family_creation_to_a_validated_enrollment_and_its_certificate(
    browser, page, live_server, settings, smtp_server, structure, manager
):
    settings.SITE_URL = live_server.url
    f.ActivityFactory(structure=structure, name="Périscolaire soir")
    f.PeriodFactory(structure=structure)
    start = datetime.date.today() + datetime.timedelta(days=7)
    end = start + datetime.timedelta(days=60)

    # The manager creates the family, its guardian and its child.
    log_in(page, manager.email, f.PASSWORD)
    page.wait_for_url(re.compile(r"/gestion/$"))
    page.goto(page.base_url + "/gestion/familles/nouvelle/")
    assert_accessible(page)
    page.get_by_label("Nom de la famille").fill("Perrin")
    page.locator("#id_r1-first_name").fill("Aurélie")
    page.locator("#id_r1-last_name").fill("Perrin")
    page.locator("#id_r1-email").fill("aurelie.perrin@example.org")
    page.get_by_role("button", name="Créer la famille et envoyer les liens").click()
    page.wait_for_url(re.compile(r"/gestion/familles/\d+/$"))
    assert_accessible(page)
    page.get_by_role("link", name="Ajouter un enfant").click()
    assert_accessible(page)
    page.get_by_label("Prénom").fill("Malo")
    page.locator("#id_last_name").fill("Perrin")
    page.get_by_label("Date de naissance").fill("2020-04-12")
    page.get_by_role("button", name="Ajouter l'enfant").click()
    assert "Malo est ajouté(e)" in page.locator(".messages").inner_text()

    # The guardian follows the e-mailed link in her own browser and sets her password.
    assert len(smtp_server) == 1
    guardian = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    family_page = guardian.new_page()
    family_page.base_url = page.base_url
    family_page.goto(link_in(smtp_server[0]))
    family_page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    family_page.get_by_label("Le même mot de passe").fill(PASSWORD)
    family_page.get_by_role("button", name="Enregistrer le mot de passe").click()
    family_page.wait_for_url(re.compile(r"/portail/$"))
    assert_accessible(family_page)

    # First login: the guided check of the child's information.
    family_page.get_by_role("link", name="Commencer la vérification").click()
    family_page.get_by_label("Allergies").fill("Kiwi")
    family_page.get_by_label("Médecin traitant").fill("Dr Favre")
    family_page.get_by_role("button", name="valider et continuer").click()
    family_page.wait_for_url("**/portail/famille/")
    assert_accessible(family_page)

    # She asks for an enrollment: pending, marked `?`.
    family_page.goto(page.base_url + "/portail/inscriptions/demander/")
    assert_accessible(family_page)
    family_page.get_by_label("Enfant").select_option(label="Malo Perrin")
    family_page.get_by_label("Activité").select_option(label=f"Périscolaire soir – {structure}")
    family_page.get_by_label("Du").fill(start.isoformat())
    family_page.get_by_label("Au").fill(end.isoformat())
    family_page.get_by_role("button", name="Envoyer la demande").click()
    family_page.wait_for_url("**/portail/inscriptions/")
    assert family_page.locator("h3 .badge").inner_text() == "?"
    assert_accessible(family_page)

    # The manager sees what the file lacks and validates.
    page.goto(page.base_url + "/gestion/inscriptions/")
    assert_accessible(page)
    page.get_by_role("link", name="Malo Perrin").click()
    assert_accessible(page)
    page.get_by_role("button", name="Valider l'inscription").click()
    assert "Validée" in page.content()

    # The portal shows `V`, and the certificate downloads as a real PDF.
    family_page.reload()
    assert family_page.locator("h3 .badge").inner_text() == "V"
    with family_page.expect_download() as download:
        family_page.get_by_role("link", name="Demander une attestation (PDF)").click()
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(download.value.path().read_bytes())).pages
    )
    assert "Malo" in text and "Périscolaire soir" in text
    assert start.strftime("%d/%m/%Y") in text
    guardian.close()
