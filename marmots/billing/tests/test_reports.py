"""The hours report per month and quotient bracket, and the aid to claim per payer, read from
issued invoices less what credit notes cancelled."""

import datetime
import itertools
from decimal import Decimal

import pytest

from marmots.billing import reports
from marmots.billing.models import Aid, Invoice, InvoiceLine
from tests import factories as f

from .factories import invoice

NUMBERS = itertools.count(1)
NOV, DEC = datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)


def session(child, day, bracket, booked, attended, billed, amount="2.40", **fields):
    return {
        "label": f"Soir {day:%d/%m}",
        "amount": amount,
        "child": child,
        "date": day,
        "bracket": bracket,
        "quotient": 540 if bracket == "0-650" else None,
        "minutes_booked": booked,
        "minutes_attended": attended,
        "minutes_billed": billed,
        **fields,
    }


def credit(source, parts):
    """An issued credit note of `source` crediting [(line, amount)] (amounts positive)."""
    total = sum((Decimal(amount) for _, amount in parts), Decimal(0))
    note = Invoice.objects.create(
        structure=source.structure,
        family=source.family,
        kind=Invoice.CREDIT_NOTE,
        status=Invoice.ISSUED,
        series="AV",
        year=2026,
        number=next(NUMBERS),
        issued_at=source.issued_at,
        due_date=source.due_date,
        period_start=source.period_start,
        period_end=source.period_end,
        total=-total,
        corrects=source,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=note,
            kind=InvoiceLine.CREDIT,
            label=f"Avoir : {line.label}",
            unit_price=-Decimal(amount),
            amount=-Decimal(amount),
            corrects=line,
        )
        for line, amount in parts
    )
    return note


def cancel(line):
    return credit(line.invoice, [(line, line.amount)])


@pytest.fixture
def month(structure, family_a, child_a, family_b, child_b, other_structure):
    """Family A (QF 540) and B (no QF) in November and December, one line cancelled,
    a draft and another structure's invoice that never count."""
    leo = f.ChildFactory(family=family_a, first_name="Léo")
    november = invoice(
        family_a,
        structure,
        [
            session(child_a, datetime.date(2026, 11, 2), "0-650", 120, 100, 120),
            session(leo, datetime.date(2026, 11, 3), "0-650", 60, 90, 90),
            session(child_a, datetime.date(2026, 11, 5), "0-650", 30, 0, 30),
            {"label": "Goûter", "amount": "0.50", "child": child_a, "date": NOV},
            {"label": "Adhésion", "amount": "20.00", "child": child_a},
        ],
    )
    cancel(november.lines.get(minutes_booked=30))
    credit(november, [(november.lines.get(minutes_booked=120), "1.00")])  # a part only: counted
    invoice(
        family_b,
        structure,
        [session(child_b, datetime.date(2026, 11, 9), "", 90, 90, 90, amount="3.60")],
    )
    invoice(
        family_a,
        structure,
        [session(child_a, datetime.date(2026, 12, 1), "651-1150", 60, 60, 60)],
        month=DEC,
    )
    invoice(
        family_b,
        structure,
        [session(child_b, datetime.date(2026, 11, 10), "0-650", 600, 600, 600)],
        issued=False,
    )
    invoice(
        family_b,
        other_structure,
        [session(child_b, datetime.date(2026, 11, 11), "0-650", 600, 600, 600)],
    )
    return november


def test_hours_per_month_and_bracket(structure, month):
    rows = reports.hours_report(structure, NOV, datetime.date(2026, 12, 31))
    assert [(r.month, r.bracket, r.booked, r.attended, r.billed, r.children) for r in rows] == [
        (NOV, "0-650", Decimal("3.00"), Decimal("3.17"), Decimal("3.50"), 2),
        (NOV, "QF inconnu", Decimal("1.50"), Decimal("1.50"), Decimal("1.50"), 1),
        (DEC, "651-1150", Decimal("1.00"), Decimal("1.00"), Decimal("1.00"), 1),
    ]
    assert reports.hours_children(structure, NOV, datetime.date(2026, 12, 31)) == 3


