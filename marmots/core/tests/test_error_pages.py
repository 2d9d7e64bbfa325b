"""Error pages speak French, and a refusal says why."""


def test_unknown_page_is_a_french_404(client, structure):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_refusal_shows_its_reason_in_french(client_manager):
    response = client_manager.get("/portail/")
    assert response.status_code == 403
    assert "Cet espace est réservé aux familles." in response.content.decode()


def test_expired_form_is_explained(client, guardian_a):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(guardian_a.user)
    response = strict.post("/portail/coordonnees/", {"city": "Taninges"})
    assert response.status_code == 403
    assert "Formulaire expiré" in response.content.decode()


def test_server_error_page_stands_alone(client, db, settings):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Une erreur s'est produite" in html and "{%" not in html
