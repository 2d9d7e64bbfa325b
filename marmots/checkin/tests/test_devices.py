"""Kiosk and family-key actions: pairing codes, device tokens, PINs, QR cards, grants, and
what a kiosk shows a family."""

import datetime
import re

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marmots.accounts.models import TokenBucket
from marmots.checkin import devices
from marmots.checkin.models import CheckinEvent, FamilyKey, Kiosk, digest
from marmots.core.models import AuditEntry
from tests import factories as f
from tests.house import MONDAY, at, enroll

from .conftest import book, forged, paired_kiosk

CODE = re.compile(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}")
TUESDAY = MONDAY + datetime.timedelta(days=1)


def actions_of(kind):
    return list(AuditEntry.objects.filter(object_type=kind).values_list("action", flat=True))


# Kiosks and pairing


def test_manager_creates_a_kiosk_with_a_one_time_code(manager, structure):
    kiosk, code = devices.create_kiosk(manager, structure, "  Entrée  ")

    assert CODE.fullmatch(code)
    assert kiosk.name == "Entrée" and kiosk.created_by == manager
    assert kiosk.pairing_code_hash == digest(code.replace("-", ""))
    assert not kiosk.is_active
    assert actions_of("kiosk") == ["kiosk.created"]


@pytest.mark.parametrize("who", ["staff", "other_manager", "guardian_a"])
def test_only_the_structure_manager_manages_kiosks(request, who, structure, manager):
    actor = request.getfixturevalue(who)
    actor = getattr(actor, "user", actor)
    kiosk, _ = devices.create_kiosk(manager, structure, "Entrée")
    for attempt in (
        lambda: devices.create_kiosk(actor, structure, "Autre"),
        lambda: devices.new_pairing_code(actor, kiosk),
        lambda: devices.revoke(actor, kiosk),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert Kiosk.objects.get().revoked_at is None and Kiosk.objects.count() == 1


def test_kiosk_names_are_unique_per_structure(manager, structure):
    devices.create_kiosk(manager, structure, "Entrée")
    with pytest.raises(ValidationError) as error:
        devices.create_kiosk(manager, structure, "Entrée")
    assert error.value.messages == ["Une tablette de cette structure porte déjà ce nom."]
    with pytest.raises(ValidationError):
        devices.create_kiosk(manager, structure, "   ")
    assert Kiosk.objects.count() == 1 and actions_of("kiosk") == ["kiosk.created"]


def test_pairing_code_works_once_and_only_its_digest_is_stored(manager, structure):
    kiosk, code = devices.create_kiosk(manager, structure, "Entrée")
    paired = devices.pair(code, timezone.now())

    assert paired is not None
    kiosk, token = paired
    assert token.startswith("kiosk_") and len(token) > 40
    assert kiosk.token_hash == digest(token) and kiosk.pairing_code_hash is None
    assert kiosk.paired_at is not None and kiosk.is_active
    assert devices.pair(code, timezone.now()) is None
    assert actions_of("kiosk") == ["kiosk.paired", "kiosk.created"]


@pytest.mark.parametrize("typed", ["{}", "{lower}", "{raw}", " {a} {b} ", "{a} - {b}"])
def test_pairing_code_is_normalised(manager, structure, typed):
    _, code = devices.create_kiosk(manager, structure, "Entrée")
    a, b = code.split("-")
    text = typed.format(code, lower=code.lower(), raw=a + b, a=a.lower(), b=b)
    assert devices.pair(text, timezone.now()) is not None


@pytest.mark.parametrize("code", ["", "ABCD-234", "ABCD-23456", "ABCD-O0I1", "\x00" * 8, None])
def test_malformed_codes_pair_nothing(manager, structure, code):
    devices.create_kiosk(manager, structure, "Entrée")
    assert devices.pair(code, timezone.now()) is None
    assert not Kiosk.objects.get().is_active


def test_pairing_code_expires_after_24_hours(manager, structure):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        _, code = devices.create_kiosk(manager, structure, "Entrée")
    assert devices.pair(code, at(TUESDAY, 9, 1)) is None
    assert devices.pair(code, at(TUESDAY, 8, 59)) is not None


def test_new_code_replaces_the_old_and_repairing_replaces_the_token(manager, structure):
    kiosk = paired_kiosk(manager, structure)
    old_token = kiosk.token
    first = devices.new_pairing_code(manager, kiosk)
    second = devices.new_pairing_code(manager, kiosk)

    assert devices.kiosk_for_token(old_token) == kiosk  # still works until paired again
    assert devices.pair(first, timezone.now()) is None
    _, new_token = devices.pair(second, timezone.now())
    assert new_token != old_token
    assert devices.kiosk_for_token(old_token) is None
    assert devices.kiosk_for_token(new_token) == kiosk
    assert actions_of("kiosk").count("kiosk.pairing_code") == 2


def test_a_revoked_kiosk_is_revoked_for_good(manager, structure):
    kiosk = paired_kiosk(manager, structure)
    code = devices.new_pairing_code(manager, kiosk)
    assert devices.revoke(manager, kiosk) is True

    assert devices.kiosk_for_token(kiosk.token) is None
    assert devices.pair(code, timezone.now()) is None
    with pytest.raises(ValidationError):
        devices.new_pairing_code(manager, kiosk)
    assert devices.revoke(manager, kiosk) is False
    assert actions_of("kiosk").count("kiosk.revoked") == 1


def test_last_seen_is_written_at_most_once_a_minute(manager, structure, django_assert_num_queries):
    with time_machine.travel(at(MONDAY, 9), tick=False):
        kiosk = paired_kiosk(manager, structure)
    with time_machine.travel(at(MONDAY, 9, 0), tick=False):
        with django_assert_num_queries(1):
            devices.kiosk_for_token(kiosk.token)
    with time_machine.travel(at(MONDAY, 9, 2), tick=False):
        with django_assert_num_queries(2):
            devices.kiosk_for_token(kiosk.token)
    assert Kiosk.objects.get().last_seen_at == at(MONDAY, 9, 2)
    assert devices.kiosk_for_token("mrm_" + kiosk.token[6:]) is None
    assert devices.kiosk_for_token(kiosk.token + "x") is None


# Family keys


@pytest.mark.parametrize(
    "pin, message",
    [
        ("12345", devices.PIN_FORMAT),
        ("1234567", devices.PIN_FORMAT),
        ("12a456", devices.PIN_FORMAT),
        ("١٢٣٤٥٦", devices.PIN_FORMAT),  # Arabic-Indic digits are not 0-9
        (" 240816", devices.PIN_FORMAT),
        (240816, devices.PIN_FORMAT),
        ("000000", devices.PIN_REPEATED),
        ("777777", devices.PIN_REPEATED),
        ("123456", devices.PIN_RUN),
        ("654321", devices.PIN_RUN),
        ("345678", devices.PIN_RUN),
        ("890123", devices.PIN_RUN),
        ("210987", devices.PIN_RUN),
    ],
)
def test_set_pin_refuses_bad_and_trivial_pins(guardian_a, family_a, pin, message):
    assert devices.set_pin(guardian_a.user, family_a, pin) == message
    assert not FamilyKey.objects.filter(pin_digest__isnull=False).exists()
    assert not AuditEntry.objects.exists()


def test_set_pin_stores_a_keyed_digest(guardian_a, family_a, settings):
    assert devices.set_pin(guardian_a.user, family_a, "240816") is None

    key = FamilyKey.objects.get(family=family_a)
    assert key.pin_digest == devices.pin_digest("240816") != digest("240816")
    assert "240816" not in key.pin_digest
    assert actions_of("familykey") == ["family_key.pin_set"]
    settings.SECRET_KEY = "another-secret-key-of-the-instance-0123456789"  # noqa: S105
    assert devices.pin_digest("240816") != key.pin_digest


def test_a_pin_taken_by_another_family_is_refused(guardian_a, family_a, guardian_b, family_b):
    assert devices.set_pin(guardian_a.user, family_a, "240816") is None
    assert devices.set_pin(guardian_b.user, family_b, "240816") == (
        "Ce code n'est pas disponible : choisissez-en un autre."
    )
    assert devices.key_for(family_b).pin_digest is None
    # The family may set its own PIN again, and change it.
    assert devices.set_pin(guardian_a.user, family_a, "240816") is None
    assert devices.set_pin(guardian_a.user, family_a, "935172") is None
    assert devices.set_pin(guardian_b.user, family_b, "240816") is None


def test_only_the_family_or_its_manager_sets_the_pin(
    guardian_a, family_b, manager, other_manager, staff
):
    for actor in (guardian_a.user, other_manager, staff):
        with pytest.raises(PermissionDenied):
            devices.set_pin(actor, family_b, "240816")
        with pytest.raises(PermissionDenied):
            devices.renew_card(actor, family_b)
    assert devices.set_pin(manager, family_b, "240816") is None


def test_key_and_card(guardian_a, family_a):
    key = devices.key_for(family_a)
    assert devices.key_for(family_a) == key
    content = devices.card_content(key)
    assert content == "MARMOTS-CARTE:" + key.card_secret and len(key.card_secret) >= 32

    renewed = devices.renew_card(guardian_a.user, family_a)
    assert renewed.card_secret != key.card_secret
    assert FamilyKey.objects.count() == 1
    assert actions_of("familykey") == ["family_key.card_renewed"]


# Identification


@pytest.fixture
def keys(guardian_a, family_a, guardian_b, family_b):
    devices.set_pin(guardian_a.user, family_a, "240816")
    devices.set_pin(guardian_b.user, family_b, "935172")
    return devices.key_for(family_a), devices.key_for(family_b)


def test_identify_by_pin_or_card(kiosk, keys, family_a, family_b):
    assert devices.identify(kiosk, pin="240816") == family_a
    assert devices.identify(kiosk, card=devices.card_content(keys[1])) == family_b
    for attempt in [{"pin": "111112"}, {"card": keys[1].card_secret}, {"card": "MARMOTS-CARTE:"}]:
        with pytest.raises(devices.Refusal) as refusal:
            devices.identify(kiosk, **attempt)
        assert (refusal.value.status, refusal.value.code) == (403, "code_incorrect")


def test_a_family_of_another_structure_is_unknown_here(
    keys, family_a, other_structure, other_manager
):
    elsewhere = paired_kiosk(other_manager, other_structure)
    with pytest.raises(devices.Refusal):
        devices.identify(elsewhere, pin="240816")
    family_a.structures.add(other_structure)
    assert devices.identify(elsewhere, pin="240816") == family_a


def test_five_wrong_attempts_lock_the_kiosk_for_five_minutes(
    kiosk, keys, family_a, manager, structure
):
    other = paired_kiosk(manager, structure, "Autre porte")
    with time_machine.travel(at(MONDAY, 7), tick=False) as clock:
        for _ in range(4):
            with pytest.raises(devices.Refusal, match="Code incorrect"):
                devices.identify(kiosk, pin="111112")
            clock.shift(60)
        with pytest.raises(devices.Refusal, match="Code incorrect"):
            devices.identify(kiosk, card="MARMOTS-CARTE:nope")
        for attempt in [{"pin": "240816"}, {"card": devices.card_content(keys[0])}]:
            with pytest.raises(devices.Refusal) as refusal:
                devices.identify(kiosk, **attempt)
            assert (refusal.value.status, refusal.value.code) == (429, "saisie_bloquee")
        assert devices.identify(other, pin="240816") == family_a  # per kiosk
        clock.shift(5 * 60 - 1)
        with pytest.raises(devices.Refusal, match="bloquée"):
            devices.identify(kiosk, pin="240816")
        clock.shift(1)
        assert devices.identify(kiosk, pin="240816") == family_a
    assert TokenBucket.objects.count() == 2


def test_wrong_attempts_spread_over_more_than_ten_minutes_do_not_lock(kiosk, keys, family_a):
    with time_machine.travel(at(MONDAY, 7), tick=False) as clock:
        for _ in range(8):
            with pytest.raises(devices.Refusal, match="Code incorrect"):
                devices.identify(kiosk, pin="111112")
            clock.shift(3 * 60)
        assert devices.identify(kiosk, pin="240816") == family_a


# Grants


def signed(payload):
    return signing.dumps(payload, salt=devices.GRANT_SALT)


def test_grant_names_one_family_for_one_kiosk_and_eight_days(
    kiosk, family_a, family_b, manager, structure
):
    grant = devices.grant_for(kiosk, family_a, MONDAY)
    other = paired_kiosk(manager, structure, "Autre porte")

    for day in (MONDAY, TUESDAY, MONDAY + datetime.timedelta(days=7)):
        assert devices.family_from_grant(kiosk, grant, day) == family_a
    for day in (MONDAY - datetime.timedelta(days=1), MONDAY + datetime.timedelta(days=8)):
        assert devices.family_from_grant(kiosk, grant, day) is None
    assert devices.family_from_grant(other, grant, MONDAY) is None
    assert devices.family_from_grant(kiosk, grant[:-2] + "xx", MONDAY) is None
    assert devices.family_from_grant(kiosk, "", MONDAY) is None
    assert devices.family_from_grant(kiosk, None, MONDAY) is None
    for crafted in forged(kiosk, family_b, grant):
        assert devices.family_from_grant(kiosk, crafted, MONDAY) is None


def test_a_grant_never_covers_more_than_eight_days(kiosk, family_a):
    ids = {"k": kiosk.pk, "f": family_a.pk}
    longer = signed({**ids, "d": "2026-11-30", "u": "2026-12-08"})
    backwards = signed({**ids, "d": "2026-11-30", "u": "2026-11-29"})
    not_dates = signed({**ids, "d": "lundi", "u": "2026-12-01"})
    for grant in (longer, backwards, not_dates):
        assert devices.read_grant(kiosk, grant) is None
    # A grant of the first tablets (one day, no "u") keeps working on its day only.
    one_day = signed({**ids, "d": "2026-11-30"})
    assert devices.family_from_grant(kiosk, one_day, MONDAY) == family_a
    assert devices.family_from_grant(kiosk, one_day, TUESDAY) is None
    grant = devices.grant_for(kiosk, family_a, MONDAY)
    found = devices.read_grant(kiosk, grant)
    assert (found.text, found.family, found.first, found.last) == (
        grant,
        family_a,
        MONDAY,
        datetime.date(2026, 12, 7),
    )


# What the kiosk shows


@pytest.fixture
def siblings(house, family_a, child_a, manager):
    """Léa booked in the morning 7:30-8:30 and enrolled (not booked) in the evening; Tom
    booked in the evening 16:30-17:30 and 18:00-18:30 and in the circus (no kiosk)."""
    tom = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2019, 1, 1))
    enroll(house, child_a, house.morning, house.evening, house.holiday)
    enroll(house, tom, house.evening, house.circus)
    morning = list(house.morning.slots.order_by("start_time"))
    evening = list(house.evening.slots.order_by("start_time"))
    book(manager, child_a, morning[1:], MONDAY)
    book(manager, tom, [evening[0], evening[2]], MONDAY)
    return child_a, tom


