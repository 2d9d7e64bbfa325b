"""Brothers and sisters the allocation puts on a waiting list together are served together."""

import pytest

from marmots.bookings import actions as booking_actions
from marmots.bookings.models import Booking, WaitlistEntry
from marmots.places import actions
from marmots.places.models import AllocationWish

from . import scenario as sc
from .scenario import D21

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(house, manager):
    scenario = sc.build(house, manager)
    sc.ask_all(scenario)
    return scenario


def wish(child, day):
    return AllocationWish.objects.get(child=child, date=day, request__status="active")


def test_siblings_waiting_after_the_allocation_get_places_only_together(
    s, mailoutbox, django_capture_on_commit_callbacks
):
    """21/12 has 3 places: the manager gives them to Léa, Tom and Inès; Hugo and Zoé wait
    together. One place freed is not enough for them; two are, offered in one e-mail."""
    actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    hugo, zoe = s.bernard.children
    tom, ines = s.petit.children[0], s.durand.children[0]
    actions.adjust(s.manager, wish(hugo, D21), False, now=sc.AFTER_CLOSE)
    for child in (tom, ines):
        actions.adjust(s.manager, wish(child, D21), True, now=sc.AFTER_CLOSE)
    actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)

    line = list(WaitlistEntry.objects.filter(date=D21).order_by("queued_at", "pk"))
    assert [(e.child, e.status) for e in line] == [(hugo, "waiting"), (zoe, "waiting")]
    assert line[0].group and line[0].group == line[1].group

    def free(child):
        booking = Booking.objects.get(child=child, date=D21)
        change = booking_actions.change_for(booking)
        (outcome,) = booking_actions.cancel(s.manager, [change], now=sc.AFTER_CLOSE)
        assert outcome.ok, outcome.message

    free(ines)
    assert set(WaitlistEntry.objects.filter(date=D21).values_list("status", flat=True)) == {
        "waiting"
    }
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        free(tom)
    statuses = WaitlistEntry.objects.filter(date=D21).values_list("status", flat=True)
    assert list(statuses) == ["offered", "offered"]
    (mail,) = mailoutbox
    assert mail.to == ["bernard@example.org"]
    assert mail.subject.startswith("Des places se sont libérées – Hugo et Zoé")


def test_the_result_e_mail_tells_how_siblings_wait(
    s, mailoutbox, django_capture_on_commit_callbacks
):
    actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    with django_capture_on_commit_callbacks(execute=True):
        actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    body = next(m.body for m in mailoutbox if m.to == ["bernard@example.org"])
    together = "attendent ensemble sur la liste d'attente : une place leur est donnée quand il y "
    together += "en a une pour chacun. Chaque place proposée s'accepte ou se refuse séparément."
    assert together in body and "ne leur y est" not in body
    petit = next(m.body for m in mailoutbox if m.to == ["petit@example.org"])
    assert "Sur liste d'attente (si une place se libère, elle vous est proposée par e-mail) :" in (
        petit
    )


def test_the_result_e_mail_without_offers_says_places_are_booked(
    s, mailoutbox, django_capture_on_commit_callbacks
):
    s.house.structure.waitlist_offer_hours = 0
    s.house.structure.save()
    actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    with django_capture_on_commit_callbacks(execute=True):
        actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    body = next(m.body for m in mailoutbox if m.to == ["petit@example.org"])
    assert "une place leur est donnée quand il y en a une pour chacun.\n" in body
    assert "proposée" not in body
    assert "(si une place se libère, elle est réservée aussitôt et vous êtes prévenu(e)" in body
