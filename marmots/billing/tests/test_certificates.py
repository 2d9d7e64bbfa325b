"""The tax certificate (art. 200 quater B du CGI) and the attendance certificate, computed by
hand from invoices and attendance, and read back from the PDF."""

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from marmots.billing import actions, certificates
from marmots.billing.models import Allocation, Invoice, InvoiceLine, Payment
from marmots.bookings.models import Booking
from marmots.checkin.models import CheckinEvent, RegisterMark
from tests import factories as f
from tests.house import at, enroll

from .factories import invoice
from .factories import payment as make_payment

pytestmark = pytest.mark.django_db
NOVEMBER, DECEMBER = datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)


def pdf_text(content):
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def line(child, kind, amount, day, activity=None, label="ligne"):
    return {
        "child": child,
        "kind": kind,
        "amount": amount,
        "date": day,
        "activity": activity,
        "label": label,
    }


def credit_note(original, rows):
    """A credit note correcting `original`: rows [(corrected line or None, amount, child)]."""
    note = Invoice.objects.create(
        structure=original.structure,
        family=original.family,
        kind=Invoice.CREDIT_NOTE,
        status=Invoice.ISSUED,
        series="AV",
        year=original.year,
        number=original.number,
        issued_at=original.issued_at,
        due_date=original.due_date,
        period_start=original.period_start,
        period_end=original.period_end,
        total=sum(Decimal(amount) for _, amount, _ in rows),
        corrects=original,
        reason="Erreur de saisie",
    )
    for corrected, amount, child in rows:
        InvoiceLine.objects.create(
            invoice=note,
            kind=InvoiceLine.CREDIT,
            label="Avoir",
            amount=Decimal(amount),
            unit_price=Decimal(amount),
            child=child,
            corrects=corrected,
        )
    return note


def pay(original, amount):
    payment = make_payment(
        structure=original.structure,
        family=original.family,
        method=Payment.CHEQUE,
        amount=Decimal(amount),
        received_on=datetime.date(2027, 1, 10),
    )
    Allocation.objects.create(payment=payment, invoice=original, amount=Decimal(amount))


@pytest.fixture
def tom(family_a):
    """5 on 1 January 2026: his care counts."""
    return f.ChildFactory(family=family_a, first_name="Tom", birth_date=datetime.date(2021, 3, 1))


@pytest.fixture
def sixth_birthday(family_a):
    """6 on 1 January 2026 exactly: not under 6, not listed."""
    return f.ChildFactory(family=family_a, first_name="Jade", birth_date=datetime.date(2020, 1, 1))


@pytest.fixture
def year_2026(
    house, manager, family_a, guardian_a, child_a, tom, sixth_birthday, family_b, child_b
):
    """Family A's invoices of 2026, and some that must not count."""
    s, evening, holiday = house.structure, house.evening, house.holiday
    L = InvoiceLine
    november = invoice(
        family_a,
        s,
        [
            line(tom, L.ATTENDANCE, "2.40", datetime.date(2026, 11, 2), evening),
            line(tom, L.EXTRA, "0.50", datetime.date(2026, 11, 2), evening, "Goûter"),
            line(tom, L.UNBOOKED, "1.00", datetime.date(2026, 11, 3), evening),
            line(tom, L.MEMBERSHIP, "20.00", None, None, "Adhésion"),
            line(tom, L.AID, "-1.20", datetime.date(2026, 11, 2), evening, "Aide CE"),
            line(child_a, L.ATTENDANCE, "3.60", datetime.date(2026, 11, 2), evening),
            line(sixth_birthday, L.ATTENDANCE, "1.80", datetime.date(2026, 11, 2), evening),
        ],
        month=NOVEMBER,
    )
    december = invoice(
        family_a,
        s,
        [
            line(tom, L.ATTENDANCE, "12.00", datetime.date(2026, 12, 21), holiday, "Journée"),
            line(tom, L.EXTRA, "0.50", datetime.date(2026, 12, 22), evening, "Goûter"),
        ],
        month=DECEMBER,
    )
    snack = december.lines.get(kind=L.EXTRA)
    actions.credit_note(december, manager, "Sortie annulée", amount="6.00")  # the holiday day
    actions.credit_note(december, manager, "Goûter non servi", lines=[snack])
    pay(november, "28.10")  # the whole invoice
    pay(december, "3.00")  # half of what remains once credited (12.50 - 6.50 = 6.00)
    # Not 2026: the December before, the January after; another family's invoice.
    invoice(
        family_a,
        s,
        [line(tom, L.ATTENDANCE, "5.00", datetime.date(2025, 12, 1))],
        month=datetime.date(2025, 12, 1),
    )
    invoice(
        family_a,
        s,
        [line(tom, L.ATTENDANCE, "7.00", datetime.date(2027, 1, 4))],
        month=datetime.date(2027, 1, 1),
    )
    invoice(family_b, s, [line(child_b, L.ATTENDANCE, "9.00", datetime.date(2026, 11, 2))])
    invoice(
        family_a, s, [line(tom, L.ATTENDANCE, "50.00", datetime.date(2026, 11, 9))], issued=False
    )
    return november, december


