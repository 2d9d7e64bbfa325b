"""A child no age group of the slot takes (13 on a camp for the 3-5 and the 6-11 year-olds) can
never get a place there: its request is refused when sent, and a wish that survives (groups
edited after the request) is refused at the proposal and at the confirmation, never put on a
waiting list it could not leave. Its brothers and sisters are served without it."""

import datetime
from html import unescape

import pytest
from django.core.exceptions import ValidationError

from marmots.activities.models import AgeGroupCapacity
from marmots.bookings.models import Booking, WaitlistEntry
from marmots.core.models import AuditEntry
from marmots.places import actions
from marmots.places.actions import WishInput
from marmots.places.models import AllocationRequest, AllocationWish
from tests import factories as f
from tests.house import enroll

from . import scenario as sc
from .scenario import D21, D22

NO_GROUP_4 = "Aucune place n'est prévue pour les enfants de 4 ans ce jour-là."


@pytest.fixture
def s(house, manager):
    return sc.build(house, manager)


def ask(s):
    """Léa (7) on 21/12; Hugo (7) and Zoé (4) together on 21/12 and 22/12."""
    actions.save_request(s.martin.user, s.period, sc.wishes(s.camp, s.martin, [D21]), now=sc.ASKING)
    actions.save_request(
        s.bernard.user, s.period, sc.wishes(s.camp, s.bernard, [D21, D22]), now=sc.ASKING
    )


def little_ones_group_from_5(s):
    """The manager edits the 3-5 group: from 5 years only; Zoé (4) has no group any more."""
    group = AgeGroupCapacity.objects.get(slot=s.camp, min_age=3)
    group.min_age = 5
    group.save()


def wish(child, day):
    return AllocationWish.objects.get(child=child, date=day, request__status="active")


def test_a_request_for_a_child_of_no_age_group_is_refused_naming_the_child_and_the_day(s):
    max_ = f.ChildFactory(
        family=s.martin.family, first_name="Max", birth_date=datetime.date(2013, 3, 1)
    )
    enroll(s.house, max_, s.house.holiday)
    lea = s.martin.children[0]
    before = (AllocationRequest.objects.count(), AllocationWish.objects.count())
    with pytest.raises(ValidationError) as refused:
        actions.save_request(
            s.martin.user,
            s.period,
            [WishInput(lea, s.camp, D21), WishInput(max_, s.camp, D21)],
            now=sc.ASKING,
        )
    assert refused.value.messages == [
        "Aucune place n'est prévue pour les enfants de 13 ans à « Accueil de loisirs (vacances) »"
        " : Max ne peut pas y être accueilli(e) le lundi 21/12/2026."
    ]
    assert (AllocationRequest.objects.count(), AllocationWish.objects.count()) == before


def test_groups_edited_before_the_proposal_refuse_the_wish_there(s, client_manager):
    ask(s)
    little_ones_group_from_5(s)
    hugo, zoe = s.bernard.children
    view = actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    for day in (D21, D22):
        assert (wish(zoe, day).proposed, wish(zoe, day).outcome) == (False, "refused")
        assert wish(zoe, day).reason == NO_GROUP_4
        assert wish(hugo, day).proposed is True  # served without his sister
        assert wish(hugo, day).outcome == ""
    assert [(d.date, d.granted, d.asked) for d in view.days] == [(D21, 2, 2), (D22, 1, 1)]
    page = client_manager.get(f"/gestion/attribution/{s.period.pk}/proposition/")
    html = unescape(page.content.decode())
    assert '<span class="badge bad">Refusé</span>' in html and NO_GROUP_4 in html
    assert 'Attribuer<span class="skip"> : Zoé' not in html
    before = list(AllocationWish.objects.order_by("pk").values_list("proposed", "outcome"))
    with pytest.raises(ValidationError) as refused:
        actions.adjust(s.manager, wish(zoe, D21), True, now=sc.AFTER_CLOSE)
    assert refused.value.messages[0].startswith(f"Zoé, lundi 21/12/2026 : {NO_GROUP_4}")
    assert list(AllocationWish.objects.order_by("pk").values_list("proposed", "outcome")) == before
    # Hugo withheld by hand: his sister's refused wish is left as it is.
    actions.adjust(s.manager, wish(hugo, D22), False, now=sc.AFTER_CLOSE)
    assert (wish(hugo, D22).proposed, wish(zoe, D22).outcome) == (False, "refused")


def test_groups_edited_after_the_proposal_refuse_the_wish_at_confirmation(
    s, mailoutbox, django_capture_on_commit_callbacks
):
    ask(s)
    hugo, zoe = s.bernard.children
    actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    assert wish(zoe, D21).proposed and wish(hugo, D21).proposed
    little_ones_group_from_5(s)
    with django_capture_on_commit_callbacks(execute=True):
        actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    for day in (D21, D22):
        assert (wish(zoe, day).outcome, wish(zoe, day).reason) == ("refused", NO_GROUP_4)
        assert wish(zoe, day).waitlist_entry is None
        assert wish(hugo, day).outcome == "booked"
    assert not WaitlistEntry.objects.filter(child=zoe).exists()
    assert not Booking.objects.filter(child=zoe).exists()
    audit = AuditEntry.objects.get(action="allocation.confirm")
    assert (audit.after["booked"], audit.after["refused"], audit.after["waitlisted"]) == (3, 2, 0)
    bernard = next(m.body for m in mailoutbox if m.to == ["bernard@example.org"])
    assert f"Zoé, lundi 21 décembre 2026 (Journée avec repas) : {NO_GROUP_4}" in bernard
