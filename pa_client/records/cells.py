"""The cells of an entries file as text, before any check: a CSV (UTF-8, a BOM accepted) or the first
sheet of an XLSX workbook, whose cells become the text a CSV would hold, without binary floating
point (see `entries_file`). A CSV cell `'=X` is the text `=X`, as a spreadsheet reads it: the mark our
writers put on text that a spreadsheet would take for a formula (`pa_client.domain.text`)."""

from __future__ import annotations

import csv
import io
import math
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Final

import openpyxl  # type: ignore[import-untyped]

from pa_client.domain.text import from_csv_cell
from pa_client.errors import InputError
from pa_client.records.results import Problem

_EXACT_FLOAT_LIMIT: Final = 2**53
_SPREADSHEET_DECIMALS: Final = 6


@dataclass
class Table:
    """The cells of a file as text, before any check."""

    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    # (row, column index, cell text, message) of spreadsheet cells that cannot be read exactly
    bad_cells: list[tuple[int, int, str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None


def read_csv(path: Path) -> Table:
    data = _read_bytes(path)
    table = Table()
    if data.startswith(b"PK\x03\x04"):
        table.problems.append(
            Problem(path, 1, None, None, "this is a spreadsheet workbook (XLSX), not CSV text: name it .xlsx")
        )
        return table
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
        line = data.count(b"\n", 0, offset) + 1
        table.problems.append(
            Problem(
                path,
                line,
                None,
                None,
                f"not UTF-8 text: byte 0x{data[offset]:02X} at offset {offset} "
                "cannot be read; save the file as CSV UTF-8",
            )
        )
        return table
    reader = csv.reader(io.StringIO(text, newline=""))
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            record = [from_csv_cell(cell) if cell.startswith("'") else cell for cell in cells]
            if number == 1:
                table.header = record
            else:
                table.rows.append((number, record))
    except csv.Error as error:
        reason = str(error)
        if "field larger than field limit" in reason:
            reason = f"a cell holds more than {csv.field_size_limit()} characters"
        table.problems.append(
            Problem(
                path,
                number + 1,
                None,
                None,
                f"not readable as CSV ({reason}); the rest of the file was not read",
            )
        )
    return table


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _excel_text(value: object, number_format: str) -> tuple[str, str | None]:
    """A cell's value as the text a CSV would hold, and why it cannot be read exactly (or None)."""
    if value is None:
        return "", None
    if isinstance(value, str):
        return value, None
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), None
    if isinstance(value, datetime):
        if value.tzinfo is None and value.time() == time(0):
            return value.date().isoformat(), None
        return value.isoformat(), None
    if isinstance(value, date | time):
        return value.isoformat(), None
    if isinstance(value, int):
        number = Decimal(value)
        if value >= 0 and number_format and set(number_format) == {"0"}:
            return str(value).zfill(len(number_format)), None  # leading zeros, e.g. a CN code
    elif isinstance(value, float):
        if not math.isfinite(value):
            return repr(value), "not a finite number"
        if abs(value) >= _EXACT_FLOAT_LIMIT:
            return repr(value), "a spreadsheet number this large is not exact: type it as text"
        number = Decimal(int(value)) if value.is_integer() else Decimal(repr(value))
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -_SPREADSHEET_DECIMALS:
            return (
                _plain(number),
                f"a spreadsheet number with more than {_SPREADSHEET_DECIMALS} decimals cannot be read "
                "exactly: round it in the sheet or type it as text",
            )
    else:
        return str(value), None
    if "%" in number_format:
        return f"{_plain(number * 100)}%", None
    return _plain(number), None


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def read_xlsx(path: Path) -> Table:
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None
    # The file is ours to close: openpyxl leaves it open when a sheet fails half-way through.
    with handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's notes on styles and extensions it skips
        return _read_sheet(path, handle)


def _read_sheet(path: Path, handle: BinaryIO) -> Table:
    table = Table()
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None
    except Exception as error:  # any broken workbook is bad input, never a traceback
        raise InputError(f"{path}: not a readable XLSX workbook ({_one_line(error)})") from None
    try:
        if not workbook.worksheets:
            return table
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store wrong dimensions
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            texts: list[str] = []
            for index, cell in enumerate(cells):
                value = cell.value
                if value is None or type(value) is str:  # the usual cells, quickly
                    texts.append(value or "")
                    continue
                text, problem = _excel_text(value, getattr(cell, "number_format", None) or "General")
                texts.append(text)
                if problem is not None:
                    table.bad_cells.append((number, index, text, problem))
            if number == 1:
                table.header = texts
            else:
                table.rows.append((number, texts))
    except Exception as error:  # a corrupt part of the workbook
        raise InputError(f"{path}: not a readable XLSX workbook ({_one_line(error)})") from None
    finally:
        workbook.close()
    return table
