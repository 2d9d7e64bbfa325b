"""The month calendar page: one child or all of them, navigation, bounded queries."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marmots.activities.models import Closure
from marmots.bookings import actions
from marmots.bookings.actions import Change
from tests import factories as f
from tests.house import MONDAY, at, enroll

from .conftest import text

THURSDAY = MONDAY + datetime.timedelta(days=3)


@pytest.fixture
def siblings(house, family_a, child_a):
    tom = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2018, 3, 1))
    for child in (child_a, tom):
        enroll(house, child, house.evening, house.holiday)
    return child_a, tom


def get(client, url, when=None):
    with time_machine.travel(when or at(MONDAY, 9), tick=False):
        return client.get(url)


def test_calendar_shows_all_children_by_default(client_a, siblings, house, guardian_a):
    lea, tom = siblings
    actions.book(guardian_a.user, [Change(lea, house.snack_slot, THURSDAY)], now=at(MONDAY, 8))
    assert "Réservations – novembre 2026" in text(get(client_a, "/portail/reservations/"))
    response = get(client_a, "/portail/reservations/?mois=2026-12")
    html = text(response)
    assert response.status_code == 200
    assert "Réservations – décembre 2026" in html
    assert "<legend>Léa</legend>" in html and "<legend>Tom</legend>" in html
    assert "annulable sans frais jusqu'au mardi 01/12 à 8h30" in html
    assert f'name="book" value="{lea.pk}-{house.snack_slot.pk}-2026-12-03" ' in html
    assert f'value="{lea.pk}-{house.snack_slot.pk}-2026-12-03" id=' in html
    assert html.count(" checked") == 1
    assert 'href="/portail/semaine-type/"' in html
    assert 'href="/portail/reservations/"' in html  # the nav link


def test_one_child_only(client_a, siblings):
    lea, tom = siblings
    html = text(get(client_a, f"/portail/reservations/?mois=2026-12&enfant={tom.pk}"))
    assert f'value="{tom.pk}-' in html and f'value="{lea.pk}-' not in html
    assert f'<option value="{tom.pk}" selected>' in html


def test_another_familys_child_or_garbage_is_404(client_a, siblings, child_b):
    assert get(client_a, f"/portail/reservations/?enfant={child_b.pk}").status_code == 404
    assert get(client_a, "/portail/reservations/?enfant=abc").status_code == 404


def test_month_navigation_and_bad_month(client_a, siblings):
    html = text(get(client_a, "/portail/reservations/?mois=2027-01"))
    assert "Réservations – janvier 2027" in html
    assert 'href="?mois=2026-12&enfant=tous"' in html
    assert 'href="?mois=2027-02&enfant=tous"' in html
    html = text(get(client_a, "/portail/reservations/?mois=2026-13"))
    assert "Mois invalide (forme attendue : 2026-12)" in html
    assert "Réservations – novembre 2026" in html


def test_days_off_are_greyed_and_weekends_left_out(client_a, siblings):
    html = text(get(client_a, "/portail/reservations/?mois=2026-12"))
    assert 'mercredi 2 décembre 2026</span> <span class="muted">Pas d\'accueil' in html
    assert "samedi 5 décembre 2026" not in html
    assert "lundi 21 décembre 2026" in html  # holiday camp


def test_pending_requests_listed_with_withdraw(client_a, house, child_a, guardian_a):
    house.morning.families_may_add = False
    house.morning.save()
    enroll(house, child_a, house.morning)
    slot = house.morning.slots.first()
    actions.book(guardian_a.user, [Change(child_a, slot, THURSDAY)], now=at(MONDAY, 8))
    request = child_a.booking_requests.get()
    html = text(get(client_a, "/portail/reservations/"))
    assert "Demandes en attente de la structure" in html
    assert f'action="/portail/reservations/demandes/{request.pk}/retirer/"' in html
    response = client_a.post(
        f"/portail/reservations/demandes/{request.pk}/retirer/",
        {"next": "/portail/reservations/?mois=2026-12"},
    )
    assert response["Location"] == "/portail/reservations/?mois=2026-12"
    request.refresh_from_db()
    assert request.status == "withdrawn"


def test_withdraw_never_redirects_off_site(client_a, house, child_a, guardian_a):
    house.morning.families_may_add = False
    house.morning.save()
    enroll(house, child_a, house.morning)
    actions.book(
        guardian_a.user, [Change(child_a, house.morning.slots.first(), THURSDAY)], now=at(MONDAY, 8)
    )
    request = child_a.booking_requests.get()
    response = client_a.post(
        f"/portail/reservations/demandes/{request.pk}/retirer/", {"next": "https://evil.example"}
    )
    assert response["Location"] == "/portail/reservations/"


def _queries(client, url):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        client.get(url)  # the structure's rules are then in the process's cache
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_children_and_bookings(
    client_a, house, family_a, child_a, guardian_a, django_assert_max_num_queries
):
    enroll(house, child_a, house.evening, house.holiday)
    one_child = _queries(client_a, "/portail/reservations/?mois=2026-12")
    for n in range(3):
        sibling = f.ChildFactory(family=family_a, first_name=f"Frère{n}")
        enroll(house, sibling, house.evening, house.holiday)
    children = list(family_a.children.all())
    days = [MONDAY + datetime.timedelta(days=d) for d in (3, 4, 7, 8, 10, 11)]
    changes = [
        Change(child, slot, day)
        for child in children
        for slot in house.evening.slots.all()
        for day in days
    ]
    changes += [Change(c, house.camp_slot, datetime.date(2026, 12, 22)) for c in children]
    outcomes = actions.book(guardian_a.user, changes, now=at(datetime.date(2026, 11, 25), 9))
    assert all(o.ok for o in outcomes) and len(outcomes) == 4 * 18 + 4
    four_children = _queries(client_a, "/portail/reservations/?mois=2026-12")
    assert four_children == one_child
    # session, user (with guardian and family), rules version, then the page's own reads
    # (the waiting-list entries with their positions: one).
    with django_assert_max_num_queries(12):
        with time_machine.travel(at(MONDAY, 9), tick=False):
            html = text(client_a.get("/portail/reservations/?mois=2026-12"))
    assert html.count(" checked") == len(outcomes)


def test_cells_escape_names_and_reasons_and_label_every_checkbox(
    client_a, house, family_a, child_a
):
    """The days are written in Python (portal_bookings): what a family or the manager typed is
    escaped, and every checkbox has its label."""
    child_a.first_name = "<b>Léa</b>"
    child_a.save()
    tom = f.ChildFactory(family=family_a, first_name="Tom")
    for child in (child_a, tom):
        enroll(house, child, house.evening)
    Closure.objects.create(
        structure=house.structure, start_date=THURSDAY, end_date=THURSDAY, reason="<i>Grève</i>"
    )
    html = get(client_a, "/portail/reservations/?mois=2026-12").content.decode()
    assert "<b>" not in html and "<i>" not in html
    assert "<legend>&lt;b&gt;Léa&lt;/b&gt;</legend>" in html
    assert "Structure fermée : &lt;i&gt;Grève&lt;/i&gt;." in html
    boxes = re.findall(
        r'<input type="checkbox" name="(?:book|apc)" value="[^"]+" id="([^"]+)"', html
    )
    assert len(boxes) > 20
    assert all(f'<label for="{box}">' in html for box in boxes)