def test_tax_certificate_counts_the_care_of_children_under_6_net_of_credit_and_aid(
    house, family_a, tom, year_2026
):
    (tom_line,) = certificates.tax_certificate(family_a, house.structure, 2026)

    assert tom_line.child == tom  # Léa (2019) and Jade (6 on 1 January) are not listed
    # Care: 2.40 evening + 1.00 attendance without booking + 12.00 holiday day.
    assert tom_line.childcare == Decimal("15.40")
    assert tom_line.credited == Decimal("-6.00")  # the credit on the holiday day
    assert tom_line.aid == Decimal("-1.20")
    assert tom_line.amount == Decimal("8.20")  # 15.40 - 6.00 - 1.20
    # Left out: snacks 0.50 + 0.50 - 0.50 credited, membership 20.00.
    assert tom_line.excluded == Decimal("20.50")
    # November paid in full: 2.20 of care; December paid half of its net: 6.00 / 2 = 3.00.
    assert tom_line.paid == Decimal("5.20")


@pytest.fixture
def wednesday_tariffs(house):
    """The demo tariffs of a Wednesday activity: morning, lunch (a meal) and afternoon."""
    from marmots.activities.models import Activity
    from marmots.billing.demo import create_demo_tariffs

    wednesday = f.ActivityFactory(
        structure=house.structure, name="Mercredis", kind=Activity.WEDNESDAY
    )
    for label, start, end in [
        ("Matin", (8, 30), (12, 0)),
        ("Repas", (12, 0), (13, 30)),
        ("Après-midi", (13, 30), (17, 30)),
    ]:
        f.TimeSlotFactory(
            activity=wednesday,
            label=label,
            start_time=datetime.time(*start),
            end_time=datetime.time(*end),
            capacity=36,
        )
    created = [t for t in create_demo_tariffs(house.structure) if t.activity == wednesday]
    return {t.slot.label: t for t in created}


def test_a_meal_tariff_is_left_out_of_the_tax_certificate(
    house, manager, family_a, tom, wednesday_tariffs
):
    assert [(label, t.is_meal) for label, t in wednesday_tariffs.items()] == [
        ("Matin", False),
        ("Repas", True),
        ("Après-midi", False),
    ]
    day = datetime.date(2026, 11, 4)
    activity = wednesday_tariffs["Repas"].activity

    def priced(slot, amount):  # as the engine writes it: an attendance line with its tariff
        row = line(tom, InvoiceLine.ATTENDANCE, amount, day, activity, f"Mercredi : {slot}")
        return row | {"tariff": wednesday_tariffs[slot]}

    november = invoice(
        family_a,
        house.structure,
        [priced("Matin", "4.00"), priced("Repas", "3.50"), priced("Après-midi", "4.00")],
    )

    (tom_line,) = certificates.tax_certificate(family_a, house.structure, 2026)

    assert tom_line.childcare == Decimal("8.00")  # the morning and the afternoon
    assert tom_line.excluded == Decimal("3.50")  # the lunch
    assert tom_line.amount == Decimal("8.00")
    # A credit note on the lunch is left out with it.
    lunch = november.lines.get(tariff=wednesday_tariffs["Repas"])
    actions.credit_note(november, manager, "Repas non servi", lines=[lunch])
    (tom_line,) = certificates.tax_certificate(family_a, house.structure, 2026)
    assert (tom_line.credited, tom_line.excluded, tom_line.amount) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("8.00"),
    )


def test_a_credit_note_for_the_whole_family_is_shared_by_care(house, family_a, tom, child_a):
    L = InvoiceLine
    november = invoice(
        family_a,
        house.structure,
        [
            line(tom, L.ATTENDANCE, "3.40", datetime.date(2026, 11, 2)),
            line(child_a, L.ATTENDANCE, "3.60", datetime.date(2026, 11, 2)),
        ],
    )
    credit_note(november, [(None, "-2.00", None)])

    (tom_line,) = certificates.tax_certificate(family_a, house.structure, 2026)

    # Tom's share of the care: 3.40 / 7.00 of -2.00 = -0.9714... -> -0.97.
    assert tom_line.credited == Decimal("-0.97")
    assert tom_line.amount == Decimal("2.43")
    assert tom_line.paid == Decimal("0.00")


def test_no_certificate_lines_for_a_year_without_care(house, family_a, year_2026):
    assert certificates.tax_certificate(family_a, house.structure, 2024) == []


