"""The waiting-list page: lines per day and slot with positions and places, filters, the
history, and the counts the register, the fill-rate page and the home page show."""

import re

from marmots.bookings import waitlist
from marmots.bookings.models import WaitlistEntry

from . import waitlist_helpers
from .waitlist_helpers import LIST, THURSDAY, free_the_place, join_siblings, remove_url

line, frozen = waitlist_helpers.line, waitlist_helpers.frozen


def rows(html):
    """(position, "Last First") of each entry row, in page order."""
    return re.findall(r"<td>(\d+)</td>\s*<th scope=\"row\"><a [^>]*>([^<]+)</a>", html)


def test_list_shows_positions_in_order(client_manager, line, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        response = client_manager.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert rows(html) == [("1", "Martin Léa"), ("2", "Bernard Hugo"), ("3", "Petit Emma")]
    assert "Jeudi 3 décembre 2026 – Périscolaire soir, 16h30-17h30" in html
    assert "<strong>1 / 1</strong> occupées" in html
    assert "3 enfants en attente" in html
    assert html.count("Placer en tête") == 2  # not for the first in line
    assert html.count("Motif du retrait") == 3


def test_an_offer_shows_until_when_and_holds_a_place(client_manager, line):
    free_the_place(line)
    html = client_manager.get(LIST).content.decode()
    assert "Place proposée</span> jusqu'au 01/12/2026 à 09h00" in html
    assert "<strong>1 / 1</strong> occupées" in html  # the offered place is held
    assert rows(html)[0] == ("1", "Martin Léa")


def test_the_filters_narrow_the_lines(client_manager, line, house):
    other = client_manager.get(LIST, {"activite": house.morning.pk}).content.decode()
    assert rows(other) == [] and "Personne n'attend de place sur ces jours." in other
    later = client_manager.get(LIST, {"du": "2026-12-04"}).content.decode()
    assert rows(later) == []
    one = client_manager.get(
        LIST, {"du": f"{THURSDAY}", "au": f"{THURSDAY}", "tranche": line.slot.pk}
    )
    assert len(rows(one.content.decode())) == 3


def test_bad_filters_are_refused_in_french(client_manager, line):
    response = client_manager.get(LIST, {"du": "2026-12-05", "au": "2026-12-01"})
    assert response.status_code == 400
    assert "La date de fin doit suivre la date de début." in response.content.decode()
    response = client_manager.get(LIST, {"du": "demain"})
    assert response.status_code == 400 and "Date invalide." in response.content.decode()


def test_staff_read_the_lines_without_the_buttons(client_staff, line):
    html = client_staff.get(LIST).content.decode()
    assert len(rows(html)) == 3
    assert "Placer en tête" not in html and "Motif du retrait" not in html


def test_another_structure_sees_none_of_the_lines(client, other_manager, line):
    client.force_login(other_manager)
    html = client.get(LIST).content.decode()
    assert rows(html) == [] and "Martin" not in html


def test_history_shows_who_left_and_why(client_manager, line, manager):
    waitlist.remove(manager, line.hugo, "Famille partie en vacances")
    waitlist.decline(line.emma.child.family.guardians.get().user, line.emma)
    html = client_manager.get(LIST).content.decode()
    assert rows(html) == [("1", "Martin Léa")]
    history = html.split('<h2 id="historique">')[1]
    assert "Retiré par la structure" in history and "Famille partie en vacances" in history
    assert "Retiré par la famille" in history
    assert "par Sophie Gestion" in history or "par gestion@example.org" in history


def test_the_register_links_to_the_days_line(client_manager, line):
    html = client_manager.get("/gestion/reservations/registre/", {"date": f"{THURSDAY}"})
    html = html.content.decode()
    url = f"{LIST}?du=2026-12-03&amp;au=2026-12-03&amp;tranche={line.slot.pk}"
    assert f'<a href="{url}">3 en liste d\'attente</a>' in html


def test_the_fill_page_lists_the_months_lines(client_manager, line, house):
    html = client_manager.get(
        "/gestion/reservations/remplissage/", {"mois": "2026-12", "activite": house.evening.pk}
    ).content.decode()
    assert "Listes d'attente du mois" in html
    assert "16h30-17h30 : 3 enfants en attente" in html


def test_home_counts_the_children_waiting(client_manager, line):
    html = client_manager.get("/gestion/").content.decode()
    block = html.split("Enfants en liste d'attente")[1]
    assert '<p class="counter">3</p>' in block.split("</section>")[0]


def test_remove_form_error_keeps_the_filters(client_manager, line):
    query = f"?du={THURSDAY}&tranche={line.slot.pk}"
    response = client_manager.post(remove_url(line.lea) + query, {f"r{line.lea.pk}-reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert len(rows(html)) == 3
    assert WaitlistEntry.objects.filter(status="waiting").count() == 3


def test_siblings_waiting_together_are_shown(client_manager, house, line):
    join_siblings(house, line)
    html = client_manager.get(LIST).content.decode()
    assert [name for _, name in rows(html)][3:] == ["Roux Jade", "Roux Noé"]
    assert 'Roux Jade</a><br><span class="muted">avec ses frères et sœurs : Noé</span>' in html
    assert 'Roux Noé</a><br><span class="muted">avec ses frères et sœurs : Jade</span>' in html
    assert html.count("avec ses frères et sœurs") == 2  # not for the children alone
