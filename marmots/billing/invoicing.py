"""A month of a structure read from the database into the plain facts `pricing.py` prices.

`gather(structure, month)` reads everything in a fixed number of queries whatever the number of
families: activities and their slots, tariffs and their prices, every booking of the month (all
statuses), the attendance with the missed check-in verdicts, the children billed in the month
(ranked among their siblings enrolled at the structure), their guardians, quotients, third-party
aid and memberships not billed yet. `drafting.py` prices each family with `pricing.py` and writes
the drafts.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from marmots.activities.models import Activity
from marmots.bookings.models import Booking
from marmots.checkin import attendance
from marmots.checkin.models import CheckinEvent, RegisterMark
from marmots.enrollments.models import Enrollment
from marmots.families.models import Child, Guardian, Quotient

from . import residence
from .balances import settings_for
from .facts import (
    ActivitySpec,
    AidRule,
    BookingFact,
    ChildFacts,
    FamilyFacts,
    MembershipDue,
    PriceRow,
    SessionFacts,
    SlotSpec,
    TariffRule,
)
from .models import Aid, Invoice, InvoiceLine, InvoicingRun, Membership, Tariff
from .money import ZERO


@dataclass
class FamilyMonth:
    """One family's month, ready for `pricing.price_month`."""

    family_id: int
    name: str
    facts: FamilyFacts
    children: dict = field(default_factory=dict)  # {child id: ChildFacts}
    sessions: list = field(default_factory=list)  # [SessionFacts]
    aids: list = field(default_factory=list)  # [AidRule]
    memberships: list = field(default_factory=list)  # [MembershipDue]
    payer_name: str = ""
    payer_address: str = ""


@dataclass
class Month:
    structure: object
    first: datetime.date
    last: datetime.date
    settings: object  # BillingSettings
    activities: dict  # {activity id: ActivitySpec}
    tariffs: list  # [TariffRule]
    families: list  # [FamilyMonth], by family name


def month_bounds(month):
    """(first day, last day) of the month holding `month`."""
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def school_year(day):
    """ "2026-2027" for any day from September 2026 to August 2027."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{start + 1}"


def gather(structure, month, families=None, *, run=None):
    """The month holding `month` at `structure`, for every family billed in it (or only
    `families`, a queryset or list of families). Families with an issued invoice for the
    month that is not fully credited are left out; so are memberships billed by another
    live run's draft (`run`: the run gathering, whose own drafts do not count)."""
    first, last = month_bounds(month)
    billing = settings_for(structure)
    activities = _activities(structure)
    children = _billed_children(structure, first, last, families)
    scope = children if families is not None else None
    rows = _sessions(structure, first, last, scope)
    kids = list(children.select_related("family").order_by("family__name", "family_id"))
    skipped = _invoiced_families(structure, first)
    by_family = defaultdict(list)
    for child in kids:
        if child.family_id not in skipped:
            by_family[child.family_id].append(child)
    family_ids = list(by_family)
    family_scope = _Scope(children, frozenset(skipped))
    guardians = _guardians(family_scope)
    quotients = _quotients(family_scope, first)
    aids = _aids(structure, family_scope, first, last)
    tariffs = _tariffs(structure, first, last)
    dues = _dues(structure, first, tariffs, family_scope, run)
    residents = residence.cities(billing.resident_cities)
    enrolled = _enrolled(structure, family_scope, first, last)
    result = []
    for family_id in family_ids:
        members = by_family[family_id]
        quotient, missing = quotients.get(family_id, (None, "QF non fourni"))
        people = guardians.get(family_id, [])
        facts = FamilyFacts(
            quotient=quotient,
            quotient_missing="" if quotient is not None else missing,
            fallback_quotient=billing.fallback_quotient,
            resident=residence.is_resident((g.city for g in people), residents),
        )
        ranked = sorted(members, key=_eldest_first)
        ranks = _ranks(members + enrolled.get(family_id, []))
        result.append(
            FamilyMonth(
                family_id=family_id,
                name=members[0].family.name,
                facts=facts,
                children={
                    c.pk: ChildFacts(id=c.pk, first_name=c.first_name, rank=ranks[c.pk])
                    for c in ranked
                },
                sessions=[s for c in ranked for s in rows.get(c.pk, [])],
                aids=aids.get(family_id, []),
                memberships=dues(family_id, [c.pk for c in ranked]),
                payer_name=payer_name(people, members[0].family.name),
                payer_address=payer_address(people),
            )
        )
    return Month(structure, first, last, billing, activities, tariffs, result)