def test_unknown_quotients_and_lines_without_a_bracket(
    structure, family_a, child_a, family_b, child_b
):
    monday, tuesday = datetime.date(2026, 11, 2), datetime.date(2026, 11, 3)
    invoice(
        family_a,
        structure,
        [
            session(child_a, monday, "0-650", 60, 60, 60),
            session(child_a, tuesday, "", 60, 0, 0, amount="0.00"),  # excused: no bracket
        ],
    )
    fallback = invoice(
        family_b,
        structure,
        [
            session(child_b, monday, "1151 et plus", 60, 60, 60, amount="4.80"),
            session(child_b, tuesday, "", 30, 0, 0, amount="0.00"),
        ],
    )
    Invoice.objects.filter(pk=fallback.pk).update(
        quotient_note="QF non fourni : tarif maximal appliqué"
    )

    rows = reports.hours_report(structure, NOV, datetime.date(2026, 11, 30))

    # The excused line counts in its invoice's bracket; the family priced at the top bracket
    # for want of a quotient counts as unknown, not as "1151 et plus".
    assert [(r.bracket, r.booked, r.attended, r.billed, r.children) for r in rows] == [
        ("0-650", Decimal("2.00"), Decimal("1.00"), Decimal("1.00"), 1),
        ("QF inconnu", Decimal("1.50"), Decimal("1.00"), Decimal("1.00"), 1),
    ]


def test_the_period_bounds_the_report(structure, month):
    rows = reports.hours_report(structure, datetime.date(2026, 11, 3), datetime.date(2026, 11, 30))
    assert [(r.bracket, r.booked, r.children) for r in rows] == [
        ("0-650", Decimal("1.00"), 1),
        ("QF inconnu", Decimal("1.50"), 1),
    ]


def test_brackets_sort_by_their_lowest_quotient():
    brackets = ["QF inconnu", "taux d'effort", "1151 et plus", "651-1150", "0-650"]
    assert sorted(brackets, key=reports._bracket_order) == [
        "0-650",
        "651-1150",
        "1151 et plus",
        "taux d'effort",
        "QF inconnu",
    ]


def _aid(structure, family, payer, label, activity, reference=""):
    aid = Aid.objects.create(
        structure=structure,
        family=family,
        payer=payer,
        label=label,
        reference=reference,
        method=Aid.PER_UNIT,
        amount=Decimal("5.00"),
        valid_from=datetime.date(2026, 9, 1),
        valid_until=datetime.date(2027, 8, 31),
    )
    aid.activities.add(activity)
    return aid


def aid_line(aid, child, day, amount="-5.00", quantity="1"):
    return {
        "label": aid.label,
        "kind": InvoiceLine.AID,
        "aid": aid,
        "child": child,
        "date": day,
        "quantity": Decimal(quantity),
        "unit_price": "-5.00",
        "amount": amount,
    }


def test_aid_claims_per_payer(structure, family_a, child_a, family_b, child_b):
    activity = f.ActivityFactory(structure=structure, name="Accueil de loisirs")
    caf_a = _aid(
        structure, family_a, "CAF de la Haute-Savoie", "Aide aux vacances", activity, "111"
    )
    caf_b = _aid(
        structure, family_b, "CAF de la Haute-Savoie", "Aide aux vacances", activity, "222"
    )
    works = _aid(structure, family_a, "CE Somfy", "Chèques loisirs", activity)
    day = datetime.date(2026, 11, 4)
    first = invoice(
        family_a,
        structure,
        [
            {"label": "Journées", "amount": "72.00", "child": child_a, "date": day},
            aid_line(caf_a, child_a, day, "-10.00", "2"),
            aid_line(caf_a, child_a, datetime.date(2026, 11, 5)),
            aid_line(works, None, day, "-7.20", "1"),
        ],
    )
    invoice(
        family_b,
        structure,
        [
            {"label": "Journées", "amount": "24.00", "child": child_b, "date": day},
            aid_line(caf_b, child_b, day),
        ],
    )
    credit(first, [(first.lines.get(label="Journées"), "2.00")])  # a part only: still claimed
    cancelled = invoice(
        family_b,
        structure,
        [
            {"label": "Journée", "amount": "24.00", "child": child_b, "date": day},
            aid_line(caf_b, child_b, day),
        ],
    )
    credit(cancelled, [(cancelled.lines.get(label="Journée"), "19.00")])  # cancelled in full

    claims = reports.aid_claims(structure, NOV, datetime.date(2026, 11, 30))
    assert [(c.payer, c.units, c.amount) for c in claims] == [
        ("CAF de la Haute-Savoie", Decimal("4"), Decimal("20.00")),
        ("CE Somfy", Decimal("1"), Decimal("7.20")),
    ]
    assert [(r.family, r.child, r.reference, r.amount) for r in claims[0].rows] == [
        ("Bernard", f"{child_b.first_name} {child_b.last_name}", "222", Decimal("5.00")),
        ("Martin", f"{child_a.first_name} {child_a.last_name}", "111", Decimal("15.00")),
    ]
    assert claims[1].rows[0].child == "Tous les enfants"
    assert reports.aid_claims(structure, DEC, datetime.date(2026, 12, 31)) == []