def test_tax_certificate_pdf(house, family_a, year_2026):
    house.structure.address = "492 Route des Terres Blanches"
    text = pdf_text(certificates.tax_certificate_pdf(family_a, house.structure, 2026))

    assert "Attestation fiscale pour frais de garde" in text
    assert "200 quater B" in text
    assert "Tom" in text and "01/03/2021" in text
    assert "Léa" not in text and "Jade" not in text
    assert "Claire Martin" in text  # the payer
    assert "15,40" in text and "-6,00" in text and "-1,20" in text
    assert "8,20" in text and "5,20" in text
    assert "repas, goûters et adhésion (20,50" in text


def test_tax_filename(family_a):
    assert certificates.tax_filename(family_a, 2026) == "attestation-fiscale-martin-2026.pdf"


# --- Attendance certificate -------------------------------------------------------------------


def book(child, slot, day):
    enrollment = child.enrollments.get(activity=slot.activity)
    Booking.objects.create(child=child, slot=slot, date=day, enrollment=enrollment)


def event(child, activity, moment, kind):
    CheckinEvent.objects.create(
        child=child,
        activity=activity,
        date=moment.date(),
        kind=kind,
        at=moment,
        source=CheckinEvent.STAFF,
        by_family=False,
    )


@pytest.fixture
def november_presence(house, child_a, child_b):
    """Léa in November 2026: evenings and mornings as the house records them."""
    enroll(house, child_a, house.morning, house.evening)
    enroll(house, child_b, house.evening)
    evening, morning = house.evening, house.morning
    morning_slots = list(morning.slots.order_by("start_time"))
    mon, tue, thu = (
        datetime.date(2026, 11, 2),
        datetime.date(2026, 11, 3),
        datetime.date(2026, 11, 5),
    )
    # Monday evening: departure at 18:10 (the evening starts at 16:30): 1 h 40.
    book(child_a, house.snack_slot, mon)
    event(child_a, evening, at(mon, 18, 10), CheckinEvent.DEPARTURE)
    # Tuesday evening: register only, booked 16:30-17:30 and 17:30-18:00: 1 h 30.
    book(child_a, house.snack_slot, tue)
    book(child_a, house.apc_slot, tue)
    RegisterMark.objects.create(child=child_a, activity=evening, date=tue, present=True)
    # Thursday evening: booked but absent (unticked): not counted.
    book(child_a, house.snack_slot, thu)
    RegisterMark.objects.create(child=child_a, activity=evening, date=thu, present=False)
    # Thursday morning: arrival at 7:40 (the morning ends at 8:30): 50 min.
    book(child_a, morning_slots[1], thu)
    event(child_a, morning, at(thu, 7, 40), CheckinEvent.ARRIVAL)
    # Monday morning: register only, nothing booked: the opening hours 7:00-8:30.
    RegisterMark.objects.create(child=child_a, activity=morning, date=mon, present=True)
    # Present without booking nor times, on a Monday in December: outside the period.
    RegisterMark.objects.create(
        child=child_a, activity=morning, date=datetime.date(2026, 12, 7), present=True
    )
    # Hugo's evening: another child.
    RegisterMark.objects.create(child=child_b, activity=evening, date=mon, present=True)


def test_presence_counts_days_and_hours_per_activity(house, child_a, november_presence):
    rows = certificates.presence(
        child_a, house.structure, datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)
    )
    found = {r.activity.name: (r.days, r.minutes) for r in rows}
    assert found == {"Périscolaire soir": (2, 100 + 90), "Périscolaire matin": (2, 90 + 50)}


def test_presence_without_times_nor_booking_uses_the_opening_hours(house, child_a):
    enroll(house, child_a, house.morning)
    day = datetime.date(2026, 12, 7)
    RegisterMark.objects.create(child=child_a, activity=house.morning, date=day, present=True)
    (row,) = certificates.presence(child_a, house.structure, day, day)
    assert (row.days, row.minutes) == (1, 90)  # 7:00-8:30


def test_attendance_certificate_pdf(house, child_a, november_presence):
    content = certificates.attendance_certificate_pdf(
        child_a,
        house.structure,
        datetime.date(2026, 11, 1),
        datetime.date(2026, 11, 30),
        issued_on=datetime.date(2026, 12, 2),
    )
    text = pdf_text(content)
    assert "Attestation de présence" in text
    assert "Léa" in text and "du 01/11/2026 au 30/11/2026" in text
    assert "Périscolaire soir" in text and "3 h 10" in text.replace("\u00a0", " ")
    assert "Périscolaire matin" in text and "2 h 20" in text.replace("\u00a0", " ")
    # Monday counts once in the total, though Léa was there morning and evening.
    assert "Total 3 5 h 30" in text.replace("\u00a0", " ")
    assert "Novembre 2026" in text
    assert "Hugo" not in text
    assert "le 02/12/2026" in text and house.structure.name in text


def test_attendance_certificate_of_an_empty_period_says_so(house, child_a):
    content = certificates.attendance_certificate_pdf(
        child_a, house.structure, datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)
    )
    assert "Aucune présence enregistrée" in pdf_text(content)
