"""load_demo's kiosk side: the Martin family's PIN, the entrance tablet with a fresh pairing
code, and this month's attendance with two missed check-ins for Léa, loaded twice."""

import datetime
import re
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from marmots.bookings.models import Booking
from marmots.checkin import attendance, devices
from marmots.checkin.models import CheckinEvent, FamilyKey, Kiosk, RegisterMark
from marmots.families.models import Family
from tests.house import at

FRIDAY = datetime.date(2026, 11, 27)
CODE = re.compile(
    r"Tablette : ouvrez http://\S+/kiosque/ et saisissez le code "
    r"([A-Z2-9]{4}-[A-Z2-9]{4}) \(valable 24 h\)"
)
MODELS = (Kiosk, FamilyKey, CheckinEvent, RegisterMark, Booking)


def load(when=FRIDAY):
    out = StringIO()
    with time_machine.travel(at(when, 10)):
        call_command("load_demo", stdout=out)
    return out.getvalue()


def counts():
    return {model: model.objects.count() for model in MODELS}


def test_loading_twice_adds_nothing_but_a_new_pairing_code(db, client):
    first = load()
    before = counts()
    second = load()
    assert counts() == before
    assert "code de pointage de la famille Martin (tablette) : 246813" in second
    old_code, new_code = CODE.search(first)[1], CODE.search(second)[1]
    assert old_code != new_code
    with time_machine.travel(at(FRIDAY, 11)):
        bad = client.post("/api/v1/kiosk/pair", {"code": old_code}, "application/json")
        good = client.post("/api/v1/kiosk/pair", {"code": new_code}, "application/json")
    assert bad.status_code == 400 and good.status_code == 200
    assert good.json()["kiosk"]["name"] == "Tablette entrée"
    assert "déjà appairée" in load().splitlines()[-1]


def test_the_demo_family_has_its_pin_and_lea_two_missed_checkins(db, client):
    load()
    family = Family.objects.get(name="Martin")
    kiosk = Kiosk.objects.get(name="Tablette entrée")
    assert kiosk.paired_at is None
    assert devices.identify(kiosk, pin="246813") == family
    children = list(family.children.order_by("first_name"))
    months = attendance.missed_by_child(children, FRIDAY.replace(day=1), FRIDAY)
    lea, tom = (months[c.pk] for c in children)
    assert (lea.count, lea.threshold, lea.warning) == (2, 3, "approche")
    assert tom.count == 0
    assert CheckinEvent.objects.filter(child__in=children, date__lt=FRIDAY).count() > 10
    assert not CheckinEvent.objects.filter(date__gte=FRIDAY).exists()
    client.force_login(family.guardians.first().user)
    with time_machine.travel(at(FRIDAY, 10)):
        html = client.get("/portail/pointage/").content.decode()
    assert "Léa : 2 oublis de pointage en novembre (seuil : 3)" in html


@pytest.mark.parametrize("day", [datetime.date(2026, 12, 1), datetime.date(2026, 12, 2)])
def test_early_in_the_month_the_demo_uses_what_exists(db, day):
    load(day)
    first = day.replace(day=1)
    # The month before is the billing demo's: its attendance makes the invoice (_demo_billing).
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    assert not CheckinEvent.objects.filter(date__lt=previous).exists()
    assert RegisterMark.objects.filter(date__range=(first, day)).count() <= 2
