"""The pricing function, session by session, with the demo prices (QF 540: 0,60 € the
half-hour, snack 0,50 €, attendance without a booking +1,00 €)."""

import dataclasses
import datetime
import subprocess
import sys

from marmots.billing.pricing import total

from .pricing_facts import (
    DEMO,
    EVENING,
    HOLIDAY,
    HOLIDAY_MONDAY,
    LATE_PICKUP,
    MONDAY,
    MORNING,
    TOM,
    WEDNESDAY,
    WEDNESDAY_ACT,
    D,
    book,
    brackets,
    find,
    price,
    session,
    t,
    tariff,
    text,
)


def kinds(lines):
    return [(line.kind, line.amount) for line in lines]


def test_the_issue_example():
    [line, snack] = price(session(EVENING, MONDAY, 22, present=True, departure=t(18, 10)))
    assert text(line) == (
        "Réservé 17h30-18h00, présent 16h30-18h10 : 16h30-18h30 facturé, "
        "4 demi-heures x 0,60 € (QF 540, tranche 0-650) = 2,40 €"
    )
    assert line.label == "Périscolaire soir, lundi 02/11 – Léa"
    assert (line.kind, line.quantity, line.unit_price, line.amount) == (
        "attendance",
        D(4),
        D("0.60"),
        D("2.40"),
    )
    assert (line.minutes_booked, line.minutes_attended, line.minutes_billed) == (30, 100, 120)
    assert (line.quotient, line.bracket, line.tariff_id, line.activity_id) == (540, "0-650", 102, 2)
    assert text(snack) == "Goûter (séance facturée) : 1 séance x 0,50 € = 0,50 €"
    assert (snack.kind, snack.minutes_billed, snack.minutes_booked) == ("extra", 0, 0)


def test_morning_arrival_is_rounded_down_to_the_half_hour():
    [line] = price(session(MORNING, MONDAY, 12, 13, present=True, arrival=t(7, 40)))
    assert text(line) == (
        "Réservé 7h30-8h30, présent 7h40-8h30 : 7h30-8h30 facturé, "
        "2 demi-heures x 0,60 € (QF 540, tranche 0-650) = 1,20 €"
    )
    assert line.minutes_attended == 50
    [early] = price(session(MORNING, MONDAY, 12, 13, present=True, arrival=t(7, 10)))
    assert (early.quantity, early.amount, early.minutes_billed) == (D(3), D("1.80"), 90)


def test_evening_departure_is_rounded_up_to_the_half_hour():
    [line, _] = price(session(EVENING, MONDAY, 21, present=True, departure=t(18, 10)))
    assert (line.quantity, line.amount) == (D(4), D("2.40"))
    [line, _] = price(session(EVENING, MONDAY, 21, present=True, departure=t(17, 30)))
    assert (line.quantity, line.amount) == (D(2), D("1.20"))


def test_no_show_is_billed_as_booked():
    s = session(MORNING, MONDAY, 11, 12, 13)
    [line] = price(s)
    assert text(line) == (
        "Réservé 7h00-8h30, absent sans annulation : facturé comme réservé, "
        "3 demi-heures x 0,60 € (QF 540, tranche 0-650) = 1,80 €"
    )
    assert (line.minutes_booked, line.minutes_attended, line.minutes_billed) == (90, 0, 90)
    [no_show] = find(s)
    assert no_show.kind == "no_show"
    assert no_show.message.startswith("Léa, Périscolaire matin, lundi 02/11/2026 : réservé 7h00")


def test_late_cancellation_is_billed_as_booked():
    s = session(EVENING, MONDAY, book(21, "late"), book(22, "late"), book(23, "late"))
    lines = price(s)
    assert text(lines[0]).startswith(
        "Annulé hors délai 16h30-18h30 : facturé comme réservé, 4 demi-heures x 0,60 €"
    )
    assert kinds(lines) == [("attendance", D("2.40")), ("extra", D("0.50"))]
    assert find(s) == []


def test_absence_not_excused_is_billed_as_booked():
    [line] = price(session(MORNING, MONDAY, book(11, "absent"), book(12, "absent")))
    assert text(line).startswith("Absence non excusée 7h00-8h00 : facturé comme réservé")
    assert line.amount == D("1.20")


