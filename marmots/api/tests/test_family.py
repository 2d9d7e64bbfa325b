"""Guardian endpoints: each answers for the own family and 404 for another family's ids."""

import datetime

import pytest

from marmots.families.models import AuthorizedPerson, ChangeRequest
from tests import factories as f


def test_family_summary_has_guardians_without_secrets_and_the_quotient(api_a, guardian_a):
    f.QuotientFactory(
        family=guardian_a.family,
        value=610,
        annual_income=24000,
        valid_from=datetime.date(2025, 1, 1),
        valid_until=datetime.date(2025, 12, 31),
    )
    response = api_a.get("/api/v1/family")

    assert response.status_code == 200
    data = response.json()
    assert data["name"] == "Martin"
    assert [g["email"] for g in data["guardians"]] == ["claire.martin@example.org"]
    assert "password" not in str(data)
    assert data["quotient"]["state"] == "valid"
    assert data["quotient"]["value"] == 540  # the latest record, not the 2025 one
    assert data["structures"][0]["name"] == "Les Petits Montagnards"


def test_family_without_quotient_says_missing(api_b):
    assert api_b.get("/api/v1/family").json()["quotient"] == {
        "state": "missing",
        "value": None,
        "annual_income": None,
        "valid_from": None,
        "valid_until": None,
    }


def test_children_lists_only_the_own_family(api_a, child_a, child_b):
    AuthorizedPerson.objects.create(child=child_a, name="Mamie Martin", phone="06 00 00 00 00")

    response = api_a.get("/api/v1/children")

    assert response.status_code == 200
    assert [c["first_name"] for c in response.json()] == ["Léa"]
    assert response.json()[0]["authorized_people"][0]["name"] == "Mamie Martin"


def test_child_detail(api_a, child_a):
    response = api_a.get(f"/api/v1/children/{child_a.pk}")

    assert response.status_code == 200
    assert response.json()["school"] == "École de Mieussy"


def test_enrollments_list_and_detail(api_a, enrollment_a, enrollment_b):
    response = api_a.get("/api/v1/enrollments")

    assert [e["id"] for e in response.json()] == [enrollment_a.pk]
    detail = api_a.get(f"/api/v1/enrollments/{enrollment_a.pk}").json()
    assert detail["mark"] == "?"
    assert detail["status_label"] == "En attente"
    assert detail["child"]["first_name"] == "Léa"


@pytest.mark.parametrize("url", ["/api/v1/children/{child}", "/api/v1/enrollments/{enrollment}"])
def test_another_familys_ids_answer_404(api_a, child_b, enrollment_b, url):
    response = api_a.get(url.format(child=child_b.pk, enrollment=enrollment_b.pk))

    assert response.status_code == 404
    assert response.json() == {"detail": "Introuvable."}


@pytest.mark.parametrize("url", ["/api/v1/children/999999", "/api/v1/enrollments/999999"])
def test_unknown_ids_answer_the_same_404(api_a, url):
    assert api_a.get(url).json() == {"detail": "Introuvable."}


def test_requests_timeline_mixes_enrollments_and_change_requests(
    api_a, guardian_a, child_a, enrollment_a, enrollment_b, manager
):
    change = ChangeRequest.objects.create(
        family=child_a.family,
        child=child_a,
        changes={"allergies": {"old": "", "new": "Arachide"}},
        status=ChangeRequest.APPLIED,
        created_by=guardian_a.user,
        decided_by=manager,
        decided_at=datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.UTC),
    )
    later = enrollment_a.requested_at + datetime.timedelta(hours=1)
    ChangeRequest.objects.filter(pk=change.pk).update(created_at=later)

    response = api_a.get("/api/v1/requests")

    assert response.status_code == 200
    items = response.json()
    assert [(i["kind"], i["pending"]) for i in items] == [
        ("change_request", False),
        ("enrollment", True),
    ]
    assert items[0]["title"] == "Modification des informations de Léa"
    assert items[0]["details"] == ["Allergies"]
    assert (items[0]["status"], items[0]["mark"]) == ("applied", "V")
    assert items[1]["title"] == "Demande d'inscription de Léa : Périscolaire soir"
    assert items[1]["details"] == ["du 01/09/2026 au 03/07/2027"]
    assert (items[1]["status_label"], items[1]["mark"]) == ("En attente du gestionnaire", "?")


def test_guardian_routes_are_for_families_only(api_manager):
    response = api_manager.get("/api/v1/children")

    assert response.status_code == 403
    assert response.json() == {"detail": "Cet espace est réservé aux familles."}


def test_session_works_for_every_guardian_read(client_a, child_a, enrollment_a):
    for url in ["/api/v1/family", "/api/v1/children", "/api/v1/enrollments", "/api/v1/requests"]:
        assert client_a.get(url).status_code == 200, url


def test_lists_use_a_fixed_number_of_queries(
    api_a, family_a, activity, django_assert_max_num_queries
):
    for name in ["Léa", "Tom", "Zoé"]:
        child = f.ChildFactory(family=family_a, first_name=name)
        f.EnrollmentFactory(child=child, activity=activity)
    with django_assert_max_num_queries(6):
        assert len(api_a.get("/api/v1/enrollments").json()) == 3
    with django_assert_max_num_queries(6):
        assert len(api_a.get("/api/v1/children").json()) == 3
    with django_assert_max_num_queries(6):
        assert len(api_a.get("/api/v1/requests").json()) == 3
