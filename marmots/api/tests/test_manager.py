"""Manager endpoints: scoped to the user's structures; staff read, managers decide."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from marmots.enrollments.models import Enrollment
from tests import factories as f

LIST = "/api/v1/manager/enrollments"


def ids(response):
    assert response.status_code == 200
    return [e["id"] for e in response.json()["items"]]


def decide(client, enrollment, verb, **data):
    url = f"{LIST}/{enrollment.pk}/{verb}"
    return client.post(url, data or None, content_type="application/json")


def test_list_shows_only_the_managers_structures(
    api_manager, enrollment_a, enrollment_b, enrollment_elsewhere
):
    response = api_manager.get(LIST, {"status": "pending"})

    assert ids(response) == [enrollment_a.pk, enrollment_b.pk]
    assert response.json()["count"] == 2
    assert response.json()["items"][0]["family"]["name"] == "Martin"


def test_list_filters_by_status(api_manager, enrollment_a, enrollment_b):
    Enrollment.objects.filter(pk=enrollment_b.pk).update(status="validated")

    assert ids(api_manager.get(LIST, {"status": "validated"})) == [enrollment_b.pk]
    assert len(ids(api_manager.get(LIST))) == 2


def test_list_is_paginated(api_manager, enrollment_a, enrollment_b):
    response = api_manager.get(LIST, {"limit": 1, "offset": 1})

    assert ids(response) == [enrollment_b.pk]
    assert response.json()["count"] == 2


def test_unknown_status_is_a_french_validation_error(api_manager):
    response = api_manager.get(LIST, {"status": "bientôt"})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "query.status", "message": "valeur non autorisée"}
    ]


def test_staff_reads_the_list(api_staff, enrollment_a):
    assert ids(api_staff.get(LIST)) == [enrollment_a.pk]


def test_other_manager_sees_only_their_structure(
    api_other_manager, enrollment_a, enrollment_elsewhere
):
    assert ids(api_other_manager.get(LIST)) == [enrollment_elsewhere.pk]


def test_detail_lists_what_the_file_lacks(api_manager, enrollment_a, activity, structure):
    activity.required_documents.add(
        f.DocumentTypeFactory(structure=structure, name="Attestation d'assurance")
    )

    response = api_manager.get(f"{LIST}/{enrollment_a.pk}")

    assert response.status_code == 200
    assert "Attestation d'assurance : pièce manquante." in response.json()["file_problems"]
    assert response.json()["opening_error"] is None


def test_holiday_enrollment_waits_for_the_registration_opening(api_manager, child_a, structure):
    camp = f.ActivityFactory(structure=structure, name="Accueil de loisirs", kind="holiday")
    summer = f.PeriodFactory(
        structure=structure,
        kind="holidays",
        name="Vacances d'été 2026",
        start_date="2026-07-06",
        end_date="2026-08-28",
        registration_opens_at="2026-06-22T18:00:00Z",
    )
    enrollment = f.EnrollmentFactory(
        child=child_a, activity=camp, period=summer, start_date="2026-07-06", end_date="2026-07-10"
    )
    expected = "Les inscriptions ouvrent le 22/06/2026 à 20h00."

    assert api_manager.get(f"{LIST}/{enrollment.pk}").json()["opening_error"] == expected
    response = decide(api_manager, enrollment, "validate")
    assert response.status_code == 422
    assert response.json() == {"detail": expected}


def test_manager_validates(
    api_manager, manager, guardian_a, enrollment_a, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(api_manager, enrollment_a, "validate")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["mark"]) == ("validated", "V")
    enrollment_a.refresh_from_db()
    assert (enrollment_a.status, enrollment_a.decided_by) == ("validated", manager)
    assert [m["To"] for m in smtp_server] == ["claire.martin@example.org"]


def test_manager_refuses_with_a_reason(api_manager, enrollment_a):
    response = decide(api_manager, enrollment_a, "refuse", reason="Plus de place le jeudi.")

    assert response.status_code == 200
    assert response.json()["refusal_reason"] == "Plus de place le jeudi."
    enrollment_a.refresh_from_db()
    assert enrollment_a.status == "refused"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_refusal_needs_a_reason(api_manager, enrollment_a, body):
    response = decide(api_manager, enrollment_a, "refuse", **body)

    assert response.status_code == 422
    assert response.json()["detail"]
    enrollment_a.refresh_from_db()
    assert enrollment_a.status == "pending"


def test_blank_reason_gets_the_actions_message(api_manager, enrollment_a):
    response = decide(api_manager, enrollment_a, "refuse", reason="   ")

    assert response.json() == {"detail": "Indiquez le motif du refus : la famille le lira."}


def test_deciding_twice_is_refused(api_manager, enrollment_a):
    decide(api_manager, enrollment_a, "validate")

    response = decide(api_manager, enrollment_a, "refuse", reason="Erreur")

    assert response.status_code == 422
    assert response.json() == {"detail": "Cette demande n'est plus en attente (statut : Validée)."}


@pytest.mark.parametrize("verb", ["validate", "refuse"])
def test_staff_cannot_decide(api_staff, enrollment_a, verb):
    response = decide(api_staff, enrollment_a, verb, reason="Non")

    assert response.status_code == 403
    assert response.json() == {"detail": "Action réservée au gestionnaire."}
    enrollment_a.refresh_from_db()
    assert enrollment_a.status == "pending"


@pytest.mark.parametrize("verb", ["validate", "refuse"])
def test_manager_of_another_structure_gets_404(api_other_manager, enrollment_a, verb):
    response = decide(api_other_manager, enrollment_a, verb, reason="Non")

    assert response.status_code == 404
    assert response.json() == {"detail": "Introuvable."}
    enrollment_a.refresh_from_db()
    assert enrollment_a.status == "pending"


def test_manager_of_another_structure_cannot_read_the_detail(api_other_manager, enrollment_a):
    assert api_other_manager.get(f"{LIST}/{enrollment_a.pk}").status_code == 404


@pytest.mark.parametrize("verb", ["validate", "refuse"])
def test_guardians_cannot_decide(api_a, enrollment_a, verb):
    response = decide(api_a, enrollment_a, verb, reason="Non")

    assert response.status_code == 403
    assert response.json() == {"detail": "Cet espace est réservé à l'équipe."}
    assert api_a.get(LIST).status_code == 403


def test_session_manager_needs_csrf_to_decide(manager, enrollment_a):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)

    assert browser.get(LIST).status_code == 200
    assert decide(browser, enrollment_a, "validate").status_code == 403
    enrollment_a.refresh_from_db()
    assert enrollment_a.status == "pending"


def test_list_uses_a_fixed_number_of_queries(
    api_manager, structure, activity, django_assert_max_num_queries
):
    for _ in range(4):
        family = f.FamilyFactory(structures=[structure])
        f.EnrollmentFactory(child=f.ChildFactory(family=family), activity=activity)
    with django_assert_max_num_queries(6):
        assert len(ids(api_manager.get(LIST))) == 4


def _role_queries(queries):
    return [q["sql"] for q in queries if "staffmembership" in q["sql"]]


@pytest.mark.parametrize("verb", ["validate", "refuse"])
def test_the_callers_roles_are_read_once(api_manager, enrollment_a, verb):
    with CaptureQueriesContext(connection) as detail:
        assert api_manager.get(f"{LIST}/{enrollment_a.pk}").status_code == 200
    with CaptureQueriesContext(connection) as decision:
        assert decide(api_manager, enrollment_a, verb, reason="Complet").status_code == 200

    assert len(_role_queries(detail.captured_queries)) == 1
    # One for the API's checks, and the decision action's own check of the manager's right.
    assert len(_role_queries(decision.captured_queries)) <= 2
