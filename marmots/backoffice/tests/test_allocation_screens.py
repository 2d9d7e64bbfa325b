"""The manager's allocation screens: settings (validated in French), requests, the proposal
computed, adjusted by hand and confirmed, the result; staff read only, another structure 404."""

import datetime

import pytest

from marmots.activities.models import Period
from marmots.bookings.models import Booking, WaitlistEntry
from marmots.places.models import Allocation, AllocationRequest, AllocationWish
from tests import factories as f
from tests.house import at, build

from .allocation_helpers import (  # noqa: F401 (fixture)
    AFTER_CLOSE,
    DAY1,
    DAY2,
    GESTION,
    OPEN,
    clock,
    house_fixture,
    period_url,
    request_data,
)


def text(response):
    import html

    return html.unescape(response.content.decode())


def settings_data(mode="allocation", close="2026-12-07T12:00", **points):
    data = {"mode": mode, "requests_close_at": close}
    defaults = {"enrolled": 3, "siblings": 2, "working": 2, "resident": 2, "special_needs": 3}
    data.update({f"points_{k}": v for k, v in {**defaults, **points}.items()})
    return data


@pytest.fixture
def christmas(structure):
    return build(structure).christmas


def settings_url(period):
    return f"{GESTION}{period.pk}/reglages/"


@pytest.mark.parametrize(
    "data, message",
    [
        (settings_data(close=""), "En mode attribution, indiquez la date de clôture des demandes."),
        (settings_data(close="2026-12-21T08:00"), "doit être avant le premier jour de la période"),
        (settings_data(close="2026-11-23T19:00"), "doit être après l'ouverture des inscriptions"),
        (settings_data(close="demain"), "Date et heure invalides"),
        (settings_data(working=-1), "Le nombre de points ne peut pas être négatif."),
        (settings_data(mode="loterie"), "Sélectionnez un choix valide"),
    ],
)
def test_settings_are_checked_in_french(client, manager, christmas, data, message):
    client.force_login(manager)
    response = client.post(settings_url(christmas), data)
    assert response.status_code == 400
    assert message in text(response)
    christmas.refresh_from_db()
    assert christmas.places_mode == Period.FIRST_COME and christmas.requests_close_at is None
    assert Allocation.objects.count() == 0


def test_settings_switch_the_period_to_allocation_with_its_points(client, manager, christmas):
    client.force_login(manager)
    page = text(client.get(settings_url(christmas)))
    assert "la date de la demande départage en dernier" in page
    assert "Fratrie" in page and "Besoins particuliers" in page
    response = client.post(settings_url(christmas), settings_data(working=5))
    assert response.status_code == 302
    christmas.refresh_from_db()
    assert christmas.places_mode == Period.ALLOCATION
    assert christmas.requests_close_at == at(datetime.date(2026, 12, 7), 12)
    assert christmas.allocation.points_working == 5
    listing = text(client.get(GESTION))
    assert "Vacances de Noël 2026" in listing and "Demandes en cours" in listing


def test_the_list_is_linked_from_the_home_page(client, manager, structure):
    client.force_login(manager)
    assert f'href="{GESTION}"' in client.get("/gestion/").content.decode()


def _submit(client, guardian, house, child, days, **extra):
    client.force_login(guardian.user)
    response = client.post(period_url(house), request_data(house, child, days, **extra))
    assert response.status_code == 302, text(response)


@pytest.fixture
def requests_sent(client, house, guardian_a, guardian_b, child_a, child_b):
    """Family A asks both days (parents working: ranked first); family B asks the first."""
    with clock(OPEN):
        _submit(client, guardian_a, house, child_a, [DAY1, DAY2], declares_working="on")
    with clock(OPEN + datetime.timedelta(hours=1)):
        _submit(client, guardian_b, house, child_b, [DAY1])
    return house


def proposed(child, day):
    return AllocationWish.objects.get(child=child, date=day).proposed


