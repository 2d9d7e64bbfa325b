"""The pricing function: a family's month of bookings, cancellations, attendance and missed
check-ins in, invoice lines out, each saying why it exists and how its price was found.

Pure: no database, no Django. `invoicing.py` builds the facts (`facts.py`) once per month and
stores the lines. The house rules (shared demo settings):
- bookings kept, cancelled after the deadline or absent without excuse are billed as booked; an
  excused one gives a 0,00 € line that says so; a cancellation in time gives nothing;
- per half-hour: the union of the billed-as-booked slots and the presence, each rounded out to
  whole half-hours; the missed check-in rule bills as booked or at the maximum span;
- per slot, half-day, day or session: the billed slots or sessions (the billed-as-booked
  slots and those the known presence overlaps);
- extras (the snack): once per billed session of their activity, or, tied to a slot, when the
  billed time overlaps it; supplements for attendance without a booking (once per session
  with no booking at all) and for a departure after closing time;
- yearly memberships first; third-party aids last, as negative lines (`pricing_aids.py`).
Sessions that bill with no applicable tariff give no line and a "no_tariff" finding.
"""

from collections import defaultdict, namedtuple
from collections.abc import Iterable, Sequence
from decimal import Decimal

from . import pricing_explain as explain
from .facts import ActivitySpec, ChildFacts, FamilyFacts, Finding, Line, SessionFacts, TariffRule
from .money import ZERO, fr_money, money
from .pricing_aids import aid_lines
from .pricing_sessions import Context, Sheet, session_lines
from .pricing_spans import analyse
from .pricing_tariffs import TariffBook

MEMBERSHIP = "membership"

_Priced = namedtuple("_Priced", "lines problems")


def quotient_note(family: FamilyFacts) -> str:
    """ "" when the quotient is known, else "QF non fourni : tarif maximal appliqué" or
    "QF expiré le 31/08/2026 : tarif du QF 1200 appliqué"."""
    if family.quotient is not None:
        return ""
    missing = family.quotient_missing or "QF non fourni"
    if family.fallback_quotient is not None:
        return f"{missing} : tarif du QF {family.fallback_quotient} appliqué"
    return f"{missing} : tarif maximal appliqué"


