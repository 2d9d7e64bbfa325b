"""Places passed on to the waiting line from the pages that free them, and the cron command."""

import datetime
import io

import pytest
from django.core.management import call_command

from marmots.activities.models import AgeGroupCapacity
from marmots.bookings import actions, waitlist
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, SlotDay, WaitlistEntry
from tests.house import enroll

from .waitlist_people import (
    CAMP_DAY,
    CAMP_NOW,
    FOUR,
    NOW,
    SEVEN,
    THURSDAY,
    full_day,
    held,
    line_up,
    loaded,
    newcomer,
    statuses,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def test_a_family_cancelling_from_the_portal_sends_the_offer_to_the_next(
    client_a, house, child_a, guardian_a, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    enroll(house, child_a, house.evening)
    slot = loaded(house.snack_slot)
    SlotDay.objects.create(slot=slot, date=THURSDAY, capacity=1)
    (booked,) = actions.book(guardian_a.user, [Change(child_a, slot, THURSDAY)], now=NOW)
    lined = line_up([newcomer(house), newcomer(house)], slot)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(f"/portail/reservations/{booked.booking.pk}/annuler/")

    assert response.status_code == 302
    assert Booking.objects.get(pk=booked.booking.pk).status == Booking.CANCELLED
    assert statuses(lined) == ["offered", "waiting"]
    (mail,) = mailoutbox
    token = WaitlistEntry.objects.get(pk=lined[0][2].pk).token
    assert f"/portail/liste-attente/offre/{token}/" in mail.body
    assert mail.to == [lined[0][0].email]


def test_more_places_on_the_fill_rate_page_go_to_the_line(client_manager, house, frozen):
    slot, _ = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(4)], slot)
    data = {"slot": slot.pk, "date": THURSDAY.isoformat(), "places": 3}
    assert client_manager.post("/gestion/reservations/remplissage/places/", data).status_code == 302
    assert statuses(lined) == ["offered", "offered", "waiting", "waiting"]


def test_more_places_in_the_slot_settings_go_to_the_lines(client_manager, house, frozen):
    slot = loaded(house.snack_slot)
    slot.capacity = 1
    slot.save()
    [(ua, a)] = [newcomer(house)]
    actions.book(ua, [Change(a, slot, THURSDAY)], now=NOW)
    lined = line_up([newcomer(house) for _ in range(3)], slot)
    data = {
        "label": slot.label,
        "start_time": "16:30",
        "end_time": "17:30",
        "capacity": "3",
        "with_snack": "on",
        "order": "0",
    }
    assert client_manager.post(f"/gestion/tranches/{slot.pk}/", data).status_code == 302
    assert statuses(lined) == ["offered", "offered", "waiting"]
    assert held(slot) == 3


@pytest.fixture
def full_camp(house, time_machine):
    """One place per age group on CAMP_DAY, both taken; a 7- then a 4-year-old waiting."""
    time_machine.move_to(CAMP_NOW, tick=False)
    camp = loaded(house.camp_slot)
    camp.age_groups.filter(min_age=3).update(capacity=1)
    camp.age_groups.filter(min_age=6).update(capacity=1)
    for born in (FOUR, SEVEN):
        user, child = newcomer(house, house.holiday, born)
        (outcome,) = actions.book(user, [Change(child, camp, CAMP_DAY)], now=CAMP_NOW)
        assert outcome.ok, outcome.message
    waiting = [newcomer(house, house.holiday, SEVEN), newcomer(house, house.holiday, FOUR)]
    return camp, line_up(waiting, camp, CAMP_DAY, CAMP_NOW)


AGES_3_5 = {"label": "3-5 ans", "min_age": "3", "max_age": "5"}


def test_more_places_for_an_age_group_go_to_the_children_of_that_age(client_manager, full_camp):
    camp, lined = full_camp
    group = AgeGroupCapacity.objects.get(slot=camp, min_age=3)
    response = client_manager.post(f"/gestion/ages/{group.pk}/", AGES_3_5 | {"capacity": "2"})
    assert response.status_code == 302
    assert statuses(lined) == ["waiting", "offered"]


def test_age_groups_removed_give_their_places_to_the_line(client_manager, full_camp):
    camp, lined = full_camp
    for group in AgeGroupCapacity.objects.filter(slot=camp):
        client_manager.post(f"/gestion/ages/{group.pk}/supprimer/")
    # No group left: the slot's 48 places are for every age.
    assert statuses(lined) == ["offered", "offered"]


def _command():
    out = io.StringIO()
    call_command("expire_waitlist_offers", stdout=out)
    return out.getvalue().strip()


def test_the_cron_command_passes_expired_offers_on_and_does_it_once(house, time_machine):
    time_machine.move_to(NOW, tick=False)
    slot, [(ua, a)] = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(2)], slot)
    actions.cancel(ua, [Change(a, slot, THURSDAY)], now=NOW)
    time_machine.move_to(NOW + datetime.timedelta(hours=24), tick=False)

    assert _command() == (
        "Listes d'attente : 1 offre(s) expirée(s) passée(s) à la suite, 0 place(s) restée(s) "
        "libre(s) proposée(s) ou attribuée(s), 0 inscription(s) de jours passés close(s)."
    )
    assert statuses(lined) == ["expired", "offered"]
    assert _command().startswith("Listes d'attente : 0 offre(s) expirée(s)")
    assert statuses(lined) == ["expired", "offered"]


def test_the_cron_command_fills_places_freed_outside_the_actions_and_closes_past_days(
    house, time_machine
):
    time_machine.move_to(NOW, tick=False)
    slot, _ = full_day(house, 1)
    lined = line_up([newcomer(house) for _ in range(2)], slot)
    later, _ = full_day(house, 1, slot=house.apc_slot)
    on_later = line_up([newcomer(house)], later)
    SlotDay.objects.filter(slot=slot, date=THURSDAY).update(capacity=2)  # no action: no fill
    assert "1 place(s) restée(s) libre(s) proposée(s)" in _command()
    assert statuses(lined) == ["offered", "waiting"]

    time_machine.move_to(NOW + datetime.timedelta(days=4), tick=False)  # Friday: days past
    assert _command() == (
        "Listes d'attente : 1 offre(s) expirée(s) passée(s) à la suite, 0 place(s) restée(s) "
        "libre(s) proposée(s) ou attribuée(s), 1 inscription(s) de jours passés close(s)."
    )
    assert statuses(lined) == ["expired", "lapsed"]
    assert statuses(on_later) == ["lapsed"]
    assert waitlist.positions([e for *_, e in lined + on_later]) == {}
    assert _command().endswith(" 0 inscription(s) de jours passés close(s).")