def test_manager_computes_adjusts_and_confirms(
    client,
    requests_sent,
    manager,
    child_a,
    child_b,
    family_a,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    house = requests_sent
    base = f"{GESTION}{house.christmas.pk}/"
    client.force_login(manager)
    with clock(OPEN):
        page = text(client.get(base))
        assert "Martin" in page and "Bernard" in page and "Parents qui travaillent" in page
        response = client.post(base + "calculer/", follow=True)
        assert "la proposition se calcule après la clôture" in text(response)
        assert AllocationRequest.objects.filter(rank__isnull=False).count() == 0
    with clock(AFTER_CLOSE):
        assert client.post(base + "calculer/").status_code == 302
        page = text(client.get(base + "proposition/"))
        assert "1. Famille Martin" in page and "2. Famille Bernard" in page
        assert "Parents qui travaillent (+2)" in page
        assert proposed(child_a, DAY1) and proposed(child_a, DAY2) and not proposed(child_b, DAY1)

        hugo = AllocationWish.objects.get(child=child_b, date=DAY1)
        response = client.post(f"{base}voeux/{hugo.pk}/", {"granted": "1"}, follow=True)
        assert "Plus de place le lundi 28/12/2026 pour Hugo" in text(response)
        assert not proposed(child_b, DAY1)

        lea = AllocationWish.objects.get(child=child_a, date=DAY1)
        response = client.post(
            f"{base}voeux/{lea.pk}/", {"granted": "0"}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200 and 'id="proposition"' in response.content.decode()
        assert "Léa, lundi 28/12/2026 : mis en attente." in text(response)
        client.post(f"{base}voeux/{hugo.pk}/", {"granted": "1"})
        assert proposed(child_b, DAY1) and not proposed(child_a, DAY1)
        page = text(client.get(base + "proposition/"))
        assert "(ajusté à la main)" in page and "100 %" in page

        response = client.post(base + "confirmer/", follow=True)
        assert "Cochez la case de confirmation" in text(response)
        assert Booking.objects.count() == 0
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(base + "confirmer/", {"confirm": "1"})
        assert response["Location"] == base + "resultat/"
    assert Booking.objects.filter(child=child_b, date=DAY1).exists()
    assert Booking.objects.filter(child=child_a, date=DAY2).exists()
    entry = WaitlistEntry.objects.get(child=child_a, date=DAY1)
    assert entry.source == WaitlistEntry.ALLOCATION and entry.status == WaitlistEntry.WAITING
    assert len(mailoutbox) == 2
    page = text(client.get(base + "resultat/"))
    assert "Résultat de l'attribution" in page and "Imprimer" in page
    assert "1. Famille Martin" in page and "Liste d'attente" in page
    assert "Place attribuée" in page


def test_staff_read_but_cannot_act(client, requests_sent, staff, manager):
    house = requests_sent
    base = f"{GESTION}{house.christmas.pk}/"
    client.force_login(manager)
    with clock(AFTER_CLOSE):
        client.post(base + "calculer/")
    client.force_login(staff)
    assert client.get(GESTION).status_code == 200
    assert client.get(base).status_code == 200
    page = text(client.get(base + "proposition/"))
    assert "Famille Martin" in page and "Attribuer" not in page
    assert "Confirmer l'attribution" not in page
    wish = AllocationWish.objects.first()
    with clock(AFTER_CLOSE):
        for url, data in [
            (base + "reglages/", settings_data()),
            (base + "calculer/", {}),
            (f"{base}voeux/{wish.pk}/", {"granted": "1"}),
            (base + "confirmer/", {"confirm": "1"}),
        ]:
            assert client.post(url, data).status_code == 403
    assert Allocation.objects.get().status == Allocation.PROPOSED


def test_another_structures_manager_gets_404(client, requests_sent, other_manager):
    house = requests_sent
    base = f"{GESTION}{house.christmas.pk}/"
    wish = AllocationWish.objects.first()
    client.force_login(other_manager)
    assert "Vacances de Noël 2026" not in text(client.get(GESTION))
    for url in ["", "reglages/", "proposition/", "resultat/"]:
        assert client.get(base + url).status_code == 404
    with clock(AFTER_CLOSE):
        for url in ["calculer/", f"voeux/{wish.pk}/", "confirmer/"]:
            assert client.post(base + url, {"confirm": "1", "granted": "1"}).status_code == 404
    assert Allocation.objects.get().status == Allocation.COLLECTING


def test_a_period_never_in_allocation_mode_has_no_requests_page(client, manager, structure):
    period = f.PeriodFactory(structure=structure)
    client.force_login(manager)
    assert client.get(f"{GESTION}{period.pk}/").status_code == 404
    assert client.get(settings_url(period)).status_code == 200


def test_leaving_allocation_mode_with_requests_is_refused(client, requests_sent, manager):
    house = requests_sent
    client.force_login(manager)
    response = client.post(settings_url(house.christmas), settings_data(mode="first_come"))
    assert response.status_code == 400
    assert "le premier arrivé, premier servi n'est plus possible" in text(response)
    house.christmas.refresh_from_db()
    assert house.christmas.places_mode == Period.ALLOCATION


def test_the_pages_cost_a_bounded_number_of_queries(
    client, requests_sent, manager, django_assert_max_num_queries
):
    base = f"{GESTION}{requests_sent.christmas.pk}/"
    client.force_login(manager)
    with clock(AFTER_CLOSE):
        client.post(base + "calculer/")
        for url in [GESTION, base, base + "proposition/"]:
            with django_assert_max_num_queries(20):
                assert client.get(url).status_code == 200
