import pytest

from tests.factories import PASSWORD

from .helpers import page_text

WRONG = "Adresse e-mail ou mot de passe incorrect."
TOO_MANY = "Trop de tentatives de connexion."


def log_in(client, email, password=PASSWORD, **query):
    url = "/compte/connexion/"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, {"email": email, "password": password})


def test_the_login_page_is_in_french(client, structure):
    body = page_text(client.get("/compte/connexion/"))
    assert '<label for="id_email">Adresse e-mail' in body
    assert 'href="/compte/mot-de-passe-oublie/"' in body


def test_a_guardian_logs_in_whatever_the_case_of_the_email(client, guardian_a):
    response = log_in(client, "  Claire.MARTIN@Example.org ")

    assert response.status_code == 302 and response["Location"] == "/portail/"
    assert client.get("/portail/").status_code == 200


def test_the_manager_lands_on_the_back_office(client, manager):
    assert log_in(client, "gestion@example.org")["Location"] == "/gestion/"


def test_a_safe_next_page_is_honoured_and_another_site_is_not(client, guardian_a):
    assert log_in(client, guardian_a.user.email, next="/portail/famille/")["Location"] == (
        "/portail/famille/"
    )
    client.logout()
    assert log_in(client, guardian_a.user.email, next="https://pirate.example")["Location"] == (
        "/portail/"
    )


@pytest.mark.parametrize("email", ["claire.martin@example.org", "inconnu@example.org"])
def test_wrong_credentials_get_one_generic_french_message(client, guardian_a, email):
    response = log_in(client, email, "pas-le-bon-mot-de-passe")

    assert response.status_code == 200
    assert WRONG in page_text(response)
    assert client.get("/portail/").status_code == 302


def test_an_account_without_password_cannot_log_in(client, guardian_a):
    guardian_a.user.set_unusable_password()
    guardian_a.user.save()

    assert WRONG in page_text(log_in(client, guardian_a.user.email))


def test_a_malformed_email_gets_a_french_message(client, structure):
    response = log_in(client, "pas-une-adresse")

    assert "Cette adresse e-mail n'est pas valide" in page_text(response)


def test_logins_are_rate_limited_per_address(client, guardian_a):
    for _ in range(10):
        assert WRONG in page_text(log_in(client, "CLAIRE.martin@example.org", "mauvais"))

    # The right password is not even tried now.
    blocked = log_in(client, "claire.martin@example.org")

    assert blocked.status_code == 429
    assert TOO_MANY in page_text(blocked)
    assert client.get("/portail/").status_code == 302


def test_logout_is_a_post(client_a):
    response = client_a.post("/compte/deconnexion/")

    assert response.status_code == 302
    assert client_a.get("/portail/").status_code == 302


def test_production_hasher_is_argon2(db):
    from django.contrib.auth.hashers import make_password
    from django.test import override_settings

    from config import settings as production

    assert "Argon2" in production.PASSWORD_HASHERS[0]
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        assert make_password("un-mot-de-passe-solide").startswith("argon2$")
