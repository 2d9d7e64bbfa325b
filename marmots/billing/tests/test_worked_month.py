"""The issue's worked month: the Martin family of the demo (QF 540; Léa, and Tom who is under
6) in November 2026, with the demo prices, from bookings to the PDF.

Everything goes through the real actions, day by day: the family books and cancels in the
portal's action, declares an illness, taps the kiosk; the team keeps the register; the manager
excuses the illness, runs the month, reviews its anomalies and issues it. Every amount below is
computed by hand from the shared demo settings (QF 0-650 bracket):
périscolaire 0,60 € the half-hour, snack 0,50 €, Wednesday morning 4,00 €, attendance without a
booking +1,00 €, membership 20,00 € per child and school year.
"""

import datetime
from decimal import Decimal

import pytest

from marmots.activities.models import Activity
from marmots.billing import actions as billing
from marmots.billing.demo import create_demo_tariffs
from marmots.billing.models import Anomaly, Invoice, Membership
from marmots.billing.pdf import invoice_pdf
from marmots.bookings import absences
from marmots.bookings import actions as bookings
from marmots.bookings.actions import Change
from marmots.checkin import devices, events, register
from tests import factories as f
from tests.house import at, enroll

from .month import NOVEMBER, pdf_text

pytestmark = pytest.mark.django_db

D = {n: datetime.date(2026, 11, n) for n in range(1, 31)}  # D[9] is Monday 9 November


@pytest.fixture
def wednesday(house):
    """The demo's Wednesdays (morning, lunch, afternoon), with their demo tariffs."""
    activity = f.ActivityFactory(
        structure=house.structure,
        name="Mercredis",
        kind=Activity.WEDNESDAY,
        weekdays=[2],
        kiosk_events=Activity.KIOSK_BOTH,
    )
    for label, start, end in [("Matin", 8.5, 12), ("Repas", 12, 13.5), ("Après-midi", 13.5, 17.5)]:
        f.TimeSlotFactory(
            activity=activity,
            label=label,
            start_time=datetime.time(int(start), int(start % 1 * 60)),
            end_time=datetime.time(int(end), int(end % 1 * 60)),
            capacity=36,
        )
    create_demo_tariffs(house.structure)
    return activity


@pytest.fixture
def martin(house, family_a, guardian_a, wednesday):
    lea = f.ChildFactory(family=family_a, first_name="Léa", birth_date=datetime.date(2018, 6, 21))
    tom = f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2022, 2, 10))
    enroll(house, lea, house.morning, house.evening)
    enroll(house, tom, house.evening, wednesday)
    return lea, tom


def flat(text):
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def slots(activity, *starts):
    return [activity.slots.get(start_time=datetime.time(*s)) for s in starts]


def book(user, child, slot_list, day):
    outcomes = bookings.book(user, [Change(child, s, day) for s in slot_list], now=at(D[2], 20))
    assert [o.result for o in outcomes] == ["booked"] * len(slot_list), outcomes


class Day:
    """The kiosk at the door and the register, on one day; the clock follows them."""

    def __init__(self, time_machine, kiosk, family, staff, structure):
        self.clock, self.kiosk, self.family = time_machine, kiosk, family
        self.staff, self.structure = staff, structure

    def tap(self, child, activity, kind, day, hour, minute):
        moment = at(day, hour, minute)
        self.clock.move_to(moment + datetime.timedelta(minutes=1))
        item = {
            "nonce": f"{child.pk}-{activity.pk}-{day}-{kind}",
            "grant": devices.grant_for(self.kiosk, self.family, day),
            "child_id": child.pk,
            "activity_id": activity.pk,
            "kind": kind,
            "device_time": moment,
        }
        (result,) = events.record_events(self.kiosk, [item], moment)
        assert result["status"] == "accepted", result

    def present(self, child, activity, day):
        self.clock.move_to(at(day, 19, 45))
        register.mark_present(self.staff, self.structure, child, activity, day, True)


