"""Propose, adjust and confirm the allocation of the scenario's five families (see scenario.py
for the table worked out by hand)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.bookings.models import Booking, WaitlistEntry
from marmots.core.models import AuditEntry
from marmots.places import actions
from marmots.places.models import Allocation, AllocationRequest, AllocationWish

from . import scenario as sc
from .scenario import D21, D22, D23


@pytest.fixture
def s(house, manager):
    scenario = sc.build(house, manager)
    sc.ask_all(scenario)
    return scenario


def request_of(s, fam):
    return AllocationRequest.objects.get(family=fam.family, status="active")


def wish(s, child, day):
    return AllocationWish.objects.get(child=child, date=day, request__status="active")


def granted(s):
    return {
        (w.child.first_name, w.date.day)
        for w in AllocationWish.objects.filter(proposed=True).select_related("child")
    }


def counts():
    return (
        Booking.objects.count(),
        WaitlistEntry.objects.count(),
        AuditEntry.objects.count(),
        list(AllocationWish.objects.order_by("pk").values_list("proposed", "outcome")),
    )


def test_propose_ranks_and_grants_by_hand_table(s, django_assert_max_num_queries):
    view = actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    ranked = [(r.family.name, r.rank, r.score) for r in view.requests]
    assert ranked == [
        ("Martin", 1, 5),
        ("Bernard", 2, 4),
        ("Petit", 3, 3),
        ("Durand", 4, 2),
        ("Moreau", 5, 2),
    ]
    assert request_of(s, s.bernard).criteria == [
        {"code": "siblings", "label": "Fratrie", "points": 2},
        {"code": "resident", "label": "Résident de la commune", "points": 2},
    ]
    assert [c["code"] for c in request_of(s, s.martin).criteria] == ["enrolled", "working"]
    assert [c["code"] for c in request_of(s, s.petit).criteria] == ["special_needs"]
    assert granted(s) == {
        ("Léa", 21),
        ("Hugo", 21),
        ("Zoé", 21),
        ("Léa", 22),
        ("Hugo", 22),
        ("Zoé", 22),
        ("Nina", 22),
        ("Léa", 23),
        ("Tom", 23),
    }
    fills = [(d.date.day, d.places, d.taken, d.granted, d.asked) for d in view.days]
    assert fills == [(21, 3, 0, 3, 5), (22, 5, 0, 4, 5), (23, 3, 1, 2, 4)]
    assert view.days[2].rate == 1
    s.allocation.refresh_from_db()
    assert s.allocation.status == Allocation.PROPOSED
    with django_assert_max_num_queries(9):
        again = actions.proposal(s.allocation)
    assert [r.rank for r in again.requests] == [1, 2, 3, 4, 5]


def test_adjust_then_confirm_books_queues_and_emails(
    s, mailoutbox, django_capture_on_commit_callbacks
):
    actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    lea, nina, ines = s.martin.children[0], s.moreau.children[0], s.durand.children[0]
    before = counts()
    with pytest.raises(ValidationError) as refused:
        actions.adjust(s.manager, wish(s, nina, D23), True, now=sc.AFTER_CLOSE)
    assert refused.value.messages == [
        "Plus de place le mercredi 23/12/2026 pour Nina : retirez d'abord une autre attribution."
    ]
    assert counts() == before
    actions.adjust(s.manager, wish(s, lea, D23), False, now=sc.AFTER_CLOSE)
    before = counts()
    with pytest.raises(ValidationError) as free:
        actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    assert free.value.messages == [
        "Il reste de la place le mercredi 23/12/2026 pour Léa (rang 1) : attribuez-la à cette "
        "demande ou à une autre avant de confirmer, ou recalculez la proposition."
    ]
    assert counts() == before
    view = actions.adjust(s.manager, wish(s, ines, D23), True, now=sc.AFTER_CLOSE)
    assert ("Inès", 23) in granted(s) and ("Léa", 23) not in granted(s)
    assert wish(s, ines, D23).adjusted_by == s.manager
    assert [(d.date.day, d.granted) for d in view.days] == [(21, 3), (22, 4), (23, 2)]

    with django_capture_on_commit_callbacks(execute=True):
        actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)

    s.period.refresh_from_db()
    assert s.period.allocated_at == sc.AFTER_CLOSE
    booked = Booking.objects.filter(status="booked").exclude(child=s.outsider)
    assert sorted((b.child.first_name, b.date.day) for b in booked) == sorted(
        [
            ("Léa", 21),
            ("Hugo", 21),
            ("Zoé", 21),
            ("Léa", 22),
            ("Hugo", 22),
            ("Zoé", 22),
            ("Nina", 22),
            ("Tom", 23),
            ("Inès", 23),
        ]
    )
    assert all(b.booked_on_behalf for b in booked)
    lines = {
        day: [e.child.first_name for e in WaitlistEntry.objects.filter(date=day)]
        for day in (D21, D22, D23)
    }
    assert lines == {D21: ["Tom", "Inès"], D22: ["Tom"], D23: ["Léa", "Nina"]}
    assert set(WaitlistEntry.objects.values_list("source", "status")) == {("allocation", "waiting")}
    tom = s.petit.children[0]
    assert wish(s, tom, D21).reason == (
        "Complet : 3 places ce jour-là, attribuées aux demandes mieux classées "
        "(votre rang : 3, 3 points)."
    )
    assert wish(s, tom, D22).reason == (
        "Complet : 2 places pour les 3-5 ans, attribuées d'abord aux premiers choix des familles "
        "(ce jour était votre choix n° 2 ; votre rang : 3, 3 points)."
    )
    assert wish(s, lea, D23).reason == (
        "Place non retenue par la structure lors de l'examen des demandes "
        "(votre rang : 1, 5 points)."
    )
    assert wish(s, nina, D23).reason == (
        "Complet : 3 places ce jour-là, attribuées aux demandes mieux classées "
        "(votre rang : 5, 2 points)."
    )
    assert wish(s, tom, D23).outcome == "booked" and wish(s, tom, D23).booking.date == D23

    assert len(mailoutbox) == 5
    mails = {m.to[0]: m.body for m in mailoutbox}
    petit = mails["petit@example.org"]
    assert "Tom, mercredi 23 décembre 2026" in petit
    assert "Tom, lundi 21 décembre 2026 (Journée avec repas) : position 1." in petit
    assert "votre rang : 3, 3 points" in petit and "Besoins particuliers : 3 points" in petit
    assert "rang 3 sur 5" in petit
    durand = mails["durand@example.org"]
    assert "Inès, mercredi 23 décembre 2026" in durand
    assert "Inès, lundi 21 décembre 2026 (Journée avec repas) : position 2." in durand
    assert "Places attribuées" not in mails["moreau@example.org"].split("Sur liste")[1]
    assert all(
        m.subject.startswith("Attribution des places : Vacances de Noël 2026") for m in mailoutbox
    )
    assert AllocationRequest.objects.filter(notified_at__isnull=True).count() == 0

    before = counts()
    with pytest.raises(ValidationError) as twice:
        actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    assert "déjà confirmée" in twice.value.messages[0]
    with pytest.raises(ValidationError):
        actions.adjust(s.manager, wish(s, nina, D23), True, now=sc.AFTER_CLOSE)
    assert counts() == before
    view = actions.proposal(Allocation.objects.get())
    assert [(d.date.day, d.taken, d.granted) for d in view.days] == [
        (21, 0, 3),
        (22, 0, 4),
        (23, 1, 2),
    ]


def test_crafted_proposal_over_capacity_is_refused(s):
    actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    AllocationWish.objects.filter(date=D21).update(proposed=True)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    assert "La proposition dépasse les places" in refused.value.messages[0]
    assert counts() == before
    s.period.refresh_from_db()
    assert s.period.allocated_at is None


def test_only_the_manager_runs_the_allocation(s, staff, other_manager):
    before = counts()
    for person in (staff, other_manager, s.martin.user):
        with pytest.raises(PermissionDenied):
            actions.propose(person, s.allocation, now=sc.AFTER_CLOSE)
    with pytest.raises(ValidationError) as early:
        actions.propose(s.manager, s.allocation, now=sc.CLOSE.replace(hour=11))
    assert "après la clôture" in early.value.messages[0]
    with pytest.raises(ValidationError) as first:
        actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    assert "Calculez d'abord la proposition" in first.value.messages[0]
    actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    with pytest.raises(PermissionDenied):
        actions.adjust(staff, wish(s, s.martin.children[0], D21), False)
    with pytest.raises(PermissionDenied):
        actions.confirm(staff, s.allocation)
    assert Booking.objects.count() == before[0]


def test_a_day_the_booking_rules_refuse_at_confirmation(
    s, mailoutbox, django_capture_on_commit_callbacks
):
    """Zoé's enrollment is cancelled after the proposal: the booking machinery refuses her days,
    her brother is not booked without her; the places left go to the waiting lists at once."""
    actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    hugo, zoe = s.bernard.children
    zoe.enrollments.update(status="cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    assert not Booking.objects.filter(child__in=[hugo, zoe]).exists()
    assert wish(s, zoe, D21).outcome == "refused"
    assert wish(s, zoe, D21).reason.startswith("Zoé n'a pas d'inscription validée")
    assert wish(s, hugo, D21).outcome == "waitlisted"
    assert wish(s, hugo, D21).reason.startswith(
        "Non attribué : Zoé ne pouvait pas être accueilli(e) ce jour-là"
    )
    # 21/12: 3 places, Léa booked; Hugo (rank 2) and Tom (rank 3) are offered the two left.
    line = WaitlistEntry.objects.filter(date=D21).order_by("queued_at")
    assert [(e.child.first_name, e.status) for e in line] == [
        ("Hugo", "offered"),
        ("Tom", "offered"),
        ("Inès", "waiting"),
    ]
    bernard = [m.body for m in mailoutbox if m.to == ["bernard@example.org"]]
    result = next(b for b in bernard if "Votre classement" in b)
    assert "Places proposées sur la liste d'attente" in result
    assert "Hugo, lundi 21 décembre 2026 (Journée avec repas) : jusqu'au" in result
    assert "Zoé, lundi 21 décembre 2026 (Journée avec repas) : Zoé n'a pas d'inscription" in result
    assert any("Une place s'est libérée" in b for b in bernard)


def test_places_given_at_once_when_offers_are_off(
    s, mailoutbox, django_capture_on_commit_callbacks
):
    s.house.structure.waitlist_offer_hours = 0
    s.house.structure.save()
    actions.propose(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    s.bernard.children[1].enrollments.update(status="cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        actions.confirm(s.manager, s.allocation, now=sc.AFTER_CLOSE)
    tom = s.petit.children[0]
    assert wish(s, tom, D21).outcome == "booked"
    assert wish(s, tom, D21).booking.status == "booked"
    assert wish(s, tom, D21).reason == (
        "Place obtenue sur la liste d'attente, juste après l'attribution."
    )
    petit = next(m.body for m in mailoutbox if m.to == ["petit@example.org"] and "rang" in m.body)
    assert "- Tom, lundi 21 décembre 2026 (Journée avec repas)\n" in petit.split("Sur liste")[0]
