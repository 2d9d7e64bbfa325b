"""Waiting lists through the API, for managers: the lines with positions (staff read), promote
and remove (managers of the structure only, recorded, French refusals that change nothing),
and the paths documented in the OpenAPI schema."""

import datetime

import pytest
import time_machine

from marmots.bookings import actions, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import SlotDay, WaitlistEntry
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.house import MONDAY, at, enroll

from .conftest import bearer_client

THURSDAY = MONDAY + datetime.timedelta(days=3)
LIST = "/api/v1/manager/waitlist"
NOW = at(MONDAY, 9)


@pytest.fixture(autouse=True)
def _monday_morning():
    with time_machine.travel(NOW, tick=False):
        yield


def _family(house, name):
    family = f.FamilyFactory(name=name, structures=[house.structure])
    guardian = f.GuardianFactory(family=family)
    child = f.ChildFactory(family=family, first_name=name[:3])
    enroll(house, child, house.evening)
    return guardian.user, child


@pytest.fixture
def line(house):
    """Thursday's snack slot has one place, taken by the Durand family; Martin, Bernard and
    Petit wait for it, in that order."""
    slot = house.snack_slot
    SlotDay.objects.create(slot=slot, date=THURSDAY, capacity=1)
    booker = _family(house, "Durand")
    (outcome,) = actions.book(booker[0], [Change(booker[1], slot, THURSDAY)])
    assert outcome.ok, outcome.message
    entries = []
    for minutes, name in enumerate(["Martin", "Bernard", "Petit"]):
        user, child = _family(house, name)
        later = NOW + datetime.timedelta(minutes=minutes)
        (outcome,) = waitlist.join(user, [Change(child, slot, THURSDAY)], now=later)
        assert outcome.code == "waitlisted", outcome.message
        entries.append(WaitlistEntry.objects.get(child=child))
    return booker, entries


def post(client, url, data=None):
    return client.post(url, data, content_type="application/json")


def statuses(entries):
    return [WaitlistEntry.objects.get(pk=e.pk).status for e in entries]


def positions(entries):
    found = waitlist.positions(list(WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries])))
    return [found.get(e.pk) for e in entries]


def test_manager_lists_a_slot_days_line_in_order(api_manager, house, line):
    _, entries = line
    response = api_manager.get(LIST, {"slot_id": house.snack_slot.pk, "date": f"{THURSDAY}"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3
    items = body["items"]
    assert [(i["id"], i["position"]) for i in items] == [
        (e.pk, n) for n, e in enumerate(entries, 1)
    ]
    assert items[0]["family"]["name"] == "Martin" and items[0]["status"] == "waiting"
    assert "queued_at" in items[0] and items[0]["closed_at"] is None


def test_staff_read_the_lines(api_staff, line):
    assert api_staff.get(LIST).json()["count"] == 3


def test_another_structure_sees_nothing(api_other_manager, house, line):
    assert api_other_manager.get(LIST).json() == {"items": [], "count": 0}
    response = api_other_manager.get(LIST, {"slot_id": house.snack_slot.pk})
    assert response.status_code == 404
    assert response.json() == {"detail": "Tranche horaire introuvable."}


def test_closed_entries_on_request(api_manager, manager, line):
    _, entries = line
    waitlist.remove(manager, entries[1], "Doublon")
    assert api_manager.get(LIST).json()["count"] == 2
    items = api_manager.get(LIST, {"include_closed": "true"}).json()["items"]
    removed = next(i for i in items if i["id"] == entries[1].pk)
    assert (removed["status"], removed["reason"], removed["position"]) == (
        "removed",
        "Doublon",
        None,
    )


def test_manager_promotes_an_entry(api_manager, manager, line):
    _, entries = line
    response = post(api_manager, f"{LIST}/{entries[2].pk}/promote")
    assert response.status_code == 200, response.content
    assert response.json()["position"] == 1
    assert positions(entries) == [2, 3, 1]
    audit = AuditEntry.objects.get(action="waitlist.promote")
    assert audit.object_id == str(entries[2].pk) and audit.actor == manager


def test_staff_cannot_promote(api_staff, line):
    _, entries = line
    response = post(api_staff, f"{LIST}/{entries[2].pk}/promote")
    assert response.status_code == 403
    assert response.json() == {"detail": "Action réservée au gestionnaire."}
    assert positions(entries) == [1, 2, 3]


@pytest.mark.parametrize("verb", ["promote", "remove"])
def test_another_structures_manager_gets_404(api_other_manager, line, verb):
    _, entries = line
    response = post(api_other_manager, f"{LIST}/{entries[2].pk}/{verb}", {"reason": "Essai"})
    assert response.status_code == 404
    assert statuses(entries) == ["waiting"] * 3 and positions(entries) == [1, 2, 3]


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "Données invalides. reason : champ obligatoire."),
        ({"reason": ""}, "Données invalides. reason : ne peut pas être vide."),
        ({"reason": "   "}, "Indiquez le motif du retrait."),
    ],
)
def test_remove_without_reason_changes_nothing(api_manager, line, body, message):
    _, entries = line
    audits = AuditEntry.objects.count()
    response = post(api_manager, f"{LIST}/{entries[0].pk}/remove", body)
    assert response.status_code == 422
    assert response.json()["detail"] == message
    assert statuses(entries) == ["waiting"] * 3
    assert AuditEntry.objects.count() == audits