def test_the_martin_family_november(
    house, martin, family_a, guardian_a, manager, staff, wednesday, time_machine
):
    lea, tom = martin
    structure, morning, evening = house.structure, house.morning, house.evening
    parent = guardian_a.user
    time_machine.move_to(at(D[2], 20))
    kiosk, _ = devices.create_kiosk(manager, structure, "Entrée")
    door = Day(time_machine, kiosk, family_a, staff, structure)

    # Monday 2 November, in the portal: the family books the month ahead.
    book(parent, lea, slots(morning, (7, 30), (8,)), D[9])
    for day in (D[9], D[12]):
        book(parent, lea, slots(evening, (16, 30)), day)
    book(parent, lea, slots(evening, (16, 30), (17, 30)), D[10])
    for day in (D[16], D[17], D[19], D[20], D[23]):
        book(parent, tom, slots(evening, (16, 30)), day)
    book(parent, tom, slots(wednesday, (8, 30)), D[18])

    # Monday 9: Léa arrives at 7:42 and leaves at 18:10; both tapped by the family.
    door.tap(lea, morning, "arrival", D[9], 7, 42)
    door.present(lea, morning, D[9])
    door.tap(lea, evening, "departure", D[9], 18, 10)
    door.present(lea, evening, D[9])
    # Monday 9 at 10:00 the family cancels Tuesday's evening: the deadline was Friday 6 at
    # 8:30, so it is a late cancellation, billed as booked.
    (late,) = bookings.cancel(
        parent, [Change(lea, s, D[10]) for s in slots(evening, (16, 30))], now=at(D[9], 10)
    )
    assert late.result == "late"
    (late_too,) = bookings.cancel(
        parent, [Change(lea, s, D[10]) for s in slots(evening, (17, 30))], now=at(D[9], 10)
    )
    assert late_too.result == "late"
    # Thursday 12 at 7:00: Léa is ill. The absence is declared too late to be free; the
    # manager excuses it on the medical certificate: 0,00 €.
    time_machine.move_to(at(D[12], 7))
    ill = lea.bookings.get(date=D[12])
    ill = absences.declare_absence(parent, ill, now=at(D[12], 7))
    absences.excuse(manager, ill, "Angine : certificat médical fourni")
    # Friday 13: Léa stays in the evening without a booking; the family taps at 17:20.
    door.tap(lea, evening, "departure", D[13], 17, 20)
    door.present(lea, evening, D[13])
    # Tom forgets the kiosk four evenings running; the team marks him present each time and
    # notes Tuesday's departure itself (a team event: still a missed check-in).
    for day in (D[16], D[17], D[19], D[20]):
        door.present(tom, evening, day)
    register.add_staff_event(
        staff, tom, evening, D[17], "departure", at(D[17], 17, 25), "Oubli de la tablette"
    )
    # Wednesday 18: Tom's morning, arrival 8:40 and departure 11:50 on the kiosk.
    door.tap(tom, wednesday, "arrival", D[18], 8, 40)
    door.tap(tom, wednesday, "departure", D[18], 11, 50)
    door.present(tom, wednesday, D[18])
    # Monday 23: Tom is checked out by the family at 17:25.
    door.tap(tom, evening, "departure", D[23], 17, 25)
    door.present(tom, evening, D[23])

    # Wednesday 2 December: the manager runs November, reviews, issues.
    time_machine.move_to(at(datetime.date(2026, 12, 2), 9))
    run = billing.start_run(structure, NOVEMBER, manager)
    assert run.status == "drafted", run.error
    found = {(a.kind, a.child_id) for a in Anomaly.objects.filter(run=run)}
    assert {("unbooked", lea.pk), ("missed_beyond", tom.pk)} <= found
    for anomaly in run.anomalies.all():
        billing.review_anomaly(anomaly, manager, note="Vu avec la famille")
    run = billing.issue_run(run, manager)
    invoice = Invoice.objects.get(run=run)

    lines = [
        (line.child.first_name, line.date and line.date.day, line.kind, line.amount)
        for line in invoice.lines.select_related("child").order_by("order")
    ]
    assert lines == [
        # Membership, per child and school year: 2 x 20,00.
        ("Léa", 1, "membership", Decimal("20.00")),
        ("Tom", 1, "membership", Decimal("20.00")),
        # Léa, Monday 9 morning: booked 7:30-8:30, arrived 7:42 (counts from 7:30):
        # 7:30-8:30 = 2 half-hours x 0,60 = 1,20.
        ("Léa", 9, "attendance", Decimal("1.20")),
        # Monday 9 evening: booked 16:30-17:30, left 18:10 (counts until 18:30):
        # 16:30-18:30 = 4 half-hours x 0,60 = 2,40; snack 0,50.
        ("Léa", 9, "attendance", Decimal("2.40")),
        ("Léa", 9, "extra", Decimal("0.50")),
        # Tuesday 10, cancelled late: billed as booked, 16:30-18:00 = 3 x 0,60 = 1,80;
        # the snack 0,50 (with each billed evening session).
        ("Léa", 10, "attendance", Decimal("1.80")),
        ("Léa", 10, "extra", Decimal("0.50")),
        # Thursday 12, ill and excused: 0,00, the line says why.
        ("Léa", 12, "info", Decimal("0.00")),
        # Friday 13, present without a booking, left 17:20 (until 17:30):
        # 16:30-17:30 = 2 x 0,60 = 1,20; snack 0,50; supplement 1,00.
        ("Léa", 13, "attendance", Decimal("1.20")),
        ("Léa", 13, "extra", Decimal("0.50")),
        ("Léa", 13, "unbooked", Decimal("1.00")),
        # Tom, four missed check-ins: the 4th is beyond 3, so all four are billed at the
        # maximum span 16:30-18:30 = 4 x 0,60 = 2,40, each with its snack 0,50.
        ("Tom", 16, "attendance", Decimal("2.40")),
        ("Tom", 16, "extra", Decimal("0.50")),
        ("Tom", 17, "attendance", Decimal("2.40")),
        ("Tom", 17, "extra", Decimal("0.50")),
        # Wednesday 18 morning: 1 slot x 4,00.
        ("Tom", 18, "attendance", Decimal("4.00")),
        ("Tom", 19, "attendance", Decimal("2.40")),
        ("Tom", 19, "extra", Decimal("0.50")),
        ("Tom", 20, "attendance", Decimal("2.40")),
        ("Tom", 20, "extra", Decimal("0.50")),
        # Monday 23: booked 16:30-17:30, left 17:25: 2 x 0,60 = 1,20; snack 0,50.
        ("Tom", 23, "attendance", Decimal("1.20")),
        ("Tom", 23, "extra", Decimal("0.50")),
    ]
    # 40,00 + Léa (1,20 + 2,90 + 2,30 + 0 + 2,70 = 9,10)
    # + Tom (4 x 2,90 + 4,00 + 1,70 = 17,30) = 66,40.
    assert invoice.total == Decimal("66.40")
    assert invoice.reference == "FA-2026-00001" and invoice.quotient == 540
    assert invoice.due_date == datetime.date(2027, 1, 1)
    assert Membership.objects.filter(family=family_a, school_year="2026-2027").count() == 2
    explained = {
        (line.child.first_name, line.date and line.date.day, line.kind): line.explanation
        for line in invoice.lines.select_related("child")
    }
    assert explained[("Léa", 9, "attendance")] != explained[("Tom", 16, "attendance")]
    monday = [
        line.explanation
        for line in invoice.lines.filter(date=D[9], activity=evening, kind="attendance")
    ][0]
    assert monday.replace("\xa0", " ") == (
        "Réservé 16h30-17h30, présent 16h30-18h10 : 16h30-18h30 facturé, "
        "4 demi-heures x 0,60 € (QF 540, tranche 0-650) = 2,40 €"
    )
    assert "Angine" in explained[("Léa", 12, "info")]
    assert "au-delà de 3" in explained[("Tom", 16, "attendance")]
    assert "amplitude maximale 16h30-18h30" in explained[("Tom", 16, "attendance")]

    text = flat(pdf_text(invoice_pdf(invoice)))
    assert "Facture n° FA-2026-00001" in text
    assert "Total de la facture 66,40 €" in text
    assert flat(monday) in text
    assert "Quotient familial appliqué : 540" in text
    assert "Adhésion 2026-2027" in text
