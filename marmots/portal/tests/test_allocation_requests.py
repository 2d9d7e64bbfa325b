"""A family asks for places in a period allocated on request: submit, modify, withdraw; refused
after the closing date or for another family's child; another family never sees the request."""

import pytest

from marmots.backoffice.tests.allocation_helpers import (  # noqa: F401 (fixture)
    AFTER_CLOSE,
    BEFORE_OPENING,
    DAY1,
    DAY2,
    OPEN,
    PORTAL,
    clock,
    house_fixture,
    key,
    period_url,
    request_data,
)
from marmots.places import actions
from marmots.places.models import AllocationRequest, AllocationWish
from tests import factories as f

from .conftest import text


def wishes_of(family):
    return sorted(
        (w.child.first_name, w.date, w.preference)
        for w in AllocationWish.objects.filter(
            request__family=family, request__status=AllocationRequest.ACTIVE
        )
    )


def test_the_list_shows_the_open_period_with_its_closing_date(client_a, house):
    with clock(OPEN):
        page = text(client_a.get(PORTAL))
    assert "Vacances de Noël 2026" in page
    assert "lundi 7 décembre 2026 à 12h00" in page
    assert "Faire ma demande" in page


def test_home_links_to_the_requests(client_a, house):
    assert f'href="{PORTAL}"' in client_a.get("/portail/").content.decode()


def test_the_form_offers_the_days_the_camp_runs_and_says_who_cannot_ask(client_a, house, family_a):
    f.ChildFactory(family=family_a, first_name="Tom")
    with clock(OPEN):
        response = client_a.get(period_url(house))
    page = text(response)
    assert response.status_code == 200
    child_a = family_a.children.get(first_name="Léa")
    assert key(child_a, house.camp_slot, DAY1) in page
    assert "jeudi 24 décembre 2026" in page
    assert "vendredi 25 décembre 2026" not in page  # Christmas Day: closed
    assert "Tom ne peut pas faire de demande : pas d'inscription validée" in page


def test_a_family_submits_modifies_and_withdraws(client_a, house, family_a, child_a):
    url = period_url(house)
    with clock(OPEN):
        data = request_data(house, child_a, [DAY1, DAY2], declares_working="on")
        response = client_a.post(url, data)
        assert response.status_code == 302
        assert wishes_of(family_a) == [("Léa", DAY1, 1), ("Léa", DAY2, 1)]
        mine = AllocationRequest.objects.get(family=family_a)
        assert mine.declares_working and not mine.declares_special_needs
        page = text(client_a.get(url))
        assert "Votre demande est envoyée" in page
        assert "Ma demande" in page and "lundi 28 décembre 2026" in page

        data = request_data(house, child_a, [DAY2], declares_special_needs="on", note="Asthme")
        data[f"pref-{key(child_a, house.camp_slot, DAY2)}"] = "2"
        assert client_a.post(url, data).status_code == 302
        assert wishes_of(family_a) == [("Léa", DAY2, 2)]
        mine.refresh_from_db()
        assert mine.declares_special_needs and mine.note == "Asthme"
        assert not mine.declares_working
        assert AllocationRequest.objects.count() == 1

        response = client_a.post(f"{PORTAL}demande/{mine.pk}/retirer/")
        assert response.status_code == 302
        mine.refresh_from_db()
        assert mine.status == AllocationRequest.WITHDRAWN
        assert "est retirée" in text(client_a.get(url))


def test_submitting_after_the_closing_date_is_refused(client_a, house, family_a, child_a):
    url = period_url(house)
    with clock(OPEN):
        client_a.post(url, request_data(house, child_a, [DAY1]))
    with clock(AFTER_CLOSE):
        page = text(client_a.get(url))
        assert "Les demandes sont closes" in page and "Envoyer ma demande" not in page
        response = client_a.post(url, request_data(house, child_a, [DAY1, DAY2]))
    assert response.status_code == 400
    assert "Les demandes pour « Vacances de Noël 2026 » sont closes" in text(response)
    assert wishes_of(family_a) == [("Léa", DAY1, 1)]


