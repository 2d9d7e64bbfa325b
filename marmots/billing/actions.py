"""Billing actions: start, recompute, discard and issue a monthly run, review its anomalies;
correct an issued invoice by a credit note. (Payments received and a family's credit:
`payments.py`.)

Each action checks who acts, owns its transaction, writes its audit entry and says in French
why it refuses. Numbers are given while the series' `InvoiceSequence` row is locked, so two
runs issued at once get continuous numbers with no gap; the database's unique constraint backs
it. Issued invoices never change: a credit note (negative lines) corrects them.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from marmots.core.access import is_manager
from marmots.core.audit import record
from marmots.core.french import month_label
from marmots.families.models import Family

from . import settling, tasks
from .balances import settings_for
from .invoicing import month_bounds, school_year
from .models import (
    Anomaly,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoicingRun,
    Membership,
)
from .money import ZERO, fr_money, money

LIVE_EXISTS = "Une facturation de ce mois est déjà en cours : terminez-la ou abandonnez-la d'abord."
FUTURE_MONTH = "Ce mois n'a pas commencé : on ne le facture pas encore."
ISSUED_ALREADY = (
    "Cette facturation est émise : ses factures ne changent plus (corrigez-les par un avoir)."
)
NOT_DRAFTED = "Le brouillon n'est pas prêt : attendez la fin du calcul."
MEMBERSHIP_TAKEN = (
    "Une adhésion de ce brouillon a déjà été facturée ailleurs : recalculez le brouillon."
)


def issuable_from(month):
    """The first day the invoices of the month holding `month` may be issued: the first of
    the following month (the month is over)."""
    _, last = month_bounds(month)
    return last + datetime.timedelta(days=1)


def month_not_over(month):
    """Why a month that is not over cannot be issued yet."""
    return (
        "Le mois n'est pas terminé : les factures ne peuvent être émises qu'à partir du "
        f"1er {month_label(issuable_from(month))}."
    )


def check_manager(actor, structure):
    """The actor manages the structure; None is the system itself (a management command, the
    benchmark), never a web request, whose user is at least anonymous."""
    if actor is not None and not is_manager(actor, structure):
        raise PermissionDenied("Action réservée au gestionnaire de la structure.")


def _locked(run):
    """The run's row, locked (not its structure's: runs of other months go on)."""
    runs = InvoicingRun.objects.select_for_update(of=("self",)).select_related("structure")
    return runs.get(pk=run.pk)


def _clear_draft(run):
    Invoice.objects.filter(run=run, status=Invoice.DRAFT).delete()
    Anomaly.objects.filter(run=run).delete()


def _fresh(run):
    run.refresh_from_db()
    return run


def live_run(structure, month):
    """The month's run that is not issued, failed or discarded, if any."""
    first, _ = month_bounds(month)
    live = InvoicingRun.objects.filter(structure=structure, month=first)
    return live.filter(status__in=InvoicingRun.LIVE).first()


def start_run(structure, month, actor):
    """A run for the month holding `month`, drafted by the task (at once in tests and in the
    demo). The current month may be drafted before its end (the page says it is not over);
    a month to come may not. A second live run of the month is refused, even when two
    managers start it at the same instant (the database's unique constraint decides)."""
    check_manager(actor, structure)
    first, _ = month_bounds(month)
    if first > timezone.localdate():
        raise ValidationError(FUTURE_MONTH)
    try:
        with transaction.atomic():
            if live_run(structure, first) is not None:
                raise ValidationError(LIVE_EXISTS)
            run = InvoicingRun.objects.create(structure=structure, month=first, started_by=actor)
            record(actor, "invoicing.start", run, after={"month": first.isoformat()})
    except IntegrityError:
        raise ValidationError(LIVE_EXISTS) from None
    tasks.draft_run.enqueue(run.pk)
    return _fresh(run)


