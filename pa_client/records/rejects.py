"""The rejects file of `pa submit --on-error skip`: the refused rows as they were, with why.

A cell that a spreadsheet would read as a formula is written with a leading `'`
(`pa_client.domain.text.csv_cell`), which the entries reader takes off again: the file opens safely
and, fixed, is sent back as it was refused."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from pa_client.domain.text import csv_cell
from pa_client.records.entries_file import EntriesFile

REASON_COLUMN = "rejected_because"


def rejects_path(source: Path) -> Path:
    """`season.csv` → `season.rejects.csv`, next to the input (CSV whatever the input's format)."""
    return source.with_name(f"{source.stem}.rejects.csv")


def write_rejects(file: EntriesFile, reasons: Mapping[int, list[str]]) -> Path | None:
    """Writes the rows named in `reasons` (row → reasons) with a last column saying why; None when
    there is nothing to write. Rows keep their file order; re-sending the fixed file is safe."""
    if not reasons:
        return None
    path = rejects_path(file.path)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([csv_cell(cell) for cell in (*file.header, REASON_COLUMN, "source_row")])
        for row in sorted(reasons):
            cells = list(file.raw_rows.get(row, ()))
            cells += [""] * (len(file.header) - len(cells))
            writer.writerow([csv_cell(cell) for cell in (*cells, "; ".join(reasons[row]), str(row))])
    return path
