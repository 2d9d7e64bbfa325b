"""Drafting a monthly run: gather the month (`invoicing.gather`), price every family in memory
(`pricing.py`) saving the progress as it goes, then write every draft invoice, line and anomaly
in one transaction, so that a failure leaves no half draft.

The rows are written with one COPY (PostgreSQL) or one executemany (SQLite) per table: a month
of a large structure is hundreds of thousands of lines, and building a model instance for each
line would cost more than pricing it.
"""

import gc
import logging
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from . import pricing
from .invoicing import FamilyMonth, gather
from .models import Anomaly, Invoice, InvoiceLine, InvoicingRun

logger = logging.getLogger(__name__)

PROGRESS_UPDATES = 100  # at most this many progress writes per run
PROGRESS_STEP = 50  # families between two progress writes, on small runs


@dataclass
class Draft:
    family: FamilyMonth
    lines: list  # [facts.Line]
    findings: list  # [facts.Finding]

    @property
    def billed(self):
        """An invoice only for a family with a line of non-zero amount."""
        return any(line.amount for line in self.lines)

    @property
    def kept(self):
        """The findings worth a review: a missing quotient matters only on an invoice."""
        return [f for f in self.findings if self.billed or f.kind != Anomaly.MISSING_QUOTIENT]


def draft(run_id):
    """Draft the invoices and anomalies of a queued run; the run ends `drafted`, or `failed`
    with the error's text and no draft at all."""
    claimed = InvoicingRun.objects.filter(pk=run_id, status=InvoicingRun.QUEUED).update(
        status=InvoicingRun.RUNNING, families_total=0, families_done=0, error=""
    )
    if not claimed:
        return
    run = InvoicingRun.objects.select_related("structure").get(pk=run_id)
    try:
        with cycle_collector_paused():
            month = gather(run.structure, run.month, run=run)
            drafts = price(run, month)
        write(run, month, drafts)
    except Exception as error:
        logger.exception("Invoicing run %s failed", run_id)
        InvoicingRun.objects.filter(pk=run_id, status=InvoicingRun.RUNNING).update(
            status=InvoicingRun.FAILED, error=f"{error.__class__.__name__} : {error}"[:2000]
        )


@contextmanager
def cycle_collector_paused():
    """Python's cycle collector paused: gathering and pricing build several small objects per
    session that all live until written, and the collector would walk them all again and again
    for nothing (a quarter of the time on 5,000 children, growing faster than the data);
    reference counting still frees everything else."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def price(run, month):
    """[Draft] of every family of the month, saving the progress every few families."""
    total = len(month.families)
    InvoicingRun.objects.filter(pk=run.pk).update(families_total=total)
    step = max(PROGRESS_STEP, -(-total // PROGRESS_UPDATES))
    drafts = []
    for done, family in enumerate(month.families, start=1):
        lines, findings = pricing.price_and_findings(
            family.facts,
            family.children,
            month.activities,
            family.sessions,
            month.tariffs,
            aids=family.aids,
            memberships=family.memberships,
        )
        drafts.append(Draft(family, without_idle_memberships(lines), findings))
        if done % step == 0 and done < total:
            InvoicingRun.objects.filter(pk=run.pk).update(families_done=done)
    return drafts


def without_idle_memberships(lines):
    """A membership is billed with the child's first billed session (the family's, per
    family), not for a month of cancellations in time only."""
    used = {
        line.child_id
        for line in lines
        if line.amount > 0 and line.kind not in (InvoiceLine.MEMBERSHIP, InvoiceLine.AID)
    }
    return [
        line
        for line in lines
        if line.kind != InvoiceLine.MEMBERSHIP
        or (line.child_id in used if line.child_id is not None else bool(used))
    ]


def write(run, month, drafts):
    """Every draft invoice, line and anomaly of the run, in one transaction; nothing when the
    run was discarded meanwhile."""
    now = timezone.now()
    with transaction.atomic():
        locked = InvoicingRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != InvoicingRun.RUNNING:
            return
        Invoice.objects.filter(run=run, status=Invoice.DRAFT).delete()
        Anomaly.objects.filter(run=run).delete()
        billed = [d for d in drafts if d.billed]
        insert(Invoice, INVOICE_COLUMNS, [invoice_row(run, month, d, now) for d in billed])
        ids = dict(Invoice.objects.filter(run=run).values_list("family_id", "pk"))
        insert(
            InvoiceLine,
            LINE_COLUMNS,
            (
                line_row(ids[d.family.family_id], order, line)
                for d in billed
                for order, line in enumerate(d.lines)
            ),
        )
        insert(
            Anomaly,
            ANOMALY_COLUMNS,
            (anomaly_row(run, d.family, finding) for d in drafts for finding in d.kept),
        )
        InvoicingRun.objects.filter(pk=run.pk).update(
            status=InvoicingRun.DRAFTED,
            families_total=len(drafts),
            families_done=len(drafts),
            drafted_at=now,
        )


def insert(model, fields, rows):
    """Insert `rows` (tuples of values in the order of `fields`, attribute names) in one COPY
    on PostgreSQL, one executemany elsewhere."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column) for name in fields
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(rows))


INVOICE_COLUMNS = (
    "structure_id",
    "family_id",
    "run_id",
    "kind",
    "status",
    "series",
    "period_start",
    "period_end",
    "total",
    "reason",
    "payer_name",
    "payer_address",
    "quotient",
    "quotient_note",
    "pdf",
    "created_at",
    "created_by_id",
)


def invoice_row(run, month, draft_, now):
    facts = draft_.family.facts
    return (
        run.structure_id,
        draft_.family.family_id,
        run.pk,
        Invoice.INVOICE,
        Invoice.DRAFT,
        month.settings.invoice_series,
        month.first,
        month.last,
        pricing.total(draft_.lines),
        "",
        draft_.family.payer_name[:200],
        draft_.family.payer_address,
        facts.quotient if facts.quotient is not None else facts.fallback_quotient,
        pricing.quotient_note(facts)[:200],
        "",
        now,
        run.started_by_id,
    )


LINE_COLUMNS = (
    "invoice_id",
    "child_id",
    "activity_id",
    "date",
    "kind",
    "label",
    "explanation",
    "quantity",
    "unit_price",
    "amount",
    "minutes_booked",
    "minutes_attended",
    "minutes_billed",
    "quotient",
    "bracket",
    "tariff_id",
    "aid_id",
    "order",
)


def line_row(invoice_id, order, line):
    return (
        invoice_id,
        line.child_id,
        line.activity_id,
        line.day,
        line.kind,
        line.label[:200],
        line.explanation,
        line.quantity,
        line.unit_price,
        line.amount,
        line.minutes_booked,
        line.minutes_attended,
        line.minutes_billed,
        line.quotient,
        line.bracket[:60],
        line.tariff_id,
        line.aid_id,
        order,
    )


ANOMALY_COLUMNS = (
    "run_id",
    "family_id",
    "child_id",
    "activity_id",
    "date",
    "kind",
    "message",
    "note",
)


def anomaly_row(run, family, finding):
    return (
        run.pk,
        family.family_id,
        finding.child_id,
        finding.activity_id,
        finding.day,
        finding.kind,
        finding.message[:300],
        "",
    )
