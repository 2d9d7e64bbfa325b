"""The register ("feuille de présence"): who reads it, ticking present, adding an unbooked
child, the badges at the right times, and bounded queries."""

import pytest
import time_machine

from marmots.checkin.models import CheckinEvent, RegisterMark
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.house import MONDAY, at, enroll

from . import checkin_helpers
from .checkin_helpers import (
    MARK,
    ONE_DAY,
    REGISTER,
    book,
    kiosk_event,
    mark,
    register,
    row_of,
    slots,
)

# Shared fixtures.
kiosk, session = checkin_helpers.kiosk, checkin_helpers.session


@pytest.fixture(autouse=True)
def monday_morning():
    with time_machine.travel(at(MONDAY, 7, 50), tick=False) as traveller:
        yield traveller


def test_staff_reads_the_morning_register(client_staff, session, child_a, child_b, kiosk):
    kiosk_event(kiosk, child_a, session.morning, at(MONDAY, 7, 42))
    response = register(client_staff, session.morning)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Feuille de présence – Périscolaire matin – lundi 30 novembre 2026" in page
    lea = row_of(page, child_a)
    assert "Martin Léa" in lea and "Réservé : 7h30-8h30" in lea
    assert "PAI" in lea and "Arachide" in lea
    assert "7h42" in lea and "(tablette)" in lea and "Pointé par la famille" in lea
    assert 'aria-pressed="false"' in lea and 'Présent<span class="skip"> : Martin Léa' in lea
    hugo = row_of(page, child_b)
    assert "Réservé : 7h00-7h30" in hugo and "Réservé, pas arrivé" in hugo
    assert "Ajouter une arrivée" in hugo
    # The evening booking is not in the morning's register, and the evening is a session too.
    assert "Périscolaire soir" in page and "16h30" not in page


def test_the_day_lists_its_sessions(client_staff, session):
    page = client_staff.get(REGISTER).content.decode()
    assert "Feuille de présence – lundi 30 novembre 2026" in page
    assert 'Périscolaire matin <span class="count">(2 réservés)</span>' in page
    assert 'Périscolaire soir <span class="count">(1 réservé)</span>' in page
    assert "Cirque" not in page  # no kiosk events, no booking


def test_access(client, session, child_a, guardian_a, other_manager, manager):
    assert client.get(REGISTER).status_code == 302  # anonymous: to the login page
    client.force_login(guardian_a.user)
    assert client.get(REGISTER).status_code == 403
    assert mark(client, child_a, session.morning).status_code == 403
    client.force_login(other_manager)
    assert register(client, session.morning).status_code == 404
    assert mark(client, child_a, session.morning).status_code == 404
    assert not RegisterMark.objects.exists()
    client.force_login(manager)
    assert register(client, session.morning).status_code == 200


def test_staff_marks_present_without_javascript(client_staff, session, child_a, staff):
    response = mark(client_staff, child_a, session.morning)
    assert response.status_code == 302
    assert response["Location"].endswith(f"activite={session.morning.pk}#enfant-{child_a.pk}")
    entry = RegisterMark.objects.get()
    assert (entry.child, entry.date, entry.present, entry.marked_by) == (
        child_a,
        MONDAY,
        True,
        staff,
    )
    audit = AuditEntry.objects.get(action="register.mark")
    assert audit.family_id == child_a.family_id and audit.after["present"] is True
    page = client_staff.get(response["Location"]).content.decode()
    assert "Léa Martin : présent." in page and 'aria-pressed="true"' in row_of(page, child_a)


def test_htmx_swaps_the_row_and_unticks(client_staff, session, child_a):
    response = mark(client_staff, child_a, session.morning, HX_Request="true")
    row = response.content.decode()
    assert response.status_code == 200 and row.startswith('<li class="checkin-row is-present"')
    assert 'aria-pressed="true"' in row and 'role="status"' in row
    response = mark(client_staff, child_a, session.morning, present=False, HX_Request="true")
    assert 'aria-pressed="false"' in response.content.decode()
    assert RegisterMark.objects.get().present is False
    assert AuditEntry.objects.filter(action="register.mark").count() == 2


