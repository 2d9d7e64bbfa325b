"""Every portal URL with an id answers 404 to another family, for reading and writing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marmots.families import actions

from .conftest import PDF

URLS = [
    "/portail/famille/enfant/{child}/",
    "/portail/famille/enfant/{child}/modifier/",
    "/portail/famille/verification/{child}/",
    "/portail/documents/{document}/telecharger/",
]


@pytest.fixture
def ids_of_family_a(family_a, child_a, guardian_a, insurance):
    document = actions.upload_document(
        family_a, insurance, SimpleUploadedFile("a.pdf", PDF), guardian_a.user
    )
    return {"child": child_a.pk, "document": document.pk}


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_familys_ids_give_404(client_b, ids_of_family_a, child_a, url, method):
    response = getattr(client_b, method)(url.format(**ids_of_family_a), {"first_name": "X"})
    assert response.status_code == 404
    child_a.refresh_from_db()
    assert child_a.first_name == "Léa" and child_a.info_checked_at is None


@pytest.mark.parametrize("url", URLS)
def test_own_ids_answer(client_a, ids_of_family_a, url):
    assert client_a.get(url.format(**ids_of_family_a)).status_code == 200


@pytest.mark.parametrize(
    "url",
    URLS
    + [
        "/portail/famille/",
        "/portail/documents/",
        "/portail/coordonnees/",
        "/portail/tableau-de-bord/",
    ],
)
def test_staff_and_anonymous_are_kept_out(client, manager, ids_of_family_a, url):
    url = url.format(**ids_of_family_a)
    response = client.get(url)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    client.force_login(manager)
    assert client.get(url).status_code == 403
