"""Drafting a month: what is gathered, which families get an invoice, the run's life."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from marmots.billing import actions, drafting, invoicing, pricing
from marmots.billing.balances import settings_for
from marmots.billing.facts import ChildFacts
from marmots.billing.models import (
    Aid,
    Anomaly,
    BillingSettings,
    Invoice,
    InvoiceLine,
    InvoicingRun,
    Membership,
    Tariff,
    TariffPrice,
)
from marmots.bookings.models import Booking
from marmots.checkin.models import CheckinEvent
from marmots.enrollments.models import Enrollment
from tests import factories as f
from tests.house import enroll

from .factories import invoice as direct_invoice
from .month import (
    DECEMBER_2,
    FRI_6,
    MON_2,
    MON_9,
    NOVEMBER,
    OCTOBER,
    THU_5,
    TUE_3,
    book,
    evening_with_departure,
    event,
    family_with_child,
    mark,
    slot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(DECEMBER_2)


@pytest.fixture
def lea(house, tariffs, child_a, guardian_a):
    guardian_a.address, guardian_a.postcode, guardian_a.city = (
        "12 Chemin des Gets",
        "74440",
        "Mieussy",
    )
    guardian_a.save()
    enroll(house, child_a, house.morning, house.evening)
    return child_a


def counts():
    return (
        InvoicingRun.objects.count(),
        Invoice.objects.count(),
        InvoiceLine.objects.count(),
        Anomaly.objects.count(),
    )


def test_a_run_drafts_an_invoice_for_each_family_billed(house, lea, manager, child_b):
    evening_with_departure(house, lea, MON_2, 18, 10)
    enroll(house, child_b, house.evening)
    book(child_b, house.snack_slot, TUE_3, status=Booking.CANCELLED)  # in time: nothing

    run = actions.start_run(house.structure, datetime.date(2026, 11, 17), manager)

    assert run.status == InvoicingRun.DRAFTED and run.month == NOVEMBER
    assert (run.families_total, run.families_done) == (2, 2)
    draft = Invoice.objects.get(run=run)
    assert draft.family == lea.family and draft.status == Invoice.DRAFT and draft.number is None
    assert (draft.period_start, draft.period_end) == (NOVEMBER, datetime.date(2026, 11, 30))
    assert draft.series == "FA" and draft.quotient == 540 and draft.quotient_note == ""
    assert draft.payer_name == "Claire Martin"
    assert draft.payer_address == "12 Chemin des Gets\n74440 Mieussy"
    lines = list(draft.lines.order_by("order"))
    # 20,00 membership + 4 half-hours x 0,60 (16:30-18:30) + 0,50 snack.
    assert [(line.kind, line.amount) for line in lines] == [
        ("membership", Decimal("20.00")),
        ("attendance", Decimal("2.40")),
        ("extra", Decimal("0.50")),
    ]
    assert draft.total == Decimal("22.90") == sum(line.amount for line in lines)
    assert "présent 16h30-18h10" in lines[1].explanation
    assert lines[1].child == lea and lines[1].date == MON_2 and lines[1].minutes_billed == 120
    # The Bernard family only cancelled in time: no invoice, and its missing QF is no anomaly.
    assert not Anomaly.objects.filter(run=run).exists()


def _families(house, count):
    for n in range(count):
        family, child = family_with_child(house, f"Famille{n:03d}", 540 + n)
        evening_with_departure(house, child, MON_2, 18)
        book(child, slot(house.evening, 17, 30), THU_5, status=Booking.LATE_CANCELLED)


def test_gather_and_draft_take_a_fixed_number_of_queries(
    house, tariffs, manager, django_assert_max_num_queries
):
    structure = house.structure
    settings_for(structure)  # created on first use
    queries = {}
    for size, added in [(2, 2), (12, 10)]:
        _families(house, added)
        with django_assert_max_num_queries(18) as gathering:
            month = invoicing.gather(structure, NOVEMBER)
        assert len(month.families) == size
        run = InvoicingRun.objects.create(structure=structure, month=NOVEMBER, started_by=manager)
        with django_assert_max_num_queries(32) as drafting_:
            drafting.draft(run.pk)
        run.refresh_from_db()
        assert run.status == InvoicingRun.DRAFTED
        assert Invoice.objects.filter(run=run).count() == size
        queries[size] = (len(gathering), len(drafting_))
        actions.discard_run(run, manager)
    assert queries[2] == queries[12]


def test_gather_builds_the_facts_pricing_needs(house, lea, family_a, guardian_a):
    # Tom, born after Léa, is her younger brother; Zoé, the eldest, is enrolled but has nothing
    # in November: she is not billed but still counts in her siblings' ranks.
    tom = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2022, 2, 10))
    zoe = f.ChildFactory(family=family_a, first_name="Zoé", birth_date=datetime.date(2015, 1, 1))
    enroll(house, tom, house.evening)
    enroll(house, zoe, house.evening)
    book(lea, house.snack_slot, MON_2, status=Booking.LATE_CANCELLED)
    book(tom, house.snack_slot, MON_2, status=Booking.ABSENT, excused=True, reason="Angine")
    mark(tom, house.evening, TUE_3)
    event(tom, house.evening, TUE_3, CheckinEvent.DEPARTURE, 17, 40)  # by the team
    Membership.objects.create(
        structure=house.structure,
        family=family_a,
        child=lea,
        school_year="2026-2027",
        line=direct_invoice(
            family_a, house.structure, [("Adhésion", "20.00")], month=OCTOBER
        ).lines.get(),
    )
    BillingSettings.objects.create(structure=house.structure, resident_cities="Taninges, mieussy")
    aid = Aid.objects.create(
        structure=house.structure,
        family=family_a,
        child=tom,
        payer="CAF",
        label="Aide aux temps libres",
        method=Aid.PERCENT,
        percent=Decimal("50"),
        valid_from=datetime.date(2026, 11, 15),
        valid_until=datetime.date(2027, 8, 31),
    )
    aid.activities.add(house.evening)
    Aid.objects.create(  # over before November
        structure=house.structure,
        family=family_a,
        payer="CE",
        label="Aide de l'employeur",
        method=Aid.PER_UNIT,
        amount=Decimal("2"),
        valid_from=datetime.date(2026, 9, 1),
        valid_until=datetime.date(2026, 10, 31),
    )

    (month,) = invoicing.gather(house.structure, NOVEMBER).families

    assert month.facts.quotient == 540 and month.facts.resident
    assert month.children == {
        lea.pk: ChildFacts(lea.pk, "Léa", rank=2),
        tom.pk: ChildFacts(tom.pk, "Tom", rank=3),
    }
    late, excused, tuesday = month.sessions
    assert late.child_id == lea.pk and not late.present
    assert [(b.status, b.excused) for b in late.bookings] == [("late", False)]
    assert excused.bookings[0].excuse_reason == "Angine"
    assert tuesday.present and tuesday.departure == datetime.time(17, 40)
    assert tuesday.missed and tuesday.month_missed == 1 and not tuesday.beyond
    assert tuesday.max_span  # not booked: billed at its maximum span
    assert [d.child_id for d in month.memberships] == [tom.pk]
    (rule,) = month.aids
    assert (rule.id, rule.child_id, rule.method, rule.percent) == (aid.pk, tom.pk, "percent", 50)
    assert rule.activity_ids == {house.evening.pk}
    assert month.memberships[0].school_year == "2026-2027"


def test_the_rank_counts_the_siblings_enrolled_in_the_month(house, lea, family_a, manager):
    """A second child pays the second child's price even the months the eldest does not come;
    a sibling not enrolled at the structure that month does not count."""
    evening = Tariff.objects.get(activity=house.evening, kind=Tariff.ATTENDANCE)
    TariffPrice.objects.create(tariff=evening, min_rank=2, amount=Decimal("0.30"))
    older = datetime.date(2015, 1, 1)
    zoe = f.ChildFactory(family=family_a, first_name="Zoé", birth_date=older)
    enroll(house, zoe, house.evening)  # validated for the school year, no booking in November
    max_ = f.ChildFactory(family=family_a, first_name="Max", birth_date=older)
    (pending,) = enroll(house, max_, house.evening)
    Enrollment.objects.filter(pk=pending.pk).update(status=Enrollment.PENDING)
    paul = f.ChildFactory(family=family_a, first_name="Paul", birth_date=older)
    (ended,) = enroll(house, paul, house.evening)
    Enrollment.objects.filter(pk=ended.pk).update(end_date=datetime.date(2026, 10, 31))
    evening_with_departure(house, lea, MON_2, 18, 10)

    (month,) = invoicing.gather(house.structure, NOVEMBER).families
    assert month.children == {lea.pk: ChildFacts(lea.pk, "Léa", rank=2)}

    run = actions.start_run(house.structure, NOVEMBER, manager)
    draft = Invoice.objects.get(run=run)
    # 20,00 membership + 4 half-hours x 0,30 (second child) + 0,50 snack.
    assert draft.total == Decimal("21.70")
    assert "2e enfant" in draft.lines.get(kind="attendance").explanation


def test_an_aid_for_a_child_with_nothing_billed_leaves_the_run_drafting(
    house, lea, family_a, manager
):
    tom = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2022, 2, 10))
    enroll(house, tom, house.evening)
    aid = Aid.objects.create(
        structure=house.structure,
        family=family_a,
        child=tom,
        payer="CAF",
        label="Aide aux temps libres",
        method=Aid.PERCENT,
        percent=Decimal("50"),
        valid_from=NOVEMBER,
        valid_until=datetime.date(2027, 8, 31),
    )
    aid.activities.add(house.evening)
    book(lea, house.snack_slot, MON_2)  # Tom has nothing in November

    run = actions.start_run(house.structure, NOVEMBER, manager)

    assert run.status == InvoicingRun.DRAFTED, run.error
    draft = Invoice.objects.get(run=run)
    assert not draft.lines.filter(kind="aid").exists()
    # 20,00 membership + 2 half-hours x 0,60 (16:30-17:30 booked, no-show) + 0,50 snack.
    assert draft.total == Decimal("21.70")


def test_a_missed_checkin_on_a_late_cancellation_is_billed_as_booked(house, lea, manager):
    book(lea, house.snack_slot, MON_2, status=Booking.LATE_CANCELLED)
    mark(lea, house.evening, MON_2)  # she came; the family did not check out

    run = actions.start_run(house.structure, NOVEMBER, manager)

    line = Invoice.objects.get(run=run).lines.get(kind="attendance")
    # Billed as booked, 16:30-17:30: 2 half-hours x 0,60 (not the maximum span's 4).
    assert (line.quantity, line.amount) == (2, Decimal("1.20"))
    assert "facturé comme réservé" in line.explanation


def test_every_drafted_total_is_the_sum_of_its_stored_lines(house, lea, family_a, manager):
    tom = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2022, 2, 10))
    enroll(house, tom, house.evening, house.morning)
    aid = Aid.objects.create(
        structure=house.structure,
        family=family_a,
        payer="CE",
        label="Aide de l'employeur",
        method=Aid.PERCENT,
        percent=Decimal("33.33"),
        valid_from=NOVEMBER,
        valid_until=datetime.date(2027, 8, 31),
    )
    aid.activities.add(house.evening)
    evening_with_departure(house, lea, MON_2, 18, 10)
    book(tom, slot(house.evening, 17, 30), TUE_3, status=Booking.LATE_CANCELLED)
    book(tom, house.snack_slot, THU_5, status=Booking.ABSENT, excused=True, reason="Angine")
    book(tom, slot(house.morning, 7, 30), FRI_6)
    mark(tom, house.morning, MON_9)  # present without booking nor arrival
    _families(house, 3)

    run = actions.start_run(house.structure, NOVEMBER, manager)

    invoices = Invoice.objects.filter(run=run).annotate(stored=Sum("lines__amount"))
    assert invoices.count() == 4
    for draft in invoices:
        assert draft.total == draft.stored, draft.family.name
    assert Invoice.objects.get(run=run, family=family_a).lines.filter(kind="aid").count() == 2


def test_quotients_missing_or_expired_say_so(house, tariffs, manager):
    _, none = family_with_child(house, "Sansqf")
    expired_family, expired = family_with_child(house, "Expire")
    f.QuotientFactory(
        family=expired_family,
        value=700,
        valid_from=datetime.date(2025, 11, 1),
        valid_until=datetime.date(2026, 10, 31),
    )
    for child in (none, expired):
        book(child, house.snack_slot, MON_2)

    facts = {m.name: m.facts for m in invoicing.gather(house.structure, NOVEMBER).families}

    assert facts["Sansqf"].quotient is None and facts["Sansqf"].quotient_missing == "QF non fourni"
    assert facts["Expire"].quotient is None
    assert facts["Expire"].quotient_missing == "QF expiré le 31/10/2026"
    run = actions.start_run(house.structure, NOVEMBER, manager)
    notes = dict(Invoice.objects.filter(run=run).values_list("family__name", "quotient_note"))
    assert notes == {
        "Expire": "QF expiré le 31/10/2026 : tarif maximal appliqué",
        "Sansqf": "QF non fourni : tarif maximal appliqué",
    }
    # 1 hour at 1,20 the half-hour (top bracket) + 0,50 snack + 20,00 membership.
    assert set(Invoice.objects.filter(run=run).values_list("total", flat=True)) == {
        Decimal("22.90")
    }
    assert Anomaly.objects.filter(run=run, kind=Anomaly.MISSING_QUOTIENT).count() == 2


def test_a_family_membership_is_billed_once_per_family(house, tariffs, lea, family_a):
    tariff = next(t for t in tariffs if t.kind == "membership")
    tariff.unit = "family_year"
    tariff.save()
    tom = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2022, 2, 10))
    enroll(house, tom, house.evening)
    book(lea, house.snack_slot, MON_2)
    book(tom, house.snack_slot, MON_2)

    (month,) = invoicing.gather(house.structure, NOVEMBER).families

    assert [(d.child_id, d.school_year) for d in month.memberships] == [(None, "2026-2027")]


def test_issued_families_are_skipped_until_fully_credited(house, lea, family_a, manager):
    book(lea, house.snack_slot, MON_2)
    issued = direct_invoice(family_a, house.structure, [("Soir", "5.00")])

    assert invoicing.gather(house.structure, NOVEMBER).families == []
    # Another month is not concerned.
    book(lea, house.snack_slot, datetime.date(2026, 10, 5))
    assert len(invoicing.gather(house.structure, OCTOBER).families) == 1

    actions.credit_note(issued, manager, "Erreur de saisie", amount="4.00")
    assert invoicing.gather(house.structure, NOVEMBER).families == []
    actions.credit_note(issued, manager, "Erreur de saisie")
    assert [m.family_id for m in invoicing.gather(house.structure, NOVEMBER).families] == [
        family_a.pk
    ]


def test_a_free_invoice_is_still_an_invoice_for_the_month(house, lea, family_a):
    # An issued invoice of 0,00 € (all paid by an aid) was not cancelled: the family is billed.
    direct_invoice(family_a, house.structure, [("Payé par la CAF", "0.00")])
    book(lea, house.snack_slot, MON_2)
    assert invoicing.gather(house.structure, NOVEMBER).families == []


def test_only_the_given_families(house, lea, family_a, child_b):
    enroll(house, child_b, house.evening)
    book(lea, house.snack_slot, MON_2)
    book(child_b, house.snack_slot, MON_2)
    month = invoicing.gather(house.structure, NOVEMBER, families=[family_a])
    assert [m.family_id for m in month.families] == [family_a.pk]
    assert {s.child_id for s in month.families[0].sessions} == {lea.pk}


def test_anomalies_are_drafted_and_block_the_issue_until_reviewed(house, lea, manager):
    book(lea, slot(house.morning, 7, 30), TUE_3)  # no-show
    mark(lea, house.evening, THU_5)  # present without booking

    run = actions.start_run(house.structure, NOVEMBER, manager)

    kinds = sorted(Anomaly.objects.filter(run=run).values_list("kind", flat=True))
    assert kinds == ["no_show", "unbooked"]
    with pytest.raises(ValidationError, match="2 anomalies à vérifier avant l'émission"):
        actions.issue_run(run, manager)
    no_show, unbooked = Anomaly.objects.filter(run=run).order_by("kind")
    actions.review_anomaly(no_show, manager, note="Appel de la famille : oubli")
    with pytest.raises(ValidationError, match="1 anomalie à vérifier"):
        actions.issue_run(run, manager)
    actions.review_anomaly(unbooked, manager)
    no_show.refresh_from_db()
    assert no_show.reviewed_by == manager and no_show.note == "Appel de la famille : oubli"

    assert actions.issue_run(run, manager).status == InvoicingRun.ISSUED
    with pytest.raises(ValidationError, match="Le brouillon n'est pas prêt"):
        actions.review_anomaly(no_show, manager)


def test_recompute_takes_the_latest_bookings_and_discard_drops_the_draft(house, lea, manager):
    book(lea, house.snack_slot, MON_2)
    run = actions.start_run(house.structure, NOVEMBER, manager)
    first_total = Invoice.objects.get(run=run).total
    book(lea, house.snack_slot, TUE_3)

    run = actions.recompute_run(run, manager)

    assert run.status == InvoicingRun.DRAFTED
    (draft,) = Invoice.objects.filter(run=run)
    # One more evening: 2 half-hours x 0,60 + 0,50 snack.
    assert draft.total == first_total + Decimal("1.70")

    run = actions.discard_run(run, manager)
    assert run.status == InvoicingRun.DISCARDED
    assert not Invoice.objects.exists() and not Anomaly.objects.exists()
    with pytest.raises(ValidationError, match="déjà abandonnée"):
        actions.discard_run(run, manager)
    with pytest.raises(ValidationError, match="Seul un brouillon prêt"):
        actions.recompute_run(run, manager)
    # The month may be started again.
    assert actions.start_run(house.structure, NOVEMBER, manager).status == InvoicingRun.DRAFTED


def test_refusals_change_nothing(house, lea, manager, staff, other_manager):
    book(lea, house.snack_slot, MON_2)
    run = actions.start_run(house.structure, NOVEMBER, manager)
    before = counts()

    with pytest.raises(ValidationError, match="déjà en cours"):
        actions.start_run(house.structure, NOVEMBER, manager)
    with pytest.raises(ValidationError, match="n'a pas commencé"):
        actions.start_run(house.structure, datetime.date(2027, 1, 1), manager)
    for intruder in (staff, other_manager, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            actions.start_run(house.structure, OCTOBER, intruder)
        with pytest.raises(PermissionDenied):
            actions.issue_run(run, intruder)
        with pytest.raises(PermissionDenied):
            actions.discard_run(run, intruder)

    assert counts() == before
    run.refresh_from_db()
    assert run.status == InvoicingRun.DRAFTED


def test_the_current_month_may_be_drafted_before_its_end(house, lea, manager):
    book(lea, house.snack_slot, datetime.date(2026, 12, 1))
    run = actions.start_run(house.structure, datetime.date(2026, 12, 1), manager)
    assert run.status == InvoicingRun.DRAFTED
    assert Invoice.objects.get(run=run).period_end == datetime.date(2026, 12, 31)


def test_a_failure_leaves_no_half_draft(house, lea, manager, monkeypatch):
    book(lea, house.snack_slot, MON_2)
    book(lea, slot(house.morning, 7), TUE_3)  # a no-show: one anomaly, written last

    def broken(*args):
        raise RuntimeError("disque plein")

    monkeypatch.setattr(drafting, "anomaly_row", broken)
    run = actions.start_run(house.structure, NOVEMBER, manager)

    assert run.status == InvoicingRun.FAILED
    assert run.error == "RuntimeError : disque plein"
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()
    monkeypatch.undo()
    run = actions.recompute_run(run, manager)
    assert run.status == InvoicingRun.DRAFTED and Invoice.objects.filter(run=run).count() == 1


def test_progress_is_saved_as_families_are_priced(house, tariffs, manager, monkeypatch):
    _families(house, 7)
    monkeypatch.setattr(drafting, "PROGRESS_STEP", 2)
    seen = []
    price_and_findings = pricing.price_and_findings

    def spy(*args, **kwargs):
        seen.append(InvoicingRun.objects.values_list("families_total", "families_done").get())
        return price_and_findings(*args, **kwargs)

    monkeypatch.setattr(pricing, "price_and_findings", spy)
    run = actions.start_run(house.structure, NOVEMBER, manager)

    assert seen == [(7, 0), (7, 0), (7, 2), (7, 2), (7, 4), (7, 4), (7, 6)]
    assert (run.families_total, run.families_done) == (7, 7)


def test_a_run_discarded_while_drafting_writes_nothing(house, lea, manager, monkeypatch):
    book(lea, house.snack_slot, MON_2)
    price = drafting.price

    def discarded_meanwhile(run, month):
        drafts = price(run, month)
        InvoicingRun.objects.filter(pk=run.pk).update(status=InvoicingRun.DISCARDED)
        return drafts

    monkeypatch.setattr(drafting, "price", discarded_meanwhile)
    run = actions.start_run(house.structure, NOVEMBER, manager)
    assert run.status == InvoicingRun.DISCARDED and not Invoice.objects.exists()


@pytest.mark.parametrize(
    "status",
    [InvoicingRun.QUEUED, InvoicingRun.RUNNING, InvoicingRun.DRAFTED, InvoicingRun.FAILED],
)
def test_a_run_stuck_or_not_issued_may_be_discarded(house, lea, manager, status):
    book(lea, house.snack_slot, MON_2)
    run = InvoicingRun.objects.create(structure=house.structure, month=NOVEMBER, status=status)

    assert actions.discard_run(run, manager).status == InvoicingRun.DISCARDED

    # A worker that comes back to it (or was still drafting it) writes nothing.
    drafting.draft(run.pk)
    run.refresh_from_db()
    assert run.status == InvoicingRun.DISCARDED and not Invoice.objects.exists()