def test_future_day_is_refused(client_staff, session, child_a):
    response = mark(client_staff, child_a, session.morning, day=MONDAY + ONE_DAY)
    page = client_staff.get(response["Location"]).content.decode()
    assert "On ne pointe pas la présence d&#x27;un jour à venir." in page
    assert not RegisterMark.objects.exists()


def test_htmx_refusal_reloads_the_page_with_the_message(client_staff, session, child_a):
    response = mark(client_staff, child_a, session.morning, day=MONDAY + ONE_DAY, HX_Request="true")
    assert response.status_code == 200 and "date=2026-12-01" in response["HX-Redirect"]
    assert not RegisterMark.objects.exists()


@pytest.mark.parametrize(
    "changes, status, message",
    [
        ({"enfant": "abc"}, 302, "Enfant ou séance inconnus."),
        ({"date": "2026-13-40"}, 302, "Indiquez un jour valide."),
        ({"present": "peut-être"}, 302, "Indiquez présent ou non."),
        ({"enfant": "999999"}, 404, None),
        ({"activite": "999999"}, 404, None),
    ],
)
def test_bad_marks_change_nothing(client_staff, session, child_a, changes, status, message):
    data = {"enfant": child_a.pk, "activite": session.morning.pk, "date": "2026-11-30"}
    response = client_staff.post(MARK, data | {"present": "1"} | changes)
    assert response.status_code == status
    if message:
        page = client_staff.get(response["Location"]).content.decode()
        assert message in page
    assert not RegisterMark.objects.exists() and not AuditEntry.objects.exists()


def test_another_structures_child_is_not_found(client_staff, session, other_structure):
    family = f.FamilyFactory(name="Dupuis", structures=[other_structure])
    zoe = f.ChildFactory(family=family, first_name="Zoé")
    assert mark(client_staff, zoe, session.morning).status_code == 404
    assert not RegisterMark.objects.exists()


def test_another_structures_activity_is_not_found(client_staff, session, child_a, other_structure):
    theirs = f.ActivityFactory(structure=other_structure, name="Mercredis à Taninges")
    assert mark(client_staff, child_a, theirs).status_code == 404
    assert register(client_staff, theirs).status_code == 404


def test_staff_adds_an_unbooked_child(client_staff, session, family_a):
    tom = f.ChildFactory(family=family_a, first_name="Tom")
    enroll(session, tom, session.morning)
    page = register(client_staff, session.morning, q="tom").content.decode()
    found = page[page.index('id="ajouter"') :]
    assert "Martin Tom" in found and "Inscrit" in found
    assert "facturé pour sa présence, avec un supplément" in found
    assert "Marquer présent (non réservé)" in found
    mark(client_staff, tom, session.morning)
    page = register(client_staff, session.morning).content.decode()
    tom_row = row_of(page, tom)
    assert "Non réservé : présence facturée avec un supplément" in tom_row
    assert 'aria-pressed="true"' in tom_row


def test_search_finds_only_the_structures_children(client_staff, session, child_a, other_structure):
    family = f.FamilyFactory(name="Martinez", structures=[other_structure])
    f.ChildFactory(family=family, first_name="Zoé")
    page = register(client_staff, session.morning, q="mart").content.decode()
    found = page[page.index('id="ajouter"') :]
    assert "Martinez" not in found
    # Léa is already on the sheet: not offered again.
    assert "Martin Léa" not in found and "Aucun enfant trouvé." in found


# Badges ----------------------------------------------------------------------------------------


def badges_at(client, activity, child, moment):
    with time_machine.travel(moment, tick=False):
        return row_of(register(client, activity).content.decode(), child)


def test_booked_not_arrived_after_the_first_booked_slot(client_staff, session, child_a):
    assert "Réservé, pas arrivé" not in badges_at(
        client_staff, session.morning, child_a, at(MONDAY, 7, 29)
    )
    assert "Réservé, pas arrivé" in badges_at(
        client_staff, session.morning, child_a, at(MONDAY, 7, 31)
    )
    mark(client_staff, child_a, session.morning)
    row = badges_at(client_staff, session.morning, child_a, at(MONDAY, 7, 31))
    assert "Réservé, pas arrivé" not in row


