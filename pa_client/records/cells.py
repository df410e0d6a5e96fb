"""The cells of an entries file as text, before any check: a CSV (UTF-8, a BOM accepted) or the first
sheet of an XLSX workbook, whose cells become the text a CSV would hold, without binary floating
point (see `entries_file`)."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import math
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Final

import openpyxl  # type: ignore[import-untyped]

from pa_client.domain.text import from_csv_cell
from pa_client.errors import InputError
from pa_client.records.limits import (
    LIMITS,
    Limits,
    record_too_long,
    too_many_cells,
    too_many_rows,
    workbook_too_large,
)
from pa_client.records.results import Problem

_EXACT_FLOAT_LIMIT: Final = 2**53
_SPREADSHEET_DECIMALS: Final = 6


Watch = Callable[["Table", int, list[str]], None]
"""Called with each non-empty data row as it is read; raises FileTooLargeError to stop reading."""


@dataclass
class Table:
    """The cells of a file as text, before any check."""

    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    # (row, column index, cell text, message) of spreadsheet cells that cannot be read exactly
    bad_cells: list[tuple[int, int, str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: Path, number: int, cells: list[str], limits: Limits, watch: Watch | None) -> None:
        """Row `number` of the file (1: the header), held only if it has a cell; refuses the file as
        soon as a row has too many cells or there are too many rows."""
        while cells and not cells[-1]:
            cells.pop()  # trailing empty cells say nothing (spreadsheets leave many)
        if len(cells) > limits.cells:
            raise too_many_cells(path, limits.cells, number, len(cells))
        if number == 1:
            self.header = cells
            return
        if not "".join(cells).strip():
            return  # an empty row is skipped by the check as well
        if len(self.rows) >= limits.rows:
            raise too_many_rows(path, limits.rows, number)
        if watch is not None:
            watch(self, number, cells)
        self.rows.append((number, cells))


def read_csv(path: Path, limits: Limits = LIMITS, watch: Watch | None = None) -> Table:
    """The file's records, read one at a time from the disk (never the whole file at once)."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None
    with handle:
        table = Table()
        if handle.read(4) == b"PK\x03\x04":
            table.problems.append(
                Problem(
                    path, 1, None, None, "this is a spreadsheet workbook (XLSX), not CSV text: name it .xlsx"
                )
            )
            return table
        handle.seek(0)
        # newline="": the csv module sees line ends as they are (a quoted cell may hold one).
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        lines = _Lines(text, limits.record_chars)
        number = 0
        try:
            for number, record in enumerate(csv.reader(lines), start=1):
                lines.used = 0  # the next record starts
                # A cell a CSV writer of ours marked as text (a leading ' before =, +, -, @) reads back as written.
                cells = [from_csv_cell(cell) if cell.startswith("'") else cell for cell in record]
                table.add(path, number, cells, limits, watch)
        except _RecordTooLongError:
            raise record_too_long(path, limits.record_chars, number + 1) from None
        except UnicodeDecodeError:
            return _not_utf8(path, handle)
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
        finally:
            text.detach()  # the handle is closed by its own `with`
    return table


class _RecordTooLongError(Exception):
    pass


class _Lines:
    """The text's lines for the csv reader, refusing a record (its lines since `used` was reset) longer
    than `limit` characters: a line, or a quoted cell, of gigabytes never reaches memory whole."""

    def __init__(self, text: io.TextIOWrapper, limit: int) -> None:
        self.text = text
        self.limit = limit
        self.used = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.text.readline(self.limit + 1 - self.used)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > self.limit:
            raise _RecordTooLongError
        return line


def _not_utf8(path: Path, handle: BinaryIO) -> Table:
    """The problem of a file that is not UTF-8: where its first bad byte is, found by decoding it again
    a block at a time (the text reader does not say where in the file it stopped)."""
    handle.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0  # of the block in the file
    lines = 0  # line ends before the block
    message = "not UTF-8 text; save the file as CSV UTF-8"
    line = 1
    while block := handle.read(1 << 20):
        try:
            decoder.decode(block)
        except UnicodeDecodeError as error:
            # The decoder's object is the bytes it kept from the block before (an unfinished character,
            # no line end), then this block.
            at = offset - (len(error.object) - len(block)) + error.start
            line = lines + 1 + block[: max(0, at - offset)].count(b"\n")
            message = (
                f"not UTF-8 text: byte 0x{error.object[error.start]:02X} at offset {at} cannot be read; "
                "save the file as CSV UTF-8"
            )
            break
        offset += len(block)
        lines += block.count(b"\n")
    else:
        with contextlib.suppress(UnicodeDecodeError):
            decoder.decode(b"", final=True)
        message = (
            f"not UTF-8 text: the file ends within a character (offset {offset}); save the file as CSV UTF-8"
        )
        line = lines + 1
    table = Table()
    table.problems.append(Problem(path, line, None, None, message))
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


def read_xlsx(path: Path, limits: Limits = LIMITS, watch: Watch | None = None) -> Table:
    """The first sheet's rows, streamed (openpyxl's read-only mode), once the workbook's declared size
    is known to be within the limit."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None
    # The file is ours to close: openpyxl leaves it open when a sheet fails half-way through.
    with handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's notes on styles and extensions it skips
        _check_size(path, handle, limits)
        return _read_sheet(path, handle, limits, watch)


def _check_size(path: Path, handle: BinaryIO, limits: Limits) -> None:
    """Refuses a workbook whose parts, uncompressed, would pass the limit: a zip bomb (a few MB that
    inflate to gigabytes of sheet) is refused from its zip directory, before any part is inflated.
    The sizes are the declared ones; Python's zip reader never inflates a part beyond its declared size
    (it stops there and fails the part's checksum), so they bound what openpyxl can be given."""
    try:
        with zipfile.ZipFile(handle) as archive:
            parts = [(item.file_size, item.filename) for item in archive.infolist()]
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
        # Not a zip file, or one Python cannot read (a "version needed to extract" it lacks, found by
        # the fuzzing): openpyxl, which reads through the same module, says so in its own words.
        return
    finally:
        handle.seek(0)
    total = sum(size for size, _ in parts)
    if total > limits.workbook_bytes:
        size, name = max(parts)
        raise workbook_too_large(path, limits.workbook_bytes, total, f"{name}: {size:,} bytes")


def _read_sheet(path: Path, handle: BinaryIO, limits: Limits, watch: Watch | None) -> Table:
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
            table.add(path, number, texts, limits, watch)
    except InputError:
        raise  # a limit passed: said in its own words
    except Exception as error:  # a corrupt part of the workbook
        raise InputError(f"{path}: not a readable XLSX workbook ({_one_line(error)})") from None
    finally:
        workbook.close()
    return table