def recompute_run(run, actor):
    """Draft the run again from today's data (a drafted or failed run)."""
    check_manager(actor, run.structure)
    try:
        with transaction.atomic():
            locked = _locked(run)
            if locked.status == InvoicingRun.ISSUED:
                raise ValidationError(ISSUED_ALREADY)
            if locked.status not in (InvoicingRun.DRAFTED, InvoicingRun.FAILED):
                raise ValidationError(
                    "Seul un brouillon prêt ou un calcul en échec peut être recalculé."
                )
            _clear_draft(locked)
            before = {"status": locked.status}
            locked.status, locked.error = InvoicingRun.QUEUED, ""
            locked.families_done = locked.families_total = 0
            locked.drafted_at = None
            locked.save()
            record(actor, "invoicing.recompute", locked, before=before, after={"status": "queued"})
    except IntegrityError:
        raise ValidationError(LIVE_EXISTS) from None
    tasks.draft_run.enqueue(run.pk)
    return _fresh(run)


def discard_run(run, actor):
    """Abandon a run that is not issued: its draft invoices and anomalies are deleted."""
    check_manager(actor, run.structure)
    with transaction.atomic():
        locked = _locked(run)
        if locked.status == InvoicingRun.ISSUED:
            raise ValidationError(ISSUED_ALREADY)
        if locked.status == InvoicingRun.DISCARDED:
            raise ValidationError("Cette facturation est déjà abandonnée.")
        _clear_draft(locked)
        before = {"status": locked.status}
        locked.status = InvoicingRun.DISCARDED
        locked.save(update_fields=["status"])
        record(actor, "invoicing.discard", locked, before=before, after={"status": "discarded"})
    return _fresh(run)


def review_anomaly(anomaly, actor, note=""):
    """Mark an anomaly of a drafted run as reviewed, with the manager's note."""
    check_manager(actor, anomaly.run.structure)
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError("La remarque ne doit pas dépasser 300 caractères.")
    with transaction.atomic():
        run = _locked(anomaly.run)
        if run.status != InvoicingRun.DRAFTED:
            raise ValidationError(NOT_DRAFTED)
        locked = Anomaly.objects.select_for_update().get(pk=anomaly.pk)
        locked.reviewed_at, locked.reviewed_by, locked.note = timezone.now(), actor, note
        locked.save(update_fields=["reviewed_at", "reviewed_by", "note"])
        record(
            actor,
            "anomaly.review",
            locked,
            family_id=locked.family_id,
            after={"kind": locked.kind, "message": locked.message, "note": note},
        )
    anomaly.refresh_from_db()
    return anomaly


def review_kind(run, actor, kind):
    """Mark every unreviewed anomaly of `kind` in a drafted run as reviewed (a month may hold
    hundreds of no-shows); returns how many were marked."""
    check_manager(actor, run.structure)
    if kind not in dict(Anomaly.KINDS):
        raise ValidationError("Type d'anomalie inconnu.")
    with transaction.atomic():
        run = _locked(run)
        if run.status != InvoicingRun.DRAFTED:
            raise ValidationError(NOT_DRAFTED)
        pending = run.anomalies.filter(kind=kind, reviewed_at__isnull=True)
        count = pending.update(reviewed_at=timezone.now(), reviewed_by=actor)
        record(actor, "anomaly.review_kind", run, after={"kind": kind, "count": count})
    return count


def take_numbers(structure, series, year, count):
    """`count` continuous numbers of the series and year, the sequence row locked until the
    caller's transaction ends (the caller holds a transaction)."""
    InvoiceSequence.objects.get_or_create(structure=structure, series=series, year=year)
    sequence = InvoiceSequence.objects.select_for_update().get(
        structure=structure, series=series, year=year
    )
    first = sequence.last_number + 1
    sequence.last_number += count
    sequence.save(update_fields=["last_number"])
    return range(first, first + count)


