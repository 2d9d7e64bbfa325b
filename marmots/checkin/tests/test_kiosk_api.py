"""The kiosk API through HTTP: pairing, identification, the family view and check-in events.

A kiosk's token reads nothing but the family it was shown, on no other route; every refused
event or body leaves the events table untouched; a replayed nonce counts once, even when two
uploads of the same batch race (PostgreSQL).
"""

import datetime
import threading
import uuid

import pytest
import time_machine
from django.db import connection
from django.test import Client

from marmots.accounts.models import ApiToken
from marmots.api.api import api
from marmots.checkin import devices, events
from marmots.checkin.models import CheckinEvent, Kiosk
from tests import factories as f
from tests.house import MONDAY, at, enroll

from .conftest import book, forged, kiosk_client_for, paired_kiosk

BASE = "/api/v1/kiosk"
TUESDAY = MONDAY + datetime.timedelta(days=1)
PIN_A, PIN_B = "240816", "935172"
REVOKED = {
    "detail": "Tablette inconnue ou révoquée : appairez-la de nouveau.",
    "code": "tablette_revoquee",
}


def post(client, path, data):
    return client.post(BASE + path, data, content_type="application/json")


def get_family(client, grant):
    return client.get(BASE + "/family", headers={"x-kiosk-grant": grant})


def nonce():
    return str(uuid.uuid4())


def event(grant, child, activity, kind, moment, **extra):
    return {
        "nonce": nonce(),
        "grant": grant,
        "child_id": child.pk,
        "activity_id": activity.pk,
        "kind": kind,
        "device_time": moment.isoformat(),
        **extra,
    }


def send(client, *items):
    return post(client, "/events", {"events": list(items)})


def statuses(response):
    assert response.status_code == 200, response.content
    return [(r["status"], r["code"]) for r in response.json()["results"]]


@pytest.fixture
def families(house, manager, guardian_a, family_a, child_a, guardian_b, family_b, child_b):
    """Léa (family A) booked in the morning and the evening on Monday and Tuesday; Hugo
    (family B) booked in the evening. Each family has its PIN."""
    enroll(house, child_a, house.morning, house.evening)
    enroll(house, child_b, house.evening)
    for day in (MONDAY, TUESDAY):
        book(manager, child_a, house.morning.slots.all(), day)
        book(manager, child_a, house.evening.slots.all(), day)
        book(manager, child_b, [house.snack_slot], day)
    devices.set_pin(guardian_a.user, family_a, PIN_A)
    devices.set_pin(guardian_b.user, family_b, PIN_B)
    return child_a, child_b


def identify(client, **key):
    response = post(client, "/identify", key)
    assert response.status_code == 200, response.content
    return response.json()


# Pairing


def test_pair_then_me(client, manager, structure):
    _, code = devices.create_kiosk(manager, structure, "Entrée")
    response = post(Client(enforce_csrf_checks=True), "/pair", {"code": code.lower()})

    assert response.status_code == 200
    body = response.json()
    kiosk = Kiosk.objects.get()
    assert body["kiosk"] == {"id": kiosk.pk, "name": "Entrée", "structure": structure.name}
    assert body["token"].startswith("kiosk_")
    with time_machine.travel(at(MONDAY, 9), tick=False):
        me = Client(headers={"authorization": f"Bearer {body['token']}"}).get(BASE + "/me")
    assert me.json() == {"kiosk": body["kiosk"], "server_time": "2026-11-30T08:00:00Z"}


def test_pairing_code_works_once(client, manager, structure):
    _, code = devices.create_kiosk(manager, structure, "Entrée")
    a, b = code.split("-")
    assert post(client, "/pair", {"code": f" {a} {b} "}).status_code == 200
    response = post(client, "/pair", {"code": code})
    assert response.status_code == 400
    assert response.json()["code"] == "code_appairage_invalide"


def test_expired_pairing_code_is_refused(client, manager, structure):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        _, code = devices.create_kiosk(manager, structure, "Entrée")
    with time_machine.travel(at(TUESDAY, 9, 1), tick=False):
        response = post(client, "/pair", {"code": code})
    assert response.status_code == 400
    assert response.json()["code"] == "code_appairage_invalide"
    assert not Kiosk.objects.get().is_active


