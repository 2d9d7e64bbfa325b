"""Waiting lines through the actions: positions, places passed on, offers, age groups."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.bookings import absences, actions, capacity, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, WaitlistEntry
from marmots.core.models import AuditEntry
from tests.house import at

from .waitlist_people import (
    CAMP_DAY,
    CAMP_NOW,
    FOUR,
    FULL,
    LATE,
    NOW,
    SEVEN,
    STARTS,
    THURSDAY,
    cancel,
    full_day,
    held,
    line_up,
    loaded,
    newcomer,
    statuses,
)

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def positions(lined):
    entries = [WaitlistEntry.objects.get(pk=e.pk) for *_, e in lined]
    found = waitlist.positions(entries)
    return [found.get(e.pk) for e in entries]


def test_positions_move_as_those_ahead_leave(house, manager):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(5)], slot)
    (ub, b, eb), (uc, c, ec), (ud, d, ed), (ue, e, ee), (uf, f_, ef) = lined
    assert positions(lined) == [1, 2, 3, 4, 5]

    waitlist.decline(uc, ec, now=NOW)  # C leaves the line (withdrawn)
    assert positions(lined) == [1, None, 2, 3, 4]
    waitlist.remove(manager, ee, "Famille déménagée", now=NOW)
    assert positions(lined) == [1, None, 2, None, 3]

    cancel(ua, a, slot)  # B is offered the place: still first, holding it
    assert statuses(lined)[0] == "offered"
    assert positions(lined) == [1, None, 2, None, 3]
    waitlist.decline(ub, eb, now=NOW)  # B declines: D is offered
    assert positions(lined) == [None, None, 1, None, 2]
    waitlist.accept(ud, ed, now=NOW)  # D booked: F is next
    assert positions(lined) == [None, None, None, None, 1]
    assert statuses(lined) == ["declined", "withdrawn", "booked", "removed", "waiting"]


def test_a_cancellation_offers_the_place_to_the_first_in_line(
    house, mailoutbox, django_capture_on_commit_callbacks
):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(2)], slot)
    with django_capture_on_commit_callbacks() as callbacks:
        cancel(ua, a, slot)
        assert mailoutbox == []  # nothing is sent before the commit
    first = WaitlistEntry.objects.get(pk=lined[0][2].pk)
    assert (first.status, first.offered_at) == ("offered", NOW)
    assert first.offer_expires_at == NOW + 24 * HOUR
    assert statuses(lined)[1] == "waiting"
    for callback in callbacks:
        callback()
    (mail,) = mailoutbox
    assert mail.subject.startswith("Une place s'est libérée")
    assert f"/portail/liste-attente/offre/{first.token}/" in mail.body
    assert "réservée jusqu'au mardi 1er décembre 2026 à 9h00" in mail.body
    assert held(slot) == 1


def test_an_offer_never_runs_past_the_session_start(house):
    slot, [(ua, a)] = full_day(house, 1)
    line_up([newcomer(house)], slot)
    thursday_morning = at(THURSDAY, 9)
    (outcome,) = actions.cancel(ua, [Change(a, slot, THURSDAY)], now=thursday_morning)
    assert outcome.code == actions.LATE
    assert WaitlistEntry.objects.get().offer_expires_at == STARTS


def test_no_offer_time_books_the_place_at_once(
    house, mailoutbox, django_capture_on_commit_callbacks
):
    house.structure.waitlist_offer_hours = 0
    house.structure.save()
    slot, [(ua, a)] = full_day(house, 1)
    [(ub, b, entry)] = line_up([newcomer(house)], slot)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(ua, a, slot)
    entry.refresh_from_db()
    assert entry.status == "booked" and entry.booking.status == Booking.BOOKED
    assert entry.booking.child == b
    (mail,) = mailoutbox
    assert mail.subject.startswith("Place obtenue")
    assert held(slot) == 1


def test_a_late_cancellation_passes_the_place_on(house):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house)], slot, now=NOW)
    (outcome,) = actions.cancel(ua, [Change(a, slot, THURSDAY)], now=LATE)
    assert outcome.code == actions.LATE
    assert statuses(lined) == ["offered"]
    assert WaitlistEntry.objects.get().offer_expires_at == LATE + 24 * HOUR


def test_a_late_cancelled_child_put_back_on_the_line_books_its_own_row_again(house, manager):
    slot, [(ua, a)] = full_day(house, 1)
    [(ub, b, eb)] = line_up([newcomer(house)], slot)
    actions.cancel(ua, [Change(a, slot, THURSDAY)], now=LATE)  # B offered
    row = Booking.objects.get(child=a)
    # The family cannot queue again; the structure can.
    (refused,) = waitlist.join(ua, [Change(a, slot, THURSDAY)], now=LATE)
    assert refused.code == "already" and "seule la structure" in refused.message
    (queued,) = waitlist.join(manager, [Change(a, slot, THURSDAY)], now=LATE)
    assert queued.code == waitlist.WAITLISTED
    waitlist.decline(ub, eb, now=LATE)  # B declines: A gets the offer
    offer = WaitlistEntry.objects.get(child=a)
    assert offer.status == "offered"
    booking = waitlist.accept(ua, offer, now=LATE)
    assert booking.pk == row.pk and booking.status == Booking.BOOKED
    assert (booking.cancelled_at, booking.cancelled_on_behalf) == (None, False)
    assert Booking.objects.filter(child=a).count() == 1


def test_a_declared_absence_passes_the_place_on(house):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house)], slot)
    absences.declare_absence(ua, Booking.objects.get(child=a), now=LATE)
    assert Booking.objects.get(child=a).status == Booking.ABSENT
    assert statuses(lined) == ["offered"]


def test_raising_the_day_capacity_offers_the_new_places_in_order(house, manager):
    slot, _ = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(4)], slot)
    capacity.set_day_capacity(manager, slot, THURSDAY, 3, now=NOW)
    assert statuses(lined) == ["offered", "offered", "waiting", "waiting"]
    assert positions(lined) == [1, 2, 3, 4]
    assert held(slot) == 3
    # Offered places are held: the manager cannot go below them either.
    with pytest.raises(ValidationError) as error:
        capacity.set_day_capacity(manager, slot, THURSDAY, 2, now=NOW)
    assert error.value.messages == [
        "1 enfant déjà réservé et 2 places proposées sur liste d'attente ce jour-là : choisissez "
        "au moins 3 places, ou annulez d'abord des réservations."
    ]


def test_an_expired_offer_passes_to_the_next(house):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(2)], slot)
    cancel(ua, a, slot)
    expires = WaitlistEntry.objects.get(pk=lined[0][2].pk).offer_expires_at
    assert waitlist.expire_offers(expires - HOUR) == 0
    assert waitlist.expire_offers(expires) == 1
    assert statuses(lined) == ["expired", "offered"]
    assert waitlist.expire_offers(expires) == 0  # run again: nothing more
    assert held(slot) == 1


def test_accepting_an_expired_offer_is_refused_and_the_place_passes_on(house):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(2)], slot)
    cancel(ua, a, slot)
    (ub, b, eb) = lined[0]
    expires = WaitlistEntry.objects.get(pk=eb.pk).offer_expires_at
    with pytest.raises(ValidationError) as error:
        waitlist.accept(ub, eb, now=expires + HOUR)
    assert error.value.messages[0].startswith("Cette offre a expiré (mardi 01/12 à 9h00)")
    assert not Booking.objects.filter(child=b).exists()
    assert statuses(lined) == ["expired", "offered"]
    with pytest.raises(ValidationError, match="Cette offre a expiré"):
        waitlist.accept(ub, eb, now=NOW)  # even with a clock before the deadline


def test_an_offer_is_accepted_once_and_only_by_its_family(house):
    slot, [(ua, a)] = full_day(house, 1)
    [(ub, b, eb)] = line_up([newcomer(house)], slot)
    cancel(ua, a, slot)
    before = (Booking.objects.count(), AuditEntry.objects.count())
    with pytest.raises(PermissionDenied, match="Cette offre ne vous est pas destinée."):
        waitlist.accept(ua, eb, now=NOW)
    assert (Booking.objects.count(), AuditEntry.objects.count()) == before
    assert WaitlistEntry.objects.get(pk=eb.pk).status == "offered"
    booking = waitlist.accept(ub, eb, now=NOW)
    assert booking.child == b and booking.booked_by == ub
    with pytest.raises(ValidationError, match="Cette place vous est déjà attribuée."):
        waitlist.accept(ub, eb, now=NOW)
    assert Booking.objects.filter(child=b).count() == 1
    assert held(slot) == 1


def test_an_offered_place_is_held_from_other_families(house):
    slot, [(ua, a)] = full_day(house, 1)
    [(ub, b, eb)] = line_up([newcomer(house)], slot)
    cancel(ua, a, slot)
    uc, c = newcomer(house)
    (outcome,) = actions.book(uc, [Change(c, slot, THURSDAY)], now=NOW)
    assert (outcome.code, outcome.message) == ("full", FULL)
    (outcome,) = actions.book(ua, [Change(a, slot, THURSDAY)], now=NOW)  # nor taken back
    assert outcome.code == "full"
    waitlist.decline(ub, eb, now=NOW)  # nobody else waits: the place is free again
    (outcome,) = actions.book(uc, [Change(c, slot, THURSDAY)], now=NOW)
    assert outcome.ok


def test_a_freed_place_of_an_age_group_skips_the_children_it_does_not_take(house):
    camp = loaded(house.camp_slot)
    camp.age_groups.filter(min_age=3).update(capacity=1)
    camp.age_groups.filter(min_age=6).update(capacity=1)
    (u4, four), (u7, seven) = (newcomer(house, house.holiday, born) for born in (FOUR, SEVEN))
    for user, child in ((u4, four), (u7, seven)):
        (outcome,) = actions.book(user, [Change(child, camp, CAMP_DAY)], now=CAMP_NOW)
        assert outcome.ok, outcome.message
    waiting = [newcomer(house, house.holiday, SEVEN), newcomer(house, house.holiday, FOUR)]
    lined = line_up(waiting, camp, CAMP_DAY, CAMP_NOW)

    cancel(u4, four, camp, CAMP_DAY, CAMP_NOW)  # a 3-5 place: not for the 7-year-old

    assert statuses(lined) == ["waiting", "offered"]
    assert positions(lined) == [1, 2]  # the 7-year-old keeps its rank
    cancel(u7, seven, camp, CAMP_DAY, CAMP_NOW)  # a 6-11 place: for the 7-year-old
    assert statuses(lined) == ["offered", "offered"]


def test_a_child_no_age_group_takes_cannot_join(house):
    camp = loaded(house.camp_slot)
    camp.age_groups.filter(min_age=6).update(capacity=0)
    user, teen = newcomer(house, house.holiday, datetime.date(2013, 1, 1))
    (outcome,) = waitlist.join(user, [Change(teen, camp, CAMP_DAY)], now=CAMP_NOW)
    assert (outcome.code, outcome.message) == (
        "not_bookable",
        "Aucune place n'est prévue pour les enfants de 13 ans.",
    )
    assert not WaitlistEntry.objects.exists()


def test_once_the_session_has_started_nothing_is_offered(house, manager):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(2)], slot)
    after_start = STARTS + datetime.timedelta(minutes=10)
    (outcome,) = actions.cancel(manager, [Change(a, slot, THURSDAY)], now=after_start)
    assert outcome.ok
    assert statuses(lined) == ["lapsed", "lapsed"]
    assert held(slot) == 0


def test_an_offer_open_at_the_start_expires_and_the_rest_lapse(house):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(2)], slot)
    actions.cancel(ua, [Change(a, slot, THURSDAY)], now=at(THURSDAY, 9))
    assert waitlist.expire_offers(STARTS) == 1
    assert statuses(lined) == ["expired", "lapsed"]


def test_positions_at_join_are_kept_when_clocks_disagree(house):
    # A join whose clock was read earlier but that got the lock later still queues behind.
    slot, _ = full_day(house, 1)
    (ub, b), (uc, c) = newcomer(house), newcomer(house)
    (first,) = waitlist.join(ub, [Change(b, slot, THURSDAY)], now=NOW)
    (second,) = waitlist.join(uc, [Change(c, slot, THURSDAY)], now=NOW - HOUR)
    assert "(position 1)" in first.message and "(position 2)" in second.message
    entries = list(WaitlistEntry.objects.order_by(*waitlist.LINE_ORDER))
    assert [e.child for e in entries] == [b, c]


def test_a_child_booked_directly_while_waiting_leaves_the_line(house, manager):
    # A place freed by a path that gave it to nobody (capacity changed in the database) is
    # booked directly by a waiting family; the next fill settles its entry without giving it a
    # second place.
    slot, _ = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(2)], slot)
    from marmots.bookings.models import SlotDay

    SlotDay.objects.filter(slot=slot, date=THURSDAY).update(capacity=2)
    (ub, b, eb) = lined[0]
    (outcome,) = actions.book(ub, [Change(b, slot, THURSDAY)], now=NOW)
    assert outcome.ok
    assert waitlist.fill_pending(NOW) == 0  # no place left: nobody served
    assert statuses(lined) == ["booked", "waiting"]
    assert WaitlistEntry.objects.get(pk=eb.pk).booking == outcome.booking
    assert held(slot) == 2


def test_a_child_promoted_ahead_of_an_expiring_offer_gets_its_place(house, manager):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(3)], slot)
    cancel(ua, a, slot)  # B offered
    waitlist.promote(manager, lined[2][2], now=NOW)  # D first in line, behind nobody
    assert positions(lined) == [2, 3, 1]
    expires = WaitlistEntry.objects.get(pk=lined[0][2].pk).offer_expires_at
    assert waitlist.expire_offers(expires) == 1
    assert statuses(lined) == ["expired", "waiting", "offered"]


def test_a_child_whose_enrollment_ended_lapses_and_the_next_is_offered(house):
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(2)], slot)
    lined[0][1].enrollments.update(status="cancelled")
    cancel(ua, a, slot)
    assert statuses(lined) == ["lapsed", "offered"]
    assert WaitlistEntry.objects.get(pk=lined[0][2].pk).reason == waitlist.NO_ENROLLMENT


def test_nothing_is_offered_on_a_day_closed_since_the_families_queued(house):
    from marmots.activities.models import Closure

    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house)], slot)
    Closure.objects.create(
        structure=house.structure, start_date=THURSDAY, end_date=THURSDAY, reason="Grève"
    )
    cancel(ua, a, slot)
    assert statuses(lined) == ["waiting"]


def test_no_offer_e_mail_for_an_offer_answered_before_it_goes_out(
    house, mailoutbox, django_capture_on_commit_callbacks
):
    slot, [(ua, a)] = full_day(house, 1)
    [(ub, b, eb)] = line_up([newcomer(house)], slot)
    with django_capture_on_commit_callbacks() as callbacks:
        cancel(ua, a, slot)
    waitlist.decline(ub, eb, now=NOW)  # answered (from the page) before the queue sent it
    for callback in callbacks:
        callback()
    assert mailoutbox == []


def test_a_cancellation_request_the_manager_accepts_passes_the_place_on(house, manager):
    from marmots.bookings.models import BookingRequest
    from marmots.bookings.requests import decide_request

    house.evening.families_may_cancel = False
    house.evening.save()
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house)], slot)
    (asked,) = actions.cancel(ua, [Change(a, slot, THURSDAY)], now=NOW)
    assert asked.code == actions.REQUESTED and statuses(lined) == ["waiting"]
    decide_request(manager, BookingRequest.objects.get(), accept=True, now=NOW)
    assert statuses(lined) == ["offered"]


def test_a_family_cannot_join_where_bookings_need_the_managers_approval(house, manager):
    """Where families only ask for bookings, a place from the line would skip the approval:
    families are refused (nothing written), the manager may still add the child."""
    full_day(house, 1)
    house.evening.families_may_add = False
    house.evening.save()
    slot = loaded(house.snack_slot)
    user, child = newcomer(house)
    (outcome,) = waitlist.join(user, [Change(child, slot, THURSDAY)], now=NOW)
    assert outcome.code == "not_bookable"
    assert "sur demande validée par la structure" in outcome.message
    assert not WaitlistEntry.objects.exists()
    (outcome,) = waitlist.join(manager, [Change(child, slot, THURSDAY)], now=NOW)
    assert outcome.code == "waitlisted"
