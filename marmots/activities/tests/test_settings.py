"""The manager's settings through the back-office: periods, activities, slots, closures,
document types, published documents and the structure's identity."""

import datetime
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marmots.activities.models import (
    Activity,
    Closure,
    DocumentType,
    Period,
    PublishedDocument,
    TimeSlot,
)
from marmots.core.models import AuditEntry
from tests import factories as f

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TOUSSAINT = {
    "kind": "holidays",
    "name": "Vacances de la Toussaint 2026",
    "school_year": "2026-2027",
    "start_date": "2026-10-19",
    "end_date": "2026-10-30",
    "registration_opens_at": "2026-09-21T20:00",
}


def errors_of(response):
    assert response.status_code == 400
    return response.content.decode()


# Periods ---------------------------------------------------------------------------------------


def test_manager_creates_a_period_with_its_opening(client_manager, structure):
    response = client_manager.post("/gestion/periodes/nouvelle/", TOUSSAINT)
    assert response.status_code == 302
    period = Period.objects.get(name="Vacances de la Toussaint 2026")
    assert period.structure == structure
    assert period.registration_opens_at == datetime.datetime(2026, 9, 21, 20, 0, tzinfo=PARIS)
    assert AuditEntry.objects.filter(action="period.create", object_id=str(period.pk)).exists()
    page = client_manager.get("/gestion/periodes/").content.decode()
    assert "21/09/2026 à 20h00" in page


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"end_date": "2026-10-18"},
            "Le dernier jour doit être le même que le premier jour ou après.",
        ),
        ({"name": ""}, "Ce champ est obligatoire."),
        ({"school_year": "2026"}, "Écrivez l&#x27;année scolaire sous la forme 2026-2027."),
        ({"start_date": "2026-10-32"}, "Saisissez une date valide."),
    ],
)
def test_bad_period_is_refused_in_french(client_manager, structure, changes, message):
    response = client_manager.post("/gestion/periodes/nouvelle/", TOUSSAINT | changes)
    assert message in errors_of(response)
    assert not Period.objects.exists()


def test_two_periods_of_a_kind_cannot_start_the_same_day(client_manager, structure):
    client_manager.post("/gestion/periodes/nouvelle/", TOUSSAINT)
    response = client_manager.post("/gestion/periodes/nouvelle/", TOUSSAINT | {"name": "Bis"})
    assert "Une période de ce type commence déjà à cette date." in errors_of(response)
    assert Period.objects.count() == 1


def test_manager_edits_a_period_and_it_stays_in_its_structure(client_manager, period):
    data = TOUSSAINT | {"kind": "school_year", "name": "Année 2026-2027", "end_date": "2027-07-03"}
    response = client_manager.post(f"/gestion/periodes/{period.pk}/", data)
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.name == "Année 2026-2027" and period.structure.slug == "petits-montagnards"
    entry = AuditEntry.objects.get(action="period.update")
    assert entry.before["name"] == "Année scolaire 2026-2027"


def test_bad_edit_leaves_the_period_unchanged(client_manager, period):
    data = TOUSSAINT | {"end_date": "2026-01-01"}
    errors_of(client_manager.post(f"/gestion/periodes/{period.pk}/", data))
    period.refresh_from_db()
    assert period.end_date == datetime.date(2027, 7, 3)


def test_a_manager_of_two_structures_chooses_among_his_own(
    client, manager, structure, other_structure
):
    third = f.StructureFactory(name="Accueil de Saint-Jeoire")
    f.MembershipFactory(user=manager, structure=third)
    client.force_login(manager)
    form = client.get("/gestion/periodes/nouvelle/").content.decode()
    assert "Accueil de Saint-Jeoire" in form and "Taninges" not in form
    response = client.post(
        "/gestion/periodes/nouvelle/", TOUSSAINT | {"structure": other_structure.pk}
    )
    assert "Sélectionnez un choix valide" in errors_of(response)
    client.post("/gestion/periodes/nouvelle/", TOUSSAINT | {"structure": third.pk})
    assert Period.objects.get().structure == third


