"""load_demo's scarce places: a full Wednesday afternoon with Tom Martin first on its waiting
list, the next holiday period more than three weeks ahead collecting requests (the Martin family's
among them while its registrations are open), loaded twice, seen by the family and the manager."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from marmots.accounts.models import User
from marmots.activities.models import Period
from marmots.bookings.models import Booking, SlotDay, WaitlistEntry
from marmots.core.models import AuditEntry
from marmots.enrollments.models import Enrollment
from marmots.places.models import Allocation, AllocationRequest, AllocationWish
from tests.house import at

FRIDAY = datetime.date(2026, 11, 27)  # Christmas (21/12) is 24 days ahead, open since 23/11
WEDNESDAY = datetime.date(2026, 12, 16)
MODELS = (
    Booking,
    SlotDay,
    WaitlistEntry,
    Allocation,
    AllocationRequest,
    AllocationWish,
    Enrollment,
)
LINE = (
    "Places : Tom Martin en 1re position sur la liste d'attente du mercredi 16 décembre 2026 "
    "(Mercredis, Après-midi) : Gestion > Listes d'attente, Portail > Liste d'attente ; "
    "Vacances de Noël 2026 sur demande jusqu'au lundi 14 décembre 2026 à 12h00, 1 demande : "
    "Gestion > Attribution"
)


@pytest.fixture
def clock():
    with time_machine.travel(at(FRIDAY, 10), tick=False) as traveller:
        yield traveller


def load():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue().splitlines()


def counts():
    result = {model: model.objects.count() for model in MODELS}
    # Each run gives the unpaired tablet a fresh pairing code (recorded): nothing else is new.
    result[AuditEntry] = AuditEntry.objects.exclude(action="kiosk.pairing_code").count()
    return result


def test_loading_twice_adds_nothing_and_sends_nothing(
    db, clock, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = load()
        before = counts()
        second = load()
    assert counts() == before
    assert mailoutbox == []
    assert LINE in first and LINE in second
    assert second[-1].startswith("Tablette : ")  # the kiosk line stays last


def test_the_full_wednesday_and_tom_first_in_line(db, clock, client):
    load()
    entry = WaitlistEntry.objects.get()
    assert (entry.child.first_name, entry.date) == ("Tom", WEDNESDAY)
    assert entry.slot.label == "Après-midi"
    assert (entry.status, entry.source) == (WaitlistEntry.WAITING, WaitlistEntry.FAMILY)
    booked = Booking.objects.filter(slot=entry.slot, date=WEDNESDAY, status=Booking.BOOKED)
    assert [b.child.first_name for b in booked] == ["Emma"]
    assert SlotDay.objects.get(slot=entry.slot, date=WEDNESDAY).capacity == 1
    assert AuditEntry.objects.filter(action="slotday.capacity").count() == 1

    client.force_login(User.objects.get(email="claire.martin@example.org"))
    page = client.get("/portail/liste-attente/").content.decode()
    assert "Tom" in page and "1<sup>re</sup> position" in page
    calendar = client.get("/portail/reservations/?mois=2026-12").content.decode()
    assert "en 1re position" in calendar

    client.force_login(User.objects.get(email="gestion@petits-montagnards.fr"))
    lines = client.get("/gestion/listes-attente/").content.decode()
    assert "Tom" in lines and "Martin" in lines


def test_christmas_collects_requests_with_the_martin_one(db, clock, client):
    load()
    christmas = Period.objects.get(name="Vacances de Noël 2026")
    assert christmas.places_mode == Period.ALLOCATION and christmas.allocated_at is None
    assert christmas.requests_close_at == at(datetime.date(2026, 12, 14), 12)
    allocation = christmas.allocation
    assert allocation.status == Allocation.COLLECTING
    assert allocation.points_enrolled == Allocation._meta.get_field("points_enrolled").default
    request = allocation.requests.get()
    assert (request.family.name, request.declares_working) == ("Martin", True)
    wishes = sorted((w.date.day, w.child.first_name, w.preference) for w in request.wishes.all())
    days = {22: 1, 21: 1, 23: 2, 24: 3}
    assert wishes == sorted((d, c, p) for d, p in days.items() for c in ("Léa", "Tom"))
    assert Enrollment.objects.count() == 9  # the Martin children were enrolled already
    assert not Period.objects.exclude(pk=christmas.pk).filter(places_mode=Period.ALLOCATION)

    client.force_login(User.objects.get(email="gestion@petits-montagnards.fr"))
    listing = client.get("/gestion/attribution/").content.decode()
    assert "Vacances de Noël 2026" in listing and "Demandes en cours" in listing
    requests = client.get(f"/gestion/attribution/{christmas.pk}/").content.decode()
    assert "Martin" in requests


def test_before_the_next_period_opens_it_waits_for_requests(db):
    with time_machine.travel(at(datetime.date(2026, 12, 2), 10), tick=False):
        lines = load()
    winter = Period.objects.get(name="Vacances d'hiver 2027")
    assert winter.places_mode == Period.ALLOCATION
    assert Period.objects.filter(places_mode=Period.ALLOCATION).count() == 1
    assert not AllocationRequest.objects.exists()
    assert (
        "Vacances d'hiver 2027 sur demande jusqu'au lundi 8 février 2027 à 12h00, 0 demande "
        "(les demandes ouvrent le lundi 18 janvier 2027 à 20h00) : Gestion > Attribution"
    ) in lines[-2]


def test_once_the_next_period_is_open_the_martin_children_are_enrolled_and_ask(db):
    with time_machine.travel(at(datetime.date(2027, 1, 20), 10), tick=False):
        load()
        load()
    winter = Period.objects.get(name="Vacances d'hiver 2027")
    enrollments = Enrollment.objects.filter(period=winter, child__family__name="Martin")
    assert sorted(e.child.first_name for e in enrollments) == ["Léa", "Tom"]
    assert {e.status for e in enrollments} == {Enrollment.VALIDATED}
    request = AllocationRequest.objects.get()
    assert request.wishes.count() == 8
    assert WaitlistEntry.objects.get().date == datetime.date(2027, 2, 3)