def _billed_children(structure, first, last, families):
    """Children with a booking (any status), a register mark or a check-in event at the
    structure in the month, as a queryset (read once, used as a subquery elsewhere)."""
    month = {"date__range": (first, last)}
    booked = Booking.objects.filter(slot__activity__structure=structure, **month)
    marked = RegisterMark.objects.filter(activity__structure=structure, **month)
    checked = CheckinEvent.objects.filter(activity__structure=structure, **month)
    # EXISTS, not IN: an OR of IN-subqueries cannot become a join, and once their rows no
    # longer fit in work_mem PostgreSQL re-reads them for every child (minutes at 50,000).
    children = Child.objects.filter(
        Exists(booked.filter(child_id=OuterRef("pk")))
        | Exists(marked.filter(child_id=OuterRef("pk")))
        | Exists(checked.filter(child_id=OuterRef("pk")))
    )
    if families is not None:
        children = children.filter(family__in=families)
    return children


def _enrolled(structure, scope, first, last):
    """{family id: [Child]} with a validated enrollment at `structure` during the month: the
    siblings a child's rank counts, whether they come this month or not."""
    children = scope.narrow(
        Child.objects.filter(
            enrollments__status=Enrollment.VALIDATED,
            enrollments__activity__structure=structure,
            enrollments__start_date__lte=last,
            enrollments__end_date__gte=first,
        )
    ).distinct()
    result = defaultdict(list)
    for child in children.only("pk", "family_id", "first_name", "birth_date"):
        result[child.family_id].append(child)
    return result


def _eldest_first(child):
    return (child.birth_date, child.first_name, child.pk)


def _ranks(siblings):
    """{child id: rank among `siblings` by birth date (1 = the eldest)}."""
    unique = {child.pk: child for child in siblings}.values()
    return {c.pk: rank for rank, c in enumerate(sorted(unique, key=_eldest_first), start=1)}


@dataclass(frozen=True)
class _Scope:
    """The families billed: those of `children` (a subquery), less the `skipped` ones."""

    children: object
    skipped: frozenset

    def narrow(self, queryset, path="family_id"):
        queryset = queryset.filter(**{f"{path}__in": self.children.order_by().values("family_id")})
        if self.skipped:
            queryset = queryset.exclude(**{f"{path}__in": self.skipped})
        return queryset


def _activities(structure):
    result = {}
    for activity in Activity.objects.filter(structure=structure).prefetch_related("slots"):
        slots = tuple(
            SlotSpec(s.pk, s.start_time, s.end_time, s.label)
            for s in sorted(activity.slots.all(), key=lambda s: s.start_time)
        )
        if not slots:
            continue
        rule = activity.missed_checkin_rule
        result[activity.pk] = ActivitySpec(
            id=activity.pk,
            name=activity.name,
            kind=activity.kind,
            slots=slots,
            max_span=(activity.max_span_start, activity.max_span_end) if rule else None,
            family_events=frozenset(activity.family_events),
        )
    return result


def _tariffs(structure, first, last):
    tariffs = (
        Tariff.objects.filter(structure=structure, valid_from__lte=last)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=first))
        .prefetch_related("prices")
    )
    return [
        TariffRule(
            id=t.pk,
            kind=t.kind,
            unit=t.unit,
            label=t.label,
            valid_from=t.valid_from,
            valid_until=t.valid_until,
            activity_id=t.activity_id,
            slot_id=t.slot_id,
            method=t.method,
            prices=tuple(
                PriceRow(p.qf_min, p.qf_max, p.amount, p.min_rank, p.residence)
                for p in t.prices.all()
            ),
            rate=t.rate,
            qf_floor=t.qf_floor,
            qf_ceiling=t.qf_ceiling,
        )
        for t in tariffs
    ]


def _sessions(structure, first, last, children):
    """{child id: [SessionFacts]} in date order: every session with attendance or a booking
    of any status (a late cancellation is billed; an excused one says why it is not)."""
    bookings = defaultdict(list)
    shared = {}  # {row: BookingFact}: equal bookings share one (frozen) fact, not one each
    rows = Booking.objects.filter(slot__activity__structure=structure, date__range=(first, last))
    if children is not None:
        rows = rows.filter(child__in=children)
    for child_id, day, activity_id, *row in rows.values_list(
        "child_id", "date", "slot__activity_id", "slot_id", "status", "excused", "excuse_reason"
    ).order_by("date", "slot__start_time", "pk"):
        row = tuple(row)
        if row not in shared:
            shared[row] = BookingFact(*row)
        bookings[(child_id, day, activity_id)].append(shared[row])
    sessions = {}
    zone = timezone.get_current_timezone()
    for seen, verdict in attendance.with_verdicts(structure, first, last, children):
        key = (seen.child_id, seen.day, seen.activity_id)
        sessions[key] = SessionFacts(
            child_id=seen.child_id,
            day=seen.day,
            activity_id=seen.activity_id,
            bookings=tuple(bookings.get(key, ())),
            present=seen.present,
            arrival=_local_time(seen.arrival, zone),
            departure=_local_time(seen.departure, zone),
            missed=verdict.missed,
            month_missed=verdict.month_count,
            beyond=verdict.beyond,
            max_span=verdict.max_span,
            missed_threshold=structure.missed_checkin_threshold,
        )
    for key, facts in bookings.items():
        if key not in sessions:
            sessions[key] = SessionFacts(
                child_id=key[0], day=key[1], activity_id=key[2], bookings=tuple(facts)
            )
    result = defaultdict(list)
    for key in sorted(sessions, key=lambda k: (k[1], k[2], k[0])):
        result[key[0]].append(sessions[key])
    return result


