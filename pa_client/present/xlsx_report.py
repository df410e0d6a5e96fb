"""The audit as an XLSX workbook for people working in a spreadsheet: a summary sheet, then one sheet
per table (the same tables as the CSV folder), frozen header row, filters, column widths, dates as
dates and numbers as numbers with a number format showing every decimal they have.

Numbers and exactness. A spreadsheet holds IEEE doubles and shows at most 15 significant digits, and
openpyxl writes a number's text with 16 (736.842105 is stored as "736.8421049999999"). A decimal of at
most 15 significant digits is therefore written as a number: Excel and LibreOffice read it back as the
double nearest to it and show exactly the decimal (with the column's format), and it sums and sorts as
a number. A decimal with more significant digits (a quantity of a billion units and more with 6
decimals, say) cannot be shown exactly by a spreadsheet and is written as text instead, right-aligned,
so that no digit is silently lost. Exact machine reading is the CSV's and the JSON's job.

Text is text. A lot, a site or a description is what a declarant typed; a cell whose text starts with
`=` would be a formula (`=HYPERLINK(…)`). Every text cell is written by `text_cell`, whose type is
text whatever it holds, and whose control characters (a NUL or an ESC recorded before the reader
refused them; an XLSX cannot hold them) are written as their escapes (`pa_client.domain.text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import openpyxl  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from pa_client.audit.rules.result import AuditResult
from pa_client.domain.text import escaped
from pa_client.present import display
from pa_client.present.tables import CENTS, DATE, INT, TIME, Cell, ExportColumn, ExportTable, export_tables

EXCEL_DIGITS: Final = 15
HEADER_FILL: Final = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT: Final = Font(bold=True, color="FFFFFF")
TITLE_FONT: Final = Font(bold=True, size=14, color="1F3A5F")
DATE_FORMAT: Final = "yyyy-mm-dd"
TIME_FORMAT: Final = "yyyy-mm-dd hh:mm:ss"
MAX_WIDTH: Final = 60

SUMMARY_LABELS: Final[dict[str, str]] = {
    "authorisation": "Authorisation",
    "holder_eori": "Holder (EORI)",
    "supervising_office": "Supervising office",
    "as_of_block": "As of block",
    "as_of_time": "Block time (UTC)",
    "audit_date": "Audit date",
    "integrity_verified": "Integrity verified",
    "integrity_entries": "Entries read from the logs",
    "integrity_sequence": "Sequence on the ledger",
    "integrity_head": "Rolling hash (head)",
    "placements": "Placements",
    "placements_open": "Placements open",
    "placements_overdue": "Placements overdue",
    "placements_discharged": "Placements discharged",
    "discharges": "Discharges",
    "duty_due_free_circulation": "Duty due on release for free circulation (EUR)",
    "duty_due_deemed_release": "Duty due on deemed release (EUR)",
    "duty_due_total": "Duty due, total (EUR)",
    "alerts_critical": "Alerts: critical",
    "alerts_warning": "Alerts: warning",
    "alerts_info": "Alerts: info",
}


def significant_digits(value: Decimal | int) -> int:
    if isinstance(value, int):
        return len(str(abs(value)))
    if value == 0:
        return 1
    return len(value.normalize().as_tuple().digits)


def fits_a_spreadsheet(value: Decimal | int) -> bool:
    """True when a spreadsheet shows `value` exactly (at most 15 significant digits)."""
    return significant_digits(value) <= EXCEL_DIGITS


def number_format(column: ExportColumn, values: Sequence[Cell]) -> str | None:
    """The format showing every decimal the column's numbers have (money: always 2)."""
    if column.kind == CENTS:
        return "#,##0.00"
    if column.kind == INT:
        return (
            "0"
            if column.name in ("sequence", "block", "discharge_sequence", "version", "procedure")
            else "#,##0"
        )
    if column.kind == DATE:
        return DATE_FORMAT
    if column.kind == TIME:
        return TIME_FORMAT
    decimals = [
        display.decimals_needed(v) for v in values if isinstance(v, Decimal) and fits_a_spreadsheet(v)
    ]
    if not decimals:
        return None
    places = max(decimals)
    return "#,##0" + ("." + "0" * places if places else "")


def excel_value(value: Cell) -> tuple[Any, bool]:
    """The value to put in a cell and whether it had to become text to stay exact."""
    if isinstance(value, bool) or value is None:
        return value, False
    if isinstance(value, Decimal):
        if fits_a_spreadsheet(value):
            return (int(value) if value == value.to_integral_value() else float(value)), False
        return f"{value:f}", True
    if isinstance(value, int):
        return (value, False) if fits_a_spreadsheet(value) else (str(value), True)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None), False  # UTC, said in the header
    if isinstance(value, date):
        return value, False
    return str(value), False


def _display_width(value: Cell, column: ExportColumn) -> int:
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return len(display.plain(value)) + 1
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    if isinstance(value, bool):
        return 5
    return len(str(value))


def _cell(sheet: Any, value: Any, **style: Any) -> Any:
    """A write-only cell with its style (font, fill, alignment, number_format)."""
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        if setting is not None:
            setattr(cell, name, setting)
    return cell