def give_receipt_number(payment):
    """Number a received payment's receipt: continuous per structure and year of receipt
    (the caller holds a transaction; the series row stays locked until it ends)."""
    series = settings_for(payment.structure).receipt_series
    year = timezone.localdate().year
    (number,) = take_numbers(payment.structure, series, year, 1)
    payment.receipt_number = f"{series}-{year}-{number:05d}"


def issue_run(run, actor, *, notify=True):
    """Number the run's drafts (continuous per series and year, in family-name order), date
    them, record the memberships billed, use each invoiced family's credit (what is left of
    its payments: `apply_credit`), then e-mail each family its invoice (not when
    `notify` is false: the demo sends nothing). A month that is not over (Europe/Paris) may
    be drafted as a preview but not issued. Locks: the run, the families with a credit (in id
    order), then the series, as every payment action locks its family before its receipt
    series (which may be a series drafts still carry after a prefix is renamed)."""
    check_manager(actor, run.structure)
    payment_days = settings_for(run.structure).payment_days
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        locked = _locked(run)
        if locked.status == InvoicingRun.ISSUED:
            raise ValidationError("Cette facturation est déjà émise.")
        if locked.status != InvoicingRun.DRAFTED:
            raise ValidationError(NOT_DRAFTED)
        if today < issuable_from(locked.month):
            raise ValidationError(month_not_over(locked.month))
        waiting = locked.anomalies.filter(reviewed_at__isnull=True).count()
        if waiting:
            raise ValidationError(
                f"{waiting} anomalie{'s' if waiting > 1 else ''} à vérifier avant l'émission."
            )
        drafts = list(
            Invoice.objects.filter(run=locked, status=Invoice.DRAFT)
            .order_by("family__name", "family_id", "pk")
            .only("pk", "series", "family_id")
        )
        due = today + datetime.timedelta(days=payment_days)
        credited = _lock_credited(locked, {d.family_id for d in drafts})
        numbered = []
        for series in sorted({d.series for d in drafts}):
            mine = [d for d in drafts if d.series == series]
            numbers = take_numbers(locked.structure, series, today.year, len(mine))
            numbered += zip((d.pk for d in mine), numbers, strict=True)
        _mark_issued(numbered, today.year, now, due)
        _record_memberships(locked)
        _apply_credits(locked, credited, actor)
        locked.status, locked.issued_at, locked.issued_by = InvoicingRun.ISSUED, now, actor
        locked.save(update_fields=["status", "issued_at", "issued_by"])
        record(actor, "invoicing.issue", locked, after={"invoices": len(drafts)})
        if notify:
            transaction.on_commit(lambda: _send_all(run.pk), robust=True)
    return _fresh(run)


def _mark_issued(numbered, year, now, due):
    """Give each draft (id, number) its number and dates: one statement per invoice, sent in
    one batch (a month is thousands of invoices; a CASE over all of them is much slower)."""
    ops = connection.ops
    columns = ["status", "year", "number", "issued_at", "due_date"]
    assignments = ", ".join(
        f"{ops.quote_name(Invoice._meta.get_field(c).column)} = %s" for c in columns
    )
    table, pk = ops.quote_name(Invoice._meta.db_table), ops.quote_name(Invoice._meta.pk.column)
    issued_at, due_date = ops.adapt_datetimefield_value(now), ops.adapt_datefield_value(due)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {pk} = %s",
            [(Invoice.ISSUED, year, n, issued_at, due_date, pk) for pk, n in numbered],
        )


def _record_memberships(run):
    year = school_year(run.month)
    lines = InvoiceLine.objects.filter(
        invoice__run=run, invoice__status=Invoice.ISSUED, kind=InvoiceLine.MEMBERSHIP
    ).values_list("pk", "invoice__family_id", "child_id")
    rows = [
        Membership(
            structure_id=run.structure_id,
            family_id=family_id,
            child_id=child_id,
            school_year=year,
            line_id=line_id,
        )
        for line_id, family_id, child_id in lines
    ]
    try:
        with transaction.atomic():
            Membership.objects.bulk_create(rows, batch_size=1000)
    except IntegrityError:
        raise ValidationError(MEMBERSHIP_TAKEN) from None


