"""Review fixes on the portal's booking pages: crafted posts, bad dates, and cancellations
that became late between the page and the click."""

import datetime
import re

import pytest
import time_machine

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, BookingRequest
from marmots.core.models import AuditEntry
from tests.house import MONDAY, at, enroll

from .conftest import text

TUESDAY = MONDAY + datetime.timedelta(days=1)
THURSDAY = MONDAY + datetime.timedelta(days=3)
# Thursday's deadline is Tuesday 8:30: the page is read before it, the click lands after it.
BEFORE, AFTER = at(TUESDAY, 8, 29), at(TUESDAY, 8, 31)


def key(child, slot, day):
    return f"{child.pk}-{slot.pk}-{day.isoformat()}"


def post(client, url, data, when):
    with time_machine.travel(when, tick=False):
        return client.post(url, {"mois": "2026-12", "enfant": "tous", **data})


def hidden_fields(html):
    found = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html):
        found.setdefault(name, []).append(value)
    return found


@pytest.fixture
def booked(house, child_a, guardian_a):
    enroll(house, child_a, house.evening)
    (outcome,) = actions.book(
        guardian_a.user, [Change(child_a, house.snack_slot, THURSDAY)], now=at(MONDAY, 8)
    )
    return outcome.booking


def test_summary_read_in_time_confirmed_late_cancels_nothing(client_a, booked, house):
    cell = key(booked.child, house.snack_slot, THURSDAY)
    summary = text(post(client_a, "/portail/reservations/recapitulatif/", {"cell": cell}, BEFORE))
    assert "sans frais" in summary and "hors délai" not in summary
    audits = AuditEntry.objects.count()

    result = text(post(client_a, "/portail/reservations/valider/", hidden_fields(summary), AFTER))

    assert "Le délai d'annulation sans frais est passé depuis l'affichage" in result
    booked.refresh_from_db()
    assert booked.status == Booking.BOOKED and AuditEntry.objects.count() == audits


def test_detail_read_in_time_clicked_late_cancels_nothing(client_a, booked):
    with time_machine.travel(BEFORE, tick=False):
        page = text(client_a.get(f"/portail/reservations/{booked.pk}/"))
    assert "Annuler sans frais" in page and 'name="hors_delai"' not in page
    with time_machine.travel(AFTER, tick=False):
        client_a.post(f"/portail/reservations/{booked.pk}/annuler/")
        page = text(client_a.get(f"/portail/reservations/{booked.pk}/"))
    assert "rien n'a été annulé" in page
    booked.refresh_from_db()
    assert booked.status == Booking.BOOKED


def test_illness_before_deadline_on_ask_only_activity_is_no_free_cancellation(
    client_a, booked, house
):
    house.evening.families_may_cancel = False
    house.evening.save()
    with time_machine.travel(at(MONDAY, 9), tick=False):
        client_a.post(f"/portail/reservations/{booked.pk}/absence/")
    booked.refresh_from_db()
    assert booked.status == Booking.ABSENT and booked.billable
    assert not BookingRequest.objects.exists()


@pytest.mark.parametrize("inactive", [False, True])
def test_crafted_post_for_annual_or_inactive_activity_refused(client_a, house, child_a, inactive):
    activity = house.evening if inactive else house.circus
    enroll(house, child_a, activity)
    if inactive:
        activity.is_active = False
        activity.save()
    tuesday = TUESDAY + datetime.timedelta(days=7)
    slot = activity.slots.order_by("start_time").first()
    data = {"add": [key(child_a, slot, tuesday)]}
    html = text(post(client_a, "/portail/reservations/valider/", data, at(MONDAY, 9)))
    assert f"« {activity.name} » ne se réserve pas à la séance." in html
    assert not Booking.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31"])
def test_confirm_with_a_date_out_of_range_changes_nothing(client_a, house, child_a, day):
    enroll(house, child_a, house.evening)
    data = {"add": [f"{child_a.pk}-{house.snack_slot.pk}-{day}"]}
    response = post(client_a, "/portail/reservations/valider/", data, at(MONDAY, 9))
    assert response.status_code == 302
    with time_machine.travel(at(MONDAY, 9), tick=False):
        html = text(client_a.get(response["Location"]))
    assert f"Date invalide : « {day} »" in html
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"first_day": "0001-01-01", "last_day": "0001-12-01"}, "entre 2000 et 2100"),
        ({"first_day": "9999-01-01", "last_day": "9999-12-31"}, "entre 2000 et 2100"),
        ({"children": ["99999999999999999999"]}, "ne fait pas partie de votre famille"),
    ],
)
def test_weekly_apply_bad_input_is_a_french_400(client_a, house, child_a, data, message):
    enroll(house, child_a, house.evening)
    form = {"children": [str(child_a.pk)], "first_day": "2026-12-01", "last_day": "2026-12-31"}
    with time_machine.travel(at(MONDAY, 9), tick=False):
        response = client_a.post("/portail/semaine-type/appliquer/", {**form, **data})
    assert response.status_code == 400
    assert message in text(response)
    assert not Booking.objects.exists()
