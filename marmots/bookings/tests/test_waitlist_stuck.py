"""No line stuck while a place is free: siblings who could never fit together are served one by
one, a sibling no age group takes does not block the others, days a closure edit no longer
covers are refilled at once; late offer e-mails are not sent; French wording of closed entries."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from marmots.activities.models import AgeGroupCapacity, Closure
from marmots.bookings import actions, tasks, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, SlotDay, WaitlistEntry
from marmots.enrollments.models import Enrollment

from .test_waitlist_siblings import join_together, siblings, status
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
    statuses,
)

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def test_twins_on_a_day_of_one_place_are_served_one_by_one(house):
    slot, [booked] = full_day(house, 1)
    user, kids = siblings(house)
    lea, tom = join_together(user, kids, slot)
    [(uc, c, ec)] = line_up([newcomer(house)], slot)
    cancel(*booked, slot)  # they can never be two on this day: Léa, first in line, gets it
    assert status(lea, tom, ec) == ["offered", "waiting", "waiting"]
    waitlist.decline(user, lea, now=NOW)  # then Tom, still ahead of C
    assert status(lea, tom, ec) == ["declined", "offered", "waiting"]
    assert held(slot) == 1


def test_places_cut_below_the_siblings_number_are_given_by_the_cron(house):
    slot, _ = full_day(house, 3)
    user, kids = siblings(house, births=(SEVEN,) * 3, names=("Léa", "Tom", "Zoé"))
    lea, tom, zoe = join_together(user, kids, slot)
    # Places cut to 2 and every booking gone, on paths that do not fill (a database edit).
    SlotDay.objects.filter(slot=slot, date=THURSDAY).update(capacity=2)
    Booking.objects.filter(slot=slot, date=THURSDAY).update(status=Booking.CANCELLED)
    assert waitlist.fill_pending(NOW) == 2
    assert status(lea, tom, zoe) == ["offered", "offered", "waiting"]


def test_siblings_above_their_age_group_capacity_are_served_one_by_one(house):
    camp = loaded(house.camp_slot)
    camp.age_groups.filter(min_age=3).update(capacity=1)
    user_a, child_a = newcomer(house, house.holiday, FOUR)
    (outcome,) = actions.book(user_a, [Change(child_a, camp, CAMP_DAY)], now=CAMP_NOW)
    assert outcome.ok, outcome.message
    user, kids = siblings(house, house.holiday, births=(FOUR, FOUR))
    first, second = join_together(user, kids, camp, CAMP_DAY, CAMP_NOW)
    cancel(user_a, child_a, camp, CAMP_DAY, CAMP_NOW)  # the 3-5 group has one place only
    assert status(first, second) == ["offered", "waiting"]


def test_a_sibling_no_age_group_takes_any_more_does_not_block_the_other(
    house, client_manager, time_machine
):
    time_machine.move_to(CAMP_NOW, tick=False)
    camp = loaded(house.camp_slot)
    camp.age_groups.update(capacity=1)
    booked = [newcomer(house, house.holiday, born) for born in (FOUR, SEVEN)]
    for user_a, child_a in booked:
        (outcome,) = actions.book(user_a, [Change(child_a, camp, CAMP_DAY)], now=CAMP_NOW)
        assert outcome.ok, outcome.message
    user_a, child_a = booked[0]
    user, kids = siblings(house, house.holiday, births=(FOUR, SEVEN))
    four, seven = join_together(user, kids, camp, CAMP_DAY, CAMP_NOW)
    older = AgeGroupCapacity.objects.get(slot=camp, min_age=6)
    fields = {"label": "8-11 ans", "min_age": "8", "max_age": "11", "capacity": "32"}
    assert client_manager.post(f"/gestion/ages/{older.pk}/", fields).status_code == 302
    cancel(user_a, child_a, camp, CAMP_DAY, CAMP_NOW)  # a 3-5 place; none for a 7-year-old
    assert status(four, seven) == ["offered", "waiting"]


def test_editing_a_closure_refills_the_days_it_no_longer_covers(house, client_manager, frozen):
    slot, [booked] = full_day(house, 1)
    friday = THURSDAY + DAY
    SlotDay.objects.create(slot=slot, date=friday, capacity=0)
    lined = line_up([newcomer(house)], slot)
    [(uf, cf, ef)] = line_up([newcomer(house)], slot, friday)
    closure = Closure.objects.create(
        structure=house.structure, start_date=THURSDAY - DAY, end_date=friday, reason="Grève"
    )
    cancel(*booked, slot)
    SlotDay.objects.filter(slot=slot, date=friday).update(capacity=1)  # no fill on this path
    assert statuses(lined) == ["waiting"]
    form = {
        "structure": house.structure.pk,
        "start_date": friday.isoformat(),
        "end_date": friday.isoformat(),
        "reason": "Grève",
    }
    response = client_manager.post(f"/gestion/fermetures/{closure.pk}/", form)
    assert response.status_code == 302
    assert statuses(lined) == ["offered"]  # Thursday open again: its place goes to the line
    assert statuses([(uf, cf, ef)]) == ["waiting"]  # Friday still closed


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def test_an_offer_e_mail_sent_after_its_deadline_is_dropped(house, mailoutbox, frozen):
    slot, [booked] = full_day(house, 1)
    [(ub, b, eb)] = line_up([newcomer(house)], slot)
    cancel(*booked, slot)
    eb.refresh_from_db()
    frozen.move_to(eb.offer_expires_at, tick=False)  # the worker runs late
    assert tasks.send_waitlist_offer.call([eb.pk]) == 0
    assert mailoutbox == []


def test_siblings_offer_e_mail_has_no_gendered_wording(house, manager, mailoutbox, frozen):
    from marmots.bookings import capacity

    slot, _ = full_day(house, 1)
    user, kids = siblings(house, names=("Léa", "Zoé"))
    lea, zoe = join_together(user, kids, slot)
    capacity.set_day_capacity(manager, slot, THURSDAY, 3, now=NOW)
    assert tasks.send_waitlist_offer.call([lea.pk, zoe.pk]) == 1
    (mail,) = mailoutbox
    assert "inscrits" not in mail.body
    assert "Léa et Zoé, qui attendaient ensemble sur la liste d'attente" in mail.body


LAPSED = (
    "Cette offre n'est plus valable. L'inscription de l'enfant à cette activité n'est plus validée."
)


def test_an_offer_lapsed_for_its_enrollment_says_why(house, client, frozen):
    slot, [booked] = full_day(house, 1)
    [(ub, b, eb)] = line_up([newcomer(house)], slot)
    cancel(*booked, slot)
    eb.refresh_from_db()
    Enrollment.objects.filter(child=b).update(status=Enrollment.CANCELLED)
    client.force_login(ub)
    url = f"/portail/liste-attente/offre/{eb.token}/"
    client.post(url, {"reponse": "accepter"})  # lapses: the enrollment is no longer validated
    assert statuses([(ub, b, eb)]) == ["lapsed"]
    page = client.get(url).content.decode().replace("&#x27;", "'")
    assert LAPSED in page and "jour passé sans place" not in page
    response = client.post(url, {"reponse": "accepter"}, follow=True)
    assert LAPSED in response.content.decode().replace("&#x27;", "'")
    listing = client.get("/portail/liste-attente/").content.decode()
    assert "Sans place" in listing and "Jour passé sans place" not in listing
    with pytest.raises(ValidationError, match="n'est plus active. L'inscription"):
        waitlist.decline(ub, WaitlistEntry.objects.get(pk=eb.pk), now=NOW)
