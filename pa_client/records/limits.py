"""How much of an entries file the reader takes on. The reader streams (a CSV record, a sheet row at a
time) and refuses a file as soon as it passes a limit, in one line that names the limit and says how
to split the file, so that a huge or hostile file costs seconds and a bounded amount of memory rather
than everything the machine has (docs/reliability.md: a 200 MB CSV used 6.2 GB, a 4.9 MB zip bomb
3.3 GB, before these limits).

The limits leave room for any real file: the largest accepted file (100 000 rows) is checked whole in
about 0.4 GB; `make bench` (benchmarks/bench_files.py) measures it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pa_client.errors import InputError

__all__ = [
    "LIMITS",
    "MAX_CELLS",
    "MAX_PROBLEMS",
    "MAX_RECORD_CHARS",
    "MAX_ROWS",
    "MAX_WORKBOOK_BYTES",
    "FileTooLargeError",
    "Limits",
]

MAX_ROWS: Final = 100_000
"""Rows of entries in one file (empty rows are not counted): four simulation windows of 25 000."""
MAX_CELLS: Final = 64
"""Cells in one row, after its trailing empty ones (an entries file has 21 columns)."""
MAX_RECORD_CHARS: Final = 4 * 1024 * 1024
"""Characters of one CSV record (its cells and separators; a cell holds at most 131 072)."""
MAX_PROBLEMS: Final = 10_000
"""Problems of data rows kept with their row, column and value; those beyond are counted (their rows
are refused all the same). A file that bad needs fixing at its source, not a longer list."""
MAX_WORKBOOK_BYTES: Final = 256 * 1024 * 1024
"""Bytes of an XLSX workbook's parts once uncompressed, as its zip directory declares them (the zip
reader never gives more than declared). A workbook of 100 000 entry rows takes about 100 MB."""


@dataclass(frozen=True)
class Limits:
    rows: int = MAX_ROWS
    cells: int = MAX_CELLS
    record_chars: int = MAX_RECORD_CHARS
    workbook_bytes: int = MAX_WORKBOOK_BYTES
    entries: int | None = None
    """Entries the caller takes at once (a dry run: one simulation window); None for no limit."""


LIMITS: Final = Limits()


class FileTooLargeError(InputError):
    """The file passes one of the reader's limits; nothing of it is used."""


def too_many_rows(path: Path, limit: int, row: int) -> FileTooLargeError:
    return FileTooLargeError(
        f"{path.name} has more than {limit:,} rows of entries (row {row:,} is one too many), the most an "
        f"entries file may hold: split it into files of at most {limit:,} rows, a processing's rows in one "
        "file, and send them in order"
    )


def too_many_entries(path: Path, limit: int, row: int) -> FileTooLargeError:
    return FileTooLargeError(
        f"{path.name} has more than {limit:,} entries (row {row:,} starts entry {limit + 1:,}) and a dry run "
        f"checks at most {limit:,} at once: split it into files of at most {limit:,} entries, a processing's "
        "rows in one file, and check them in order"
    )


def too_many_cells(path: Path, limit: int, row: int, cells: int) -> FileTooLargeError:
    return FileTooLargeError(
        f"{path.name}: row {row:,} has {cells:,} cells and an entries file has at most {limit:,} in a row (it "
        "has 21 columns): remove the extra columns"
    )


def record_too_long(path: Path, limit: int, row: int) -> FileTooLargeError:
    return FileTooLargeError(
        f"{path.name}: row {row:,} holds more than {limit:,} characters, the most a row of an entries file "
        "may hold (is it an entries file?): fix or remove that row"
    )


def workbook_too_large(path: Path, limit: int, size: int, biggest: str) -> FileTooLargeError:
    return FileTooLargeError(
        f"{path.name} holds {size:,} bytes once uncompressed ({biggest}) and an entries workbook may hold at "
        f"most {limit:,}: split it into workbooks of at most {MAX_ROWS:,} rows, or save it as CSV UTF-8"
    )
