"""What the direct debit pages and actions read: the creditor settings and what is wrong with
them, the families' active mandates, and the invoices a batch would collect (after the
families' credit, which the batch spends first)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef

from marmots.billing.allocating import spread
from marmots.billing.balances import with_outstanding
from marmots.billing.invoicing import month_bounds
from marmots.billing.models import Invoice, Payment
from marmots.billing.money import ZERO, money
from marmots.billing.settling import credits, in_pending_debit, payable_invoices
from marmots.families.models import Family

from . import rules
from .models import DebitItem, DebitSettings, Mandate


def settings_for(structure):
    """The structure's creditor settings, created empty on first use."""
    found, _ = DebitSettings.objects.get_or_create(structure=structure)
    return found


def settings_problems(settings):
    """Why no batch can be made with these settings (French, empty when they are fine)."""
    problems = []
    if not settings.enabled:
        problems.append("Le prélèvement n'est pas activé dans les réglages.")
    if not settings.creditor_name.strip():
        problems.append("Indiquez le nom du créancier dans les réglages.")
    for error in (
        rules.creditor_id_error(settings.creditor_id),
        rules.iban_error(settings.iban),
        rules.bic_error(settings.bic),
    ):
        if error:
            problems.append(f"Réglages du créancier : {error}")
    return problems


def active_mandates(structure):
    return Mandate.objects.filter(structure=structure, status=Mandate.ACTIVE)


def active_mandate(family, structure):
    return active_mandates(structure).filter(family=family).first()


def held():
    """The outer invoice is held by a debit: pending (billing's one definition) or collected
    (an item of a batch the bank paid, not rejected since)."""
    collected = DebitItem.objects.filter(invoice=OuterRef("pk"), payment__status=Payment.SUCCEEDED)
    return in_pending_debit() | Exists(collected)


@dataclass
class Due:
    invoice: Invoice
    mandate: Mandate
    amount: Decimal
    credit: Decimal = ZERO  # settled first by the family's credit (the batch spends it)

    @property
    def sequence_type(self):
        """FRST for a mandate never collected, RCUR once it has been."""
        return DebitItem.RCUR if self.mandate.first_collected_on else DebitItem.FRST


def credit_parts(structure, family_ids):
    """{invoice id: part} of the families' credit, spread as `apply_credit` will spend it
    (oldest due first): what a batch made now debits less. Empty once it is spent."""
    left = credits(structure, family_ids)
    parts = {}
    for family in Family.objects.filter(pk__in=list(left)):
        owed = [(i.pk, i.outstanding) for i in payable_invoices(family, structure)]
        parts.update(spread(left[family.pk], owed))
    return parts


def due(structure, month, family_ids=None):
    """[Due] of the batch of `month`: the issued invoices of that month or before with
    something left to pay (once the family's credit is spent), of families with an active
    mandate (among `family_ids` when given: the families a batch has locked), not held by
    another debit, by family name."""
    _, last = month_bounds(month)
    mandates = active_mandates(structure)
    if family_ids is not None:
        mandates = mandates.filter(family_id__in=list(family_ids))
    mandates = {m.family_id: m for m in mandates}
    invoices = (
        with_outstanding(Invoice.objects.filter(structure=structure, period_start__lte=last))
        .filter(outstanding__gt=0, family_id__in=list(mandates))
        .exclude(held())
        .select_related("family")
        .order_by("family__name", "family_id", "due_date", "pk")
    )
    credit = credit_parts(structure, list(mandates))
    rows = []
    for invoice in invoices:
        part = credit.get(invoice.pk, ZERO)
        amount = money(invoice.outstanding) - part
        if amount > 0:
            rows.append(Due(invoice, mandates[invoice.family_id], amount, part))
    return rows


def total(rows):
    return sum((row.amount for row in rows), ZERO)