def test_family_view_lists_the_children_expected_today(kiosk, house, family_a, siblings):
    lea, tom = siblings
    view = devices.family_view(kiosk, family_a, at(MONDAY, 7, 10))

    assert view["family"] == {"id": family_a.pk, "name": "Martin"}
    assert view["date"] == "2026-11-30"
    assert devices.family_from_grant(kiosk, view["grant"], MONDAY) == family_a
    by_name = {c["first_name"]: c["sessions"] for c in view["children"]}
    assert by_name["Léa"] == [
        {
            "activity_id": house.morning.pk,
            "activity": "Périscolaire matin",
            "booked": True,
            "slots": "7h30-8h30",
            "start": "07:00",
            "end": "08:30",
            "windows": {"arrival": {"from": "06:00", "until": "08:30"}},
            "done": {"arrival": None, "departure": None},
        },
        {
            "activity_id": house.evening.pk,
            "activity": "Périscolaire soir",
            "booked": False,
            "slots": "",
            "start": "16:30",
            "end": "18:30",
            "windows": {"departure": {"from": "16:30", "until": "19:30"}},
            "done": {"arrival": None, "departure": None},
        },
    ]
    assert [s["slots"] for s in by_name["Tom"]] == ["16h30-17h30, 18h00-18h30"]
    assert view["days"][0] == {"date": "2026-11-30", "children": view["children"]}


