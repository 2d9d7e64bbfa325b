"""Brothers and sisters joining a line together are served together: a place for each of them,
all offered (or booked) in the same fill, in one e-mail; each offer is answered on its own."""

import pytest

from marmots.bookings import actions, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, WaitlistEntry
from tests import factories as f
from tests.house import enroll

from .waitlist_people import (
    CAMP_DAY,
    CAMP_NOW,
    FOUR,
    NOW,
    SEVEN,
    THURSDAY,
    cancel,
    full_day,
    held,
    line_up,
    loaded,
    newcomer,
)

pytestmark = pytest.mark.django_db


def siblings(house, activity=None, births=(SEVEN, SEVEN), names=("Léa", "Tom")):
    family = f.FamilyFactory(structures=[house.structure])
    user = f.GuardianFactory(family=family).user
    children = []
    for name, born in zip(names, births, strict=True):
        child = f.ChildFactory(family=family, first_name=name, birth_date=born)
        enroll(house, child, activity or house.evening)
        children.append(child)
    return user, children


def join_together(user, children, slot, day=THURSDAY, now=NOW):
    outcomes = waitlist.join(user, [Change(c, slot, day) for c in children], now=now)
    assert [o.code for o in outcomes] == [waitlist.WAITLISTED] * len(children)
    return [WaitlistEntry.objects.get(child=c, slot=slot, date=day) for c in children]


def status(*entries):
    return [WaitlistEntry.objects.get(pk=e.pk).status for e in entries]


def test_siblings_of_one_join_share_a_group_and_follow_each_other(house):
    slot, _ = full_day(house, 1)
    [(ub, b, eb)] = line_up([newcomer(house)], slot)
    user, kids = siblings(house)
    lea, tom = join_together(user, kids, slot)
    assert lea.group and lea.group == tom.group and eb.group == ""
    assert waitlist.positions([eb, lea, tom]) == {eb.pk: 1, lea.pk: 2, tom.pk: 3}
    # Another family's siblings, or the same children on another day, get their own group.
    _, others = siblings(house)
    assert join_together(_, others, slot)[0].group not in ("", lea.group)


def test_one_place_is_not_enough_for_two_siblings_the_next_in_line_takes_it(house, manager):
    slot, booked = full_day(house, 3)
    user, kids = siblings(house)
    lea, tom = join_together(user, kids, slot)
    [(uc, c, ec)] = line_up([newcomer(house)], slot)
    cancel(*booked[0], slot)  # one place: not enough for Léa and Tom, C gets it
    assert status(lea, tom, ec) == ["waiting", "waiting", "offered"]
    assert waitlist.positions([lea, tom, ec]) == {lea.pk: 1, tom.pk: 2, ec.pk: 3}
    cancel(*booked[1], slot)  # a second place: still one free for the two of them
    assert status(lea, tom) == ["waiting", "waiting"]
    assert held(slot) == 2  # one place left free: nobody who fits waits
    cancel(*booked[2], slot)  # two places: both offered at once
    assert status(lea, tom) == ["offered", "offered"]
    assert held(slot) == 3


def test_places_freed_one_by_one_are_offered_once_both_are_free(
    house, mailoutbox, django_capture_on_commit_callbacks
):
    slot, booked = full_day(house, 2)
    user, kids = siblings(house)
    lea, tom = join_together(user, kids, slot)
    with django_capture_on_commit_callbacks(execute=True):
        cancel(*booked[0], slot)
    assert mailoutbox == [] and status(lea, tom) == ["waiting", "waiting"]
    with django_capture_on_commit_callbacks(execute=True):
        cancel(*booked[1], slot)
    assert status(lea, tom) == ["offered", "offered"]
    (mail,) = mailoutbox  # one e-mail for the family, both children in it
    assert "Léa" in mail.subject and "Tom" in mail.subject


def test_two_places_freed_together_send_one_e_mail_listing_both(
    house, manager, mailoutbox, django_capture_on_commit_callbacks
):
    from marmots.bookings import capacity

    slot, _ = full_day(house, 1)
    user, kids = siblings(house)
    lea, tom = join_together(user, kids, slot)
    with django_capture_on_commit_callbacks(execute=True):
        capacity.set_day_capacity(manager, slot, THURSDAY, 3, now=NOW)
    lea.refresh_from_db(), tom.refresh_from_db()
    assert (lea.status, tom.status) == ("offered", "offered")
    (mail,) = mailoutbox
    assert mail.subject.startswith("Des places se sont libérées – Léa et Tom")
    assert f"/portail/liste-attente/offre/{lea.token}/" in mail.body
    assert f"/portail/liste-attente/offre/{tom.token}/" in mail.body
    assert "- Léa :" in mail.body and "- Tom :" in mail.body
    assert "séparément" in mail.body