def test_pairing_attempts_are_limited_per_address(client, manager, structure):
    _, code = devices.create_kiosk(manager, structure, "Entrée")
    for _ in range(10):
        assert post(client, "/pair", {"code": "ABCD-2345"}).status_code == 400
    response = post(client, "/pair", {"code": code})
    assert response.status_code == 429 and response.json()["code"] == "trop_de_tentatives"
    other_address = client.post(
        BASE + "/pair", {"code": code}, content_type="application/json", REMOTE_ADDR="10.0.0.9"
    )
    assert other_address.status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"code": 12345678}, {"code": "ABCD-2345", "extra": 1}, {"code": "A\x00BCD-2345"}],
)
def test_pair_bad_bodies(client, manager, structure, body):
    devices.create_kiosk(manager, structure, "Entrée")
    response = post(client, "/pair", body)
    assert response.status_code == 422 and response.json()["code"] == "donnees_invalides"
    assert not Kiosk.objects.get().is_active


# Who may call


def kiosk_routes():
    return [p for p in api.get_openapi_schema()["paths"] if p.startswith("/api/v1/kiosk/")]


def call(client, method, path, **headers):
    path = path.replace("{child_id}", "1").replace("{enrollment_id}", "1")
    return getattr(client, method)(path, {}, content_type="application/json", headers=headers)


def test_a_kiosk_token_opens_no_other_route(kiosk_client, families):
    paths = api.get_openapi_schema()["paths"]
    tried = 0
    for path, operations in paths.items():
        for method, operation in operations.items():
            if path.startswith("/api/v1/kiosk/") or not operation.get("security"):
                continue
            response = call(kiosk_client, method, path)
            assert response.status_code == 401, (method, path)
            tried += 1
    assert tried >= 15
    assert kiosk_client.get("/api/v1/bookings").status_code == 401


def test_a_user_token_or_session_opens_no_kiosk_route(client_a, guardian_a, families):
    _, key = ApiToken.issue(guardian_a.user)
    for client in (Client(headers={"authorization": f"Bearer {key}"}), client_a):
        for path in ("/me", "/family"):
            assert client.get(BASE + path).json() == REVOKED
        for path in ("/identify", "/events"):
            response = post(client, path, {"pin": PIN_A})
            assert response.status_code == 401 and response.json() == REVOKED


def test_a_revoked_kiosk_is_refused_everywhere(kiosk, kiosk_client, manager, families):
    with time_machine.travel(at(MONDAY, 7, 30), tick=False):
        view = identify(kiosk_client, pin=PIN_A)
        devices.revoke(manager, kiosk)
        lea, _ = families
        item = event(view["grant"], lea, lea.enrollments.first().activity, "arrival", at(MONDAY, 7))
        responses = [
            kiosk_client.get(BASE + "/me"),
            post(kiosk_client, "/identify", {"pin": PIN_A}),
            get_family(kiosk_client, view["grant"]),
            send(kiosk_client, item),
        ]
    assert [(r.status_code, r.json()) for r in responses] == [(401, REVOKED)] * 4
    assert responses[0]["WWW-Authenticate"] == 'Bearer realm="marmots"'
    assert not CheckinEvent.objects.exists()


# Identification and the family view