def test_removing_the_offered_entry_passes_the_offer_on(api_manager, house, line):
    (booker, tom), entries = line
    (outcome,) = actions.cancel(booker, [Change(tom, house.snack_slot, THURSDAY)])
    assert outcome.ok
    assert statuses(entries) == ["offered", "waiting", "waiting"]
    response = post(api_manager, f"{LIST}/{entries[0].pk}/remove", {"reason": "Injoignable"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["reason"]) == ("removed", "Injoignable")
    assert statuses(entries) == ["removed", "offered", "waiting"]


def test_waitlist_paths_are_in_the_openapi_schema(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    documented = {(m, p) for p, ops in paths.items() for m in ops}
    assert {
        ("get", "/api/v1/waitlist"),
        ("post", "/api/v1/waitlist"),
        ("post", "/api/v1/waitlist/{entry_id}/accept"),
        ("post", "/api/v1/waitlist/{entry_id}/decline"),
        ("get", "/api/v1/manager/waitlist"),
        ("post", "/api/v1/manager/waitlist/{entry_id}/promote"),
        ("post", "/api/v1/manager/waitlist/{entry_id}/remove"),
    } <= documented
    remove = paths["/api/v1/manager/waitlist/{entry_id}/remove"]["post"]
    assert remove["summary"] == "Retirer de la liste d'attente"
    assert set(remove["responses"]) >= {"200", "401", "403", "404", "422"}


def test_lines_by_date_range_and_activity(api_manager, house, line):
    query = {"from": f"{THURSDAY}", "to": f"{THURSDAY}", "activity_id": house.evening.pk}
    assert api_manager.get(LIST, query).json()["count"] == 3
    assert api_manager.get(LIST, {"from": "2026-12-04"}).json()["count"] == 0
    response = api_manager.get(LIST, {"from": "2026-12-04", "to": "2026-12-01"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("La date de fin")
    page = api_manager.get(LIST, {"limit": 1, "offset": 1}).json()
    assert page["count"] == 3 and page["items"][0]["position"] == 2


def test_siblings_joined_together_share_a_group(api_manager, house, line):
    _, entries = line
    user, lea = _family(house, "Roux")
    tom = f.ChildFactory(family=lea.family, first_name="Tom")
    enroll(house, tom, house.evening)
    changes = [Change(lea, house.snack_slot, THURSDAY), Change(tom, house.snack_slot, THURSDAY)]
    assert [o.code for o in waitlist.join(user, changes)] == ["waitlisted"] * 2
    items = api_manager.get(LIST, {"date": f"{THURSDAY}"}).json()["items"]
    groups = {i["child"]["first_name"]: i["group"] for i in items}
    assert groups["Mar"] == "" and groups["Rou"] and groups["Rou"] == groups["Tom"]
    family = bearer_client(user).get("/api/v1/waitlist", {"from": f"{THURSDAY}"}).json()
    assert {i["group"] for i in family} == {groups["Tom"]}
