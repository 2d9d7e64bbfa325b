"""CSV and XLSX exports of issued invoices and their lines, over a period.

CSV is what French spreadsheets open without asking: UTF-8 with a BOM, ';' between fields,
a decimal comma, dates as dd/mm/yyyy. XLSX keeps numbers as numbers and dates as dates.
Rows are read in bounded chunks (`iterator`) and the CSV is streamed, so a year of lines never
sits in memory at once.
"""

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .balances import with_outstanding
from .models import Invoice, InvoiceLine
from .money import money

CHUNK = 2000
TEXT, MONEY, NUMBER, DATE, MONTH = "text", "money", "number", "date", "month"
FORMATS = {MONEY: "#,##0.00", NUMBER: "0.##", DATE: "DD/MM/YYYY", MONTH: "MM/YYYY"}
# A cell a spreadsheet would run as a formula (CSV injection) starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT
    width: int = 14


# Writers ----------------------------------------------------------------------------------------


class _Echo:
    """A file-like object that hands back what csv.writer writes (for streaming)."""

    def write(self, value):
        return value


def _csv_cell(value, kind):
    if value is None:
        return ""
    if kind == MONTH:
        return f"{value:%m/%Y}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, Decimal):  # amounts, quantities and hours: two decimals
        return f"{money(value):.2f}".replace(".", ",")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_stream(columns, rows):
    """The CSV file as an iterator of strings: a BOM and the header first, then one row each."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow([c.title for c in columns])
    for row in rows:
        yield writer.writerow(
            [_csv_cell(value, column.kind) for value, column in zip(row, columns, strict=True)]
        )


def _xlsx_cell(sheet, value, kind):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    elif kind in FORMATS:
        cell.number_format = FORMATS[kind]
    return cell


def xlsx_bytes(title, columns, rows):
    """A one-sheet workbook: a bold header row (frozen), column widths, typed cells."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v, c.kind) for v, c in zip(row, columns, strict=True)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Invoices ---------------------------------------------------------------------------------------

INVOICE_COLUMNS = [
    Column("Référence", width=16),
    Column("Famille", width=24),
    Column("Du", DATE, 12),
    Column("Au", DATE, 12),
    Column("Émise le", DATE, 12),
    Column("Échéance", DATE, 12),
    Column("Total", MONEY, 12),
    Column("Payé", MONEY, 12),
    Column("Reste dû", MONEY, 12),
    Column("Type", width=10),
    Column("État", width=26),
]


def issued_in(structure, first, last):
    """Issued invoices and credit notes of `structure` whose billed period meets [first, last]."""
    return Invoice.objects.filter(
        structure=structure,
        status=Invoice.ISSUED,
        period_start__lte=last,
        period_end__gte=first,
    )


def _state(invoice, today):
    if invoice.is_credit_note:
        return f"Corrige {invoice.corrects.reference}"
    if invoice.outstanding <= 0:
        return "Payée"
    return "Échue" if invoice.due_date < today else "À payer"


def invoice_rows(structure, first, last):
    """One row per issued invoice, then per credit note, in number order."""
    issued = issued_in(structure, first, last).select_related("family", "corrects")
    order = ("series", "year", "number")
    invoices = with_outstanding(issued).order_by(*order).iterator(chunk_size=CHUNK)
    credit_notes = issued.filter(kind=Invoice.CREDIT_NOTE).order_by(*order)
    today = timezone.localdate()
    for invoice in chain(invoices, credit_notes.iterator(chunk_size=CHUNK)):
        credit = invoice.is_credit_note
        yield (
            invoice.reference,
            invoice.family.name,
            invoice.period_start,
            invoice.period_end,
            timezone.localdate(invoice.issued_at),
            None if credit else invoice.due_date,
            invoice.total,
            None if credit else invoice.paid,
            None if credit else invoice.outstanding,
            invoice.get_kind_display(),
            _state(invoice, today),
        )


def invoices_csv(structure, first, last):
    return csv_stream(INVOICE_COLUMNS, invoice_rows(structure, first, last))


def invoices_xlsx(structure, first, last):
    return xlsx_bytes("Factures", INVOICE_COLUMNS, invoice_rows(structure, first, last))


# Lines ------------------------------------------------------------------------------------------

LINE_COLUMNS = [
    Column("Référence", width=16),
    Column("Famille", width=24),
    Column("Enfant", width=20),
    Column("Date", DATE, 12),
    Column("Activité", width=24),
    Column("Nature", width=18),
    Column("Libellé", width=40),
    Column("Quantité", NUMBER, 10),
    Column("Prix unitaire", MONEY, 12),
    Column("Montant", MONEY, 12),
    Column("QF", NUMBER, 8),
    Column("Tranche", width=14),
    Column("Minutes réservées", NUMBER, 10),
    Column("Minutes de présence", NUMBER, 10),
    Column("Minutes facturées", NUMBER, 10),
]


def line_rows(structure, first, last):
    """One row per line of the issued invoices and credit notes of the period."""
    lines = (
        InvoiceLine.objects.filter(invoice__in=issued_in(structure, first, last))
        .select_related("invoice__family", "child", "activity")
        .order_by("invoice__series", "invoice__year", "invoice__number", "order", "id")
    )
    for line in lines.iterator(chunk_size=CHUNK):
        child = line.child
        yield (
            line.invoice.reference,
            line.invoice.family.name,
            f"{child.first_name} {child.last_name}" if child else "",
            line.date,
            line.activity.name if line.activity else "",
            line.get_kind_display(),
            line.label,
            line.quantity,
            line.unit_price,
            line.amount,
            line.quotient,
            line.bracket,
            line.minutes_booked,
            line.minutes_attended,
            line.minutes_billed,
        )


def lines_csv(structure, first, last):
    return csv_stream(LINE_COLUMNS, line_rows(structure, first, last))


def lines_xlsx(structure, first, last):
    return xlsx_bytes("Lignes", LINE_COLUMNS, line_rows(structure, first, last))
