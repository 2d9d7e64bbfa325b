"""The structure's offer duration for waiting lists: editable by the manager, checked in French."""

import pytest

IDENTITY = {
    "name": "Les Petits Montagnards",
    "address": "492 Route des Terres Blanches",
    "postcode": "74440",
    "city": "Mieussy",
    "phone": "04 50 43 27 07",
}


def edit(client, structure, **changes):
    return client.post(f"/gestion/structure/{structure.pk}/", IDENTITY | changes)


def test_manager_sets_the_offer_duration(client_manager, structure):
    form = client_manager.get(f"/gestion/structure/{structure.pk}/").content.decode()
    assert "Durée d&#x27;une offre de place (heures)" in form or (
        "Durée d'une offre de place (heures)" in form
    )
    assert edit(client_manager, structure, waitlist_offer_hours="48").status_code == 302
    structure.refresh_from_db()
    assert structure.waitlist_offer_hours == 48
    page = client_manager.get("/gestion/structure/").content.decode()
    assert "proposée à la famille suivante pendant 48 heures" in page
    assert edit(client_manager, structure, waitlist_offer_hours="0").status_code == 302
    structure.refresh_from_db()
    assert structure.waitlist_offer_hours == 0
    page = client_manager.get("/gestion/structure/").content.decode()
    assert "attribuée aussitôt à la famille suivante" in page
    # A form posted without the field keeps the duration.
    assert edit(client_manager, structure).status_code == 302
    structure.refresh_from_db()
    assert structure.waitlist_offer_hours == 0


@pytest.mark.parametrize(
    "value, message",
    [
        ("-1", "Indiquez un nombre d&#x27;heures positif ou nul."),
        ("169", "Indiquez une durée de 168 heures (7 jours) au plus."),
        ("un jour", "Indiquez un nombre entier d&#x27;heures."),
    ],
)
def test_bad_duration_changes_nothing(client_manager, structure, value, message):
    response = edit(client_manager, structure, waitlist_offer_hours=value)
    assert response.status_code == 400 and message in response.content.decode()
    structure.refresh_from_db()
    assert structure.waitlist_offer_hours == 24


def test_staff_cannot_change_the_duration(client_staff, structure):
    assert edit(client_staff, structure, waitlist_offer_hours="1").status_code == 403
    structure.refresh_from_db()
    assert structure.waitlist_offer_hours == 24
