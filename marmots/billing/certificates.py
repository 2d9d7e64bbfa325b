"""Certificates for families, PDFs rendered by WeasyPrint (like the enrollment certificate):

- the attendance certificate ("attestation de présence") of a child over a period: the days and
  hours present per activity, read from the attendance (register, kiosk and staff events);
- the yearly tax certificate for childcare costs ("attestation fiscale pour frais de garde",
  art. 200 quater B du CGI): per child under 6 on 1 January, what the year's invoices billed for
  the child's care, net of credit notes and third-party aid, without meals, snacks and the
  membership fee, which the law leaves out (meals: extras, and the lines of a tariff marked
  `is_meal`, such as the Wednesday lunch).

Callers scope the child and the family (portal: `for_family`; back-office: the manager's
structures); these functions read only rows of that family in `structure`.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from marmots.activities.models import Activity
from marmots.checkin import attendance
from marmots.families.models import Child, Guardian

from .balances import settings_for, with_outstanding
from .models import Invoice, InvoiceLine
from .money import ZERO, money

# --- Attendance certificate -------------------------------------------------------------------


@dataclass
class MonthPresence:
    month: datetime.date  # the month's first day
    dates: set = field(default_factory=set)  # the days present
    minutes: int = 0

    @property
    def days(self):
        return len(self.dates)


@dataclass
class ActivityPresence:
    activity: Activity
    months: list = field(default_factory=list)  # [MonthPresence], in order

    @property
    def days(self):
        return sum(m.days for m in self.months)

    @property
    def minutes(self):
        return sum(m.minutes for m in self.months)


def _clock(day, moment):
    return datetime.datetime.combine(day, moment)


def _span_minutes(day, start, end):
    return max(0, int((_clock(day, end) - _clock(day, start)).total_seconds() // 60))


def _union_minutes(day, slots):
    """Minutes covered by booked slots [(start, end)], overlaps counted once."""
    total, reach = 0, None
    for start, end in sorted(slots):
        if reach is not None and start < reach:
            start = reach
        if reach is None or end > reach:
            total += _span_minutes(day, start, end)
            reach = end
    return total


def session_minutes(row, opening):
    """How long a present child stayed: from the arrival to the departure when the kiosk or
    staff recorded them (the session's opening or closing time standing for a missing one: the
    morning ends at class time, the evening starts when class ends); without either, the booked
    slots; without a booking, the activity's opening hours."""
    open_at, close_at = opening
    if row.arrival or row.departure:
        start = row.arrival.time() if row.arrival else open_at
        end = row.departure.time() if row.departure else close_at
        return _span_minutes(row.day, start, end)
    if row.booked_slots:
        return _union_minutes(row.day, row.booked_slots)
    return _span_minutes(row.day, open_at, close_at)


def presence(child, structure, first, last):
    """[ActivityPresence] of `child` in `structure` from `first` to `last`, present sessions
    only, by activity then month."""
    activities = {
        a.pk: a for a in Activity.objects.filter(structure=structure).prefetch_related("slots")
    }
    opening = {
        pk: (min(s.start_time for s in a.slots.all()), max(s.end_time for s in a.slots.all()))
        for pk, a in activities.items()
        if a.slots.all()
    }
    months = defaultdict(dict)  # activity id -> {month: MonthPresence}
    for row in attendance.sessions(structure, first, last, children=[child.pk]):
        if not row.present or row.activity_id not in opening:
            continue
        month = row.day.replace(day=1)
        found = months[row.activity_id].setdefault(month, MonthPresence(month))
        found.dates.add(row.day)
        found.minutes += session_minutes(row, opening[row.activity_id])
    result = [
        ActivityPresence(activities[pk], [by_month[m] for m in sorted(by_month)])
        for pk, by_month in months.items()
    ]
    return sorted(result, key=lambda p: (p.activity.order, p.activity.name))


def attendance_filename(child, first, last):
    name = slugify(f"{child.last_name} {child.first_name}")
    return f"attestation-presence-{name}-{first:%Y%m%d}-{last:%Y%m%d}.pdf"


def attendance_certificate_pdf(child, structure, first, last, *, issued_on=None) -> bytes:
    """The attendance certificate of `child` in `structure` from `first` to `last`."""
    rows = presence(child, structure, first, last)
    context = {
        "child": child,
        "structure": structure,
        "first": first,
        "last": last,
        "rows": rows,
        "days": len({d for r in rows for m in r.months for d in m.dates}),
        "minutes": sum(r.minutes for r in rows),
        "issued_on": issued_on or timezone.localdate(),
    }
    return _pdf("billing/certificates/attendance.html", context)


# --- Tax certificate --------------------------------------------------------------------------

CHILDCARE = {InvoiceLine.ATTENDANCE, InvoiceLine.UNBOOKED, InvoiceLine.LATE_PICKUP}
EXCLUDED = {InvoiceLine.EXTRA, InvoiceLine.MEMBERSHIP}  # meals and snacks, the membership fee
TAX_AGE_LIMIT = 6  # children under 6 on 1 January of the year (art. 200 quater B du CGI)