def test_excused_cancellation_gives_a_zero_info_line():
    s = session(
        EVENING,
        MONDAY,
        book(21, "late", excused=True, reason="certificat médical"),
        book(22, "late", excused=True, reason="certificat médical"),
    )
    [line] = price(s)
    assert line.kind == "info"
    assert (line.quantity, line.unit_price, line.amount) == (D(0), D(0), D(0))
    assert text(line) == "Annulation excusée (certificat médical) : non facturée (16h30-18h00)"
    assert line.minutes_booked == 90
    [absence] = price(session(MORNING, MONDAY, book(11, "absent", True, "maladie")))
    assert text(absence) == "Absence excusée (maladie) : non facturée (7h00-7h30)"


def test_excused_slot_beside_a_kept_one():
    s = session(EVENING, MONDAY, book(21), book(22, "late", True, "grève"), present=True)
    lines = price(s, tariffs=DEMO)
    assert [line.kind for line in lines] == ["attendance", "info", "extra"]
    assert lines[0].minutes_booked == 90 and lines[1].minutes_booked == 0


def test_cancellation_in_time_costs_nothing():
    assert price(session(EVENING, MONDAY, book(21, "cancelled"), book(22, "cancelled"))) == []


def test_attendance_without_booking_bills_presence_and_supplement():
    s = session(EVENING, MONDAY, book(21, "cancelled"), present=True, departure=t(17, 40))
    lines = price(s)
    assert kinds(lines) == [("attendance", D("1.80")), ("extra", D("0.50")), ("unbooked", D(1))]
    assert text(lines[0]) == (
        "Présent sans réservation 16h30-17h40 : 16h30-18h00 facturé, "
        "3 demi-heures x 0,60 € (QF 540, tranche 0-650) = 1,80 €"
    )
    assert text(lines[2]) == "Présence sans réservation : 1 séance x 1,00 € = 1,00 €"
    assert lines[2].label == "Périscolaire soir : présence sans réservation, lundi 02/11 – Léa"
    [unbooked] = find(s)
    assert unbooked.kind == "unbooked" and "lundi 02/11/2026" in unbooked.message
    assert (unbooked.child_id, unbooked.activity_id, unbooked.day) == (1, 2, MONDAY)


def test_charged_and_kept_bookings_and_presence_make_one_union():
    s = session(
        EVENING, MONDAY, 21, book(22, "late"), book(23, "late"), present=True, departure=t(17, 20)
    )
    [line, _] = price(s)
    assert text(line).startswith(
        "Réservé 16h30-17h30, annulé hors délai 17h30-18h30, présent 16h30-17h20 : "
        "16h30-18h30 facturé, 4 demi-heures"
    )
    assert (line.minutes_booked, line.minutes_attended, line.minutes_billed) == (120, 50, 120)


def _missed(day, *bookings, count, beyond=False, max_span=False, activity=EVENING):
    return session(
        activity,
        day,
        *bookings,
        present=True,
        missed=True,
        month_missed=count,
        beyond=beyond,
        max_span=max_span,
        missed_threshold=3,
    )


def test_missed_checkin_within_threshold_is_billed_as_booked():
    first = _missed(MONDAY, 22, count=2)
    second = _missed(datetime.date(2026, 11, 5), 22, count=2)
    lines = price(second, first)
    # Each session: 1 half-hour x 0,60 (17h30-18h00) + 0,50 snack (each billed evening).
    assert kinds(lines) == [("attendance", D("0.60")), ("extra", D("0.50"))] * 2
    assert text(lines[2]) == (
        "Oubli de pointage (2e du mois), réservé 17h30-18h00 : facturé comme réservé, "
        "1 demi-heure x 0,60 € (QF 540, tranche 0-650) = 0,60 €"
    )
    assert find(first, second) == []


def test_missed_checkin_without_booking_is_billed_at_the_maximum_span():
    lines = price(_missed(MONDAY, count=1, max_span=True))
    assert kinds(lines) == [("attendance", D("2.40")), ("extra", D("0.50")), ("unbooked", D(1))]
    assert text(lines[0]) == (
        "Oubli de pointage (1er du mois), sans réservation : amplitude maximale 16h30-18h30 "
        "facturée, 4 demi-heures x 0,60 € (QF 540, tranche 0-650) = 2,40 €"
    )
    [morning] = price(_missed(MONDAY, count=1, max_span=True, activity=MORNING))[:1]
    assert (morning.quantity, morning.amount) == (D(3), D("1.80"))


