"""What a family owes, derived from issued invoices, credit notes and payments (never stored).

Positive amounts are owed by the family; a negative balance is a credit in its favour.
"""

from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import Allocation, BillingSettings, Invoice, Payment
from .money import ZERO, money

_AMOUNT = DecimalField(max_digits=12, decimal_places=2)


def settings_for(structure):
    """The structure's billing settings, created with the defaults on first use."""
    found, _ = BillingSettings.objects.get_or_create(structure=structure)
    return found


def sum_subquery(queryset, field):
    """The sum of `field` over `queryset` (filtered on an `OuterRef`), as an expression to
    annotate the outer rows with; zero when no row matches."""
    rows = queryset.annotate(_group=Value(1)).order_by().values("_group")
    return Coalesce(
        Subquery(rows.annotate(s=Sum(field)).values("s")[:1]),
        Value(ZERO),
        output_field=_AMOUNT,
    )


def with_outstanding(invoices):
    """Issued invoices annotated with `credited` (credit notes, negative or zero), `paid`
    (succeeded payments allocated to them) and `outstanding` (what remains to pay)."""
    credited = Invoice.objects.filter(
        corrects=OuterRef("pk"), status=Invoice.ISSUED, kind=Invoice.CREDIT_NOTE
    )
    paid = Allocation.objects.filter(invoice=OuterRef("pk"), payment__status=Payment.SUCCEEDED)
    return (
        invoices.filter(status=Invoice.ISSUED, kind=Invoice.INVOICE)
        .annotate(credited=sum_subquery(credited, "total"), paid=sum_subquery(paid, "amount"))
        .annotate(
            outstanding=Coalesce("total", Value(ZERO))
            + Coalesce("credited", Value(ZERO))
            - Coalesce("paid", Value(ZERO))
        )
    )


def unpaid_invoices(family, structure=None):
    """The family's issued invoices with something left to pay, oldest due first."""
    invoices = Invoice.objects.for_family(family)
    if structure is not None:
        invoices = invoices.filter(structure=structure)
    return with_outstanding(invoices).filter(outstanding__gt=0).order_by("due_date", "id")


def overdue_invoices(family, today, structure=None):
    """Unpaid invoices whose due date has passed (`today` is the family's local date)."""
    return unpaid_invoices(family, structure).filter(due_date__lt=today)


def balance(family, structure=None):
    """Issued invoices and credit notes minus succeeded payments: what the family owes
    (negative: a credit in its favour)."""
    scope = Q(family=family) & (Q(structure=structure) if structure is not None else Q())
    billed = Invoice.objects.filter(scope, status=Invoice.ISSUED).aggregate(s=Sum("total"))["s"]
    paid = Payment.objects.filter(scope, status=Payment.SUCCEEDED).aggregate(s=Sum("amount"))["s"]
    return money((billed or ZERO) - (paid or ZERO))
