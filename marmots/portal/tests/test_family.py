import datetime

import pytest

from marmots.families.models import AuthorizedPerson, ChangeRequest
from tests import factories as f


def child_post(child, people=None, **overrides):
    """The form as a browser would send it, prefilled with the child's current values."""
    data = {
        "first_name": child.first_name,
        "last_name": child.last_name,
        "birth_date": child.birth_date.isoformat(),
        "sex": child.sex,
        "school": child.school,
        "school_class": child.school_class,
        "allergies": child.allergies,
        "pai_details": child.pai_details,
        "diet": child.diet,
        "doctor_name": child.doctor_name,
        "doctor_phone": child.doctor_phone,
        "health_notes": child.health_notes,
    }
    if child.pai:
        data["pai"] = "on"
    if child.image_rights:
        data["image_rights"] = "on"
    people = (
        people
        if people is not None
        else [
            {"name": p.name, "relationship": p.relationship, "phone": p.phone}
            for p in child.authorized_people.all()
        ]
    )
    initial = child.authorized_people.count()
    data |= {
        "personnes-TOTAL_FORMS": str(len(people) + (0 if len(people) > initial else 1)),
        "personnes-INITIAL_FORMS": str(initial),
        "personnes-MIN_NUM_FORMS": "0",
        "personnes-MAX_NUM_FORMS": "20",
    }
    for i, person in enumerate(people):
        for key, value in person.items():
            data[f"personnes-{i}-{key}"] = value
    data |= overrides
    return data


@pytest.fixture
def structure_validates_allergies(structure):
    structure.child_fields_needing_validation = ["allergies", "authorized_people"]
    structure.save()


def test_family_page_lists_every_child(client_a, family_a, child_a):
    f.ChildFactory(family=family_a, first_name="Tom")
    html = client_a.get("/portail/famille/").content.decode()
    assert "Léa" in html and "Tom" in html
    assert f"/portail/famille/enfant/{child_a.pk}/" in html
    assert "jamais vérifiées" in html


def test_family_page_query_count_is_bounded(client_a, family_a, django_assert_max_num_queries):
    for n in range(6):
        child = f.ChildFactory(family=family_a)
        AuthorizedPerson.objects.create(child=child, name=f"Personne {n}", phone="0600000000")
        ChangeRequest.objects.create(family=family_a, child=child, changes={"diet": {}})
    with django_assert_max_num_queries(10):
        response = client_a.get("/portail/famille/")
    assert response.content.decode().count("modification en attente") == 6


def test_child_page_shows_health_and_people(client_a, child_a):
    child_a.allergies = "Arachide"
    child_a.doctor_name = "Dr Favre"
    child_a.save()
    AuthorizedPerson.objects.create(child=child_a, name="Mamie Rose", phone="06 11 22 33 44")
    html = client_a.get(f"/portail/famille/enfant/{child_a.pk}/").content.decode()
    for text in ["Arachide", "Dr Favre", "Mamie Rose", "École de Mieussy", "CP"]:
        assert text in html


def test_edit_applies_immediate_fields(client_a, child_a):
    url = f"/portail/famille/enfant/{child_a.pk}/modifier/"
    assert client_a.get(url).status_code == 200
    response = client_a.post(
        url, child_post(child_a, school_class="CE1", image_rights="on"), follow=True
    )
    assert "Modifications enregistrées" in response.content.decode()
    child_a.refresh_from_db()
    assert child_a.school_class == "CE1" and child_a.image_rights
    request = ChangeRequest.objects.get()
    assert request.status == ChangeRequest.APPLIED
    assert set(request.changes) == {"school_class", "image_rights"}