@dataclass
class TaxLine:
    """What the year's invoices billed for one child's care."""

    child: Child
    childcare: Decimal = ZERO  # attendance, attendance without booking, pick-up after closing
    credited: Decimal = ZERO  # credit notes on that care (negative or zero)
    aid: Decimal = ZERO  # third-party aid deducted (negative or zero)
    excluded: Decimal = ZERO  # meals, snacks and membership billed (net), not counted
    paid: Decimal = ZERO  # the part of `amount` paid to date

    @property
    def amount(self):
        """The amount certified: the care billed, net of credit notes and aid."""
        return money(self.childcare + self.credited + self.aid)


def _bucket(line):
    """Where a line counts, judged by the line it corrects for a credit note's line."""
    basis = line.corrects or line
    if basis.kind == InvoiceLine.AID:
        return "aid"
    if basis.kind in EXCLUDED or (basis.tariff is not None and basis.tariff.is_meal):
        return "excluded"
    if line.kind == InvoiceLine.CREDIT:
        return "credited"
    if basis.kind in CHILDCARE:
        return "childcare"
    return None  # information lines (nothing billed)


def _year_lines(family, structure, year):
    """Issued lines of the family in `structure` for services of `year` (the line's day, else
    the period of its invoice, or of the corrected one for a credit note)."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    lines = InvoiceLine.objects.filter(
        invoice__family=family,
        invoice__structure=structure,
        invoice__status=Invoice.ISSUED,
        invoice__period_start__lte=last,
        invoice__period_end__gte=first,
    ).select_related("invoice", "tariff", "corrects__tariff")
    for line in lines:
        basis = line.corrects or line
        day = basis.date or line.date or line.invoice.period_start
        if first <= day <= last:
            yield line


def tax_certificate(family, structure, year) -> list[TaxLine]:
    """One `TaxLine` per child of `family` under 6 on 1 January of `year` with care billed by
    `structure` in that year. A line without a child (an aid or a credit note for the whole
    family) is shared between the children in proportion to their care on the same invoice."""
    january = datetime.date(year, 1, 1)
    children = {c.pk: c for c in Child.objects.for_family(family)}
    sums = defaultdict(lambda: defaultdict(Decimal))  # (invoice id, child id) -> bucket -> sum
    shared = defaultdict(Decimal)  # (invoice id, bucket) -> sum of lines without a child
    for line in _year_lines(family, structure, year):
        bucket = _bucket(line)
        if bucket is None:
            continue
        basis = line.corrects or line
        invoice_id = line.invoice.corrects_id or line.invoice_id
        child_id = line.child_id or basis.child_id
        if child_id in children:
            sums[(invoice_id, child_id)][bucket] += line.amount
        else:
            shared[(invoice_id, bucket)] += line.amount
    _share(sums, shared)
    ratios = _paid_ratios({invoice_id for invoice_id, _ in sums})
    result = {}
    for (invoice_id, child_id), buckets in sums.items():
        child = children[child_id]
        if child.age_on(january) >= TAX_AGE_LIMIT:
            continue
        line = result.setdefault(child_id, TaxLine(child))
        line.childcare += buckets["childcare"]
        line.credited += buckets["credited"]
        line.aid += buckets["aid"]
        line.excluded += buckets["excluded"]
        net = buckets["childcare"] + buckets["credited"] + buckets["aid"]
        line.paid += net * ratios.get(invoice_id, 0)
    for line in result.values():
        for name in ("childcare", "credited", "aid", "excluded", "paid"):
            setattr(line, name, money(getattr(line, name)))
    lines = [line for line in result.values() if line.childcare or line.amount]
    return sorted(lines, key=lambda t: (t.child.birth_date, t.child.first_name))


def _share(sums, shared):
    """Spread the lines without a child over the invoice's children, by their care."""
    for (invoice_id, bucket), amount in shared.items():
        weights = {
            child_id: buckets["childcare"]
            for (inv, child_id), buckets in sums.items()
            if inv == invoice_id and buckets["childcare"] > 0
        }
        total = sum(weights.values())
        for child_id, weight in weights.items():
            sums[(invoice_id, child_id)][bucket] += amount * weight / total


def _paid_ratios(invoice_ids):
    """{invoice id: share of its net total paid (0 to 1)}."""
    ratios = {}
    for invoice in with_outstanding(Invoice.objects.filter(pk__in=invoice_ids)):
        net = invoice.total + invoice.credited
        ratios[invoice.pk] = min(Decimal(1), invoice.paid / net) if net > 0 else Decimal(1)
    return ratios


def tax_filename(family, year):
    return f"attestation-fiscale-{slugify(family.name)}-{year}.pdf"


def tax_certificate_pdf(family, structure, year, *, issued_on=None) -> bytes:
    """The yearly tax certificate of `family` for the care `structure` billed in `year`."""
    lines = tax_certificate(family, structure, year)
    context = {
        "family": family,
        "guardians": list(Guardian.objects.for_family(family)),
        "structure": structure,
        "legal_mentions": settings_for(structure).legal_mentions,
        "year": year,
        "january": datetime.date(year, 1, 1),
        "lines": lines,
        "total": money(sum((t.amount for t in lines), ZERO)),
        "paid": money(sum((t.paid for t in lines), ZERO)),
        "issued_on": issued_on or timezone.localdate(),
    }
    return _pdf("billing/certificates/tax.html", context)


def _pdf(template, context) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_to_string(template, context)).write_pdf()