def test_missed_arrival_once_the_window_is_over(client_staff, session, child_a, kiosk):
    mark(client_staff, child_a, session.morning)
    assert "Oubli de pointage" not in badges_at(
        client_staff, session.morning, child_a, at(MONDAY, 8, 30)
    )
    assert "Oubli de pointage" in badges_at(
        client_staff, session.morning, child_a, at(MONDAY, 8, 31)
    )
    kiosk_event(kiosk, child_a, session.morning, at(MONDAY, 7, 35))
    row = badges_at(client_staff, session.morning, child_a, at(MONDAY, 8, 31))
    assert "Oubli de pointage" not in row and "Pointé par la famille" in row
    # The morning asks no departure of families: no "no departure" badge.
    assert "Pas de départ enregistré" not in row


def test_evening_departure_badges(client_staff, session, child_a, kiosk):
    with time_machine.travel(at(MONDAY, 16, 40), tick=False):
        mark(client_staff, child_a, session.evening)
    row = badges_at(client_staff, session.evening, child_a, at(MONDAY, 18, 30))
    assert "Pas de départ enregistré" not in row and "Oubli de pointage" not in row
    row = badges_at(client_staff, session.evening, child_a, at(MONDAY, 18, 31))
    assert "Pas de départ enregistré" in row and "Oubli de pointage" not in row
    row = badges_at(client_staff, session.evening, child_a, at(MONDAY, 19, 31))
    assert "Pas de départ enregistré" in row and "Oubli de pointage" in row
    kiosk_event(kiosk, child_a, session.evening, at(MONDAY, 18, 5), CheckinEvent.DEPARTURE)
    row = badges_at(client_staff, session.evening, child_a, at(MONDAY, 19, 31))
    assert "Pas de départ enregistré" not in row and "Oubli de pointage" not in row
    assert "18h05" in row and "Pointé par la famille" in row


def test_no_missed_badge_without_the_rule(client_staff, session, child_a):
    session.evening.max_span_start = session.evening.max_span_end = None
    session.evening.save()
    with time_machine.travel(at(MONDAY, 16, 40), tick=False):
        mark(client_staff, child_a, session.evening)
    row = badges_at(client_staff, session.evening, child_a, at(MONDAY, 20))
    assert "Pas de départ enregistré" in row and "Oubli de pointage" not in row


# Queries ---------------------------------------------------------------------------------------


def crowd(house, family, count, kiosk):
    """`count` more children booked in the morning, half of them checked in on the kiosk,
    a third of them marked present, with health notes."""
    first = slots(house.morning)[0]
    for n in range(count):
        child = f.ChildFactory(family=family, first_name=f"Enfant{n}", allergies="Lait")
        enroll(house, child, house.morning)
        book(child, first)
        if n % 2:
            kiosk_event(kiosk, child, house.morning, at(MONDAY, 7, n % 30))
        if n % 3 == 0:
            RegisterMark.objects.create(
                child=child, activity=house.morning, date=MONDAY, present=True
            )


def test_a_40_child_register_runs_bounded_queries(
    client_staff, session, family_b, kiosk, django_assert_max_num_queries
):
    crowd(session, family_b, 2, kiosk)
    with django_assert_max_num_queries(20) as few:
        register(client_staff, session.morning)
    crowd(session, family_b, 36, kiosk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = register(client_staff, session.morning).content.decode()
    assert page.count('<li class="checkin-row') == 40


def test_a_future_day_shows_no_presence_buttons(client_staff, session, child_a):
    book(child_a, slots(session.morning)[1], MONDAY + ONE_DAY)
    page = register(client_staff, session.morning, day=MONDAY + ONE_DAY).content.decode()
    assert "Martin Léa" in row_of(page, child_a)
    assert "Ce jour est à venir : la présence se pointe le jour même." in page
    assert "Présent<span" not in page and "Ajouter un enfant non réservé" not in page