def test_family_view_gives_the_next_seven_days_without_closed_days(
    kiosk, house, family_a, siblings, manager
):
    lea, tom = siblings
    thursday = MONDAY + datetime.timedelta(days=3)
    book(manager, lea, house.morning.slots.all(), thursday)
    view = devices.family_view(kiosk, family_a, at(MONDAY, 7, 10))

    days = {
        d["date"]: {c["first_name"]: c["sessions"] for c in d["children"]} for d in view["days"]
    }
    assert list(days) == [str(MONDAY + datetime.timedelta(days=n)) for n in range(8)]
    # Wednesday and the weekend: the morning and evening activities are closed.
    assert [day for day, children in days.items() if not children] == [
        "2026-12-02",
        "2026-12-05",
        "2026-12-06",
    ]
    # Tom's bookings are Monday's only; on the other open days he is expected as enrolled.
    assert [s["booked"] for s in days["2026-12-01"]["Tom"]] == [False]
    (morning, evening) = days["2026-12-03"]["Léa"]
    assert (morning["booked"], morning["slots"], evening["booked"]) == (True, "7h00-8h30", False)
    assert morning["windows"] == {"arrival": {"from": "06:00", "until": "08:30"}}
    assert [s["activity"] for s in days["2026-12-01"]["Léa"]] == [
        "Périscolaire matin",
        "Périscolaire soir",
    ]
    assert devices.family_from_grant(kiosk, view["grant"], thursday) == family_a


