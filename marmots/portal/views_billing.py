"""Family portal: "Mon compte" (R3) – the balance, the quotient, what each enrollment cost, the
issued invoices with their explained lines and PDFs, credit notes and payments received.

Every query goes through `for_family(request.family)` and shows issued invoices only (a draft
is the manager's work in progress): another family's or a draft's id answers 404.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from marmots.billing import balances
from marmots.billing.models import Allocation, Invoice, InvoiceLine, Payment
from marmots.billing.money import ZERO, fr_money, money
from marmots.billing.pdf import invoice_filename, invoice_pdf
from marmots.billing.presentation import group_lines
from marmots.core.access import get_or_404, guardian_required
from marmots.core.downloads import attachment
from marmots.debits.upcoming import upcoming_debits
from marmots.enrollments.models import Enrollment
from marmots.families import rules
from marmots.families.models import Quotient


def issued(family):
    """The family's issued invoices and credit notes: the only ones a family ever sees."""
    return Invoice.objects.for_family(family).filter(status=Invoice.ISSUED)


def balance_words(amount):
    """The balance as the family reads it."""
    if amount > 0:
        return f"Solde à régler : {fr_money(amount)}"
    if amount < 0:
        return f"Avoir en votre faveur : {fr_money(-amount)}"
    return "Vous êtes à jour"


def quotient_words(family, quotient, state):
    """What applies while the quotient is missing, expired or not valid yet (nothing when
    valid), in the words of each structure's fallback choice (none made: the maximal tariff)."""
    if state == "valid":
        return []
    if state == rules.MISSING:
        why = "QF non fourni"
    elif state == rules.EXPIRED:
        why = f"QF expiré le {quotient.valid_until:%d/%m/%Y}"
    else:
        why = f"QF valable à partir du {quotient.valid_from:%d/%m/%Y} ; en attendant"
    choices = dict(
        family.structures.values_list("name", "billing_settings__fallback_quotient")
    ) or {"": None}
    words = []
    for name, fallback in choices.items():
        applies = "le tarif maximal" if fallback is None else f"le tarif du QF {fallback}"
        where = f" chez {name}" if len(set(choices.values())) > 1 else ""
        words.append(f"{why} : {applies} s'applique{where}")
    return sorted(set(words))


@dataclass
class EnrollmentCost:
    enrollment: Enrollment
    billed: object  # Decimal: net of the credit notes on its lines (aid is counted apart)


@dataclass
class ChildCosts:
    child: object
    rows: list = field(default_factory=list)


def enrollment_costs(family):
    """([ChildCosts], others, aid): each validated enrollment with what the issued invoices
    billed for it (lines of its child and activity within its dates; a credit note's lines
    count where the lines they correct do), what was billed outside any enrollment
    (membership...) and the third-party aid deducted (zero or negative), which is no
    activity's: it is deducted from the whole invoice."""
    enrollments = list(
        Enrollment.objects.for_family(family)
        .filter(status=Enrollment.VALIDATED)
        .select_related("child", "activity")
        .order_by("child__birth_date", "child__first_name", "activity__order", "start_date")
    )
    lines = InvoiceLine.objects.filter(
        invoice__family=family, invoice__status=Invoice.ISSUED
    ).annotate(
        for_child=Coalesce("child", "corrects__child"),
        for_activity=Coalesce("activity", "corrects__activity"),
        for_day=Coalesce("date", "corrects__date", "invoice__period_start"),
    )
    sums = lines.aggregate(
        all=Sum("amount"),
        aid=Sum("amount", filter=Q(kind=InvoiceLine.AID)),
        **{
            f"e{e.pk}": Sum(
                "amount",
                filter=Q(
                    for_child=e.child_id,
                    for_activity=e.activity_id,
                    for_day__range=(e.start_date, e.end_date),
                ),
            )
            for e in enrollments
        },
    )
    groups = {}
    for e in enrollments:
        group = groups.setdefault(e.child_id, ChildCosts(e.child))
        group.rows.append(EnrollmentCost(e, money(sums[f"e{e.pk}"] or ZERO)))
    aid = money(sums["aid"] or ZERO)
    billed = sum((r.billed for g in groups.values() for r in g.rows), ZERO)
    others = money((sums["all"] or ZERO) - billed - aid)
    return list(groups.values()), others, aid


@guardian_required
@require_GET
def account(request):
    family = request.family
    today = timezone.localdate()
    quotient = Quotient.objects.for_family(family).first()
    state = rules.quotient_state(quotient, today)
    invoices = list(
        balances.with_outstanding(issued(family)).order_by("-period_start", "-issued_at", "-id")
    )
    for invoice in invoices:
        invoice.overdue = invoice.outstanding > 0 and invoice.due_date < today
    costs, others, aid = enrollment_costs(family)
    amount = balances.balance(family)
    return render(
        request,
        "portal/billing/account.html",
        {
            "family": family,
            "balance": amount,
            "balance_words": balance_words(amount),
            "upcoming": upcoming_debits(family),
            "quotient": quotient,
            "quotient_state": state,
            "quotient_words": quotient_words(family, quotient, state),
            "costs": costs,
            "others": others,
            "aid": aid,
            "invoices": invoices,
            "credit_notes": issued(family)
            .filter(kind=Invoice.CREDIT_NOTE)
            .select_related("corrects")
            .order_by("-issued_at", "-id"),
            "payments": Payment.objects.for_family(family)
            .filter(status=Payment.SUCCEEDED)
            .prefetch_related(
                Prefetch("allocations", queryset=Allocation.objects.select_related("invoice"))
            ),
        },
    )


@guardian_required
@require_GET
def invoice_detail(request, pk):
    invoice = get_or_404(issued(request.family).select_related("structure", "corrects"), pk=pk)
    lines = list(invoice.lines.select_related("child", "activity", "aid"))
    context = {
        "invoice": invoice,
        "groups": group_lines(lines),
        "services": money(
            sum((x.amount for x in lines if x.kind not in InvoiceLine.NEGATIVE_KINDS), ZERO)
        ),
        "aids": [x for x in lines if x.kind == InvoiceLine.AID],
        "aid_total": money(sum((x.amount for x in lines if x.kind == InvoiceLine.AID), ZERO)),
    }
    if not invoice.is_credit_note:
        figures = balances.with_outstanding(Invoice.objects.filter(pk=invoice.pk)).get()
        context.update(
            figures=figures,
            overdue=figures.outstanding > 0 and invoice.due_date < timezone.localdate(),
            credit_notes=invoice.credit_notes.filter(status=Invoice.ISSUED),
            allocations=invoice.allocations.filter(
                payment__status=Payment.SUCCEEDED
            ).select_related("payment"),
        )
    return render(request, "portal/billing/invoice.html", context)


@guardian_required
@require_GET
def invoice_download(request, pk):
    invoice = get_or_404(issued(request.family), pk=pk)
    return attachment(invoice_pdf(invoice), invoice_filename(invoice))
