"""A child's booking grid: the team reads it; the manager books and cancels on behalf."""

import datetime

import pytest
import time_machine

from marmots.bookings import absences, actions
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking
from marmots.core.models import AuditEntry
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)  # deadline: Tuesday 8:30
FRIDAY = MONDAY + datetime.timedelta(days=4)
TUESDAY = MONDAY + datetime.timedelta(days=1)


@pytest.fixture
def lea(house, child_a, guardian_a):
    enroll(house, child_a, house.evening)
    actions.book(guardian_a.user, [Change(child_a, house.snack_slot, FRIDAY)], now=at(MONDAY, 9))
    return child_a


def key(slot, day):
    return f"{slot.pk}:{day:%Y-%m-%d}"


def grid(client, child, month="2026-12"):
    return client.get(f"/gestion/reservations/enfant/{child.pk}/", {"mois": month})


def change(client, child, month="2026-12", **lists):
    return client.post(
        f"/gestion/reservations/enfant/{child.pk}/modifier/", {"mois": month, **lists}
    )


def test_staff_reads_the_grid_without_checkboxes(client_staff, house, lea):
    page = grid(client_staff, lea).content.decode()
    assert "Réservations de Léa Martin : décembre 2026" in page
    friday = page.split("vendredi 4 décembre")[1].split("</tr>")[0]
    assert "Réservé" in friday
    assert 'type="checkbox"' not in page
    # Wednesdays are not evening days; weekends do not show.
    assert "mercredi 2 décembre" not in page and "samedi 5 décembre" not in page


def test_grid_shows_every_status(client_manager, house, lea, guardian_a, manager):
    monday, tuesday, thursday = (MONDAY + datetime.timedelta(days=n) for n in (7, 8, 10))
    actions.book(
        guardian_a.user,
        [Change(lea, house.snack_slot, day) for day in (monday, tuesday, thursday)],
        now=at(MONDAY, 9),
    )
    actions.cancel(guardian_a.user, [Change(lea, house.snack_slot, monday)], now=at(monday, 8))
    actions.cancel(guardian_a.user, [Change(lea, house.snack_slot, tuesday)], now=at(MONDAY, 10))
    ill = Booking.objects.get(date=thursday)
    absences.declare_absence(guardian_a.user, ill, now=at(thursday, 7))
    absences.excuse(manager, ill, "Maladie, prévenu par téléphone")
    actions.book(manager, [Change(lea, house.snack_slot, THURSDAY)], now=at(THURSDAY, 12))
    page = grid(client_manager, lea).content.decode()

    def cell(day):
        return page.split(f"{day} décembre</th>")[1].split("</tr>")[0]

    assert "Annulé hors délai" in cell("lundi 7")
    assert "Réserver à nouveau" in cell("lundi 7")
    assert "Annulé sans frais" in cell("mardi 8")
    assert "Absence pour maladie – excusé" in cell("jeudi 10")
    assert "Réservé par la structure" in cell("jeudi 3")
    assert "Réservé" in cell("vendredi 4") and 'name="cancel"' in cell("vendredi 4")


def test_manager_books_past_the_deadline_on_behalf(client_manager, house, lea, manager):
    with time_machine.travel(at(THURSDAY, 12), tick=False):
        response = change(client_manager, lea, add=[key(house.snack_slot, THURSDAY)])
    assert response.status_code == 302
    assert response["Location"] == f"/gestion/reservations/enfant/{lea.pk}/?mois=2026-12"
    booking = Booking.objects.get(date=THURSDAY)
    assert booking.booked_on_behalf and booking.booked_by == manager
    assert AuditEntry.objects.filter(action="booking.book_on_behalf", actor=manager).exists()
    page = client_manager.get(response["Location"]).content.decode()
    assert "jeudi 03/12/2026, Périscolaire soir 16h30-17h30 : Réservé." in page


def test_manager_cancels_late_on_behalf_and_sees_the_message(client_manager, house, lea):
    with time_machine.travel(at(FRIDAY, 9), tick=False):
        response = change(client_manager, lea, cancel=[key(house.snack_slot, FRIDAY)])
        page = client_manager.get(response["Location"]).content.decode()
    booking = Booking.objects.get(date=FRIDAY)
    assert booking.status == Booking.LATE_CANCELLED and booking.cancelled_on_behalf
    assert "la séance reste facturée, sauf si la structure l&#x27;excuse" in page


