import datetime

import time_machine

from marmots.families import actions
from tests import factories as f

from .conftest import text


def test_dashboard_shows_one_timeline_of_requests(
    client_a, structure, family_a, child_a, guardian_a, manager
):
    structure.child_fields_needing_validation = ["allergies"]
    structure.save()
    activity = f.ActivityFactory(structure=structure, name="Périscolaire soir")
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, tzinfo=datetime.UTC)):
        f.EnrollmentFactory(child=child_a, activity=activity)
    with time_machine.travel(datetime.datetime(2026, 11, 3, 9, tzinfo=datetime.UTC)):
        actions.update_child(child_a, {"allergies": "Gluten", "diet": "Sans porc"}, guardian_a.user)
    with time_machine.travel(datetime.datetime(2026, 11, 4, 9, tzinfo=datetime.UTC)):
        actions.update_guardian_details(guardian_a, {"city": "Taninges"}, guardian_a.user)
    html = text(client_a.get("/portail/tableau-de-bord/"))
    assert "2 demandes en attente du gestionnaire" in html
    assert "Demande d'inscription de Léa : Périscolaire soir" in html
    assert "Modification des informations de Léa" in html
    assert "Modification des coordonnées de" in html
    assert "Allergies" in html and "Régime alimentaire" in html and "Commune" in html
    assert "mercredi 4 novembre 2026 à 10h00" in html
    # Most recent first.
    assert html.index("coordonnées de") < html.index("Régime") < html.index("inscription de Léa")
    assert html.count("En attente du gestionnaire") == 2
    assert html.count("Prise en compte") == 2


def test_dashboard_shows_decisions(client_a, structure, child_a, guardian_a, manager):
    structure.child_fields_needing_validation = ["allergies"]
    structure.save()
    request = actions.update_child(child_a, {"allergies": "Gluten"}, guardian_a.user)
    actions.decide_change_request(request, accept=False, actor=manager, note="Merci d'appeler")
    f.EnrollmentFactory(
        child=child_a,
        activity=f.ActivityFactory(structure=structure),
        status="refused",
        refusal_reason="Complet",
    )
    html = text(client_a.get("/portail/tableau-de-bord/"))
    assert "Aucune demande en attente du gestionnaire" in html
    assert html.count("Refusée") == 2
    assert "Merci d'appeler" in html and "Complet" in html


def test_dashboard_never_shows_another_family(client_b, child_a, guardian_a, structure):
    actions.update_child(child_a, {"diet": "Sans porc"}, guardian_a.user)
    f.EnrollmentFactory(child=child_a, activity=f.ActivityFactory(structure=structure))
    html = text(client_b.get("/portail/tableau-de-bord/"))
    assert "Léa" not in html
    assert "Vous n'avez encore envoyé aucune demande" in html


def test_dashboard_query_count_is_bounded(
    client_a, structure, family_a, guardian_a, django_assert_max_num_queries
):
    for n in range(5):
        child = f.ChildFactory(family=family_a)
        f.EnrollmentFactory(child=child, activity=f.ActivityFactory(structure=structure))
        actions.update_child(child, {"diet": f"Régime {n}"}, guardian_a.user)
        actions.update_guardian_details(guardian_a, {"city": f"Commune {n}"}, guardian_a.user)
    with django_assert_max_num_queries(9):
        response = client_a.get("/portail/tableau-de-bord/")
    assert text(response).count("Modification des") == 10
