"""POST /api/v1/enrollments: a request through the shared action; bad input changes nothing."""

import pytest

from marmots.activities.models import Period
from marmots.core.models import AuditEntry
from marmots.enrollments.models import Enrollment
from tests import factories as f

URL = "/api/v1/enrollments"


def post(client, **data):
    return client.post(URL, data, content_type="application/json")


def valid(child, activity, **overrides):
    return {
        "child_id": child.pk,
        "activity_id": activity.pk,
        "start_date": "2026-09-01",
        "end_date": "2027-07-03",
        **overrides,
    }


def test_request_is_created_pending(api_a, guardian_a, child_a, activity):
    response = post(api_a, **valid(child_a, activity, comment="Le mardi et le jeudi"))

    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["mark"], data["comment"]) == (
        "pending",
        "?",
        "Le mardi et le jeudi",
    )
    enrollment = Enrollment.objects.get()
    assert enrollment.requested_by == guardian_a.user
    assert AuditEntry.objects.filter(
        action="enrollment.request", object_id=str(enrollment.pk)
    ).exists()


def test_holiday_request_with_its_period(api_a, child_a, structure):
    camp = f.ActivityFactory(structure=structure, name="Accueil de loisirs", kind="holiday")
    autumn = f.PeriodFactory(
        structure=structure,
        kind=Period.HOLIDAYS,
        name="Toussaint 2026",
        start_date="2026-10-19",
        end_date="2026-10-30",
    )
    data = valid(child_a, camp, start_date="2026-10-19", end_date="2026-10-23", period_id=autumn.pk)

    response = post(api_a, **data)

    assert response.status_code == 201
    assert response.json()["period"] == {"id": autumn.pk, "name": "Toussaint 2026"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"end_date": "2026-08-31"},
            "La date de fin doit être postérieure ou égale à la date de début.",
        ),
        ({"start_date": "2026-06-01"}, "La date de début ne peut pas être dans le passé."),
    ],
)
def test_wrong_dates_get_the_rule_message(api_a, child_a, activity, overrides, message):
    response = post(api_a, **valid(child_a, activity, **overrides))

    assert response.status_code == 422
    assert response.json() == {"detail": message}
    assert not Enrollment.objects.exists()


def test_holiday_activity_without_period(api_a, child_a, structure):
    camp = f.ActivityFactory(structure=structure, name="Accueil de loisirs", kind="holiday")

    response = post(api_a, **valid(child_a, camp))

    assert response.status_code == 422
    assert response.json()["detail"] == "Choisissez la période de vacances concernée."
    assert not Enrollment.objects.exists()


def test_duplicate_request_is_refused(api_a, child_a, activity, enrollment_a):
    response = post(api_a, **valid(child_a, activity))

    assert response.status_code == 422
    assert "a déjà une inscription ou une demande en cours" in response.json()["detail"]
    assert Enrollment.objects.count() == 1


def test_missing_and_malformed_fields_are_named(api_a, child_a, activity):
    response = post(api_a, child_id=child_a.pk, activity_id=activity.pk, start_date="1er septembre")

    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("Données invalides.")
    assert {
        "field": "start_date",
        "message": "date invalide (format attendu : AAAA-MM-JJ)",
    } in body["errors"]
    assert {"field": "end_date", "message": "champ obligatoire"} in body["errors"]
    assert not Enrollment.objects.exists()


def test_malformed_json_gets_400(api_a):
    response = api_a.post(URL, "{child_id: 1,", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Le corps de la requête n'est pas un JSON valide."}


def test_empty_body_is_a_validation_error(api_a):
    response = api_a.post(URL, "", content_type="application/json")

    assert response.status_code == 422
    assert response.json()["detail"].startswith("Données invalides.")


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("child_id", "Enfant introuvable."),
        ("activity_id", "Activité introuvable."),
        ("period_id", "Période introuvable."),
    ],
)
def test_unknown_references_get_404(api_a, child_a, activity, field, message):
    response = post(api_a, **valid(child_a, activity, **{field: 999999}))

    assert response.status_code == 404
    assert response.json() == {"detail": message}
    assert not Enrollment.objects.exists()


def test_another_familys_child_is_not_found(api_a, child_b, activity):
    response = post(api_a, **valid(child_b, activity))

    assert response.status_code == 404
    assert response.json() == {"detail": "Enfant introuvable."}
    assert not Enrollment.objects.exists()


def test_inactive_activity_is_refused(api_a, child_a, activity):
    activity.is_active = False
    activity.save()

    response = post(api_a, **valid(child_a, activity))

    assert response.status_code == 422
    assert response.json() == {"detail": "Cette activité n'est plus proposée."}
    assert not Enrollment.objects.exists()