def test_identify_by_pin_and_by_card(kiosk_client, house, families, family_a, family_b):
    lea, hugo = families
    with time_machine.travel(at(MONDAY, 7, 30), tick=False):
        view = identify(kiosk_client, pin=PIN_A)
        card = devices.card_content(devices.key_for(family_b))
        by_card = identify(kiosk_client, card=card)

    assert view["family"] == {"id": family_a.pk, "name": "Martin"}
    assert [c["id"] for c in view["children"]] == [lea.pk]
    (morning, evening) = view["children"][0]["sessions"]
    assert morning["windows"] == {"arrival": {"from": "06:00", "until": "08:30"}}
    assert evening["slots"] == "16h30-18h30" and evening["booked"] is True
    assert [c["id"] for c in by_card["children"]] == [hugo.pk]
    assert [d["date"] for d in view["days"]][::7] == ["2026-11-30", "2026-12-07"]
    assert view["days"][0] == {"date": "2026-11-30", "children": view["children"]}
    (tuesday,) = view["days"][1]["children"]
    assert [(s["activity"], s["booked"]) for s in tuesday["sessions"]] == [
        ("Périscolaire matin", True),
        ("Périscolaire soir", True),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"pin": PIN_A, "card": "MARMOTS-CARTE:x"},
        {"pin": 240816},
        {"pin": "24081"},
        {"pin": "240816\n"},
        {"pin": PIN_A, "extra": True},
        {"card": "MARMOTS-CARTE:\x00"},
        {"card": "x" * 201},
    ],
)
def test_identify_bad_bodies(kiosk_client, families, body):
    response = post(kiosk_client, "/identify", body)
    assert response.status_code == 422
    assert response.json()["code"] == "donnees_invalides"


def test_five_wrong_pins_lock_the_kiosk_for_five_minutes(kiosk_client, families):
    with time_machine.travel(at(MONDAY, 7), tick=False) as clock:
        for _ in range(5):
            response = post(kiosk_client, "/identify", {"pin": "111112"})
            assert response.status_code == 403
            assert response.json() == {
                "detail": "Code incorrect : vérifiez-le et réessayez.",
                "code": "code_incorrect",
            }
            clock.shift(90)
        response = post(kiosk_client, "/identify", {"pin": PIN_A})
        assert response.status_code == 429 and response.json()["code"] == "saisie_bloquee"
        clock.shift(5 * 60)
        assert post(kiosk_client, "/identify", {"pin": PIN_A}).status_code == 200


def test_family_view_needs_this_kiosks_grant_covering_today(
    kiosk, kiosk_client, manager, structure, families, family_a, family_b
):
    other = paired_kiosk(manager, structure, "Autre porte")
    with time_machine.travel(at(MONDAY, 7, 30), tick=False):
        view = identify(kiosk_client, pin=PIN_A)
        assert get_family(kiosk_client, view["grant"]).json() == view
        refused = [
            get_family(kiosk_client, devices.grant_for(other, family_b, MONDAY)),
            get_family(kiosk_client_for(other), view["grant"]),
            *[get_family(kiosk_client, g) for g in forged(kiosk, family_b, view["grant"])],
            get_family(kiosk_client, view["grant"][:-1]),
            get_family(kiosk_client, ""),
            kiosk_client.get(BASE + "/family"),
        ]
    with time_machine.travel(at(MONDAY + datetime.timedelta(days=8), 7, 30), tick=False):
        refused.append(get_family(kiosk_client, view["grant"]))
    for response in refused:
        assert response.status_code == 403
        assert response.json()["code"] == "autorisation_invalide"
    with time_machine.travel(at(TUESDAY + datetime.timedelta(days=5), 7, 30), tick=False):
        later = get_family(kiosk_client, view["grant"]).json()
    # Read back, a grant gives its own days and is never extended.
    assert (later["grant"], later["date"]) == (view["grant"], "2026-12-06")
    assert [d["date"] for d in later["days"]] == ["2026-12-06", "2026-12-07"]


# Events


def test_event_accepted_then_replayed_counts_once(kiosk, kiosk_client, house, families):
    lea, _ = families
    with time_machine.travel(at(MONDAY, 7, 42, ), tick=False):  # fmt: skip
        grant = identify(kiosk_client, pin=PIN_A)["grant"]
        item = event(grant, lea, house.morning, "arrival", at(MONDAY, 7, 41))
        first = send(kiosk_client, item)
        again = send(kiosk_client, item, item)
        view = get_family(kiosk_client, grant).json()

    (result,) = first.json()["results"]
    saved = CheckinEvent.objects.get()
    assert result == {
        "nonce": item["nonce"],
        "status": "accepted",
        "code": None,
        "detail": None,
        "event_id": saved.pk,
    }
    assert [r["event_id"] for r in again.json()["results"]] == [saved.pk, saved.pk]
    assert statuses(again) == [("duplicate", None)] * 2
    assert (saved.source, saved.by_family, saved.kiosk, saved.date) == (
        "kiosk",
        True,
        kiosk,
        MONDAY,
    )
    assert view["children"][0]["sessions"][0]["done"]["arrival"] == "07:41"


