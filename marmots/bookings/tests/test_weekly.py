"""The weekly template: saved under the rules, previewed without writing, applied through the
booking actions. Also the two things the template needs from `apply_changes`: a `code` on every
outcome and the dry run."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from marmots.activities.models import Closure
from marmots.bookings import actions, weekly
from marmots.bookings.actions import Change
from marmots.bookings.models import Booking, BookingRequest, SlotDay, TemplateEntry
from marmots.bookings.weekly import Entry
from marmots.core.models import AuditEntry
from marmots.enrollments.models import Enrollment
from tests import factories as f
from tests.house import MONDAY, at, enroll

DAY = datetime.timedelta(days=1)
THURSDAY = MONDAY + 3 * DAY
NOW = at(MONDAY, 9)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def lea(house, child_a):
    enroll(house, child_a, house.evening, house.holiday)
    return child_a


def counts():
    return [m.objects.count() for m in (Booking, BookingRequest, AuditEntry, SlotDay)]


# The outcome codes and the dry run of apply_changes


def _book(actor, change, now=NOW, **kwargs):
    (outcome,) = actions.apply_changes(actor, add=[change], now=now, **kwargs)
    return outcome


def _cancel(actor, change, now=NOW):
    (outcome,) = actions.apply_changes(actor, cancel=[change], now=now)
    return outcome


def test_every_outcome_names_its_code(house, lea, guardian_a, guardian_b, child_b):
    user, snack = guardian_a.user, house.snack_slot
    friday = THURSDAY + DAY
    camp, before_opening = house.camp_slot, at(datetime.date(2026, 11, 23), 19)
    codes = [
        _book(user, Change(lea, snack, THURSDAY)).code,
        _book(user, Change(lea, snack, THURSDAY)).code,
        _book(user, Change(lea, snack, friday)).code,
        _cancel(user, Change(lea, snack, THURSDAY)).code,
        _cancel(user, Change(lea, snack, friday), now=at(THURSDAY, 9)).code,
        _cancel(user, Change(lea, snack, friday)).code,
        _book(guardian_b.user, Change(child_b, snack, THURSDAY)).code,
        _book(user, Change(lea, snack, MONDAY + 2 * DAY)).code,
        _book(user, Change(lea, camp, datetime.date(2026, 12, 22)), now=before_opening).code,
        _book(user, Change(lea, snack, THURSDAY), now=at(MONDAY + DAY, 9)).code,
        _book(user, Change(lea, snack, THURSDAY), now=at(THURSDAY, 17)).code,
        _book(user, Change(lea, snack, MONDAY + 7 * DAY, with_apc=True)).code,
    ]
    assert codes == [
        "booked",
        "already",
        "booked",
        "cancelled",
        "late",
        "no_booking",
        "not_enrolled",
        "closed",
        "not_open",
        "deadline",
        "started",
        "apc",
    ]


def test_full_requested_and_pending_request_codes(house, lea, guardian_a):
    SlotDay.objects.create(slot=house.snack_slot, date=THURSDAY, capacity=0)
    assert _book(guardian_a.user, Change(lea, house.snack_slot, THURSDAY)).code == "full"
    house.evening.families_may_add = False
    house.evening.save()
    friday = Change(lea, house.snack_slot, THURSDAY + DAY)
    assert _book(guardian_a.user, friday).code == "requested"
    assert _book(guardian_a.user, friday).code == "pending_request"


def test_dry_run_runs_the_checks_and_writes_nothing(house, lea, guardian_a):
    before = counts()
    thursday = Change(lea, house.snack_slot, THURSDAY)
    outcomes = actions.apply_changes(
        guardian_a.user,
        add=[thursday, Change(lea, house.snack_slot, THURSDAY + DAY)],
        now=NOW,
        dry_run=True,
    )
    assert [o.code for o in outcomes] == ["booked", "booked"]
    assert counts() == before
    assert _book(guardian_a.user, thursday).code == "booked"


def test_dry_run_counts_its_own_bookings_for_capacity(house, lea, guardian_a, family_a):
    sibling = f.ChildFactory(family=family_a, first_name="Tom")
    enroll(house, sibling, house.evening)
    SlotDay.objects.create(slot=house.snack_slot, date=THURSDAY, capacity=1)
    changes = [Change(lea, house.snack_slot, THURSDAY), Change(sibling, house.snack_slot, THURSDAY)]
    outcomes = actions.apply_changes(guardian_a.user, add=changes, now=NOW, dry_run=True)
    assert [o.code for o in outcomes] == ["booked", "full"]
    assert not Booking.objects.exists()


def test_dry_run_cancel_and_request_keep_nothing(house, lea, guardian_a):
    thursday = Change(lea, house.snack_slot, THURSDAY)
    _book(guardian_a.user, thursday)
    house.evening.families_may_add = False
    house.evening.save()
    before = counts()
    outcomes = actions.apply_changes(
        guardian_a.user,
        cancel=[thursday],
        add=[Change(lea, house.snack_slot, THURSDAY + DAY)],
        now=NOW,
        dry_run=True,
    )
    assert [o.code for o in outcomes] == ["cancelled", "requested"]
    assert counts() == before
    assert Booking.objects.get().status == Booking.BOOKED


# Saving a template


def test_save_replaces_the_template_and_is_audited(house, lea, guardian_a):
    snack, apc = house.snack_slot, house.apc_slot
    weekly.save_template(guardian_a.user, lea, [Entry(snack, 0), Entry(snack, 3, "even")])
    weekly.save_template(guardian_a.user, lea, [Entry(apc, 1, with_apc=True)])

    rows = TemplateEntry.objects.for_family(lea.family)
    assert list(rows.values_list("slot", "weekday", "weeks", "with_apc")) == [
        (apc.pk, 1, "all", True)
    ]
    entry = AuditEntry.objects.filter(action="weekly_template.save").order_by("pk").last()
    assert entry.family_id == lea.family_id and entry.actor == guardian_a.user
    assert entry.before == {
        "semaine type": [
            "lundi, 16h30-17h30 (Périscolaire soir), toutes les semaines",
            "jeudi, 16h30-17h30 (Périscolaire soir), semaines paires",
        ]
    }
    assert entry.after == {
        "semaine type": [
            "mardi, 17h30-18h00 (Périscolaire soir), toutes les semaines, récupération APC"
        ]
    }


def test_an_empty_template_clears_it(house, lea, guardian_a):
    weekly.save_template(guardian_a.user, lea, [Entry(house.snack_slot, 0)])
    weekly.save_template(guardian_a.user, lea, [])
    assert not TemplateEntry.objects.exists()


def _morning(house):
    return house.morning.slots.first()


@pytest.mark.parametrize(
    "make_entry, message",
    [
        (lambda h: Entry(_morning(h), 0), "n'a pas d'inscription validée à « Périscolaire matin »"),
        (lambda h: Entry(h.snack_slot, 2), "« Périscolaire soir » n'a pas lieu le mercredi."),
        (lambda h: Entry(h.snack_slot, 7), "Jour de la semaine invalide."),
        (lambda h: Entry(h.snack_slot, 0, "sometimes"), "semaines paires ou les semaines impaires"),
        (lambda h: Entry(h.snack_slot, 1, with_apc=True), "n'est possible que le mardi"),
        (lambda h: Entry(h.apc_slot, 0, with_apc=True), "n'est possible que le mardi"),
    ],
)
def test_bad_lines_are_refused_in_french_and_change_nothing(
    house, lea, guardian_a, make_entry, message
):
    weekly.save_template(guardian_a.user, lea, [Entry(house.snack_slot, 4)])
    before = counts()
    with pytest.raises(ValidationError) as error:
        weekly.save_template(guardian_a.user, lea, [Entry(house.snack_slot, 0), make_entry(house)])
    assert message in " ".join(error.value.messages)
    assert counts() == before
    assert list(TemplateEntry.objects.values_list("weekday", flat=True)) == [4]


def test_a_pending_enrollment_is_not_enough(house, lea, guardian_a):
    f.EnrollmentFactory(child=lea, activity=house.morning, status=Enrollment.PENDING)
    with pytest.raises(ValidationError, match="pas d'inscription validée"):
        weekly.save_template(guardian_a.user, lea, [Entry(_morning(house), 0)])


def test_annual_and_inactive_activities_are_refused(house, lea, guardian_a):
    enroll(house, lea, house.circus)
    with pytest.raises(ValidationError, match="activité annuelle"):
        weekly.save_template(guardian_a.user, lea, [Entry(house.circus.slots.get(), 1)])
    house.evening.is_active = False
    house.evening.save()
    with pytest.raises(ValidationError, match="« Périscolaire soir » n'est plus proposée."):
        weekly.save_template(guardian_a.user, lea, [Entry(house.snack_slot, 1)])


def test_a_line_twice_is_refused(house, lea, guardian_a):
    with pytest.raises(ValidationError, match="figure deux fois"):
        weekly.save_template(
            guardian_a.user, lea, [Entry(house.snack_slot, 0), Entry(house.snack_slot, 0, "odd")]
        )


def test_another_family_cannot_save(house, lea, guardian_b):
    with pytest.raises(PermissionDenied):
        weekly.save_template(guardian_b.user, lea, [Entry(house.snack_slot, 0)])
    with pytest.raises(PermissionDenied):
        weekly.save_template(guardian_b.user, lea, [])
    assert not TemplateEntry.objects.exists()


def test_the_manager_may_save_for_the_family(house, lea, manager, other_manager):
    with pytest.raises(PermissionDenied):
        weekly.save_template(other_manager, lea, [Entry(house.snack_slot, 0)])
    weekly.save_template(manager, lea, [Entry(house.snack_slot, 0)])
    assert TemplateEntry.objects.count() == 1


# Preview and apply


@pytest.fixture
def mondays_and_thursdays(house, lea, guardian_a):
    weekly.save_template(
        guardian_a.user, lea, [Entry(house.snack_slot, 0), Entry(house.snack_slot, 3)]
    )
    return lea


def test_preview_says_what_it_books_and_why_it_skips_and_writes_nothing(
    house, mondays_and_thursdays, guardian_a
):
    lea = mondays_and_thursdays
    snack = house.snack_slot
    _book(guardian_a.user, Change(lea, snack, THURSDAY))
    SlotDay.objects.create(slot=snack, date=MONDAY + 7 * DAY, capacity=0)
    Closure.objects.create(
        structure=house.structure,
        start_date=THURSDAY + 7 * DAY,
        end_date=THURSDAY + 7 * DAY,
        reason="formation de l'équipe",
    )
    before = counts()

    plan = weekly.preview(guardian_a.user, [lea], MONDAY, datetime.date(2026, 12, 31))

    assert counts() == before
    assert [(line.date.day, line.code) for line in plan.lines] == [
        (30, "deadline"),
        (3, "already"),
        (7, "full"),
        (10, "closed"),
        (14, "booked"),
        (17, "booked"),
        (21, "closed"),
        (24, "closed"),
        (28, "closed"),
        (31, "closed"),
    ]
    assert plan.count == 2 and len(plan.skipped) == 8
    messages = {line.date.day: line.message for line in plan.skipped}
    assert messages[10] == "Structure fermée : formation de l'équipe."
    assert messages[21] == "Pas d'accueil périscolaire pendant les vacances."
    assert messages[30].startswith("Les réservations du lundi 30/11/2026 sont closes")
    assert all(line.child == lea and line.slot == snack for line in plan.lines)
    assert all(line.booking is None for line in plan.lines)


def test_apply_books_what_the_preview_announced(house, mondays_and_thursdays, guardian_a):
    lea, last = mondays_and_thursdays, datetime.date(2026, 12, 20)
    plan = weekly.preview(guardian_a.user, [lea], MONDAY, last)

    outcomes = weekly.apply(guardian_a.user, [lea], MONDAY, last)

    booked = sorted(o.booking.date for o in outcomes if o.result == actions.BOOKED)
    assert booked == [line.date for line in plan.booked]
    assert sorted(Booking.objects.values_list("date", flat=True)) == booked
    assert weekly.summary(outcomes).count == plan.count == 5


def test_even_and_odd_weeks(house, lea, guardian_a):
    snack = house.snack_slot
    weekly.save_template(guardian_a.user, lea, [Entry(snack, 0, "even"), Entry(snack, 3, "odd")])
    plan = weekly.preview(guardian_a.user, [lea], MONDAY + 7 * DAY, datetime.date(2026, 12, 20))
    # Monday 7/12 and Thursday 10/12 are in ISO week 50 (even), 14/12 and 17/12 in week 51.
    assert [line.date.day for line in plan.booked] == [7, 17]
    assert len(plan.lines) == 2


def test_templates_of_two_structures_are_previewed_together(
    house, lea, guardian_a, other_structure
):
    f.PeriodFactory(structure=other_structure)
    elsewhere = f.TimeSlotFactory(activity__structure=other_structure, activity__name="Cirque")
    f.EnrollmentFactory(child=lea, activity=elsewhere.activity, status=Enrollment.VALIDATED)
    weekly.save_template(guardian_a.user, lea, [Entry(house.snack_slot, 0), Entry(elsewhere, 1)])

    plan = weekly.preview(guardian_a.user, [lea], MONDAY + 7 * DAY, MONDAY + 8 * DAY)

    assert [(line.slot, line.code) for line in plan.lines] == [
        (house.snack_slot, "booked"),
        (elsewhere, "booked"),
    ]


def test_siblings_are_previewed_together(house, mondays_and_thursdays, guardian_a, family_a):
    tom = f.ChildFactory(family=family_a, first_name="Tom")
    enroll(house, tom, house.evening)
    weekly.save_template(guardian_a.user, tom, [Entry(house.snack_slot, 0)])
    lea = mondays_and_thursdays
    plan = weekly.preview(guardian_a.user, [lea, tom], MONDAY + 7 * DAY, MONDAY + 7 * DAY)
    assert sorted(line.child.first_name for line in plan.booked) == ["Léa", "Tom"]


def test_another_familys_child_cannot_be_previewed(house, mondays_and_thursdays, guardian_b):
    with pytest.raises(PermissionDenied):
        weekly.preview(guardian_b.user, [mondays_and_thursdays], MONDAY, MONDAY + 7 * DAY)


@pytest.mark.parametrize(
    "first, last, message",
    [
        (MONDAY, MONDAY - DAY, "La date de fin doit suivre la date de début."),
        (MONDAY, MONDAY + 366 * DAY, "Choisissez une période d'un an au plus."),
        (None, MONDAY, "Indiquez la date de début et la date de fin."),
    ],
)
def test_bad_periods_are_refused(house, mondays_and_thursdays, guardian_a, first, last, message):
    with pytest.raises(ValidationError) as error:
        weekly.apply(guardian_a.user, [mondays_and_thursdays], first, last)
    assert error.value.messages == [message]
    assert not Booking.objects.exists()


def _school_year_template(house, lea, guardian_a):
    enroll(house, lea, house.morning)
    slots = [*house.evening.slots.all(), *house.morning.slots.all()]
    weekly.save_template(guardian_a.user, lea, [Entry(s, d) for s in slots for d in (0, 1, 3, 4)])


def test_a_school_year_preview_takes_a_few_queries_not_one_per_day(
    house, lea, guardian_a, django_assert_max_num_queries
):
    """Every date refused in memory (the year is over): the cost does not grow with the days."""
    _school_year_template(house, lea, guardian_a)
    year = house.school_year
    with django_assert_max_num_queries(27):
        plan = weekly.preview(
            guardian_a.user, [lea], year.start_date, year.end_date, now=at(year.end_date, 20)
        )
    assert len(plan.skipped) > 800 and plan.count == 0


def test_a_school_year_preview_costs_the_booking_writes_only(
    house, lea, guardian_a, django_assert_max_num_queries
):
    """Where it books, a dry run costs what the real booking does: its place count and writes."""
    _school_year_template(house, lea, guardian_a)
    year = house.school_year
    before = counts()
    with django_assert_max_num_queries(28 + 3 * 984):
        plan = weekly.preview(
            guardian_a.user,
            [lea],
            year.start_date,
            year.end_date,
            now=at(datetime.date(2026, 8, 20), 9),
        )
    assert plan.count == 984
    assert counts() == before
