"""Settings of the places mode and the families' requests: who may, what is refused (in
French, nothing changed)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.bookings import actions as booking_actions
from marmots.bookings.actions import Change
from marmots.core.models import AuditEntry
from marmots.places import actions
from marmots.places.actions import WishInput
from marmots.places.models import Allocation, AllocationRequest, AllocationWish
from tests import factories as f
from tests.house import at, enroll

from . import scenario as sc
from .scenario import D21, D22, D23, D25, D26


@pytest.fixture
def s(house, manager):
    return sc.build(house, manager)


def counts():
    return (
        AllocationRequest.objects.count(),
        list(AllocationWish.objects.order_by("pk").values_list("pk", "date", "preference")),
        AuditEntry.objects.count(),
    )


def refused(call, *args, **kwargs):
    before = counts()
    with pytest.raises(ValidationError) as error:
        call(*args, **kwargs)
    assert counts() == before
    return error.value.messages


# Settings ------------------------------------------------------------------------------------


def test_configure_creates_the_allocation_and_blocks_first_come_bookings(house, manager):
    period = house.christmas
    allocation = actions.configure(
        manager,
        period,
        mode="allocation",
        requests_close_at=sc.CLOSE,
        points={"working": 4, "resident": 0},
    )
    period.refresh_from_db()
    assert (period.places_mode, period.requests_close_at) == ("allocation", sc.CLOSE)
    assert actions.points_of(allocation) == {
        "enrolled": 3,
        "siblings": 2,
        "working": 4,
        "resident": 0,
        "special_needs": 3,
    }
    entry = AuditEntry.objects.get(action="allocation.settings")
    assert entry.after["points"]["working"] == 4 and entry.before["places_mode"] == "first_come"
    # The booking rules see the change at once (the period's save renews their cache).
    guardian = f.GuardianFactory(family=f.FamilyFactory(structures=[house.structure]))
    child = f.ChildFactory(family=guardian.family)
    enroll(house, child, house.holiday)
    (outcome,) = booking_actions.book(
        guardian.user, [Change(child, house.camp_slot, D21)], now=sc.ASKING
    )
    assert outcome.code == "allocation"


def test_configure_refusals(house, manager, staff):
    period = house.christmas
    with pytest.raises(PermissionDenied):
        actions.configure(staff, period, mode="allocation", requests_close_at=sc.CLOSE)
    assert refused(actions.configure, manager, period, mode="lottery") == [
        "Choisissez un mode d'attribution des places."
    ]
    assert refused(actions.configure, manager, period, mode="allocation") == [
        "Indiquez la date de clôture des demandes."
    ]
    late = at(period.start_date, 8)
    assert (
        "doit précéder le premier jour"
        in refused(actions.configure, manager, period, mode="allocation", requests_close_at=late)[0]
    )
    early = at(datetime.date(2026, 11, 20), 12)
    assert (
        "doit suivre l'ouverture des inscriptions"
        in refused(actions.configure, manager, period, mode="allocation", requests_close_at=early)[
            0
        ]
    )
    assert refused(
        actions.configure,
        manager,
        period,
        mode="allocation",
        requests_close_at=sc.CLOSE,
        points={"working": -1},
    ) == [
        "Les points du critère « Parents qui travaillent » doivent être un nombre entier de 0 "
        "à 100."
    ]
    assert refused(
        actions.configure,
        manager,
        period,
        mode="allocation",
        requests_close_at=sc.CLOSE,
        points={"age": 2},
    ) == ["Critère inconnu : « age »."]
    assert not Allocation.objects.exists()


def test_back_to_first_come_only_without_requests(s):
    request = actions.save_request(
        s.martin.user, s.period, sc.wishes(s.camp, s.martin, [D21]), now=sc.ASKING
    )
    assert (
        "1 demande de famille en cours"
        in refused(actions.configure, s.manager, s.period, mode="first_come")[0]
    )
    actions.withdraw_request(s.martin.user, request, now=sc.ASKING)
    actions.configure(s.manager, s.period, mode="first_come")
    s.period.refresh_from_db()
    assert (s.period.places_mode, s.period.requests_close_at) == ("first_come", None)


def test_changing_settings_after_a_proposal_asks_for_a_new_one(s):
    sc.ask_all(s)
    actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    actions.configure(
        s.manager, s.period, mode="allocation", requests_close_at=sc.CLOSE, points={"working": 5}
    )
    s.allocation.refresh_from_db()
    assert s.allocation.status == Allocation.COLLECTING
    with pytest.raises(ValidationError):
        actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)


def test_settings_frozen_once_confirmed(s):
    sc.ask_all(s)
    actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    s.allocation.refresh_from_db()
    for w in AllocationWish.objects.filter(child__first_name="Léa", date=D23):
        actions.adjust(s.manager, w, False, now=sc.AFTER_CLOSE)
    ines = AllocationWish.objects.get(child__first_name="Inès", date=D23)
    actions.adjust(s.manager, ines, True, now=sc.AFTER_CLOSE)
    actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    s.period.refresh_from_db()
    assert "est confirmée" in refused(actions.configure, s.manager, s.period, mode="first_come")[0]
    request = AllocationRequest.objects.get(family=s.martin.family)
    assert "déjà attribuées" in refused(actions.withdraw_request, s.martin.user, request)[0]
    assert (
        "déjà attribuées"
        in refused(
            actions.save_request,
            s.martin.user,
            s.period,
            sc.wishes(s.camp, s.martin, [D21]),
            now=sc.ASKING,
        )[0]
    )


# Requests ------------------------------------------------------------------------------------


def test_a_new_request_replaces_the_days_and_keeps_its_date(s):
    first = actions.save_request(
        s.martin.user,
        s.period,
        sc.wishes(s.camp, s.martin, [D21, D22]),
        declares_working=True,
        note="  Horaires décalés  ",
        now=sc.ASKING,
    )
    later = sc.ASKING + datetime.timedelta(days=2)
    again = actions.save_request(
        s.martin.user, s.period, sc.wishes(s.camp, s.martin, [D23], preference=2), now=later
    )
    assert again.pk == first.pk
    again.refresh_from_db()
    assert again.created_at == sc.ASKING and again.note == "" and not again.declares_working
    assert [(w.date, w.preference) for w in again.wishes.all()] == [(D23, 2)]
    entries = AuditEntry.objects.filter(action="allocation.request").order_by("pk")
    assert [len(e.after["wishes"]) for e in entries] == [2, 1]
    assert entries[1].before["note"] == "Horaires décalés"


def test_manager_sends_a_request_for_one_family(s):
    request = actions.save_request(
        s.manager, s.period, sc.wishes(s.camp, s.bernard, [D21]), now=sc.ASKING
    )
    assert request.family == s.bernard.family and request.created_by == s.manager
    mixed = sc.wishes(s.camp, s.bernard, [D22]) + sc.wishes(s.camp, s.petit, [D22])
    assert refused(actions.save_request, s.manager, s.period, mixed, now=sc.ASKING) == [
        "Une demande ne concerne qu'une famille : envoyez-en une par famille."
    ]


def test_another_familys_child_is_refused(s, staff):
    before = counts()
    with pytest.raises(PermissionDenied):
        actions.save_request(
            s.martin.user, s.period, sc.wishes(s.camp, s.petit, [D21]), now=sc.ASKING
        )
    with pytest.raises(PermissionDenied):
        actions.save_request(staff, s.period, sc.wishes(s.camp, s.petit, [D21]), now=sc.ASKING)
    assert counts() == before


def test_bad_days_are_refused_naming_the_child_and_the_day(s):
    lea = s.martin.children[0]
    outsider = f.ChildFactory(family=s.martin.family, first_name="Max")
    camp = s.camp
    wishes = [
        WishInput(lea, camp, D25),
        WishInput(lea, camp, D26),
        WishInput(lea, camp, datetime.date(2027, 1, 4)),
        WishInput(outsider, camp, D21),
        WishInput(lea, s.house.snack_slot, D22),
        WishInput(lea, camp, D23, preference=0),
        WishInput(lea, camp, D21),
        WishInput(lea, camp, D21),
    ]
    assert refused(actions.save_request, s.martin.user, s.period, wishes, now=sc.ASKING) == [
        "Léa : le lundi 21/12/2026 est demandé deux fois.",
        "Max n'a pas d'inscription validée à « Accueil de loisirs (vacances) » pour le lundi "
        "21/12/2026 : demandez d'abord l'inscription.",
        "Léa, mardi 22/12/2026 : Pas d'accueil périscolaire pendant les vacances.",
        "Léa, mercredi 23/12/2026 : l'ordre de préférence est un nombre entier à partir de 1.",
        "Léa, vendredi 25/12/2026 : Jour férié (Noël).",
        "Léa, samedi 26/12/2026 : Pas d'accueil ce jour-là.",
        "Léa, lundi 04/01/2027 : ce jour n'est pas dans « Vacances de Noël 2026 » (du lundi "
        "21/12/2026 au vendredi 01/01/2027).",
    ]
    assert refused(actions.save_request, s.martin.user, s.period, [], now=sc.ASKING) == [
        "Choisissez au moins un jour."
    ]


def test_a_day_already_booked_is_refused(s):
    assert refused(
        actions.save_request,
        s.manager,
        s.period,
        [WishInput(s.outsider, s.camp, D23)],
        now=sc.ASKING,
    ) == ["Jules a déjà une place le mercredi 23/12/2026."]


def test_requests_only_between_opening_and_closing(s, house):
    ask = sc.wishes(s.camp, s.martin, [D21])
    assert refused(actions.save_request, s.martin.user, s.period, ask, now=sc.CLOSE) == [
        "Les demandes pour « Vacances de Noël 2026 » sont closes depuis le vendredi 04/12 à 12h00."
    ]
    before_opening = sc.OPENS - datetime.timedelta(minutes=1)
    assert refused(actions.save_request, s.martin.user, s.period, ask, now=before_opening) == [
        "Les demandes pour « Vacances de Noël 2026 » ouvrent le lundi 23 novembre 2026 à 20h00."
    ]
    school = house.school_year
    evening = [WishInput(s.martin.children[0], house.snack_slot, sc.D24)]
    assert (
        "ne sont pas attribuées sur demande"
        in refused(actions.save_request, s.martin.user, school, evening, now=sc.ASKING)[0]
    )


def test_withdraw(s):
    request = actions.save_request(
        s.martin.user, s.period, sc.wishes(s.camp, s.martin, [D21]), now=sc.ASKING
    )
    with pytest.raises(PermissionDenied):
        actions.withdraw_request(s.petit.user, request)
    actions.withdraw_request(s.martin.user, request, now=sc.ASKING)
    request.refresh_from_db()
    assert request.status == AllocationRequest.WITHDRAWN
    assert refused(actions.withdraw_request, s.manager, request) == [
        "Cette demande est déjà retirée."
    ]
    # A new request can follow; a withdrawn one is left out of the proposal.
    actions.save_request(s.martin.user, s.period, sc.wishes(s.camp, s.martin, [D22]), now=sc.ASKING)
    view = actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    assert [[w.date for w in r.wishes.all()] for r in view.requests] == [[D22]]