def test_the_same_nonce_from_another_kiosk_is_another_event(
    kiosk_client, manager, structure, house, families
):
    lea, hugo = families
    other = kiosk_client_for(paired_kiosk(manager, structure, "Autre porte"))
    with time_machine.travel(at(MONDAY, 17, 42), tick=False):
        shared = nonce()
        for client, pin, child in [(kiosk_client, PIN_A, lea), (other, PIN_B, hugo)]:
            grant = identify(client, pin=pin)["grant"]
            item = event(grant, child, house.evening, "departure", at(MONDAY, 17, 41), nonce=shared)
            assert statuses(send(client, item)) == [("accepted", None)]
    assert CheckinEvent.objects.count() == 2


def test_events_uploaded_late_land_on_their_day_and_session(kiosk_client, house, families):
    lea, _ = families
    with time_machine.travel(at(MONDAY, 17, 35), tick=False):
        grant = identify(kiosk_client, pin=PIN_A)["grant"]
    # The network is down: the tablet queues the departure at 17:40 and sends it on Tuesday.
    item = event(grant, lea, house.evening, "departure", at(MONDAY, 17, 40))
    with time_machine.travel(at(TUESDAY, 9), tick=False):
        assert statuses(send(kiosk_client, item)) == [("accepted", None)]

    saved = CheckinEvent.objects.get()
    assert (saved.date, saved.activity, saved.kind) == (MONDAY, house.evening, "departure")
    assert saved.at == saved.device_time == at(MONDAY, 17, 40)
    assert saved.received_at == at(TUESDAY, 9)


def test_a_grant_serves_for_seven_days_then_expires(kiosk_client, manager, house, families):
    lea, _ = families
    thursday, next_tuesday = (MONDAY + datetime.timedelta(days=n) for n in (3, 8))
    for day in (thursday, next_tuesday):
        book(manager, lea, house.morning.slots.all(), day)
    with time_machine.travel(at(MONDAY, 7, 30), tick=False):
        grant = identify(kiosk_client, pin=PIN_A)["grant"]
    # Offline from Wednesday: the tablet checks Léa in on Thursday with Monday's grant.
    with time_machine.travel(at(thursday, 7, 45), tick=False):
        accepted = send(
            kiosk_client, event(grant, lea, house.morning, "arrival", at(thursday, 7, 40))
        )
    with time_machine.travel(at(next_tuesday, 7, 45), tick=False):
        expired = send(
            kiosk_client, event(grant, lea, house.morning, "arrival", at(next_tuesday, 7, 40))
        )

    assert statuses(accepted) == [("accepted", None)]
    assert statuses(expired) == [("refused", "autorisation_invalide")]
    saved = CheckinEvent.objects.get()
    assert (saved.date, saved.activity, saved.at) == (thursday, house.morning, at(thursday, 7, 40))