def test_offers_off_siblings_are_booked_together_and_told_once(
    house, manager, mailoutbox, django_capture_on_commit_callbacks
):
    from marmots.bookings import capacity

    house.structure.waitlist_offer_hours = 0
    house.structure.save()
    slot, _ = full_day(house, 1)
    user, kids = siblings(house)
    lea, tom = join_together(user, kids, slot)
    with django_capture_on_commit_callbacks(execute=True):
        capacity.set_day_capacity(manager, slot, THURSDAY, 2, now=NOW)
    assert status(lea, tom) == ["waiting", "waiting"]
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        capacity.set_day_capacity(manager, slot, THURSDAY, 3, now=NOW)
    assert status(lea, tom) == ["booked", "booked"]
    (mail,) = mailoutbox
    assert mail.subject.startswith("Places obtenues – Léa et Tom")
    for entry in (lea, tom):
        booking = Booking.objects.get(child=entry.child)
        assert f"/portail/reservations/{booking.pk}/" in mail.body


def test_one_sibling_declining_leaves_the_other_offered(house, manager):
    from marmots.bookings import capacity

    slot, _ = full_day(house, 1)
    user, kids = siblings(house)
    lea, tom = join_together(user, kids, slot)
    [(uc, c, ec)] = line_up([newcomer(house)], slot)
    capacity.set_day_capacity(manager, slot, THURSDAY, 3, now=NOW)
    assert status(lea, tom, ec) == ["offered", "offered", "waiting"]
    waitlist.decline(user, tom, now=NOW)  # Tom's place goes to C, Léa keeps hers
    assert status(lea, tom, ec) == ["offered", "declined", "offered"]
    booking = waitlist.accept(user, lea, now=NOW)
    assert booking.child == kids[0]
    expires = WaitlistEntry.objects.get(pk=ec.pk).offer_expires_at
    assert waitlist.expire_offers(expires) == 1
    assert status(lea, tom, ec) == ["booked", "declined", "expired"]


def test_siblings_wait_for_a_place_in_each_age_group(house):
    camp = loaded(house.camp_slot)
    camp.age_groups.filter(min_age=3).update(capacity=1)
    camp.age_groups.filter(min_age=6).update(capacity=1)
    booked = [newcomer(house, house.holiday, born) for born in (FOUR, SEVEN)]
    for user, child in booked:
        (outcome,) = actions.book(user, [Change(child, camp, CAMP_DAY)], now=CAMP_NOW)
        assert outcome.ok, outcome.message
    user, kids = siblings(house, house.holiday, births=(FOUR, SEVEN))
    four, seven = join_together(user, kids, camp, CAMP_DAY, CAMP_NOW)
    [(u7, c7, e7)] = line_up([newcomer(house, house.holiday, SEVEN)], camp, CAMP_DAY, CAMP_NOW)
    cancel(*booked[1], camp, CAMP_DAY, CAMP_NOW)  # a 6-11 place only: the 7-year-old behind
    assert status(four, seven, e7) == ["waiting", "waiting", "offered"]
    waitlist.decline(u7, e7, now=CAMP_NOW)  # the 6-11 place is free again, still no 3-5 one
    assert status(four, seven) == ["waiting", "waiting"]
    cancel(*booked[0], camp, CAMP_DAY, CAMP_NOW)  # a 3-5 place too: both offered
    assert status(four, seven) == ["offered", "offered"]


def test_promoting_a_sibling_brings_the_others_along(house, manager):
    slot, _ = full_day(house, 1)
    lined = line_up([newcomer(house)], slot)
    user, kids = siblings(house)
    lea, tom = join_together(user, kids, slot)
    waitlist.promote(manager, tom, now=NOW)
    entries = [lined[0][2], lea, tom]
    assert waitlist.positions(entries) == {lea.pk: 1, tom.pk: 2, lined[0][2].pk: 3}


def test_siblings_joining_through_the_api_are_grouped(house, client, time_machine):
    slot, _ = full_day(house, 1)
    user, kids = siblings(house)
    client.force_login(user)
    time_machine.move_to(NOW, tick=False)
    changes = [{"child_id": c.pk, "slot_id": slot.pk, "date": THURSDAY.isoformat()} for c in kids]
    response = client.post(
        "/api/v1/waitlist", {"changes": changes}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert [o["position"] for o in response.json()["outcomes"]] == [1, 2]
    groups = set(WaitlistEntry.objects.values_list("group", flat=True))
    assert len(groups) == 1 and "" not in groups