def test_family_view_shows_only_effective_events(kiosk, house, family_a, siblings, staff):
    lea, _ = siblings
    common = {"child": lea, "activity": house.morning, "date": MONDAY, "kind": "arrival"}
    first = CheckinEvent.objects.create(
        **common, at=at(MONDAY, 7, 40), source="kiosk", by_family=True, kiosk=kiosk, nonce="n-1"
    )
    CheckinEvent.objects.create(
        **common, at=at(MONDAY, 7, 35), source="staff", by_family=True, replaces=first,
        reason="Heure corrigée", recorded_by=staff,
    )  # fmt: skip
    CheckinEvent.objects.create(
        **common, at=at(MONDAY, 7, 0), source="staff", by_family=False, voided=True
    )
    later = {**common, "date": TUESDAY, "kind": "departure", "activity": house.evening}
    CheckinEvent.objects.create(**later, at=at(TUESDAY, 17), source="staff", by_family=False)
    CheckinEvent.objects.create(**later, at=at(TUESDAY, 17, 40), source="staff", by_family=False)
    view = devices.family_view(kiosk, family_a, at(MONDAY, 8))
    (morning,) = [c for c in view["children"] if c["id"] == lea.pk][0]["sessions"][:1]
    assert morning["done"] == {"arrival": "07:35", "departure": None}
    tuesday = [c for c in view["days"][1]["children"] if c["id"] == lea.pk][0]["sessions"]
    assert [s["done"] for s in tuesday] == [
        {"arrival": None, "departure": None},
        {"arrival": None, "departure": "17:40"},
    ]