def test_refused_events_write_nothing(
    kiosk, kiosk_client, manager, structure, other_structure, house, families, family_a
):
    lea, hugo = families
    other = paired_kiosk(manager, structure, "Autre porte")
    elsewhere = f.ActivityFactory(structure=other_structure, kiosk_events="both")
    with time_machine.travel(at(MONDAY, 17, 45), tick=False):
        grant = identify(kiosk_client, pin=PIN_A)["grant"]
        now = at(MONDAY, 17, 45)
        cases = {
            "autorisation_invalide": [
                event(devices.grant_for(other, family_a, MONDAY), lea, house.evening,
                      "departure", now),
                event(devices.grant_for(kiosk, family_a, MONDAY - datetime.timedelta(days=8)),
                      lea, house.evening, "departure", now),
                event("forged", lea, house.evening, "departure", now),
                event(grant, lea, house.morning, "arrival", at(MONDAY, 7) - datetime.timedelta(
                    days=1)),
            ],
            "enfant_inconnu": [
                event(grant, hugo, house.evening, "departure", now),
                event(grant, lea, house.evening, "departure", now, child_id=10**9),
            ],
            "seance_inconnue": [
                event(grant, lea, house.circus, "departure", now),
                event(grant, lea, elsewhere, "departure", now),
                event(grant, lea, house.evening, "departure", now, activity_id=10**9),
                event(grant, lea, house.holiday, "departure", now),
            ],
            "pointage_non_prevu": [event(grant, lea, house.evening, "arrival", now)],
            "hors_horaires": [
                event(grant, lea, house.morning, "arrival", at(MONDAY, 8, 31)),
                event(grant, lea, house.evening, "departure", at(MONDAY, 16, 29)),
            ],
            "heure_future": [
                event(grant, lea, house.evening, "departure", at(MONDAY, 17, 50, ) + (
                    datetime.timedelta(seconds=1))),
            ],
            "trop_ancien": [
                event(grant, lea, house.evening, "departure", now - datetime.timedelta(days=8)),
            ],
        }  # fmt: skip
        items = [item for group in cases.values() for item in group]
        response = send(kiosk_client, *items)

    expected = [code for code, group in cases.items() for _ in group]
    assert statuses(response) == [("refused", code) for code in expected]
    assert all(r["detail"] and r["event_id"] is None for r in response.json()["results"])
    assert not CheckinEvent.objects.exists()


def test_an_enrolled_child_not_booked_is_expected_on_an_open_day(kiosk_client, house, families):
    _, hugo = families
    enroll(house, hugo, house.morning)
    with time_machine.travel(at(MONDAY, 7, 10), tick=False):
        view = identify(kiosk_client, pin=PIN_B)
        morning = view["children"][0]["sessions"][0]
        item = event(view["grant"], hugo, house.morning, "arrival", at(MONDAY, 7, 5))
        assert (morning["booked"], morning["slots"]) == (False, "")
        assert statuses(send(kiosk_client, item)) == [("accepted", None)]


def bad_bodies(grant, lea, house):
    good = event(grant, lea, house.morning, "arrival", at(MONDAY, 7, 41))
    return {
        "no events": {"events": []},
        "201 events": {"events": [{**good, "nonce": nonce()} for _ in range(201)]},
        "not a list": {"events": good},
        "extra field": {"events": [{**good, "extra": 1}]},
        "extra top field": {"events": [good], "kiosk_id": 2},
        "child id as text": {"events": [{**good, "child_id": str(lea.pk)}]},
        "child id float": {"events": [{**good, "child_id": lea.pk + 0.5}]},
        "child id huge": {"events": [{**good, "child_id": 2**70}]},
        "child id bool": {"events": [{**good, "child_id": True}]},
        "unknown kind": {"events": [{**good, "kind": "both"}]},
        "time as number": {"events": [{**good, "device_time": 1796000000}]},
        "time without zone": {"events": [{**good, "device_time": "2026-11-30T07:41:00"}]},
        "date only": {"events": [{**good, "device_time": "2026-11-30"}]},
        "short nonce": {"events": [{**good, "nonce": "abc"}]},
        "nonce with space": {"events": [{**good, "nonce": "abc def ghi"}]},
        "nonce too long": {"events": [{**good, "nonce": "a" * 65}]},
        "nonce with newline": {"events": [{**good, "nonce": "abcdefgh\n"}]},
        "nonce as number": {"events": [{**good, "nonce": 12345678}]},
        "NUL in grant": {"events": [{**good, "grant": grant + "\x00"}]},
        "NUL in nonce": {"events": [{**good, "nonce": "abcdefgh\x00"}]},
        "missing grant": {"events": [{k: v for k, v in good.items() if k != "grant"}]},
    }


