"""Back-office booking pages: dates at the edge of what Python can count answer a French 400,
never a server error (the pages link to the day or month before and after)."""

import html

import pytest
import time_machine

from marmots.bookings.models import Booking
from tests.house import MONDAY, at, enroll

REGISTER = "/gestion/reservations/registre/"
FILL = "/gestion/reservations/remplissage/"


@pytest.fixture(autouse=True)
def _monday():
    with time_machine.travel(at(MONDAY, 9), tick=False):
        yield


def page(response):
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_register_day_out_of_range(client_staff, house, day):
    response = client_staff.get(REGISTER, {"date": day})
    assert response.status_code == 400
    assert "Choisissez un jour entre 2000 et 2100." in page(response)


@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
def test_fill_rate_month_out_of_range(client_staff, house, month):
    response = client_staff.get(FILL, {"mois": month})
    assert response.status_code == 400
    assert "Indiquez un mois sous la forme 2026-12." in page(response)


@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
def test_child_grid_month_out_of_range(client_manager, house, child_a, month):
    enroll(house, child_a, house.evening)
    grid = f"/gestion/reservations/enfant/{child_a.pk}/"
    response = client_manager.get(grid, {"mois": month})
    assert response.status_code == 400
    response = client_manager.post(
        f"{grid}modifier/", {"mois": month, "add": [f"{house.snack_slot.pk}:{month}-01"]}
    )
    assert response.status_code == 400
    assert "Indiquez un mois sous la forme 2026-12." in page(response)
    assert not Booking.objects.exists()