def test_refusals_are_shown_and_change_nothing(client_manager, house, lea):
    wednesday = MONDAY + datetime.timedelta(days=2)
    with time_machine.travel(at(MONDAY, 9), tick=False):
        response = change(client_manager, lea, add=[key(house.snack_slot, wednesday)])
        page = client_manager.get(response["Location"]).content.decode()
    assert (
        "mercredi 02/12/2026, Périscolaire soir 16h30-17h30 : Pas d&#x27;accueil ce jour-là."
        in page
    )
    assert Booking.objects.count() == 1


def test_apc_pick_up_on_tuesday(client_manager, house, lea):
    cell = key(house.apc_slot, TUESDAY)
    with time_machine.travel(at(MONDAY, 9), tick=False):
        assert "avec APC" in grid(client_manager, lea).content.decode()
        change(client_manager, lea, add=[cell], apc=[cell])
    assert Booking.objects.get(date=TUESDAY).with_apc


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Cochez au moins un jour à réserver ou à annuler."),
        ({"add": ["999:2026-12-03"]}, "Une case cochée ne fait pas partie de ce mois"),
        ({"add": ["x"]}, "Une case cochée ne fait pas partie de ce mois"),
        ({"mois": "2026-13"}, "Indiquez un mois sous la forme 2026-12."),
    ],
)
def test_bad_input_is_refused_in_french(client_manager, house, lea, data, message):
    month = data.pop("mois", "2026-12")
    response = change(client_manager, lea, month, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Booking.objects.count() == 1


def test_a_day_outside_the_month_is_refused(client_manager, house, lea):
    response = change(client_manager, lea, "2026-11", add=[key(house.snack_slot, THURSDAY)])
    assert response.status_code == 400
    assert Booking.objects.count() == 1


def test_staff_cannot_book(client_staff, house, lea):
    response = change(client_staff, lea, add=[key(house.snack_slot, THURSDAY)])
    assert response.status_code == 403
    assert Booking.objects.count() == 1


def test_another_structures_manager_gets_404(client, other_manager, house, lea):
    client.force_login(other_manager)
    assert grid(client, lea).status_code == 404
    assert change(client, lea, add=[key(house.snack_slot, THURSDAY)]).status_code == 404
    assert Booking.objects.count() == 1


def test_guardian_is_kept_out(client_a, house, lea):
    assert grid(client_a, lea).status_code == 403
    assert change(client_a, lea, add=[key(house.snack_slot, THURSDAY)]).status_code == 403


def test_bad_month_in_the_grid_is_refused(client_staff, house, lea):
    response = grid(client_staff, lea, month="demain")
    assert response.status_code == 400
    assert "Indiquez un mois sous la forme 2026-12." in response.content.decode()


def test_grid_runs_bounded_queries(
    client_manager, house, lea, guardian_a, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16) as few:
        grid(client_manager, lea)
    days = [MONDAY + datetime.timedelta(days=n) for n in (7, 8, 10, 11, 14, 15)]
    actions.book(
        guardian_a.user,
        [Change(lea, slot, day) for day in days for slot in house.evening.slots.all()],
        now=at(MONDAY, 9),
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = grid(client_manager, lea).content.decode()
    assert page.count("Réservé") >= 19


def test_search_finds_enrolled_children_only(client_staff, house, lea, child_b):
    page = client_staff.get("/gestion/reservations/enfant/", {"q": "lé"}).content.decode()
    assert f"/gestion/reservations/enfant/{lea.pk}/" in page
    page = client_staff.get("/gestion/reservations/enfant/", {"q": "hugo"}).content.decode()
    assert "Aucun enfant inscrit ne correspond" in page


def test_search_does_not_reach_another_structure(client, other_manager, house, lea):
    client.force_login(other_manager)
    page = client.get("/gestion/reservations/enfant/", {"q": "Léa"}).content.decode()
    assert f"/enfant/{lea.pk}/" not in page
