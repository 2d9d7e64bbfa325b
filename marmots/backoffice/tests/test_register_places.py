"""The register counts the day's places: the manager's own figure for the day (not the slot's),
and the places held by bookings and by waiting-list offers not answered yet."""

import datetime
import secrets

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.bookings.models import SlotDay, WaitlistEntry
from tests.house import MONDAY, at, enroll

THURSDAY = MONDAY + datetime.timedelta(days=3)


def caption(client, day):
    html = client.get("/gestion/reservations/registre/", {"date": f"{day:%Y-%m-%d}"})
    return html.content.decode().replace("&#x27;", "'")


def test_the_register_shows_the_places_held_on_the_days_own_places(
    client_staff, house, child_a, child_b, guardian_a
):
    slot = house.snack_slot  # 40 places; the manager leaves 3 on Thursday
    SlotDay.objects.create(slot=slot, date=THURSDAY, capacity=3)
    enroll(house, child_a, house.evening)
    enroll(house, child_b, house.evening)
    now = at(MONDAY - datetime.timedelta(days=7), 9)
    (done,) = actions.book(guardian_a.user, [Change(child_a, slot, THURSDAY)], now=now)
    assert done.ok, done.message
    page = caption(client_staff, THURSDAY)
    assert "Périscolaire soir – 16h30-17h30 : 1 enfant sur 3 places" in page
    WaitlistEntry.objects.create(
        child=child_b,
        slot=slot,
        date=THURSDAY,
        status=WaitlistEntry.OFFERED,
        queued_at=now,
        offered_at=now,
        offer_expires_at=now + datetime.timedelta(days=1),
        token=secrets.token_urlsafe(16),
    )
    page = caption(client_staff, THURSDAY)
    assert (
        "Périscolaire soir – 16h30-17h30 : 1 enfant et 1 place proposée sur liste d'attente : "
        "2 sur 3 places"
    ) in page
