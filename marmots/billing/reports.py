"""Reports read from issued invoices: the hours per month and quotient bracket (of the kind the
CAF asks for) and the third-party aid to claim from each payer.

Both count the lines of issued invoices, less what credit notes cancelled (see
`counted_lines`). A line without a date (a membership) counts in its invoice's first month.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth

from .balances import sum_subquery
from .exports import MONEY, MONTH, NUMBER, Column, csv_stream, xlsx_bytes
from .models import Invoice, InvoiceLine
from .money import ZERO

UNKNOWN_BRACKET = "QF inconnu"
HOUR = Decimal(60)


def counted_lines(structure, first, last):
    """Lines of `structure`'s issued invoices dated in [first, last], less those a credit
    note cancelled: a line whose credit lines add up to its amount, and every line of an
    invoice whose credit notes add up to its total (its aid lines included)."""
    line_credits = InvoiceLine.objects.filter(
        corrects=OuterRef("pk"), invoice__status=Invoice.ISSUED
    )
    invoice_credits = Invoice.objects.filter(
        corrects=OuterRef("invoice"), status=Invoice.ISSUED, kind=Invoice.CREDIT_NOTE
    )
    return (
        InvoiceLine.objects.filter(
            invoice__structure=structure,
            invoice__status=Invoice.ISSUED,
            invoice__kind=Invoice.INVOICE,
        )
        .annotate(day=Coalesce("date", "invoice__period_start", output_field=DateField()))
        .filter(day__gte=first, day__lte=last)
        .annotate(
            line_credit=sum_subquery(line_credits, "amount"),
            invoice_credit=sum_subquery(invoice_credits, "total"),
        )
        .annotate(
            line_rest=F("amount") + F("line_credit"),
            invoice_rest=F("invoice__total") + F("invoice_credit"),
        )
        # Credits are negative: a line (an invoice) with none is kept, even at 0 €.
        .exclude(line_credit__lt=0, line_rest__lte=0)
        .exclude(invoice_credit__lt=0, invoice_rest__lte=0)
    )


# Hours per month and quotient bracket ---------------------------------------------------------


@dataclass(frozen=True)
class HoursRow:
    month: object  # datetime.date, the month's first day
    bracket: str  # "0-650", "1151 et plus", "taux d'effort" or "QF inconnu"
    booked: Decimal  # hours
    attended: Decimal
    billed: Decimal
    children: int


def _hours(minutes):
    return (Decimal(minutes or 0) / HOUR).quantize(Decimal("0.01"))


def _bracket_order(bracket):
    """Brackets by their lowest quotient; the unknown and the non-numeric ones last."""
    found = re.match(r"\d+", bracket)
    return (0, int(found.group())) if found else (1, bracket == UNKNOWN_BRACKET, bracket)


def _bracket():
    """The line's quotient bracket for the report: "QF inconnu" on an invoice priced without
    a known quotient (whatever the fallback's bracket); for a line without one (an excused
    0 € line, a single price), the bracket of another line of its invoice, else "QF inconnu"."""
    unknown = Value(UNKNOWN_BRACKET)
    invoice_bracket = Subquery(
        InvoiceLine.objects.filter(invoice=OuterRef("invoice"), bracket__gt="")
        .order_by("order", "pk")
        .values("bracket")[:1]
    )
    return Case(
        When(invoice__quotient_note__gt="", then=unknown),
        When(bracket="", then=Coalesce(invoice_bracket, unknown)),
        default=F("bracket"),
        output_field=CharField(),
    )


def _with_hours(structure, first, last):
    return counted_lines(structure, first, last).filter(
        Q(minutes_booked__gt=0) | Q(minutes_attended__gt=0) | Q(minutes_billed__gt=0)
    )


def hours_report(structure, first, last):
    """Hours booked, attended and billed per month and quotient bracket, with the number of
    children, from the lines of issued invoices dated in [first, last]."""
    groups = (
        _with_hours(structure, first, last)
        .annotate(
            month=TruncMonth("day", output_field=DateField()),
            range=_bracket(),
        )
        .values("month", "range")
        .annotate(
            booked=Sum("minutes_booked"),
            attended=Sum("minutes_attended"),
            billed=Sum("minutes_billed"),
            children=Count("child", distinct=True),
        )
        .order_by()
    )
    rows = [
        HoursRow(
            month=group["month"],
            bracket=group["range"],
            booked=_hours(group["booked"]),
            attended=_hours(group["attended"]),
            billed=_hours(group["billed"]),
            children=group["children"],
        )
        for group in groups
    ]
    return sorted(rows, key=lambda row: (row.month, _bracket_order(row.bracket)))


def hours_children(structure, first, last):
    """Distinct children with hours over the whole period (the report's total)."""
    return _with_hours(structure, first, last).values("child").distinct().count()


HOURS_COLUMNS = [
    Column("Mois", MONTH, 10),
    Column("Tranche de QF", width=16),
    Column("Heures réservées", NUMBER, 16),
    Column("Heures de présence", NUMBER, 16),
    Column("Heures facturées", NUMBER, 16),
    Column("Enfants", NUMBER, 10),
]


def _hours_rows(structure, first, last):
    for row in hours_report(structure, first, last):
        yield (row.month, row.bracket, row.booked, row.attended, row.billed, row.children)


def hours_csv(structure, first, last):
    return csv_stream(HOURS_COLUMNS, _hours_rows(structure, first, last))


def hours_xlsx(structure, first, last):
    return xlsx_bytes("Heures", HOURS_COLUMNS, _hours_rows(structure, first, last))


# Third-party aid to claim ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRow:
    family: str
    child: str
    label: str
    reference: str
    units: Decimal
    amount: Decimal  # what the payer owes: positive


@dataclass
class PayerClaims:
    payer: str
    rows: list = field(default_factory=list)

    @property
    def units(self):
        return sum((row.units for row in self.rows), Decimal(0))

    @property
    def amount(self):
        return sum((row.amount for row in self.rows), ZERO)


def aid_claims(structure, first, last):
    """The aid lines of issued invoices dated in [first, last], per payer (alphabetical), then
    per family, child and aid."""
    groups = (
        counted_lines(structure, first, last)
        .filter(kind=InvoiceLine.AID, aid__isnull=False)
        .values(
            "aid_id",
            "aid__payer",
            "aid__label",
            "aid__reference",
            "invoice__family__name",
            "child__first_name",
            "child__last_name",
        )
        .annotate(units=Sum("quantity"), amount=Sum("amount"))
        .order_by("aid__payer", "invoice__family__name", "child__first_name", "aid_id")
    )
    payers = {}
    for group in groups:
        child = " ".join(filter(None, [group["child__first_name"], group["child__last_name"]]))
        claims = payers.setdefault(group["aid__payer"], PayerClaims(group["aid__payer"]))
        claims.rows.append(
            ClaimRow(
                family=group["invoice__family__name"],
                child=child or "Tous les enfants",
                label=group["aid__label"],
                reference=group["aid__reference"],
                units=group["units"],
                amount=-group["amount"],
            )
        )
    return list(payers.values())


CLAIM_COLUMNS = [
    Column("Organisme payeur", width=28),
    Column("Famille", width=24),
    Column("Enfant", width=20),
    Column("Aide", width=24),
    Column("Référence", width=18),
    Column("Unités", NUMBER, 10),
    Column("Montant", MONEY, 12),
]


def _claim_rows(structure, first, last):
    for claims in aid_claims(structure, first, last):
        for row in claims.rows:
            yield (
                claims.payer,
                row.family,
                row.child,
                row.label,
                row.reference,
                row.units,
                row.amount,
            )


def aid_claims_csv(structure, first, last):
    return csv_stream(CLAIM_COLUMNS, _claim_rows(structure, first, last))


def aid_claims_xlsx(structure, first, last):
    return xlsx_bytes("Aides", CLAIM_COLUMNS, _claim_rows(structure, first, last))