def test_edit_holds_fields_needing_validation(client_a, child_a, structure_validates_allergies):
    url = f"/portail/famille/enfant/{child_a.pk}/modifier/"
    people = [{"name": "Mamie Rose", "relationship": "grand-mère", "phone": "06 11 22 33 44"}]
    response = client_a.post(
        url, child_post(child_a, people, allergies="Gluten", diet="Sans porc"), follow=True
    )
    html = response.content.decode()
    assert "transmises au gestionnaire" in html
    assert "Modifications en attente du gestionnaire" in html
    child_a.refresh_from_db()
    assert child_a.allergies == "" and child_a.diet == "Sans porc"
    assert not child_a.authorized_people.exists()
    pending = ChangeRequest.objects.get(status=ChangeRequest.PENDING)
    assert set(pending.changes) == {"allergies", "authorized_people"}
    assert pending.changes["authorized_people"]["new"][0]["name"] == "Mamie Rose"
    assert ChangeRequest.objects.get(status=ChangeRequest.APPLIED).changes.keys() == {"diet"}


def test_edit_adds_and_removes_people(client_a, child_a):
    AuthorizedPerson.objects.create(child=child_a, name="Mamie Rose", phone="0611223344")
    url = f"/portail/famille/enfant/{child_a.pk}/modifier/"
    data = child_post(child_a)
    data |= {
        "personnes-0-DELETE": "on",
        "personnes-TOTAL_FORMS": "2",
        "personnes-1-name": "Oncle Jo",
        "personnes-1-phone": "06 99 88 77 66",
        "personnes-1-emergency_contact": "on",
    }
    client_a.post(url, data)
    person = child_a.authorized_people.get()
    assert (person.name, person.emergency_contact) == ("Oncle Jo", True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"first_name": ""}, "Ce champ est obligatoire"),
        ({"birth_date": "31/02/2019"}, "Saisissez une date valide"),
        ({"birth_date": "2099-01-01"}, "ne peut pas être dans le futur"),
        ({"birth_date": "1950-01-01"}, "plus de 18 ans"),
        ({"doctor_phone": "appelez-moi"}, "numéro de téléphone valide"),
        ({"personnes-0-name": "Mamie", "personnes-0-phone": ""}, "Ce champ est obligatoire"),
    ],
)
def test_bad_input_gets_a_french_message_and_changes_nothing(client_a, child_a, overrides, message):
    url = f"/portail/famille/enfant/{child_a.pk}/modifier/"
    before = child_a.__dict__.copy()
    response = client_a.post(url, child_post(child_a, school_class="CM2", **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    child_a.refresh_from_db()
    assert child_a.school_class == before["school_class"]
    assert child_a.birth_date == before["birth_date"]
    assert not ChangeRequest.objects.exists()
    assert not child_a.authorized_people.exists()


def test_guided_check_walks_through_each_child(client_a, family_a, child_a):
    tom = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2021, 3, 2))
    response = client_a.get("/portail/famille/verification/")
    assert response["Location"] == f"/portail/famille/verification/{child_a.pk}/"
    html = client_a.get(response["Location"]).content.decode()
    assert "Enfant 1 sur 2" in html and "Léa" in html
    response = client_a.post(response["Location"], child_post(child_a, allergies="Pollen"))
    assert response["Location"] == "/portail/famille/verification/"
    response = client_a.get("/portail/famille/verification/")
    assert response["Location"] == f"/portail/famille/verification/{tom.pk}/"
    assert "Enfant 2 sur 2" in client_a.get(response["Location"]).content.decode()
    client_a.post(response["Location"], child_post(tom))
    response = client_a.get("/portail/famille/verification/", follow=True)
    assert "informations de tous vos enfants sont vérifiées" in response.content.decode()
    child_a.refresh_from_db()
    tom.refresh_from_db()
    assert child_a.info_checked_at and tom.info_checked_at
    assert child_a.allergies == "Pollen"
    assert "Commencer la vérification" not in client_a.get("/portail/").content.decode()


def test_guided_check_with_bad_input_does_not_mark_checked(client_a, child_a):
    url = f"/portail/famille/verification/{child_a.pk}/"
    response = client_a.post(url, child_post(child_a, last_name=""))
    assert "Ce champ est obligatoire" in response.content.decode()
    child_a.refresh_from_db()
    assert child_a.info_checked_at is None