def test_bad_bodies_are_refused_with_a_code_and_write_nothing(kiosk_client, house, families):
    lea, _ = families
    with time_machine.travel(at(MONDAY, 7, 42), tick=False):
        grant = identify(kiosk_client, pin=PIN_A)["grant"]
        for name, body in bad_bodies(grant, lea, house).items():
            response = post(kiosk_client, "/events", body)
            assert response.status_code == 422, name
            assert response.json()["code"] == "donnees_invalides", name
            assert response.json()["detail"].startswith("Données invalides."), name
        malformed = kiosk_client.post(
            BASE + "/events", '{"events": [', content_type="application/json"
        )
    assert malformed.status_code == 400
    assert malformed.json() == {
        "detail": "Le corps de la requête n'est pas un JSON valide.",
        "code": "json_invalide",
    }
    assert not CheckinEvent.objects.exists()


def test_two_hundred_events_are_answered_and_one_arrival_counts_once(kiosk_client, house, families):
    lea, _ = families
    with time_machine.travel(at(MONDAY, 7, 42), tick=False):
        grant = identify(kiosk_client, pin=PIN_A)["grant"]
        items = [event(grant, lea, house.morning, "arrival", at(MONDAY, 7, 41)) for _ in range(200)]
        response = send(kiosk_client, *items)
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] + ["duplicate"] * 199
    # Each later tap points at the arrival that counts.
    assert {r["event_id"] for r in results} == {results[0]["event_id"]}
    assert CheckinEvent.objects.count() == 1


def test_the_familys_tap_still_counts_after_a_staff_arrival(kiosk_client, house, families, manager):
    lea, _ = families
    CheckinEvent.objects.create(
        child=lea,
        activity=house.morning,
        date=MONDAY,
        kind="arrival",
        at=at(MONDAY, 7, 35),
        source=CheckinEvent.STAFF,
        by_family=False,
        recorded_by=manager,
        reason="Arrivée vue par l'équipe",
    )
    with time_machine.travel(at(MONDAY, 7, 42), tick=False):
        grant = identify(kiosk_client, pin=PIN_A)["grant"]
        response = send(
            kiosk_client, event(grant, lea, house.morning, "arrival", at(MONDAY, 7, 41))
        )
    assert statuses(response) == [("accepted", None)]
    assert CheckinEvent.objects.filter(by_family=True).count() == 1


# Two uploads of the same batch at the same instant (PostgreSQL: real concurrent transactions)


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_uploaded_twice_at_once_counts_once(
    postgres, kiosk, house, families, monkeypatch
):
    lea, _ = families
    # Both uploads pass the "already recorded?" check before either writes: the unique
    # constraint decides, and the loser answers "duplicate" with the winner's event.
    both_checked = threading.Barrier(2)
    refusal = events._refusal

    def check_then_wait(*args):
        answer = refusal(*args)
        both_checked.wait(timeout=30)
        return answer

    write, written = events._write, []

    def write_and_note(*args):
        written.append(write(*args))  # None: the nonce was taken by the other upload
        return written[-1]

    monkeypatch.setattr(events, "_refusal", check_then_wait)
    monkeypatch.setattr(events, "_write", write_and_note)
    with time_machine.travel(at(MONDAY, 17, 45), tick=False):
        grant = devices.grant_for(kiosk, lea.family, MONDAY)
        batch = [
            event(grant, lea, house.morning, "arrival", at(MONDAY, 7, 41)),
            event(grant, lea, house.evening, "departure", at(MONDAY, 17, 44)),
        ]
        answers = [None, None]

        def upload(index):
            try:
                answers[index] = send(kiosk_client_for(kiosk), *batch)
            finally:
                connection.close()

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    results = [statuses(a) for a in answers]
    assert sorted(r[0][0] for r in results) == ["accepted", "duplicate"]
    assert sorted(r[1][0] for r in results) == ["accepted", "duplicate"]
    ids = [[r["event_id"] for r in a.json()["results"]] for a in answers]
    assert ids[0] == ids[1]
    assert CheckinEvent.objects.count() == 2
    assert set(CheckinEvent.objects.values_list("pk", flat=True)) == set(ids[0])
    assert len(written) == 4 and written.count(None) == 2
