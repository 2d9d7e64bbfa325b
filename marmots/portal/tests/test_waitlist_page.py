"""The family's "Liste d'attente" page (live entries, offers, recent ones, leaving a line), the
dashboard's waiting-list entries, the navigation link, and who may see them."""

from marmots.bookings import actions, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import WaitlistEntry

from .conftest import text
from .waitlist_helpers import (
    FRIDAY,
    NOW,
    THURSDAY,
    client_of,
    full_days_fixture,  # noqa: F401
    get,
    join,
    other_family,
    post,
    siblings_fixture,  # noqa: F401
)

PAGE = "/portail/liste-attente/"


def test_the_page_lists_positions_offers_and_recent_ones(
    client_a, siblings, full_days, guardian_a, guardian_b, child_b, house
):
    lea, tom = siblings
    user_c, child_c = other_family(house)
    join(user_c, child_c, full_days, FRIDAY)
    offered = join(guardian_a.user, lea, full_days, THURSDAY)
    waiting = join(guardian_a.user, tom, full_days, FRIDAY)
    left = join(guardian_a.user, lea, full_days, FRIDAY)
    waitlist.decline(guardian_a.user, left, now=NOW)
    actions.cancel(guardian_b.user, [Change(child_b, full_days, THURSDAY)], now=NOW)
    html = text(get(client_a, PAGE))
    assert "En cours (2)" in html
    assert f'id="entree-{waiting.pk}"' in html and "2<sup>e</sup> position" in html
    assert "Place proposée</span> jusqu'au mardi 1er décembre 2026 à 9h00" in html
    assert 'name="reponse" value="accepter"' in html
    assert "Récemment terminées" in html and "Retiré par la famille" in html
    assert f'action="/portail/liste-attente/{waiting.pk}/quitter/"' in html
    assert child_c.first_name not in html  # another family's entry is never listed
    offered.refresh_from_db()
    assert f'href="/portail/liste-attente/offre/{offered.token}/"' in text(
        get(client_a, "/portail/reservations/?mois=2026-12")
    )


def test_leaving_a_line_gives_the_next_their_turn(client_a, siblings, full_days, guardian_a, house):
    lea, _ = siblings
    entry = join(guardian_a.user, lea, full_days, THURSDAY)
    user_c, child_c = other_family(house)
    behind = join(user_c, child_c, full_days, THURSDAY)
    assert waitlist.positions([behind]) == {behind.pk: 2}
    assert get(client_a, f"{PAGE}{entry.pk}/quitter/").status_code == 405
    response = post(client_a, f"{PAGE}{entry.pk}/quitter/")
    assert response.status_code == 302 and response["Location"] == PAGE
    html = text(get(client_a, PAGE))
    assert "Léa a quitté la liste d'attente (Périscolaire soir 16h30-17h30, jeudi 3" in html
    assert "Aucun enfant n'est sur une liste d'attente." in html
    entry.refresh_from_db()
    assert entry.status == "withdrawn"
    assert waitlist.positions([behind]) == {behind.pk: 1}
    response = post(client_a, f"{PAGE}{entry.pk}/quitter/")  # twice: said, nothing changes
    assert "n'est plus active" in text(get(client_a, response["Location"]))


def test_dashboard_shows_where_each_entry_stands(
    client_a, siblings, full_days, guardian_a, guardian_b, child_b
):
    lea, tom = siblings
    offered = join(guardian_a.user, lea, full_days, THURSDAY)
    join(guardian_a.user, tom, full_days, THURSDAY)
    join(guardian_a.user, tom, full_days, FRIDAY)
    actions.cancel(guardian_b.user, [Change(child_b, full_days, THURSDAY)], now=NOW)
    offered.refresh_from_db()
    html = text(get(client_a, "/portail/tableau-de-bord/"))
    assert "Place proposée : votre réponse est attendue" in html
    assert html.count(f'href="/portail/liste-attente/offre/{offered.token}/"') == 2
    assert "Liste d'attente de Tom : Périscolaire soir 16h30-17h30" in html
    assert "En attente : 2e position" in html  # Tom, Thursday, after Léa's offer
    assert "En attente : 1re position" in html  # Tom, Friday
    assert "Place proposée jusqu'au mardi 1er décembre 2026 à 9h00" in html
    assert "Aucune demande en attente du gestionnaire." in html  # a line is not a request
    booking = waitlist.accept(guardian_a.user, offered, now=NOW)
    html = text(get(client_a, "/portail/tableau-de-bord/"))
    assert "Place obtenue" in html and f'href="/portail/reservations/{booking.pk}/"' in html
    assert "votre réponse est attendue" not in html


def test_linked_from_the_navigation_and_home(client_a, family_a):
    html = text(get(client_a, "/portail/"))
    assert html.count(f'href="{PAGE}"') == 2


def test_staff_and_anonymous_are_kept_out(client, manager, siblings, full_days, guardian_a):
    entry = join(guardian_a.user, siblings[0], full_days, THURSDAY)
    for url in (PAGE, f"{PAGE}{entry.pk}/quitter/"):
        response = get(client, url)
        assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    staff = client_of(manager)
    assert get(staff, PAGE).status_code == 403
    assert post(staff, f"{PAGE}{entry.pk}/quitter/").status_code == 403
    assert WaitlistEntry.objects.get().status == "waiting"
