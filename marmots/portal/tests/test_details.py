import pytest

from marmots.families.models import ChangeRequest

FORM = {
    "first_name": "Claire",
    "last_name": "Martin",
    "relationship": "mere",
    "phone_mobile": "06 12 34 56 78",
    "phone_home": "",
    "phone_work": "",
    "address": "12 chemin des Granges",
    "postcode": "74440",
    "city": "Mieussy",
    "profession": "Infirmière",
    "employer": "",
}


def test_details_page_shows_email_read_only(client_a):
    html = client_a.get("/portail/coordonnees/").content.decode()
    assert "claire.martin@example.org" in html
    assert "readonly" in html
    assert "Seul le gestionnaire peut modifier l'adresse e-mail" in html


def test_guardian_updates_own_details(client_a, guardian_a):
    response = client_a.post("/portail/coordonnees/", FORM, follow=True)
    assert "Vos coordonnées sont enregistrées" in response.content.decode()
    guardian_a.refresh_from_db()
    assert guardian_a.address == "12 chemin des Granges"
    assert guardian_a.profession == "Infirmière"
    request = ChangeRequest.objects.get()
    assert request.status == ChangeRequest.APPLIED and request.guardian == guardian_a


def test_posting_an_email_changes_nothing(client_a, guardian_a):
    client_a.post("/portail/coordonnees/", FORM | {"email": "pirate@example.org"})
    guardian_a.user.refresh_from_db()
    assert guardian_a.user.email == "claire.martin@example.org"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"first_name": ""}, "Ce champ est obligatoire"),
        ({"postcode": "7444"}, "Le code postal compte 5 chiffres"),
        ({"phone_mobile": "téléphone"}, "numéro de téléphone valide"),
        ({"relationship": "voisin"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_details_get_a_french_message_and_change_nothing(
    client_a, guardian_a, overrides, message
):
    response = client_a.post("/portail/coordonnees/", FORM | overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    guardian_a.refresh_from_db()
    assert guardian_a.address == ""
    assert not ChangeRequest.objects.exists()