# Activities and slots --------------------------------------------------------------------------


def test_manager_creates_an_activity_with_days_and_required_documents(client_manager, structure):
    insurance = f.DocumentTypeFactory(structure=structure, name="Assurance")
    data = {
        "name": "Cirque",
        "kind": "annual",
        "weekdays": ["1"],
        "required_documents": [insurance.pk],
        "is_active": "on",
        "order": "0",
    }
    assert client_manager.post("/gestion/activites/nouvelle/", data).status_code == 302
    activity = Activity.objects.get(name="Cirque")
    assert activity.weekdays == [1]
    assert list(activity.required_documents.all()) == [insurance]


def test_an_activity_cannot_require_another_structures_document(
    client_manager, structure, other_structure
):
    foreign = f.DocumentTypeFactory(structure=other_structure)
    data = {"name": "Cirque", "kind": "annual", "required_documents": [foreign.pk], "order": "0"}
    assert "Sélectionnez un choix valide" in errors_of(
        client_manager.post("/gestion/activites/nouvelle/", data)
    )
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    "name, message",
    [("", "Ce champ est obligatoire."), ("Périscolaire soir", "Une activité porte déjà ce nom.")],
)
def test_bad_activity_is_refused(client_manager, activity, name, message):
    data = {"name": name, "kind": "evening", "order": "0"}
    assert message in errors_of(client_manager.post("/gestion/activites/nouvelle/", data))
    assert Activity.objects.count() == 1


def test_manager_adds_and_edits_a_time_slot(client_manager, activity):
    data = {
        "label": "16h30-17h30",
        "start_time": "16:30",
        "end_time": "17:30",
        "capacity": "40",
        "with_snack": "on",
        "order": "0",
    }
    url = f"/gestion/activites/{activity.pk}/tranches/nouvelle/"
    assert client_manager.post(url, data).status_code == 302
    slot = TimeSlot.objects.get(activity=activity)
    assert (slot.capacity, slot.with_snack) == (40, True)
    data |= {"capacity": "36", "with_snack": ""}
    assert client_manager.post(f"/gestion/tranches/{slot.pk}/", data).status_code == 302
    slot.refresh_from_db()
    assert (slot.capacity, slot.with_snack) == (36, False)
    page = client_manager.get("/gestion/activites/").content.decode()
    assert "16h30 – 17h30" in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"end_time": "16:00"}, "La fin doit être après le début."),
        (
            {"start_time": "17:30", "end_time": "18:00"},
            "Une tranche de cette activité commence déjà",
        ),
        ({"capacity": "-3"}, "supérieure ou égale à 0"),
        ({"label": ""}, "Ce champ est obligatoire."),
    ],
)
def test_bad_slot_is_refused(client_manager, activity, changes, message):
    f.TimeSlotFactory(
        activity=activity, start_time=datetime.time(17, 30), end_time=datetime.time(18)
    )
    data = {"label": "Soir", "start_time": "16:30", "end_time": "17:30", "order": "0"} | changes
    url = f"/gestion/activites/{activity.pk}/tranches/nouvelle/"
    assert message in errors_of(client_manager.post(url, data))
    assert TimeSlot.objects.count() == 1


# Closures and document types -------------------------------------------------------------------


def test_manager_records_and_removes_a_closure(client_manager, structure):
    data = {"start_date": "2027-05-07", "end_date": "2027-05-07", "reason": "Pont de l'Ascension"}
    assert client_manager.post("/gestion/fermetures/nouvelle/", data).status_code == 302
    closure = Closure.objects.get(structure=structure)
    assert "Pont de l&#x27;Ascension" in client_manager.get("/gestion/fermetures/").content.decode()
    client_manager.post(f"/gestion/fermetures/{closure.pk}/supprimer/")
    assert not Closure.objects.exists()
    assert AuditEntry.objects.filter(action="closure.delete").exists()