def test_missed_checkins_beyond_threshold_are_all_billed_at_the_maximum_span():
    days = [datetime.date(2026, 11, d) for d in (2, 3, 5, 6)]
    sessions = [_missed(day, 22, count=4, beyond=True, max_span=True) for day in days]
    lines = [line for line in price(*sessions) if line.kind == "attendance"]
    assert [line.amount for line in lines] == [D("2.40")] * 4
    assert text(lines[3]).startswith(
        "Oubli de pointage (4e du mois, au-delà de 3), réservé 17h30-18h00 : "
        "amplitude maximale 16h30-18h30 facturée, 4 demi-heures x 0,60 €"
    )
    assert text(lines[0]).startswith("Oubli de pointage (1er du mois ; 4 ce mois-ci, au-delà de 3)")
    [beyond] = find(*sessions)
    assert beyond.kind == "missed_beyond" and beyond.child_id == 1
    assert beyond.message == (
        "Léa : 4 oublis de pointage en novembre 2026 (au-delà de 3) : amplitude maximale facturée"
    )


def test_register_only_presence_without_the_missed_rule():
    plain = dataclasses.replace(EVENING, max_span=None, family_events=frozenset())
    activities = {plain.id: plain}
    [line] = [
        x
        for x in price(session(plain, MONDAY, 22, present=True), activities=activities)
        if x.kind == "attendance"
    ]
    assert text(line).startswith("Réservé 17h30-18h00, présent : 17h30-18h00 facturé, 1 demi-heure")
    lines = price(session(plain, MONDAY, present=True), activities=activities)
    assert text(lines[0]).startswith(
        "Présent sans réservation : séance entière 16h30-18h30 facturée, 4 demi-heures"
    )
    assert kinds(lines) == [("attendance", D("2.40")), ("extra", D("0.50")), ("unbooked", D(1))]


def test_the_snack_comes_with_each_billed_evening_session():
    # A no-show booked 17h30-18h30: 2 half-hours x 0,60 + the 0,50 snack (demo settings: "each
    # billed evening session").
    lines = price(session(EVENING, MONDAY, 22, 23))
    assert kinds(lines) == [("attendance", D("1.20")), ("extra", D("0.50"))]
    assert kinds(price(session(EVENING, MONDAY, 21))) == [
        ("attendance", D("1.20")),
        ("extra", D("0.50")),
    ]
    # Excused or cancelled in time: nothing billed, no snack.
    excused = session(EVENING, MONDAY, book(22, "late", excused=True))
    assert [x.kind for x in price(excused)] == ["info"]
    assert price(session(EVENING, MONDAY, book(21, "cancelled"))) == []
    # Never more than one snack per session, and none on the morning.
    lines = price(session(EVENING, MONDAY, 21, 22, 23, present=True, departure=t(18, 20)))
    assert [x.kind for x in lines] == ["attendance", "extra"]
    assert [x.kind for x in price(session(MORNING, MONDAY, 11))] == ["attendance"]


def test_an_extra_tied_to_a_slot_only_when_the_billed_span_covers_it():
    slotted = tariff(130, "extra", "session", "Goûter", brackets("0.50"), activity_id=2, slot_id=21)
    tariffs = (*[x for x in DEMO if x.kind != "extra"], slotted)
    assert [x.kind for x in price(session(EVENING, MONDAY, 22, 23), tariffs=tariffs)] == [
        "attendance"
    ]
    [_, snack] = price(session(EVENING, MONDAY, 21), tariffs=tariffs)
    assert text(snack) == "Goûter (créneau 16h30-17h30 facturé) : 1 séance x 0,50 € = 0,50 €"
    present = session(EVENING, MONDAY, 22, present=True, departure=t(18))  # from 16h30
    assert [x.kind for x in price(present, tariffs=tariffs)] == ["attendance", "extra"]


def test_late_pickup_supplement():
    tariffs = (*DEMO, LATE_PICKUP)
    lines = price(session(EVENING, MONDAY, 21, present=True, departure=t(18, 45)), tariffs=tariffs)
    assert kinds(lines) == [("attendance", D("2.40")), ("extra", D("0.50")), ("late_pickup", D(5))]
    assert (
        text(lines[2]) == "Départ à 18h45, après la fermeture (18h30) : 1 séance x 5,00 € = 5,00 €"
    )
    assert lines[0].minutes_attended == 135
    on_time = session(EVENING, MONDAY, 21, present=True, departure=t(18, 30))
    assert "late_pickup" not in [x.kind for x in price(on_time, tariffs=tariffs)]
    late = session(EVENING, MONDAY, 21, present=True, departure=t(18, 45))
    assert "late_pickup" not in [x.kind for x in price(late)]  # no such tariff: nothing


