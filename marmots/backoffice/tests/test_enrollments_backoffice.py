"""Back-office enrollments: list, file check, validation and refusal, through HTTP."""

import datetime

import pytest

from marmots.enrollments.models import Enrollment
from marmots.enrollments.tests import builders as b
from tests import factories as f

URL = "/gestion/inscriptions/"


@pytest.fixture(autouse=True)
def frozen(time_machine):
    b.freeze(time_machine)
    return time_machine


@pytest.fixture
def activity(structure):
    return b.evening(structure)


@pytest.fixture
def pending(child_a, activity):
    return b.enrollment(child_a, activity)


@pytest.fixture
def theirs(other_structure, family_b):
    """A pending request at the other structure."""
    child = f.ChildFactory(family=family_b, first_name="Inès")
    return b.enrollment(child, b.evening(other_structure), comment="Taninges")


def test_the_list_shows_pending_requests_of_the_structure_only(
    client_manager, pending, theirs, child_a, activity, django_assert_max_num_queries
):
    b.enrollment(
        child_a,
        activity,
        Enrollment.VALIDATED,
        start_date=datetime.date(2027, 9, 1),
        end_date=datetime.date(2028, 7, 1),
    )
    for child in f.ChildFactory.create_batch(3, family=child_a.family):
        b.enrollment(child, activity)  # more rows, same number of queries
    with django_assert_max_num_queries(10):
        response = client_manager.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{URL}{pending.pk}/"' in html
    assert "Inès" not in html
    assert html.count("badge wait") == 4 and "badge ok" not in html


def test_the_list_filters_by_status_and_activity(client_manager, pending, child_a, structure):
    other = b.holiday_activity(structure)
    validated = b.enrollment(child_a, other, Enrollment.VALIDATED)
    html = client_manager.get(URL, {"status": "validated"}).content.decode()
    assert f"{URL}{validated.pk}/" in html and f"{URL}{pending.pk}/" not in html
    html = client_manager.get(URL, {"status": "", "activity": other.pk}).content.decode()
    assert f"{URL}{validated.pk}/" in html and f"{URL}{pending.pk}/" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=pen%00ding", "Sélectionnez un choix valide"),
        ("activity=1%00", "Le caractère nul n’est pas autorisé."),
    ],
)
def test_a_nul_character_in_the_filters_is_refused_in_french(
    client_manager, pending, query, message
):
    response = client_manager.get(f"{URL}?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and f"{URL}{pending.pk}/" not in html


def test_staff_read_but_cannot_decide(client_staff, pending):
    assert client_staff.get(URL).status_code == 200
    html = client_staff.get(f"{URL}{pending.pk}/").content.decode()
    assert "Valider l'inscription" not in html
    assert client_staff.post(f"{URL}{pending.pk}/valider/").status_code == 403
    assert client_staff.post(f"{URL}{pending.pk}/refuser/", {"reason": "Non"}).status_code == 403
    pending.refresh_from_db()
    assert pending.status == Enrollment.PENDING


def test_the_detail_shows_what_the_file_lacks(client_manager, pending, activity, structure):
    insurance = f.DocumentTypeFactory(structure=structure, name="Attestation d'assurance")
    activity.required_documents.add(insurance)
    html = client_manager.get(f"{URL}{pending.pk}/").content.decode()
    assert "Attestation d&#x27;assurance : pièce manquante." in html
    assert "Les informations de Léa n&#x27;ont jamais été vérifiées" in html
    assert "Valider l'inscription" in html


def test_the_manager_validates_and_the_family_is_emailed(
    client_manager, pending, guardian_a, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_manager.post(f"{URL}{pending.pk}/valider/", follow=True)
    assert "Inscription de Léa validée." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Enrollment.VALIDATED
    assert [m["To"] for m in smtp_server] == ["claire.martin@example.org"]
    assert "Périscolaire soir" in smtp_server[0].get_body(("plain",)).get_content()


def test_a_refusal_without_reason_changes_nothing(client_manager, pending):
    response = client_manager.post(f"{URL}{pending.pk}/refuser/", {"reason": "  "})
    assert response.status_code == 400
    assert "Indiquez le motif du refus : la famille le lira." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Enrollment.PENDING


def test_the_manager_refuses_with_a_reason(client_manager, pending, guardian_a, client):
    client_manager.post(f"{URL}{pending.pk}/refuser/", {"reason": "Complet le lundi"})
    pending.refresh_from_db()
    assert (pending.status, pending.refusal_reason) == ("refused", "Complet le lundi")
    client.force_login(guardian_a.user)
    assert "Complet le lundi" in client.get("/portail/inscriptions/").content.decode()


def test_a_holiday_request_cannot_be_validated_before_the_opening(
    client_manager, manager, child_a, structure, frozen
):
    activity, period = b.holiday_activity(structure), b.toussaint(structure)
    enrollment = b.enrollment(
        child_a,
        activity,
        period=period,
        start_date=datetime.date(2026, 10, 19),
        end_date=datetime.date(2026, 10, 23),
    )
    html = client_manager.get(f"{URL}{enrollment.pk}/").content.decode()
    assert "Les inscriptions ouvrent le 21/09/2026 à 20h00." in html
    response = client_manager.post(f"{URL}{enrollment.pk}/valider/", follow=True)
    assert "Les inscriptions ouvrent le 21/09/2026 à 20h00." in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.PENDING
    b.freeze(frozen, b.TOUSSAINT_OPENS)
    client_manager.force_login(manager)  # the session of June has expired by September
    response = client_manager.post(f"{URL}{enrollment.pk}/valider/")
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.VALIDATED


@pytest.mark.parametrize(
    "suffix, method", [("", "get"), ("valider/", "post"), ("refuser/", "post")]
)
def test_another_structures_enrollment_is_not_found(client, other_manager, pending, suffix, method):
    client.force_login(other_manager)
    response = getattr(client, method)(f"{URL}{pending.pk}/{suffix}", {"reason": "Non"})
    assert response.status_code == 404
    pending.refresh_from_db()
    assert pending.status == Enrollment.PENDING


def test_the_other_manager_sees_only_their_structure(client, other_manager, pending, theirs):
    client.force_login(other_manager)
    html = client.get(URL).content.decode()
    assert f"{URL}{theirs.pk}/" in html and f"{URL}{pending.pk}/" not in html


def test_families_and_visitors_are_kept_out(client, client_a, pending):
    assert client_a.get(URL).status_code == 403
    assert client_a.post(f"{URL}{pending.pk}/valider/").status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302
