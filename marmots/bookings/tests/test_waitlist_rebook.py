"""Waiting-list corner cases: a child's own row booked again from the line a second time, places
freed after the deadline when offers are off, closed days and children booked directly while
their offer was open."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from marmots.activities.actions import delete_closure
from marmots.activities.models import Closure
from marmots.bookings import actions, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, SlotDay, WaitlistEntry
from tests.house import at

from .waitlist_people import (
    LATE,
    NOW,
    STARTS,
    THURSDAY,
    cancel,
    full_day,
    held,
    line_up,
    newcomer,
    statuses,
)

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def offers_off(house):
    house.structure.waitlist_offer_hours = 0
    house.structure.save()


def back_on_the_line(house, manager):
    """X got its place from the line and cancelled it late; the manager booked A on it, then put
    X back on the line: (slot, (ua, a), (ux, x), X's row, X's second entry)."""
    slot, [(ua, a)] = full_day(house, 1)
    [(ux, x, first)] = line_up([newcomer(house)], slot)
    cancel(ua, a, slot)  # in time: X gets the place (offered, or booked when offers are off)
    first.refresh_from_db()
    if first.status == WaitlistEntry.OFFERED:
        waitlist.accept(ux, first, now=NOW)
    row = Booking.objects.get(child=x)
    (late,) = actions.cancel(ux, [Change(x, slot, THURSDAY)], now=LATE)
    assert late.code == actions.LATE
    (again,) = actions.book(manager, [Change(a, slot, THURSDAY)], now=LATE)
    assert again.ok, again.message
    (queued,) = waitlist.join(manager, [Change(x, slot, THURSDAY)], now=LATE)
    assert queued.code == waitlist.WAITLISTED, queued.message
    second = WaitlistEntry.objects.get(child=x, status="waiting")
    return slot, (ua, a), (ux, x), row, second


def assert_rebooked(x, row, second):
    second.refresh_from_db()
    assert second.status == "booked" and second.booking_id == row.pk
    assert Booking.objects.get(child=x).status == Booking.BOOKED
    assert WaitlistEntry.objects.filter(child=x, booking=row).count() == 2  # both kept, linked


@pytest.mark.parametrize("hours", [24, 0])
def test_a_child_put_back_on_the_line_gets_its_row_again(house, manager, hours):
    if hours == 0:
        offers_off(house)
    slot, (ua, a), (ux, x), row, second = back_on_the_line(house, manager)
    cancel(manager, a, slot, now=LATE)  # after the deadline: an offer, even with offers off
    second.refresh_from_db()
    assert second.status == "offered"
    booking = waitlist.accept(ux, second, now=LATE)
    assert booking.pk == row.pk
    assert_rebooked(x, row, second)
    assert held(slot) == 1


def test_the_cron_gives_the_place_to_a_child_put_back_on_the_line(house, manager, time_machine):
    offers_off(house)
    slot, (ua, a), (ux, x), row, second = back_on_the_line(house, manager)
    SlotDay.objects.filter(slot=slot, date=THURSDAY).update(capacity=2)  # freed without a fill
    time_machine.move_to(LATE, tick=False)
    out = io.StringIO()
    call_command("expire_waitlist_offers", stdout=out)
    assert "1 place(s) restée(s) libre(s)" in out.getvalue()
    second.refresh_from_db()
    assert second.status == "offered"
    waitlist.accept(ux, second, now=LATE)
    assert_rebooked(x, row, second)


def test_offers_off_a_place_freed_in_time_is_booked_and_its_e_mail_links_to_it(
    house, mailoutbox, django_capture_on_commit_callbacks
):
    offers_off(house)
    slot, [(ua, a)] = full_day(house, 1)
    [(ub, b, entry)] = line_up([newcomer(house)], slot)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(ua, a, slot)
    entry.refresh_from_db()
    assert entry.status == "booked"
    (mail,) = mailoutbox
    assert mail.subject.startswith("Place obtenue")
    assert f"/portail/reservations/{entry.booking_id}/" in mail.body


def test_offers_off_a_place_freed_after_the_deadline_is_offered_not_billed(
    house, mailoutbox, django_capture_on_commit_callbacks
):
    offers_off(house)
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house), newcomer(house)], slot)
    with django_capture_on_commit_callbacks(execute=True):
        (outcome,) = actions.cancel(ua, [Change(a, slot, THURSDAY)], now=LATE)
    assert outcome.code == actions.LATE
    assert statuses(lined) == ["offered", "waiting"]
    entry = WaitlistEntry.objects.get(pk=lined[0][2].pk)
    assert entry.offer_expires_at == LATE + 24 * HOUR
    assert not Booking.objects.filter(child=lined[0][1]).exists()
    (mail,) = mailoutbox
    assert mail.subject.startswith("Une place s'est libérée")
    assert f"/portail/liste-attente/offre/{entry.token}/" in mail.body
    # Thursday morning: held until the session starts at the latest.
    waitlist.decline(lined[0][0], entry, now=at(THURSDAY, 9))
    assert WaitlistEntry.objects.get(pk=lined[1][2].pk).offer_expires_at == STARTS


def closure(house):
    return Closure.objects.create(
        structure=house.structure, start_date=THURSDAY, end_date=THURSDAY, reason="Grève"
    )


def test_an_offer_on_a_day_closed_since_cannot_be_accepted(house):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house), newcomer(house)], slot)
    cancel(ua, a, slot)
    closure(house)
    (ub, b, eb) = lined[0]
    with pytest.raises(ValidationError) as error:
        waitlist.accept(ub, eb, now=NOW)
    assert error.value.messages == [
        "Structure fermée : Grève. Cette place ne peut pas être acceptée."
    ]
    assert not Booking.objects.filter(child=b).exists()
    assert statuses(lined) == ["offered", "waiting"]  # nothing passed on: the day is closed


def test_removing_a_closure_gives_its_days_places_to_the_lines(house, manager):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house)], slot)
    closed = closure(house)
    cancel(ua, a, slot)
    assert statuses(lined) == ["waiting"]
    delete_closure(closed, actor=manager)
    assert statuses(lined) == ["offered"]
    assert not Closure.objects.exists()


def test_accepting_after_a_direct_booking_settles_and_passes_the_offer_on(house):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house), newcomer(house)], slot)
    cancel(ua, a, slot)  # B offered
    SlotDay.objects.filter(slot=slot, date=THURSDAY).update(capacity=2)  # no fill
    (ub, b, eb) = lined[0]
    (direct,) = actions.book(ub, [Change(b, slot, THURSDAY)], now=NOW)
    assert direct.ok, direct.message
    booking = waitlist.accept(ub, eb, now=NOW)
    assert booking.pk == direct.booking.pk
    assert Booking.objects.filter(child=b).count() == 1
    assert statuses(lined) == ["booked", "offered"]  # the offered place goes to C
    assert WaitlistEntry.objects.get(pk=eb.pk).booking_id == booking.pk
    assert held(slot) == 2


def test_the_offer_page_refuses_a_closed_day_in_french(house, client, time_machine):
    slot, [(ua, a)] = full_day(house, 1)
    [(ub, b, eb)] = line_up([newcomer(house)], slot)
    cancel(ua, a, slot)
    closure(house)
    eb.refresh_from_db()
    client.force_login(ub)
    time_machine.move_to(NOW, tick=False)
    url = f"/portail/liste-attente/offre/{eb.token}/"
    response = client.post(url, {"reponse": "accepter"}, follow=True)
    assert response.redirect_chain[-1][0] == url
    assert "Structure fermée : Grève. Cette place ne peut pas être acceptée." in (
        response.content.decode()
    )
    assert statuses([(ub, b, eb)]) == ["offered"]
    assert not Booking.objects.filter(child=b).exists()