def _local_time(moment, zone):
    return moment.astimezone(zone).time().replace(microsecond=0) if moment else None


def _invoiced_families(structure, first):
    """Families with an issued invoice for the month that no credit note cancels in full."""
    rows = (
        Invoice.objects.filter(
            structure=structure, kind=Invoice.INVOICE, status=Invoice.ISSUED, period_start=first
        )
        .annotate(
            credited=Coalesce(
                Sum(
                    "credit_notes__total",
                    filter=Q(credit_notes__status=Invoice.ISSUED),
                ),
                ZERO,
            )
        )
        .values_list("family_id", "total", "credited")
    )
    return {family for family, total, credited in rows if not credited or total + credited > 0}


def _guardians(scope):
    result = defaultdict(list)
    for guardian in scope.narrow(Guardian.objects.all()).order_by("pk"):
        result[guardian.family_id].append(guardian)
    return result


def _quotients(scope, first):
    """{family id: (quotient valid on `first`, or None; why it is missing)}."""
    found = {}
    expired = {}
    rows = scope.narrow(Quotient.objects.filter(valid_from__lte=first)).order_by("-valid_from")
    for family_id, value, valid_until in rows.values_list("family_id", "value", "valid_until"):
        if valid_until >= first:
            found.setdefault(family_id, value)
        elif family_id not in expired or valid_until > expired[family_id]:
            expired[family_id] = valid_until
    result = {f: (v, "") for f, v in found.items()}
    for family_id, until in expired.items():
        result.setdefault(family_id, (None, f"QF expiré le {until:%d/%m/%Y}"))
    return result


def _aids(structure, scope, first, last):
    result = defaultdict(list)
    rows = scope.narrow(
        Aid.objects.filter(structure=structure, valid_from__lte=last, valid_until__gte=first)
    ).prefetch_related("activities")
    for aid in rows:
        result[aid.family_id].append(
            AidRule(
                id=aid.pk,
                payer=aid.payer,
                label=aid.label,
                activity_ids=frozenset(a.pk for a in aid.activities.all()),
                method=aid.method,
                valid_from=aid.valid_from,
                valid_until=aid.valid_until,
                child_id=aid.child_id,
                amount=aid.amount,
                percent=aid.percent,
            )
        )
    return result


def _dues(structure, first, tariffs, scope, run):
    """A function (family id, child ids) -> [MembershipDue] for the memberships of the school
    year not billed yet: no `Membership` row, and no line in another live run's draft."""
    units = {t.unit for t in tariffs if t.kind == Tariff.MEMBERSHIP and t.valid_on(first)}
    if not units:
        return lambda family_id, child_ids: []
    year = school_year(first)
    per_family = Tariff.FAMILY_YEAR in units and Tariff.CHILD_YEAR not in units
    billed = scope.narrow(Membership.objects.filter(structure=structure, school_year=year))
    drafts = scope.narrow(
        InvoiceLine.objects.filter(
            kind=InvoiceLine.MEMBERSHIP,
            invoice__status=Invoice.DRAFT,
            invoice__structure=structure,
            invoice__run__status__in=InvoicingRun.LIVE,
            invoice__period_start__range=_school_year_range(year),
        ).exclude(invoice__run=run),
        path="invoice__family_id",
    ).values_list("invoice__family_id", "child_id")
    done = set(billed.values_list("family_id", "child_id")) | set(drafts)
    done_families = {family for family, child in done if child is None}
    done_children = {child for _, child in done if child is not None}

    def dues(family_id, child_ids):
        if per_family:
            return [] if family_id in done_families else [MembershipDue(year, first)]
        return [MembershipDue(year, first, c) for c in child_ids if c not in done_children]

    return dues


def _school_year_range(year):
    start = int(year[:4])
    return datetime.date(start, 9, 1), datetime.date(start + 1, 8, 31)


def payer_name(guardians, family_name):
    names = [f"{g.first_name} {g.last_name}".strip() for g in guardians]
    return " et ".join(n for n in names if n) or f"Famille {family_name}"


def payer_address(guardians):
    for g in guardians:
        if g.address or g.city:
            town = " ".join(p for p in (g.postcode, g.city) if p)
            return "\n".join(p for p in (g.address, town) if p)
    return ""
