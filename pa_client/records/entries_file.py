"""Reading the entries file a broker or the holder's ERP sends (docs/spec/interfaces.md §1), checked whole.

A CSV (UTF-8, a BOM accepted, comma-separated, one header row) or the first sheet of an XLSX workbook
becomes typed entries (`models`), each with the file rows it came from. Every problem of the file is
reported at once, with its row, column and value, as `Problem`s; nothing raises for bad content.

Rows are spreadsheet rows: the header is row 1, the first data row is row 2 (a CSV record spanning
several lines, in quotes, is one row). Completely empty rows are skipped.

Spreadsheet cells become the text a CSV would hold, without binary floating point: a number cell is
read from its shortest decimal form (refused when that has more than 6 decimals, which a binary
float cannot hold exactly), a percent-formatted cell as its percentage (`3%`), a date cell as an ISO
date, a date-time cell as an ISO date-time (UTC, as a CSV value without offset), and a whole number
formatted with leading zeros (`00000000`, as for CN codes) keeps them.

A processing's rows share `entry_ref`, `authorisation`, `occurred_at` and `site` and follow one
another; its `documents` are those of all its rows.

Lots: a movement, processing, handling or discharge may use a lot that the file does not create (it
may be on the ledger already). `SourcedEntry.needs_lots` / `creates_lots` and `unresolved_lots` tell
the submission step which lots must exist before.
"""

from __future__ import annotations

from pathlib import Path

from pa_client.errors import InputError
from pa_client.records.cells import Table, read_csv, read_xlsx
from pa_client.records.checks import Checker
from pa_client.records.columns import COLUMNS, KINDS, FileEntry
from pa_client.records.limits import LIMITS, FileTooLargeError, Limits, too_many_entries
from pa_client.records.results import EntriesFile, Problem, SourcedEntry, unresolved_lots

__all__ = [
    "COLUMNS",
    "KINDS",
    "LIMITS",
    "EntriesFile",
    "FileEntry",
    "FileTooLargeError",
    "Limits",
    "Problem",
    "SourcedEntry",
    "read_entries",
    "unresolved_lots",
]


def read_entries(path: Path, limits: Limits = LIMITS) -> EntriesFile:
    """The entries of a CSV or XLSX file and every problem found in it (docs/spec/interfaces.md §1).

    Raises InputError only when the file cannot be read at all (missing, not .csv/.xlsx, a broken
    workbook) and FileTooLargeError (an InputError) as soon as it passes one of `limits`
    (records/limits.py); every problem of its content is a `Problem` of the result."""
    suffix = path.suffix.lower()
    watch = _EntryCounter(path, limits.entries) if limits.entries is not None else None
    if suffix == ".csv":
        table = read_csv(path, limits, watch)
    elif suffix in (".xlsx", ".xlsm"):
        table = read_xlsx(path, limits, watch)
    elif suffix == ".xls":
        raise InputError(f"{path}: an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8")
    else:
        raise InputError(f"{path}: an entries file is a .csv or .xlsx file, not '{suffix or path.name}'")
    checker = Checker(path, table)
    entries = [] if table.problems and not table.header else checker.run()
    if table.problems:
        entries = []  # part of the file could not be read: no entry is safe to send
    raw_rows = {number: tuple(cells) for number, cells in table.rows}
    table.rows.clear()  # the cells are kept once, as `raw_rows`, not twice until the table goes
    return EntriesFile(path, entries, checker.problems, tuple(table.header), raw_rows, checker.more_problems)


class _EntryCounter:
    """Counts the entries as the rows come, as the check groups them (a processing's rows share its
    entry_ref and follow one another), and stops the reading at entry `limit` + 1."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.count = 0
        self.columns: tuple[int, int] | None = None
        self.last: tuple[str, str] = ("", "")

    def __call__(self, table: Table, number: int, cells: list[str]) -> None:
        if self.columns is None:
            header = [cell.strip().lower() for cell in table.header]
            if "kind" not in header or "entry_ref" not in header:
                return  # the header is refused by the check, whatever the number of rows
            self.columns = (header.index("kind"), header.index("entry_ref"))
        kind_at, ref_at = self.columns
        kind = cells[kind_at].strip().lower() if kind_at < len(cells) else ""
        ref = cells[ref_at].strip() if ref_at < len(cells) else ""
        same = kind == "processing" and ref != "" and self.last == (kind, ref)
        self.last = (kind, ref)
        if not same:
            self.count += 1
            if self.count > self.limit:
                raise too_many_entries(self.path, self.limit, number)