def text_cell(sheet: Any, text: str, **style: Any) -> Any:
    """A cell holding `text` as text, whatever it starts with: never a formula; a character that is
    not text (a control character already on the chain, which openpyxl refuses) is escaped."""
    cell = _cell(sheet, escaped(text), **style)
    cell.data_type = "s"  # openpyxl makes a formula of a text starting with '='
    return cell


def _value_cell(sheet: Any, value: Any, **style: Any) -> Any:
    """A cell for any value: text by `text_cell`, the rest as it is."""
    if isinstance(value, str):
        return text_cell(sheet, value, **style)
    return _cell(sheet, value, **style) if any(v is not None for v in style.values()) else value


def _write_table(sheet: Any, table: ExportTable, *, human_headers: bool = True) -> None:
    """One table on a write-only sheet: widths, frozen header and filter first, then the rows."""
    for index, column in enumerate(table.columns, start=1):
        widest = max(
            [len(column.header) * 0.9 + 2]
            + [_display_width(v, column) + 2 for v in table.column(column.name)[:2000]]
        )
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, max(8, round(widest)))
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
    header = Alignment(vertical="center", wrap_text=True)
    sheet.append(
        [
            text_cell(
                sheet,
                c.header if human_headers else c.name,
                fill=HEADER_FILL,
                font=HEADER_FONT,
                alignment=header,
            )
            for c in table.columns
        ]
    )
    formats = [number_format(c, table.column(c.name)) for c in table.columns]
    right = Alignment(horizontal="right")
    for values in table.rows:
        cells = []
        for index, value in enumerate(values):
            excel, as_text = excel_value(value)
            if as_text:
                cells.append(text_cell(sheet, excel, alignment=right))
            elif formats[index] and excel is not None and not isinstance(excel, str | bool):
                cells.append(_cell(sheet, excel, number_format=formats[index]))
            else:
                cells.append(_value_cell(sheet, excel))
        sheet.append(cells)


@dataclass(frozen=True)
class Cover:
    """A workbook's first sheet: a title, a subtitle, then (label, value, number format) rows and
    closing notes."""

    sheet: str
    title: str
    subtitle: str
    rows: Sequence[tuple[str, Cell, str | None]]
    notes: Sequence[tuple[str, str]] = ()


def _cover_sheet(sheet: Any, cover: Cover) -> None:
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 80
    sheet.freeze_panes = "A5"
    sheet.append([text_cell(sheet, cover.title, font=TITLE_FONT)])
    sheet.append([text_cell(sheet, cover.subtitle, font=Font(italic=True, color="555555"))])
    sheet.append([])
    sheet.append([text_cell(sheet, text, fill=HEADER_FILL, font=HEADER_FONT) for text in ("Item", "Value")])
    left = Alignment(horizontal="left")
    for label, value, fmt in cover.rows:
        if isinstance(value, bool):
            shown = text_cell(
                sheet,
                "yes" if value else "NO",
                alignment=left,
                font=None if value else Font(bold=True, color="B00020"),
            )
        else:
            excel, as_text = excel_value(value)
            if fmt is None and not as_text:
                if isinstance(value, Decimal):
                    fmt = "#,##0.00"
                elif isinstance(value, datetime):
                    fmt = TIME_FORMAT
                elif isinstance(value, date):
                    fmt = DATE_FORMAT
            shown = _value_cell(sheet, excel, alignment=left, number_format=None if as_text else fmt)
        sheet.append([text_cell(sheet, label), shown])
    if cover.notes:
        sheet.append([])
        for label, text in cover.notes:
            sheet.append([text_cell(sheet, label), text_cell(sheet, text)])


def write_workbook(
    tables: Sequence[ExportTable], path: Path, *, cover: Cover | None = None, moment: datetime | None = None
) -> Path:
    """Writes export tables to `path`, one sheet each (sheet names from the tables' titles), after the
    `cover` sheet when given; `moment` stamps the workbook's properties (a reproducible file). The
    workbook is written in openpyxl's write-only mode: large tables stream to disk."""
    workbook = openpyxl.Workbook(write_only=True)
    if cover is not None:
        _cover_sheet(workbook.create_sheet(title=cover.sheet[:31]), cover)
    for table in tables:
        _write_table(workbook.create_sheet(title=table.title[:31]), table)
    if moment is not None:
        stamp = moment.replace(tzinfo=None)
        workbook.properties.created = stamp
        workbook.properties.modified = stamp
    workbook.properties.creator = "pa-ledger"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_xlsx(result: AuditResult, reference: str, path: Path) -> Path:
    """The audit of `reference` as an XLSX workbook at `path`."""
    summary, *tables = export_tables(result, reference)
    cover = Cover(
        sheet="Summary",
        title=f"Audit of authorisation {reference}",
        subtitle="Contrôle des écritures du perfectionnement actif",
        rows=[(SUMMARY_LABELS.get(str(item), str(item)), value, None) for item, value in summary.rows],
        notes=[
            ("Sheets", ", ".join(t.title for t in tables)),
            (
                "Numbers",
                "Quantities exact to the millionth; import goods equivalents with 6 decimals rounded half up; "
                "money in EUR with 2 decimals; times in UTC. Values a spreadsheet cannot show exactly "
                "(more than 15 significant digits) are written as text.",
            ),
        ],
    )
    return write_workbook(tables, path, cover=cover, moment=display.as_datetime(result.as_of_time))