def test_submitting_before_the_opening_is_refused(client_a, house, child_a):
    with clock(BEFORE_OPENING):
        response = client_a.post(period_url(house), request_data(house, child_a, [DAY1]))
    assert response.status_code == 400
    assert "ouvrent le" in text(response)
    assert AllocationRequest.objects.count() == 0


def test_bad_input_is_explained_and_changes_nothing(client_a, house, child_a):
    url = period_url(house)
    with clock(OPEN):
        response = client_a.post(url, {"jour": []})
        assert response.status_code == 400
        assert "Cochez au moins un jour" in text(response)
        data = request_data(house, child_a, [DAY1])
        data[f"pref-{key(child_a, house.camp_slot, DAY1)}"] = "zéro"
        response = client_a.post(url, data)
        assert "Ordre de préférence invalide" in text(response)
        response = client_a.post(url, {"jour": ["n'importe-quoi"]})
        assert "Un jour envoyé n'est pas valide" in text(response)
        christmas_day = DAY1.replace(day=25)
        response = client_a.post(url, request_data(house, child_a, [christmas_day]))
        assert response.status_code == 400
        assert "Léa, vendredi 25/12/2026" in text(response)
    assert AllocationRequest.objects.count() == 0


def test_another_familys_child_is_refused(client_a, house, child_b):
    with clock(OPEN):
        response = client_a.post(period_url(house), request_data(house, child_b, [DAY1]))
    assert response.status_code == 404
    assert AllocationRequest.objects.count() == 0


def test_family_b_never_sees_nor_withdraws_the_request_of_family_a(
    client, house, guardian_a, guardian_b, child_a
):
    client.force_login(guardian_a.user)
    with clock(OPEN):
        client.post(period_url(house), request_data(house, child_a, [DAY1], note="Secret A"))
        mine = AllocationRequest.objects.get()
        client.force_login(guardian_b.user)
        page = text(client.get(period_url(house)))
        assert "Secret A" not in page and "Ma demande" not in page
        assert client.post(f"{PORTAL}demande/{mine.pk}/retirer/").status_code == 404
    mine.refresh_from_db()
    assert mine.status == AllocationRequest.ACTIVE


def test_a_period_of_another_structure_answers_404(client_a, house, other_structure, manager):
    other = f.PeriodFactory(structure=other_structure, name="Ailleurs")
    assert client_a.get(f"{PORTAL}{other.pk}/").status_code == 404


@pytest.mark.parametrize("url", [PORTAL, PORTAL + "1/"])
def test_staff_and_anonymous_are_kept_out(client, manager, url):
    response = client.get(url)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    client.force_login(manager)
    assert client.get(url).status_code == 403


def test_after_confirmation_each_family_sees_its_result_and_why(
    client, house, manager, guardian_a, guardian_b, child_a, child_b
):
    with clock(OPEN):
        client.force_login(guardian_a.user)
        client.post(period_url(house), request_data(house, child_a, [DAY1, DAY2]))
        client.force_login(guardian_b.user)
        client.post(period_url(house), request_data(house, child_b, [DAY1], declares_working="on"))
    allocation = house.christmas.allocation
    actions.propose(manager, allocation, now=AFTER_CLOSE)
    actions.confirm(manager, allocation, now=AFTER_CLOSE)
    with clock(AFTER_CLOSE):
        page = text(client.get(period_url(house)))  # family B, ranked first
        assert "Résultat de l'attribution" in page and "Place attribuée" in page
        assert "Votre rang" in page and "Parents qui travaillent (+2)" in page
        assert "Léa" not in page
        client.force_login(guardian_a.user)
        page = text(client.get(period_url(house)))
        assert "Liste d'attente</span> position 1" in page
        assert "Place attribuée" in page and "Hugo" not in page
        assert "Voir mon résultat" in text(client.get(PORTAL))


def test_the_pages_cost_a_bounded_number_of_queries(
    client_a, house, child_a, django_assert_max_num_queries
):
    with clock(OPEN):
        client_a.post(period_url(house), request_data(house, child_a, [DAY1, DAY2]))
        for url in [PORTAL, period_url(house)]:
            with django_assert_max_num_queries(20):
                assert client_a.get(url).status_code == 200
