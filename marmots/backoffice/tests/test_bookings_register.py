"""The day's registers and the fill-rate chart: what the team reads, in bounded queries."""

import datetime

import pytest
import time_machine

from marmots.bookings import actions, fill
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, SlotDay
from tests import factories as f
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)
CAMP_DAY = datetime.date(2026, 12, 21)  # first Monday of the Christmas holidays


@pytest.fixture
def booked(house, child_a, child_b, guardian_a, guardian_b):
    """Léa (allergic, PAI) and Hugo booked on Thursday's snack slot; Léa with APC on Tuesday;
    Hugo cancelled Friday late."""
    child_a.allergies, child_a.pai, child_a.diet = "Arachide", True, "Sans porc"
    child_a.save()
    enroll(house, child_a, house.evening)
    enroll(house, child_b, house.evening)
    tuesday, friday = MONDAY + datetime.timedelta(days=1), MONDAY + datetime.timedelta(days=4)
    actions.book(
        guardian_a.user,
        [
            Change(child_a, house.snack_slot, THURSDAY),
            Change(child_a, house.apc_slot, tuesday, True),
        ],
        now=at(MONDAY - datetime.timedelta(days=7), 9),
    )
    actions.book(
        guardian_b.user,
        [Change(child_b, house.snack_slot, THURSDAY), Change(child_b, house.snack_slot, friday)],
        now=at(MONDAY - datetime.timedelta(days=7), 9),
    )
    actions.cancel(guardian_b.user, [Change(child_b, house.snack_slot, friday)], now=at(friday, 8))
    return house


def register(client, day, **params):
    return client.get("/gestion/reservations/registre/", {"date": f"{day:%Y-%m-%d}", **params})


def test_staff_reads_the_register_with_health_flags(client_staff, booked):
    page = register(client_staff, THURSDAY).content.decode()
    assert "Registre du jeudi 3 décembre 2026" in page
    assert "Périscolaire soir – 16h30-17h30 : 2 enfants sur 40 places" in page
    assert "Martin Léa" in page and "Bernard Hugo" in page
    assert "PAI" in page and "Arachide" in page and "Sans porc" in page
    # Not running on Thursday morning for the holiday camp: no register for it.
    assert f'id="activite-{booked.holiday.pk}"' not in page


def test_apc_pick_up_is_marked(client_staff, booked):
    page = register(client_staff, MONDAY + datetime.timedelta(days=1)).content.decode()
    assert "Récupération APC" in page


def test_late_cancellations_are_listed_apart(client_staff, booked):
    page = register(client_staff, MONDAY + datetime.timedelta(days=4)).content.decode()
    booked_part, late_part = page.split('<h2 id="annulations">')
    assert "Bernard Hugo" not in booked_part
    assert "Bernard Hugo" in late_part and "Annulé hors délai" in late_part


def test_register_by_age_group(client_staff, house, child_a, manager):
    enroll(house, child_a, house.holiday)
    actions.book(manager, [Change(child_a, house.camp_slot, CAMP_DAY)], now=at(CAMP_DAY, 8))
    page = register(client_staff, CAMP_DAY, activite=house.holiday.pk).content.decode()
    assert "3-5 ans (3-5 ans) : 0 / 16" in page
    assert "6-11 ans (6-11 ans) : 1 / 32" in page
    assert f'id="activite-{house.evening.pk}"' not in page


def test_register_defaults_to_today(client_staff, booked):
    with time_machine.travel(at(THURSDAY, 7), tick=False):
        page = client_staff.get("/gestion/reservations/registre/").content.decode()
    assert "Registre du jeudi 3 décembre 2026" in page and "Martin Léa" in page


def test_bad_date_is_refused_in_french(client_staff, booked):
    response = client_staff.get("/gestion/reservations/registre/", {"date": "2026-13-45"})
    assert response.status_code == 400
    assert "Saisissez une date valide." in response.content.decode()


def test_register_is_printable(client_staff, booked):
    page = register(client_staff, THURSDAY).content.decode()
    assert 'class="search no-print"' in page and "register-slot" in page


def add_children(house, family, count, day):
    """`count` more children of `family` booked on `day`'s snack slot, with health notes."""
    for n in range(count):
        child = f.ChildFactory(family=family, first_name=f"Enfant{n}", allergies="Lait")
        (enrollment,) = enroll(house, child, house.evening)
        Booking.objects.create(child=child, slot=house.snack_slot, date=day, enrollment=enrollment)


def test_register_runs_bounded_queries(
    client_staff, booked, family_b, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14) as few:
        register(client_staff, THURSDAY)
    add_children(booked, family_b, 10, THURSDAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = register(client_staff, THURSDAY).content.decode()
    assert "12 enfants sur 40 places" in page


def test_other_structures_children_are_not_in_the_register(client, other_manager, booked):
    client.force_login(other_manager)
    page = register(client, THURSDAY).content.decode()
    assert "Martin Léa" not in page and "Aucune activité ce jour-là." in page


# Fill rate -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "taken, places, level",
    [
        (0, 40, fill.EMPTY),
        (0, None, fill.EMPTY),
        (5, None, fill.OPEN),
        (15, 40, fill.LOW),
        (16, 40, fill.MID),
        (29, 40, fill.MID),
        (30, 40, fill.HIGH),
        (39, 40, fill.HIGH),
        (40, 40, fill.FULL),
        (41, 40, fill.FULL),
        (1, 0, fill.FULL),
    ],
)
def test_fill_levels(taken, places, level):
    assert fill.level(taken, places) == level


def fill_page(client, house, month="2026-12"):
    return client.get(
        "/gestion/reservations/remplissage/", {"mois": month, "activite": house.evening.pk}
    )


def test_fill_rate_shows_full_and_empty_days_in_text(client_staff, booked):
    SlotDay.objects.filter(slot=booked.snack_slot, date=THURSDAY).update(capacity=2)
    page = fill_page(client_staff, booked).content.decode()
    assert "Remplissage : Périscolaire soir, décembre 2026" in page
    # Thursday 3/12: 2 booked of the 2 places the manager left that day.
    thursday_row = page.split("jeudi 3 décembre 2026")[1].split("</tr>")[0]
    assert "Complet" in thursday_row and "2 / 2" in thursday_row
    monday_row = page.split("lundi 7 décembre 2026")[1].split("</tr>")[0]
    assert "Vide" in monday_row and "0 / 40" in monday_row
    # Wednesdays and the holidays are not evening days.
    assert "mercredi 2 décembre" not in page and "lundi 21 décembre" not in page
    assert "1 jour complet" in page


def test_fill_rate_defaults_to_this_month_and_first_activity(client_staff, booked):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        page = client_staff.get("/gestion/reservations/remplissage/").content.decode()
    assert "novembre 2026" in page


def test_fill_rate_bad_month_is_refused(client_staff, booked):
    response = fill_page(client_staff, booked, month="décembre")
    assert response.status_code == 400
    assert "Indiquez un mois sous la forme 2026-12." in response.content.decode()


def test_fill_rate_of_another_structures_activity_is_refused(client, other_manager, booked):
    client.force_login(other_manager)
    response = fill_page(client, booked)
    assert response.status_code == 400
    assert "Périscolaire soir" not in response.content.decode()


def test_fill_rate_runs_bounded_queries(
    client_staff, booked, family_b, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14) as few:
        fill_page(client_staff, booked)
    for day in (
        THURSDAY,
        THURSDAY + datetime.timedelta(days=1),
        THURSDAY + datetime.timedelta(days=7),
    ):
        add_children(booked, family_b, 5, day)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = fill_page(client_staff, booked).content.decode()
    assert "7 / 40" in page
