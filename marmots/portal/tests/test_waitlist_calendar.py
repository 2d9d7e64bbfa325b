"""Joining waiting lists from the booking calendar: full days ticked, the summary, the result,
and the cells that then show the line's position or the place offered."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from marmots.bookings import actions, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import SlotDay, WaitlistEntry
from tests import factories as f
from tests.house import MONDAY, at

from .conftest import text
from .waitlist_helpers import (  # noqa: F401  (fixtures)
    FRIDAY,
    NOW,
    THURSDAY,
    client_of,
    full_days_fixture,
    get,
    hidden_fields,
    join,
    key,
    other_family,
    post,
    siblings_fixture,
)

CALENDAR = "/portail/reservations/?mois=2026-12"
SUMMARY = "/portail/reservations/recapitulatif/"
CONFIRM = "/portail/reservations/valider/"


def confirm(client, data):
    return post(client, CONFIRM, {"mois": "2026-12", "enfant": "tous", **data})


def test_two_full_days_two_siblings_in_one_go(client_a, siblings, full_days):
    lea, tom = siblings
    wanted = [key(c, full_days, d) for d in (THURSDAY, FRIDAY) for c in (lea, tom)]
    html = text(get(client_a, CALENDAR))
    for value in wanted:  # each full cell offers its waiting list, labelled
        assert f'name="wait" value="{value}" id="w-{value}"' in html
        assert f'<label for="w-{value}">rejoindre la liste d\'attente' in html
    response = post(client_a, SUMMARY, {"mois": "2026-12", "enfant": "tous", "wait": wanted})
    html = text(response)
    assert "Liste d'attente (4)" in html
    assert "vous avez 24 h pour l'accepter" in html
    assert WaitlistEntry.objects.count() == 0  # nothing before the confirmation
    fields = hidden_fields(html)
    assert sorted(fields["join"]) == sorted(wanted)
    html = text(confirm(client_a, fields))
    assert "Pris en compte (4)" in html
    assert "Léa est sur la liste d'attente du jeudi 03/12/2026 (position 1)." in html
    assert "Tom est sur la liste d'attente du jeudi 03/12/2026 (position 2)." in html
    assert "Tom est sur la liste d'attente du vendredi 04/12/2026 (position 2)." in html
    assert 'href="/portail/liste-attente/"' in html
    assert WaitlistEntry.objects.filter(status="waiting", source="family").count() == 4

    html = text(get(client_a, CALENDAR))
    assert html.count("Liste d'attente</span> en 1re position") == 2
    assert html.count("Liste d'attente</span> en 2e position") == 2
    assert 'name="wait"' not in html  # no second join for the same days
    html = text(get(client_a, "/portail/liste-attente/"))
    assert "En cours (4)" in html
    assert html.count("1<sup>re</sup> position") == 2 and html.count("2<sup>e</sup> position") == 2


def test_joining_a_free_day_is_refused(client_a, siblings, full_days):
    lea, _ = siblings
    monday_next = MONDAY + datetime.timedelta(days=7)
    free = key(lea, full_days, monday_next)
    assert f'name="wait" value="{free}"' not in text(get(client_a, CALENDAR))
    html = text(confirm(client_a, {"join": [free]}))
    assert "Refusé (1)" in html
    assert "Il reste une place le lundi 07/12/2026 pour Léa : réservez-la directement" in html
    assert WaitlistEntry.objects.count() == 0


def test_a_child_without_enrollment_is_refused(client_a, siblings, full_days, family_a):
    zoe = f.ChildFactory(family=family_a, first_name="Zoé")
    html = text(confirm(client_a, {"join": [key(zoe, full_days, THURSDAY)]}))
    assert "Zoé n'a pas d'inscription validée à « Périscolaire soir »" in html
    assert "la liste d'attente est réservée aux enfants inscrits" in html
    assert WaitlistEntry.objects.count() == 0


def test_another_familys_child_or_a_bad_value_changes_nothing(client_a, siblings, full_days, house):
    _, child = other_family(house)
    assert confirm(client_a, {"join": [key(child, full_days, THURSDAY)]}).status_code == 404
    response = confirm(client_a, {"join": ["1-2-nope"]})
    assert response.status_code == 302
    assert WaitlistEntry.objects.count() == 0


def test_position_moves_when_the_one_ahead_leaves(client_a, siblings, full_days, house):
    lea, _ = siblings
    user_c, child_c = other_family(house)
    ahead = join(user_c, child_c, full_days, THURSDAY)
    join(lea.family.guardians.get().user, lea, full_days, THURSDAY)
    assert "Liste d'attente</span> en 2e position" in text(get(client_a, CALENDAR))
    # the other family leaves from its own page
    response = post(client_of(user_c), f"/portail/liste-attente/{ahead.pk}/quitter/")
    assert response.status_code == 302
    ahead.refresh_from_db()
    assert ahead.status == "withdrawn"
    html = text(get(client_a, CALENDAR))
    assert "Liste d'attente</span> en 1re position" in html
    assert "en 2e position" not in html


def test_an_offered_place_shows_until_when_with_its_link(
    client_a, siblings, full_days, guardian_a, guardian_b, child_b
):
    lea, _ = siblings
    entry = join(guardian_a.user, lea, full_days, THURSDAY)
    actions.cancel(guardian_b.user, [Change(child_b, full_days, THURSDAY)], now=NOW)
    entry.refresh_from_db()
    assert entry.status == "offered"
    html = text(get(client_a, CALENDAR))
    assert "Place proposée</span> jusqu'au mardi 01/12 à 9h00" in html
    assert f'href="/portail/liste-attente/offre/{entry.token}/">Répondre' in html


def test_the_calendar_reads_the_lines_in_one_query(
    client_a, siblings, full_days, guardian_a, house
):
    def count():
        with CaptureQueriesContext(connection) as captured:
            assert get(client_a, CALENDAR).status_code == 200
        return len(captured)

    get(client_a, CALENDAR)  # the structure's rules are then in the process's cache
    before = count()
    lea, tom = siblings
    for n in range(3):
        user, child = other_family(house, f"F{n}")
        for day in (THURSDAY, FRIDAY):
            join(user, child, full_days, day)
    changes = [Change(c, full_days, d) for c in (lea, tom) for d in (THURSDAY, FRIDAY)]
    assert all(o.ok for o in waitlist.join(guardian_a.user, changes, now=NOW))
    # and Léa on a line alone, made full by a third day
    extra = SlotDay.objects.create(
        slot=full_days, date=THURSDAY + datetime.timedelta(days=7), capacity=0
    )
    join(guardian_a.user, lea, full_days, extra.date)
    assert count() == before
    html = text(get(client_a, CALENDAR))
    assert html.count("en 4e position") == 2 and html.count("en 5e position") == 2
    assert html.count("en 1re position") == 1


def test_allocation_period_days_say_so(client_a, siblings, house):
    house.school_year.places_mode = "allocation"
    house.school_year.requests_close_at = at(MONDAY + datetime.timedelta(days=1), 12)
    house.school_year.save()
    html = text(get(client_a, CALENDAR))
    assert "sont attribuées sur demande : faites votre demande avant le mardi 01/12" in html
    assert 'name="wait"' not in html