def total(lines: Iterable[Line]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def price_month(
    family: FamilyFacts,
    children: dict[int, ChildFacts],
    activities: dict[int, ActivitySpec],
    sessions: Iterable[SessionFacts],
    tariffs: Sequence[TariffRule],
    aids=(),
    memberships=(),
) -> list[Line]:
    """The month's invoice lines: memberships first, then per child (by rank), day and
    activity the attendance, excused cancellations, extras and supplements; aids last."""
    analysed = _analysed(children, activities, sessions)
    return _price(family, children, activities, analysed, tariffs, aids, memberships).lines


def findings(
    family: FamilyFacts,
    children: dict[int, ChildFacts],
    activities: dict[int, ActivitySpec],
    sessions: Iterable[SessionFacts],
    tariffs: Sequence[TariffRule] | None = None,
    memberships=(),
) -> list[Finding]:
    """What the manager reviews before issuing: a missing quotient, attendance without a
    booking, bookings without attendance, missed check-ins beyond the threshold, and (when
    `tariffs` are given) what bills with no applicable tariff."""
    analysed = _analysed(children, activities, sessions)
    found = _findings(family, children, analysed)
    if tariffs is not None:
        found += _price(family, children, activities, analysed, tariffs, (), memberships).problems
    return found


def price_and_findings(family, children, activities, sessions, tariffs, aids=(), memberships=()):
    """(price_month(...), findings(..., tariffs, memberships)) in one pass."""
    analysed = _analysed(children, activities, sessions)
    priced = _price(family, children, activities, analysed, tariffs, aids, memberships)
    return priced.lines, _findings(family, children, analysed) + priced.problems


def _findings(family, children, analysed):
    found = []
    if family.quotient is None:
        found.append(Finding(kind="quotient", message=quotient_note(family)))
    found += _session_findings(children, analysed)
    found += _missed_findings(children, analysed)
    return found


def _price(family, children, activities, analysed, tariffs, aids, memberships):
    ranks = _missed_ranks(an.session for an in analysed)
    sheet = Sheet()
    book = TariffBook(tariffs, family)
    for due in memberships:
        _membership(sheet, children, book, due)
    for an in analysed:
        s = an.session
        rank = ranks.get((s.child_id, s.day, s.activity_id), 0)
        session_lines(Context(children[s.child_id], an, book, rank), sheet)
    lines = [line for _, line in sorted(sheet.lines, key=lambda pair: pair[0])]
    lines += aid_lines(aids, children, activities, lines)
    return _Priced(lines, sheet.problems)


def _analysed(children, activities, sessions):
    """[Analysis] of every session, ordered by child rank, day and activity start."""
    return [analyse(s, activities[s.activity_id]) for s in _ordered(children, activities, sessions)]


def _ordered(children, activities, sessions):
    def key(s):
        a = activities[s.activity_id]
        return (children[s.child_id].rank, s.child_id, s.day, a.slots[0].start, a.id)

    return sorted(sessions, key=key)


def _missed_ranks(sessions):
    """{(child, day, activity): the session's rank among the child's missed check-ins of its
    month}, from `sessions` ordered by child, day and activity."""
    counts = defaultdict(int)
    ranks = {}
    for s in sessions:
        if s.present and s.missed:
            month = (s.child_id, s.day.year, s.day.month)
            counts[month] += 1
            ranks[(s.child_id, s.day, s.activity_id)] = counts[month]
    return ranks


def _session_findings(children, analysed):
    found = []
    for an in analysed:
        if not (an.unbooked or an.no_show):
            continue
        s, child, activity = an.session, children[an.session.child_id], an.activity
        where = f"{child.first_name}, {activity.name}, {explain.long_day(s.day)}"
        ids = {"child_id": s.child_id, "activity_id": s.activity_id, "day": s.day}
        if an.unbooked:
            message = f"{where} : présence sans réservation (facturée avec le supplément)"
            found.append(Finding(kind="unbooked", message=message, **ids))
        if an.no_show:
            booked = explain.fr_slots(an.kept)
            message = f"{where} : réservé {booked}, absent sans annulation (facturé comme réservé)"
            found.append(Finding(kind="no_show", message=message, **ids))
    return found


def _missed_findings(children, analysed):
    """One per child and month beyond the threshold."""
    months = {}
    for s in (an.session for an in analysed):
        if s.present and s.missed and s.beyond:
            months.setdefault((s.child_id, s.day.year, s.day.month), []).append(s)
    found = []
    for (child_id, _, _), missed in months.items():
        first = missed[0]
        count = max(first.month_missed, len(missed))
        limit = first.missed_threshold
        beyond = f"au-delà de {limit}" if limit is not None else "au-delà du seuil"
        message = (
            f"{children[child_id].first_name} : {count} oublis de pointage en "
            f"{explain.fr_month(first.day)} ({beyond}) : amplitude maximale facturée"
        )
        found.append(
            Finding(kind="missed_beyond", message=message, child_id=child_id, day=first.day)
        )
    return found


def _membership(sheet, children, book, due):
    child = children.get(due.child_id) if due.child_id is not None else None
    unit = "child_year" if due.child_id is not None else "family_year"
    found = [t for t in book.candidates(MEMBERSHIP, due.day) if t.unit == unit]
    p = book.price(found[0], child.rank if child else 1) if found else None
    who = child.first_name if child else "famille"
    if p is None:
        message = f"Adhésion {due.school_year} ({who}) : aucun tarif applicable, rien n'est facturé"
        sheet.problems.append(
            Finding(kind="no_tariff", message=message, child_id=due.child_id, day=due.day)
        )
        return
    note = f" {p.note}" if p.note else ""
    line = Line(
        kind=MEMBERSHIP,
        label=f"Adhésion {due.school_year} – {who}",
        explanation=f"Adhésion {due.school_year} ({who}) : {fr_money(p.unit_price)}{note}",
        quantity=Decimal(1),
        unit_price=p.unit_price,
        amount=money(p.unit_price),
        child_id=due.child_id,
        day=due.day,
        quotient=p.quotient,
        bracket=p.bracket,
        tariff_id=p.tariff.id,
    )
    rank = child.rank if child else 0
    sheet.add((0, rank, due.child_id or 0, due.day, 0, 0, 0, 0), line)
