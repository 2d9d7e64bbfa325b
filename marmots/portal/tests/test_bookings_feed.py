"""The family's iCalendar feed behind a secret, renewable address."""

import datetime
import re

import pytest
import time_machine

from marmots.bookings import actions
from marmots.bookings.actions import Change
from marmots.bookings.models import CalendarFeed
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.house import MONDAY, at, enroll

from .conftest import text

THURSDAY = MONDAY + datetime.timedelta(days=3)
FRIDAY = MONDAY + datetime.timedelta(days=4)


@pytest.fixture
def bookings(house, family_a, child_a, guardian_a, family_b, guardian_b):
    """Léa: Thursday and Friday (Friday then cancelled); Hugo, of family B: Thursday."""
    enroll(house, child_a, house.evening)
    hugo = f.ChildFactory(family=family_b, first_name="Hugo")
    enroll(house, hugo, house.evening)
    snack = house.snack_slot
    actions.book(
        guardian_a.user,
        [Change(child_a, snack, THURSDAY), Change(child_a, snack, FRIDAY)],
        now=at(MONDAY, 8),
    )
    actions.cancel(guardian_a.user, [Change(child_a, snack, FRIDAY)], now=at(MONDAY, 8))
    actions.book(guardian_b.user, [Change(hugo, snack, THURSDAY)], now=at(MONDAY, 8))


def feed_url(client):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        html = text(client.get("/portail/reservations/"))
    match = re.search(r'value="http://testserver(/portail/reservations/ical/[^"]+\.ics)"', html)
    return match[1] if match else None


def create_feed(client):
    response = client.post("/portail/reservations/agenda/renouveler/")
    assert response.status_code == 302
    assert response["Location"] == "/portail/reservations/#agenda"
    return feed_url(client)


def test_feed_lists_the_familys_live_bookings(client_a, client, bookings):
    assert feed_url(client_a) is None
    assert "Créer l'adresse de mon agenda" in text(client_a.get("/portail/reservations/"))
    url = create_feed(client_a)
    assert url is not None
    client.logout()  # an agenda application has no session
    with time_machine.travel(at(MONDAY, 9), tick=False):
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    lines = body.replace("\r\n ", "").split("\r\n")
    assert lines.count("BEGIN:VEVENT") == 1  # Friday is cancelled; Hugo is another family's
    assert "SUMMARY:Léa – Périscolaire soir 16h30-17h30" in lines
    assert "DTSTART:20261203T153000Z" in lines
    assert "Hugo" not in body


def test_renewing_kills_the_old_address(client_a, client, bookings, family_a):
    old = create_feed(client_a)
    html = text(client_a.get("/portail/reservations/"))
    assert "Renouveler l'adresse" in html
    new = create_feed(client_a)
    assert new != old
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    entries = AuditEntry.objects.filter(action="calendar_feed.renew", family_id=family_a.pk)
    assert entries.count() == 2
    secret = CalendarFeed.objects.get().secret
    assert all(secret not in str(e.after) for e in entries)


def test_old_bookings_leave_the_feed(client_a, bookings):
    url = create_feed(client_a)
    with time_machine.travel(at(THURSDAY + datetime.timedelta(days=59), 9), tick=False):
        assert b"BEGIN:VEVENT" in client_a.get(url).content
    with time_machine.travel(at(THURSDAY + datetime.timedelta(days=61), 9), tick=False):
        assert b"BEGIN:VEVENT" not in client_a.get(url).content


def test_unknown_secret_is_404(client, db):
    assert client.get("/portail/reservations/ical/" + "x" * 43 + ".ics").status_code == 404


def test_renew_is_post_only_and_for_families(client, guardian_a, manager):
    client.force_login(guardian_a.user)
    assert client.get("/portail/reservations/agenda/renouveler/").status_code == 405
    client.force_login(manager)
    assert client.post("/portail/reservations/agenda/renouveler/").status_code == 403
    assert not CalendarFeed.objects.exists()
