"""The allocation API: a family's periods and request; the manager's proposal, adjustment and
confirmation; in the OpenAPI schema; another family or structure answers 404."""

import json

import pytest

from marmots.backoffice.tests.allocation_helpers import (  # noqa: F401 (fixture)
    AFTER_CLOSE,
    DAY1,
    DAY2,
    OPEN,
    clock,
    house_fixture,
)
from marmots.bookings.models import Booking
from marmots.places.models import Allocation, AllocationRequest, AllocationWish

from .conftest import bearer_client

ROUTES = {
    ("get", "/api/v1/allocation/periods"),
    ("get", "/api/v1/allocation/periods/{period_id}/request"),
    ("put", "/api/v1/allocation/periods/{period_id}/request"),
    ("delete", "/api/v1/allocation/periods/{period_id}/request"),
    ("get", "/api/v1/manager/allocation/{period_id}"),
    ("post", "/api/v1/manager/allocation/{period_id}/propose"),
    ("post", "/api/v1/manager/allocation/wishes/{wish_id}/adjust"),
    ("post", "/api/v1/manager/allocation/{period_id}/confirm"),
}


def test_the_routes_are_in_the_openapi_schema(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    documented = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert ROUTES <= documented


def put(api, url, body):
    return api.put(url, json.dumps(body), content_type="application/json")


def post(api, url, body=None):
    return api.post(url, json.dumps(body or {}), content_type="application/json")


def body(house, child, days, **extra):
    wishes = [{"child_id": child.pk, "slot_id": house.camp_slot.pk, "date": str(d)} for d in days]
    return {"wishes": wishes, **extra}


def url(house):
    return f"/api/v1/allocation/periods/{house.christmas.pk}/request"


def test_a_family_lists_sends_reads_and_withdraws_its_request(house, guardian_a, child_a):
    api = bearer_client(guardian_a.user)
    with clock(OPEN):
        periods = api.get("/api/v1/allocation/periods").json()
        assert [(p["name"], p["state"], p["has_request"]) for p in periods] == [
            ("Vacances de Noël 2026", "open", False)
        ]
        assert api.get(url(house)).status_code == 404
        response = put(api, url(house), body(house, child_a, [DAY1, DAY2], declares_working=True))
        assert response.status_code == 200, response.json()
        sent = response.json()
        assert sent["declares_working"] and sent["status"] == "active"
        assert [w["date"] for w in sent["wishes"]] == [str(DAY1), str(DAY2)]
        response = put(api, url(house), body(house, child_a, [DAY2], note="Merci"))
        assert [w["date"] for w in response.json()["wishes"]] == [str(DAY2)]
        assert api.get(url(house)).json()["note"] == "Merci"
        assert api.get("/api/v1/allocation/periods").json()[0]["has_request"]
        assert api.delete(url(house)).status_code == 204
    assert AllocationRequest.objects.get().status == AllocationRequest.WITHDRAWN


def test_refusals_are_french_and_change_nothing(house, guardian_a, child_a, child_b):
    api = bearer_client(guardian_a.user)
    with clock(OPEN):
        response = put(api, url(house), body(house, child_b, [DAY1]))
        assert response.status_code == 404
        response = put(api, url(house), body(house, child_a, [DAY1.replace(day=25)]))
        assert response.status_code == 422
        assert "Léa, vendredi 25/12/2026" in response.json()["detail"]
    with clock(AFTER_CLOSE):
        response = put(api, url(house), body(house, child_a, [DAY1]))
        assert response.status_code == 422 and "sont closes" in response.json()["detail"]
    assert AllocationRequest.objects.count() == 0


def test_another_family_gets_404(house, guardian_a, guardian_b, child_a, other_structure):
    with clock(OPEN):
        put(bearer_client(guardian_a.user), url(house), body(house, child_a, [DAY1]))
        api_b = bearer_client(guardian_b.user)
        assert api_b.get(url(house)).status_code == 404
        assert api_b.delete(url(house)).status_code == 404
    assert AllocationRequest.objects.get().status == AllocationRequest.ACTIVE


@pytest.fixture
def two_requests(house, guardian_a, guardian_b, child_a, child_b):
    with clock(OPEN):
        put(
            bearer_client(guardian_a.user),
            url(house),
            body(house, child_a, [DAY1, DAY2], declares_working=True),
        )
        put(bearer_client(guardian_b.user), url(house), body(house, child_b, [DAY1]))
    return house


def test_manager_proposes_adjusts_and_confirms(two_requests, manager, child_a, child_b, guardian_a):
    house = two_requests
    api = bearer_client(manager)
    base = f"/api/v1/manager/allocation/{house.christmas.pk}"
    with clock(AFTER_CLOSE):
        proposal = post(api, base + "/propose").json()
        assert proposal["status"] == "proposed"
        first, second = proposal["requests"]
        assert (first["family"], first["rank"]) == ("Martin", 1)
        assert {"code": "working", "label": "Parents qui travaillent", "points": 2} in (
            first["criteria"]
        )
        day1 = next(d for d in proposal["days"] if d["date"] == str(DAY1))
        assert (day1["places"], day1["granted"], day1["asked"], day1["rate"]) == (1, 1, 2, 1.0)
        hugo = second["wishes"][0]
        response = post(
            api, f"/api/v1/manager/allocation/wishes/{hugo['id']}/adjust", {"granted": True}
        )
        assert response.status_code == 422 and "Plus de place" in response.json()["detail"]
        lea = next(w for w in first["wishes"] if w["date"] == str(DAY1))
        post(api, f"/api/v1/manager/allocation/wishes/{lea['id']}/adjust", {"granted": False})
        response = post(
            api, f"/api/v1/manager/allocation/wishes/{hugo['id']}/adjust", {"granted": True}
        )
        assert response.status_code == 200
        assert api.get(base).json()["status"] == "proposed"
        confirmed = post(api, base + "/confirm")
        assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert Booking.objects.filter(child=child_b, date=DAY1).exists()
    mine = bearer_client(guardian_a.user).get(url(house)).json()
    outcomes = {w["date"]: (w["outcome"], w["waitlist_position"]) for w in mine["wishes"]}
    assert outcomes == {str(DAY1): ("waitlisted", 1), str(DAY2): ("booked", None)}
    assert mine["rank"] == 1 and mine["score"] >= 2


def test_staff_read_and_other_structures_get_404(two_requests, staff, other_manager):
    house = two_requests
    base = f"/api/v1/manager/allocation/{house.christmas.pk}"
    wish = AllocationWish.objects.first()
    staff_api, other_api = bearer_client(staff), bearer_client(other_manager)
    with clock(AFTER_CLOSE):
        assert staff_api.get(base).status_code == 200
        assert post(staff_api, base + "/propose").status_code == 403
        assert other_api.get(base).status_code == 404
        assert post(other_api, base + "/propose").status_code == 404
        adjust = f"/api/v1/manager/allocation/wishes/{wish.pk}/adjust"
        assert post(other_api, adjust, {"granted": True}).status_code == 404
        assert post(other_api, base + "/confirm").status_code == 404
    assert Allocation.objects.get().status == Allocation.COLLECTING


DRAFT = ("proposed", "outcome", "reason")


def test_a_family_reads_no_draft_before_the_confirmation(two_requests, manager, guardian_a):
    house = two_requests
    api, family = bearer_client(manager), bearer_client(guardian_a.user)
    base = f"/api/v1/manager/allocation/{house.christmas.pk}"
    with clock(AFTER_CLOSE):
        assert post(api, base + "/propose").status_code == 200
        draft = family.get(url(house)).json()
        assert (draft["score"], draft["rank"], draft["criteria"]) == (None, None, [])
        assert [tuple(w[k] for k in DRAFT) for w in draft["wishes"]] == [(None, "", "")] * 2
        assert post(api, base + "/confirm").status_code == 200
        final = family.get(url(house)).json()
    assert final["rank"] == 1 and final["score"] >= 2 and final["criteria"]
    assert all(w["proposed"] is not None and w["outcome"] for w in final["wishes"])
