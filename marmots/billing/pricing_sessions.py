"""The invoice lines of one session (one child, one activity, one day): attendance, excused
cancellations (0,00 € lines that say so), extras and supplements. Pure: no database.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from . import pricing_explain as explain
from .facts import Finding, Line
from .money import ZERO, money
from .pricing_spans import HALF_HOUR, halves, length, minutes, round_out, slot_span
from .pricing_tariffs import activity_wide, for_slot

ATTENDANCE = "attendance"
EXTRA = "extra"
UNBOOKED = "unbooked"
LATE_PICKUP = "late_pickup"
INFO = "info"
NO_TARIFF = "no_tariff"
KIND_ORDER = {ATTENDANCE: 0, INFO: 1, EXTRA: 2, UNBOOKED: 3, LATE_PICKUP: 4}


@dataclass
class Sheet:
    """Lines with their sort keys, and the sessions that could not be priced."""

    lines: list = field(default_factory=list)  # [(key, Line)]
    problems: list = field(default_factory=list)  # [Finding]

    def add(self, key, line):
        self.lines.append((key, line))


@dataclass(frozen=True)
class Context:
    child: object
    an: object  # pricing_spans.Analysis
    tariffs: object  # pricing_tariffs.TariffBook
    missed_rank: int  # this session's rank among the child's missed check-ins of the month

    @property
    def day(self):
        return self.an.session.day

    @property
    def activity(self):
        return self.an.activity

    def line(self, kind, what, text, quantity, p, **fields):
        """A priced line; its explanation is `text` followed by the calculation."""
        amount = money(quantity * p.unit_price)
        return Line(
            kind=kind,
            label=explain.label(what, self.day, self.child),
            explanation=text + explain.calc(quantity, p.tariff.unit, p, amount),
            quantity=quantity,
            unit_price=p.unit_price,
            amount=amount,
            child_id=self.child.id,
            activity_id=self.activity.id,
            day=self.day,
            quotient=p.quotient,
            bracket=p.bracket,
            tariff_id=p.tariff.id,
            **fields,
        )

    def no_tariff(self, sheet, what):
        message = f"{self.child.first_name}, {self.activity.name}, {explain.long_day(self.day)} : "
        sheet.problems.append(
            Finding(
                kind=NO_TARIFF,
                message=message + f"{what} : rien n'est facturé",
                child_id=self.child.id,
                activity_id=self.activity.id,
                day=self.day,
            )
        )


def _key(ctx, kind, sub=0):
    a = ctx.activity
    return (1, ctx.child.rank, ctx.child.id, ctx.day, ctx.an.opens, a.id, KIND_ORDER[kind], sub)


def _priced(ctx, sheet, tariff):
    """The Price of `tariff` for this child, or None with a finding (a gap in its brackets)."""
    p = ctx.tariffs.price(tariff, ctx.child.rank)
    if p is None:
        ctx.no_tariff(sheet, f"le tarif « {tariff.label} » n'a pas de prix pour cette famille")
    return p


def _minutes(ctx):
    an = ctx.an
    return {"minutes_booked": an.minutes_booked, "minutes_attended": an.minutes_attended}


def _quantity(unit, an):
    """(quantity, billed minutes, billed spans) of a session priced by one tariff."""
    if unit == "half_hour":
        spans = an.half_hours
        count = sum(end - start for start, end in spans) // HALF_HOUR  # merged already
        return Decimal(count), count * HALF_HOUR, spans
    spans = [slot_span(slot) for slot in an.slots]
    count = halves(an.slots) if unit == "half_day" else 1
    return Decimal(count), length(spans), spans


def _attendance_whole(ctx, sheet, tariff):
    """One line for the session (units half-hour, day, session, half-day)."""
    p = _priced(ctx, sheet, tariff)
    if p is None:
        return
    quantity, billed, spans = _quantity(tariff.unit, ctx.an)
    head = explain.head(ctx.an, ctx.missed_rank)
    text = f"{head} : {explain.outcome(ctx.an, spans)}, "
    line = ctx.line(
        ATTENDANCE, ctx.activity.name, text, quantity, p, minutes_billed=billed, **_minutes(ctx)
    )
    sheet.add(_key(ctx, ATTENDANCE), line)


def _attendance_slots(ctx, sheet, found):
    """One line per billed slot, each priced by its own tariff (units slot)."""
    head = explain.head(ctx.an, ctx.missed_rank)
    first = True
    for slot in ctx.an.slots:
        tariff = for_slot(found, slot.id)
        name = explain.slot_name(slot)
        if tariff is None:
            ctx.no_tariff(sheet, f"aucun tarif de présence pour le créneau {name}")
            continue
        p = _priced(ctx, sheet, tariff)
        if p is None:
            continue
        span = slot_span(slot)
        quantity = Decimal(1)
        if tariff.unit == "half_hour":
            quantity = Decimal(length([round_out(span)]) // HALF_HOUR)
        text = f"{head} : {explain.slot_outcome(ctx.an, slot)}, "
        counts = _minutes(ctx) if first else {}
        what = f"{ctx.activity.name} ({name})"
        line = ctx.line(
            ATTENDANCE, what, text, quantity, p, minutes_billed=span[1] - span[0], **counts
        )
        sheet.add(_key(ctx, ATTENDANCE, span[0]), line)
        first = False


def _attendance(ctx, sheet):
    """The attendance lines; returns True when the session is billed by slot."""
    found = ctx.tariffs.candidates(ATTENDANCE, ctx.day, ctx.activity.id)
    wide = activity_wide(found)
    if wide and wide[0].unit != "slot":
        _attendance_whole(ctx, sheet, wide[0])
        return wide[0].unit != "half_hour"
    if found:
        _attendance_slots(ctx, sheet, found)
        return True
    ctx.no_tariff(sheet, "aucun tarif de présence valable ce jour-là")
    return False


def _excused(ctx, sheet, with_minutes):
    groups = defaultdict(list)
    for booking, slot in ctx.an.excused:
        groups[(booking.status, booking.excuse_reason)].append((booking, slot))
    for pairs in groups.values():
        counts = _minutes(ctx) if with_minutes else {}
        with_minutes = False
        line = Line(
            kind=INFO,
            label=explain.label(ctx.activity.name, ctx.day, ctx.child),
            explanation=explain.excused_text(pairs[0][0], [slot for _, slot in pairs]),
            quantity=ZERO,
            unit_price=ZERO,
            amount=ZERO,
            child_id=ctx.child.id,
            activity_id=ctx.activity.id,
            day=ctx.day,
            **counts,
        )
        sheet.add(_key(ctx, INFO), line)


def _extras(ctx, sheet, by_slot):
    """Extras (the snack): one per billed session, or, for an extra tied to a slot, one per
    session whose billed time overlaps that slot. One extra per slot (the newest tariff)."""
    slots = {slot.id: slot for slot in ctx.activity.slots}
    seen = set()
    for tariff in ctx.tariffs.candidates(EXTRA, ctx.day, ctx.activity.id):
        if tariff.slot_id in seen:
            continue
        if tariff.slot_id is None:
            text, start = f"{tariff.label} (séance facturée) : ", ctx.an.opens
        else:
            slot = slots.get(tariff.slot_id)
            if slot is None or not ctx.an.covers(slot, by_slot):
                continue
            span = slot_span(slot)
            text, start = f"{tariff.label} (créneau {explain.fr_span(span)} facturé) : ", span[0]
        seen.add(tariff.slot_id)
        p = _priced(ctx, sheet, tariff)
        if p is not None:
            line = ctx.line(EXTRA, tariff.label, text, Decimal(1), p)
            sheet.add(_key(ctx, EXTRA, start), line)


def _supplement(ctx, sheet, kind, text):
    found = ctx.tariffs.candidates(kind, ctx.day, ctx.activity.id)
    if not found:
        return
    tariff = (activity_wide(found) or found)[0]
    p = _priced(ctx, sheet, tariff)
    if p is not None:
        line = ctx.line(kind, tariff.label, text + " : ", Decimal(1), p)
        sheet.add(_key(ctx, kind), line)


def session_lines(ctx, sheet):
    an, s = ctx.an, ctx.an.session
    if an.billed:
        by_slot = _attendance(ctx, sheet)
    _excused(ctx, sheet, with_minutes=not an.billed)
    if not an.billed:
        return
    _extras(ctx, sheet, by_slot)
    if an.unbooked:
        _supplement(ctx, sheet, UNBOOKED, "Présence sans réservation")
    if s.present and s.departure is not None and minutes(s.departure) > an.closes:
        text = (
            f"Départ à {explain.fr_time(s.departure)}, "
            f"après la fermeture ({explain.fr_minutes(an.closes)})"
        )
        _supplement(ctx, sheet, LATE_PICKUP, text)