def _lock_credited(run, family_ids):
    """Lock the rows of the families among `family_ids` with a credit, in id order, before any
    number series (the lock order of every action: family first): their ids."""
    ids = settling.families_with_credit(run.structure, family_ids)
    return list(
        Family.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _apply_credits(run, credited, actor):
    """Use the credit of every family the run invoiced. Those found with a credit before the
    numbers were taken are locked; one given a credit since is locked only if no one holds it
    (waiting for it while holding the series could deadlock): its credit waits for the next
    use."""
    invoiced = Invoice.objects.filter(run=run, status=Invoice.ISSUED).values("family_id")
    late = set(settling.families_with_credit(run.structure, invoiced)) - set(credited)
    free = Family.objects.select_for_update(skip_locked=True).filter(pk__in=late)
    ids = sorted(set(credited) | set(free.values_list("pk", flat=True)))
    for family in Family.objects.filter(pk__in=ids).order_by("pk"):
        settling.use_credit(family, run.structure, actor)


def _send_all(run_id):
    """One e-mail task per issued invoice of the run whose family has a guardian to write to."""
    reachable = Invoice.objects.filter(
        run_id=run_id,
        status=Invoice.ISSUED,
        family__guardians__user__is_active=True,
        family__guardians__user__email__gt="",
    )
    for invoice_id in reachable.values_list("pk", flat=True).distinct().order_by("pk"):
        tasks.send_invoice_email.enqueue(invoice_id)


# Credit notes


def credit_note(invoice, actor, reason, amount=None, lines=None):
    """A credit note correcting an issued invoice: the whole of what remains (amount and lines
    None), an amount (spread over the care lines in order, the membership last) or the given
    lines in full. Each credit line is negative and points at the line it corrects. Crediting
    more than what remains is refused; a membership line credited in full frees the
    membership (billed again next time), one credited in part keeps it. What the note leaves
    over-paid on the invoice becomes the family's credit, used at once on its other unpaid
    invoices (`settling.release_overpaid`, `settling.use_credit`)."""
    check_manager(actor, invoice.structure)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Indiquez le motif de l'avoir.")
    if len(reason) > 300:
        raise ValidationError("Le motif ne doit pas dépasser 300 caractères.")
    if amount is not None and lines is not None:
        raise ValidationError("Un avoir porte sur un montant ou sur des lignes, pas les deux.")
    series = settings_for(invoice.structure).credit_note_series
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        settling.lock_family(invoice.family_id)  # the note may free part of a payment
        invoices = Invoice.objects.select_for_update(of=("self",)).select_related("structure")
        locked = invoices.get(pk=invoice.pk)
        if locked.kind != Invoice.INVOICE or locked.status != Invoice.ISSUED:
            raise ValidationError("Seule une facture émise peut être corrigée par un avoir.")
        remaining = locked.total + sum(
            locked.credit_notes.filter(status=Invoice.ISSUED).values_list("total", flat=True),
            ZERO,
        )
        if remaining <= 0:
            raise ValidationError("Cette facture est déjà entièrement corrigée par des avoirs.")
        parts = _credit_parts(locked, remaining, amount, lines)
        credited = sum((part for _, part in parts), ZERO)
        note = Invoice.objects.create(
            structure=locked.structure,
            family_id=locked.family_id,
            kind=Invoice.CREDIT_NOTE,
            status=Invoice.ISSUED,
            series=series,
            year=today.year,
            number=take_numbers(locked.structure, series, today.year, 1)[0],
            period_start=locked.period_start,
            period_end=locked.period_end,
            issued_at=now,
            due_date=today,
            total=-credited,
            corrects=locked,
            reason=reason,
            payer_name=locked.payer_name,
            payer_address=locked.payer_address,
            quotient=locked.quotient,
            quotient_note=locked.quotient_note,
            created_by=actor,
        )
        InvoiceLine.objects.bulk_create(
            _credit_line(note, order, line, part, reason)
            for order, (line, part) in enumerate(parts)
        )
        _free_memberships(locked, whole=credited >= remaining)
        released = settling.release_overpaid(locked)
        record(
            actor,
            "invoice.credit_note",
            note,
            family_id=locked.family_id,
            after={
                "corrects": locked.reference,
                "total": str(note.total),
                "reason": reason,
                "released": [{"receipt": r, "amount": str(part)} for r, part in released],
            },
        )
        if released:
            settling.use_credit(locked.family, locked.structure, actor)
    return note


def _credit_parts(invoice, remaining, amount, lines):
    """[(line, amount to credit)] of the billed lines, within what remains of each."""
    left = _left_by_line(invoice)
    if lines is not None:
        wanted = {getattr(line, "pk", line) for line in lines}
        chosen = [(line, rest) for line, rest in left if line.pk in wanted]
        if not wanted or len(chosen) != len(wanted):
            raise ValidationError("Choisissez des lignes facturées de cette facture.")
        done = [line.label for line, rest in chosen if rest <= 0]
        if done:
            raise ValidationError(f"La ligne « {done[0]} » est déjà entièrement créditée.")
        total = sum((rest for _, rest in chosen), ZERO)
        if total > remaining:
            raise ValidationError(_too_much(total, remaining))
        return chosen
    target = remaining if amount is None else money(amount)
    if target <= 0:
        raise ValidationError("Le montant de l'avoir doit être positif.")
    if target > remaining:
        raise ValidationError(_too_much(target, remaining))
    parts = {}
    # Care first: a goodwill gesture does not undo the membership, billed once a year.
    for line, rest in sorted(left, key=lambda item: item[0].kind == InvoiceLine.MEMBERSHIP):
        part = min(rest, target)
        if part > 0:
            parts[line.pk] = part
            target -= part
    return [(line, parts[line.pk]) for line, _ in left if line.pk in parts]  # invoice order


def _too_much(asked, remaining):
    return (
        f"L'avoir ({fr_money(asked)}) dépasserait ce qui reste de la facture "
        f"({fr_money(remaining)})."
    )


def _left_by_line(invoice):
    """[(line, what remains to credit on it)] of the invoice's lines of positive amount."""
    credited = dict(
        InvoiceLine.objects.filter(
            corrects__invoice=invoice, invoice__status=Invoice.ISSUED, kind=InvoiceLine.CREDIT
        )
        .values("corrects_id")
        .annotate(s=Sum("amount"))
        .values_list("corrects_id", "s")
    )
    return [
        (line, line.amount + credited.get(line.pk, ZERO))
        for line in invoice.lines.order_by("order", "pk")
        if line.amount > 0
    ]


def _credit_line(note, order, line, part, reason):
    return InvoiceLine(
        invoice=note,
        child_id=line.child_id,
        activity_id=line.activity_id,
        date=line.date,
        kind=InvoiceLine.CREDIT,
        label=f"Avoir : {line.label}"[:200],
        explanation=reason,
        quantity=1,
        unit_price=-part,
        amount=-part,
        quotient=line.quotient,
        bracket=line.bracket,
        tariff_id=line.tariff_id,
        corrects=line,
        order=order,
    )


def _free_memberships(invoice, whole):
    """A membership whose line is now credited in full is billed again next time; so is
    every membership of an invoice now corrected in full (`whole`: its aid made what remained
    smaller than its lines, so the membership line may be credited only in part)."""
    paid_off = [line.pk for line, rest in _left_by_line(invoice) if whole or rest <= 0]
    Membership.objects.filter(line_id__in=paid_off).delete()
