def test_public_home_shows_the_structure(client, structure):
    response = client.get("/")
    assert response.status_code == 200
    assert "Les Petits Montagnards" in response.content.decode()


def test_portal_needs_a_login(client, structure):
    response = client.get("/portail/")
    assert response.status_code == 302
    assert "/compte/connexion/" in response["Location"]


def test_guardian_sees_their_family(client_a, family_a):
    response = client_a.get("/portail/")
    assert response.status_code == 200
    assert "Martin" in response.content.decode()


def test_manager_is_not_a_guardian(client_manager):
    assert client_manager.get("/portail/").status_code == 403


def test_openapi_schema_is_served(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Marmots API"