def test_wednesday_is_billed_per_slot():
    lines = price(session(WEDNESDAY_ACT, WEDNESDAY, 31, 32, present=True))
    assert kinds(lines) == [("attendance", D(4)), ("attendance", D("3.50"))]
    assert lines[0].label == "Mercredis (matin), mercredi 04/11 – Léa"
    assert text(lines[1]) == (
        "Réservé 8h30-13h30, présent : 12h00-13h30 facturé, "
        "1 créneau x 3,50 € (QF 540, tranche 0-650) = 3,50 €"
    )
    assert [x.minutes_billed for x in lines] == [210, 90]
    assert [x.minutes_booked for x in lines] == [300, 0]
    unbooked = session(WEDNESDAY_ACT, WEDNESDAY, present=True, arrival=t(8, 40), departure=t(12))
    assert kinds(price(unbooked)) == [("attendance", D(4))]
    everything = price(session(WEDNESDAY_ACT, WEDNESDAY, present=True))
    assert total(everything) == D("11.50")


def test_wednesday_bills_the_booked_slots_and_those_of_the_presence():
    # Booked the morning, present 8h40-14h00: morning 4,00 + lunch 3,50 + afternoon 4,00.
    stayed = session(WEDNESDAY_ACT, WEDNESDAY, 31, present=True, arrival=t(8, 40), departure=t(14))
    lines = price(stayed)
    assert kinds(lines) == [("attendance", D(4)), ("attendance", D("3.50")), ("attendance", D(4))]
    assert total(lines) == D("11.50")
    assert [x.label for x in lines][1] == "Mercredis (repas), mercredi 04/11 – Léa"
    assert text(lines[1]) == (
        "Réservé 8h30-12h00, présent 8h40-14h00 : matin, repas, après-midi facturés, "
        "1 créneau x 3,50 € (QF 540, tranche 0-650) = 3,50 €"
    )
    assert [x.minutes_billed for x in lines] == [210, 90, 240]
    # The supplement for attendance without a booking: once, and only without any booking.
    unbooked = tariff(
        131, "unbooked", "session", "Mercredis : sans réservation", brackets("1.00"), activity_id=3
    )
    tariffs = (*DEMO, unbooked)
    assert total(price(stayed, tariffs=tariffs)) == D("11.50")
    walked_in = dataclasses.replace(stayed, bookings=())
    assert kinds(price(walked_in, tariffs=tariffs))[-1] == ("unbooked", D(1))
    assert total(price(walked_in, tariffs=tariffs)) == D("12.50")
    # Within the booked slots, only they are billed.
    inside = dataclasses.replace(stayed, departure=t(12))
    [line] = price(inside)
    assert text(line).startswith("Réservé 8h30-12h00, présent 8h40-12h00 : 8h30-12h00 facturé")


def test_holiday_is_billed_per_day():
    [line] = price(session(HOLIDAY, HOLIDAY_MONDAY, 41, present=True, arrival=t(8, 40)))
    assert text(line).startswith("Réservé 8h30-17h30, présent 8h40-17h30 : 8h30-17h30 facturé")
    assert text(line).endswith("1 jour x 12,00 € (QF 540, tranche 0-650) = 12,00 €")
    assert (line.quantity, line.minutes_billed) == (D(1), 540)


def test_half_day_unit():
    half = tariff(120, unit="half_day", activity_id=3, prices=(DEMO[5].prices))
    lines = price(session(WEDNESDAY_ACT, WEDNESDAY, 31), tariffs=(half,))
    assert (lines[0].quantity, lines[0].amount) == (D(1), D(4))
    lines = price(session(WEDNESDAY_ACT, WEDNESDAY, 31, 33), tariffs=(half,))
    assert (lines[0].quantity, lines[0].amount) == (D(2), D(8))
    assert "2 demi-journées x 4,00 €" in text(lines[0])


def test_lines_are_ordered_by_child_rank_day_and_activity():
    lines = price(
        session(EVENING, datetime.date(2026, 11, 3), 21, child=TOM),
        session(EVENING, datetime.date(2026, 11, 3), 21),
        session(EVENING, MONDAY, 21),
        session(MORNING, datetime.date(2026, 11, 3), 11),
    )
    assert [(x.child_id, x.day.day, x.activity_id, x.kind) for x in lines] == [
        (1, 2, 2, "attendance"),
        (1, 2, 2, "extra"),
        (1, 3, 1, "attendance"),
        (1, 3, 2, "attendance"),
        (1, 3, 2, "extra"),
        (2, 3, 2, "attendance"),
        (2, 3, 2, "extra"),
    ]


def test_pricing_is_pure():
    """No Django, no database: the pricing modules import on their own."""
    code = "import sys, marmots.billing.pricing; print('django' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