def test_no_session_on_a_closed_day_nor_at_another_structure(
    kiosk, house, family_a, siblings, other_manager, other_structure
):
    wednesday = MONDAY + datetime.timedelta(days=2)
    assert devices.family_view(kiosk, family_a, at(wednesday, 8))["children"] == []
    family_a.structures.add(other_structure)
    elsewhere = paired_kiosk(other_manager, other_structure)
    assert devices.family_view(elsewhere, family_a, at(MONDAY, 8))["children"] == []


def test_family_view_takes_a_handful_of_queries(
    kiosk, house, family_a, siblings, manager, django_assert_max_num_queries
):
    slots = list(house.evening.slots.all())
    for n in range(8):
        child = f.ChildFactory(family=family_a, first_name=f"Enfant {n}")
        enroll(house, child, house.morning, house.evening)
        for day in (MONDAY, TUESDAY, MONDAY + datetime.timedelta(days=3)):
            book(manager, child, slots, day)
            CheckinEvent.objects.create(
                child=child, activity=house.evening, date=day, kind="departure",
                at=at(day, 17), source="staff", by_family=False,
            )  # fmt: skip
    devices.family_view(kiosk, family_a, at(MONDAY, 7))  # the structure calendar, cached
    with django_assert_max_num_queries(6):
        view = devices.family_view(kiosk, family_a, at(MONDAY, 7))
    assert len(view["children"]) == 10
    assert [len(day["children"]) for day in view["days"]] == [10, 10, 0, 10, 10, 0, 0, 10]
