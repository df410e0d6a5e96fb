"""The audit as a folder of CSV files, one per table (`summary.csv`, `placements.csv`, …).

UTF-8 without BOM, comma-separated, one header row of machine names, `\\n` line ends. Cells are exact
text: decimals keep their scale (quantities and equivalents 6 decimals, money 2; percentages as
stated, e.g. `4.5`), dates ISO 8601, times ISO 8601 in UTC with `Z`, booleans `true`/`false`, an
empty cell for "none". See `pa_client.present.tables` for the columns.

Text that a spreadsheet would read as a formula (a declarant's lot `=HYPERLINK(…)`) starts with a `'`
(`pa_client.domain.text.csv_cell`); numbers are written as numbers, signs and all.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from pa_client.audit.rules.result import AuditResult
from pa_client.domain.text import csv_cell
from pa_client.present.tables import Cell, ExportTable, export_tables


def csv_text(value: Cell) -> str:
    """One cell as exact CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        return f"{abs(value) if value == 0 else value:f}"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # pragma: no cover - the tables never hold one
        raise TypeError("a float reached the CSV writer")
    return csv_cell(str(value))


def write_table(table: ExportTable, path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow([column.name for column in table.columns])
        for row in table.rows:
            writer.writerow([csv_text(value) for value in row])
    return path


def write_csv_folder(result: AuditResult, reference: str, folder: Path) -> Path:
    """Writes one CSV per table of the audit of `reference` into `folder` (created if needed);
    returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in export_tables(result, reference):
        write_table(table, folder / f"{table.name}.csv")
    return folder