def test_closure_ending_before_it_starts_is_refused(client_manager, structure):
    data = {"start_date": "2027-05-07", "end_date": "2027-05-06", "reason": "Pont"}
    response = client_manager.post("/gestion/fermetures/nouvelle/", data)
    assert "La fin doit être le même jour que le début ou après." in errors_of(response)
    assert not Closure.objects.exists()


def test_document_type_codes_are_unique_per_structure(client_manager, structure, other_structure):
    f.DocumentTypeFactory(structure=other_structure, code="assurance")
    data = {"code": "assurance", "name": "Attestation d'assurance", "validity_months": "12"}
    assert client_manager.post("/gestion/pieces/nouvelle/", data).status_code == 302
    response = client_manager.post("/gestion/pieces/nouvelle/", data | {"name": "Autre"})
    assert "Une pièce porte déjà ce code." in errors_of(response)
    assert DocumentType.objects.filter(structure=structure).count() == 1


# Published documents ---------------------------------------------------------------------------


def test_manager_publishes_then_withdraws_a_document(client_manager, structure):
    upload = SimpleUploadedFile("calendrier.pdf", PDF, content_type="application/pdf")
    data = {"title": "Calendrier des inscriptions", "file": upload, "order": "0"}
    assert client_manager.post("/gestion/publications/nouvelle/", data).status_code == 302
    document = PublishedDocument.objects.get(structure=structure)
    assert document.is_public and document.file.read() == PDF
    client_manager.post(f"/gestion/publications/{document.pk}/retirer/")
    document.refresh_from_db()
    assert not document.is_public


def test_a_file_that_is_not_a_pdf_or_image_is_refused(client_manager, structure):
    upload = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00not a pdf", content_type="application/pdf")
    data = {"title": "Règlement", "file": upload, "order": "0"}
    response = client_manager.post("/gestion/publications/nouvelle/", data)
    assert "Le fichier doit être un PDF, un JPEG ou un PNG." in errors_of(response)
    assert not PublishedDocument.objects.exists()


def test_a_file_too_big_is_refused_as_on_the_portal(client_manager, structure):
    big = PDF + b"0" * (10 * 1024 * 1024)
    upload = SimpleUploadedFile("gros.pdf", big, content_type="application/pdf")
    data = {"title": "Règlement", "file": upload, "order": "0"}
    response = client_manager.post("/gestion/publications/nouvelle/", data)
    assert "Le fichier dépasse la taille maximale de 10 Mo." in errors_of(response)
    assert not PublishedDocument.objects.exists()


# The structure's identity ----------------------------------------------------------------------


IDENTITY = {
    "name": "Les Petits Montagnards",
    "address": "492 Route des Terres Blanches",
    "postcode": "74440",
    "city": "Mieussy",
    "phone": "04 50 43 27 07",
    "website": "https://www.lespetitsmontagnards-mieussy.fr",
    "house_rules": "Annulation 2 jours ouvrés avant, à 8h30.",
    "child_fields_needing_validation": ["allergies", "authorized_people"],
}


def test_manager_edits_the_identity_and_fields_needing_validation(client_manager, structure):
    response = client_manager.post(f"/gestion/structure/{structure.pk}/", IDENTITY)
    assert response.status_code == 302
    structure.refresh_from_db()
    assert structure.website == "https://www.lespetitsmontagnards-mieussy.fr"
    assert structure.child_fields_needing_validation == ["allergies", "authorized_people"]
    page = client_manager.get("/gestion/structure/").content.decode()
    assert "allergies, personnes autorisées à venir chercher l&#x27;enfant" in page


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "Ce champ est obligatoire."),
        ({"website": "pas un site"}, "Saisissez une URL valide."),
        ({"child_fields_needing_validation": ["family"]}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_identity_changes_nothing(client_manager, structure, changes, message):
    response = client_manager.post(f"/gestion/structure/{structure.pk}/", IDENTITY | changes)
    assert message in errors_of(response)
    structure.refresh_from_db()
    assert structure.name == "Les Petits Montagnards" and structure.website == ""
