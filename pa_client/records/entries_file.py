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

import csv
import difflib
import io
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Final

import openpyxl  # type: ignore[import-untyped]
from pydantic import BaseModel, TypeAdapter, ValidationError

from pa_client.domain.models import (
    Correction,
    Discharge,
    DischargeMode,
    EntryBase,
    Handling,
    Moment,
    Movement,
    Placement,
    Processing,
)
from pa_client.errors import InputError

__all__ = [
    "COLUMNS",
    "KINDS",
    "EntriesFile",
    "FileEntry",
    "Problem",
    "SourcedEntry",
    "read_entries",
    "unresolved_lots",
]

FileEntry = Placement | Movement | Processing | Handling | Discharge | Correction

COLUMNS: Final[tuple[str, ...]] = (
    "entry_ref",
    "kind",
    "authorisation",
    "occurred_at",
    "line",
    "lot",
    "goods_code",
    "description",
    "quantity",
    "unit",
    "site",
    "to_site",
    "declaration",
    "procedure",
    "mode",
    "customs_value",
    "duty_rate",
    "origin",
    "documents",
    "corrects",
    "reason",
)
KINDS: Final[tuple[str, ...]] = ("placement", "movement", "processing", "handling", "discharge", "correction")
LINES: Final[tuple[str, ...]] = ("in", "out")
MODES: Final[tuple[str, ...]] = tuple(mode.value for mode in DischargeMode)

_EVERY_ROW: Final = ("entry_ref", "kind", "authorisation", "occurred_at")
_ANY_ROW: Final = frozenset((*_EVERY_ROW, "documents"))
_SHOWN_LENGTH: Final = 80
_EXACT_FLOAT_LIMIT: Final = 2**53
_SPREADSHEET_DECIMALS: Final = 6


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Problem:
    """One problem of the file. `str()`: ``file:row: column 'x' = 'value': what is wrong``, or
    ``file:row: column 'x' is required for a placement`` when `value` is None (`message` then starts
    with a verb), or ``file:row: message`` for a problem of no single column."""

    file: Path
    row: int
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}:"
        if self.column is None:
            return f"{where} {self.message}"
        if self.value is None:
            return f"{where} column '{self.column}' {self.message}"
        return f"{where} column '{self.column}' = '{_shown(self.value)}': {self.message}"


@dataclass(frozen=True)
class SourcedEntry:
    """An entry and the file rows it came from (a processing: all its rows, in file order;
    `input_rows` / `output_rows` align with its `inputs` / `outputs`)."""

    entry: FileEntry
    rows: tuple[int, ...]
    input_rows: tuple[int, ...] = ()
    output_rows: tuple[int, ...] = ()

    @property
    def row(self) -> int:
        """The first row of the entry."""
        return self.rows[0]

    @property
    def needs_lots(self) -> tuple[str, ...]:
        """Lots that must exist (on the ledger or created earlier) for this entry."""
        entry = self.entry
        if isinstance(entry, Processing):
            return tuple(item.lot for item in entry.inputs)
        if isinstance(entry, Movement | Handling | Discharge):
            return (entry.lot,)
        return ()

    @property
    def creates_lots(self) -> tuple[str, ...]:
        """Lots this entry creates: a placement's lot, a processing's output lots."""
        entry = self.entry
        if isinstance(entry, Processing):
            return tuple(item.lot for item in entry.outputs)
        if isinstance(entry, Placement):
            return (entry.lot,)
        return ()

    def needed_lot_rows(self) -> tuple[tuple[str, int], ...]:
        """Each needed lot with the row that names it."""
        if isinstance(self.entry, Processing):
            return tuple(zip(self.needs_lots, self.input_rows, strict=True))
        return tuple((lot, self.row) for lot in self.needs_lots)


@dataclass
class EntriesFile:
    """What `read_entries` found: the valid entries in file order, and every problem. With
    problems, `entries` holds only the entries whose rows have none (for a skip-bad-rows mode);
    `header` and `raw_rows` (cell texts by row) allow writing the rejected rows back."""

    path: Path
    entries: list[SourcedEntry]
    problems: list[Problem]
    header: tuple[str, ...] = ()
    raw_rows: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def rejected_rows(self) -> list[int]:
        """Data rows that gave no entry (their own or their entry's problems)."""
        used = {row for sourced in self.entries for row in sourced.rows}
        return sorted(row for row in self.raw_rows if row not in used)

    def raise_if_problems(self) -> None:
        """InputError listing every problem, one per line, after a first line with their count."""
        if not self.problems:
            return
        count = len(self.problems)
        lines = [f"{count} problem{'' if count == 1 else 's'} found in {self.path}:"]
        lines.extend(str(problem) for problem in self.problems)
        raise InputError("\n".join(lines))


def unresolved_lots(entries: Iterable[SourcedEntry]) -> dict[tuple[str, str], int]:
    """Lots that entries need before the file creates them, as (authorisation, lot) → the first row
    that needs them. These must already be on the ledger."""
    created: set[tuple[str, str]] = set()
    unresolved: dict[tuple[str, str], int] = {}
    for sourced in entries:
        authorisation = sourced.entry.authorisation
        for lot, row in sourced.needed_lot_rows():
            key = (authorisation, lot)
            if key not in created and key not in unresolved:
                unresolved[key] = row
        created.update((authorisation, lot) for lot in sourced.creates_lots)
    return unresolved


# ---------------------------------------------------------------- what each kind of row uses


@dataclass(frozen=True)
class _Role:
    """What one kind of row needs and may hold."""

    name: str  # how the "used by" hints name it
    phrase: str  # "a placement"
    required: frozenset[str]
    optional: frozenset[str]
    allowed: frozenset[str]
    ordered: tuple[str, ...]  # the required columns in file order


def _role(name: str, phrase: str, required: str, optional: str = "") -> _Role:
    needed, possible = frozenset(required.split()), frozenset(optional.split())
    ordered = tuple(column for column in COLUMNS if column in needed)
    return _Role(name, phrase, needed, possible, _ANY_ROW | needed | possible, ordered)


_ROLES: Final[dict[str, _Role]] = {
    "placement": _role(
        "placement",
        "a placement",
        "lot goods_code description quantity unit site declaration customs_value duty_rate origin",
        "procedure",
    ),
    "movement": _role("movement", "a movement", "lot quantity site to_site"),
    "in": _role("processing input", "a processing input (line = in)", "line lot quantity site"),
    "out": _role(
        "processing output",
        "a processing output (line = out)",
        "line lot goods_code description quantity unit site",
    ),
    "handling": _role("handling", "a handling", "lot goods_code"),
    "discharge": _role("discharge", "a discharge", "lot quantity site mode", "declaration procedure"),
    "correction": _role("correction", "a correction", "corrects reason"),
}
# A processing row whose line is unknown: only what every processing row has is checked.
_PROCESSING_ANY_LINE: Final = _role(
    "processing", "a processing", "line site", "lot goods_code description quantity unit"
)
_UNKNOWN_KIND: Final = _role("", "every entry", "", " ".join(COLUMNS))


def _users(column: str) -> str:
    names = [role.name for role in _ROLES.values() if column in role.required | role.optional]
    if "processing input" in names and "processing output" in names:
        names[names.index("processing input")] = "processing"
        names.remove("processing output")
    return ", ".join(names)


_USERS: Final[dict[str, str]] = {column: _users(column) for column in COLUMNS}
_MODELS: Final[dict[str, type[BaseModel]]] = {
    "placement": Placement,
    "movement": Movement,
    "handling": Handling,
    "discharge": Discharge,
    "correction": Correction,
}
# Model-level rules and the column they concern.
_MODEL_RULE_COLUMN: Final[dict[str, str]] = {"movement": "to_site", "discharge": "declaration"}
_MOMENT: Final = TypeAdapter(Moment)
_NOT_A_NUMBER: Final = frozenset(("not a decimal number", "not a plain decimal number"))


# ---------------------------------------------------------------- reading cells


@dataclass
class _Table:
    """The cells of a file as text, before any check."""

    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    # (row, column index, cell text, message) of spreadsheet cells that cannot be read exactly
    bad_cells: list[tuple[int, int, str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _shown(value: str) -> str:
    text = value.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None


def _read_csv(path: Path) -> _Table:
    data = _read_bytes(path)
    table = _Table()
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
        for number, record in enumerate(reader, start=1):
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


def _read_xlsx(path: Path) -> _Table:
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputError(f"{path}: cannot read the file: {error.strerror or error}") from None
    # The file is ours to close: openpyxl leaves it open when a sheet fails half-way through.
    with handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl's notes on styles and extensions it skips
        return _read_sheet(path, handle)


def _read_sheet(path: Path, handle: BinaryIO) -> _Table:
    table = _Table()
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


# ---------------------------------------------------------------- checking


def _word(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


_MODE_SPELLINGS: Final[dict[str, str]] = {mode.replace("_", ""): mode for mode in MODES}


def _mode(text: str) -> str:
    """A discharge mode as people write it: `Free circulation`, `re-export`, `REEXPORT`."""
    word = _word(text)
    return _MODE_SPELLINGS.get(word.replace("_", ""), word)


# Column names people use for ours.
_COLUMN_ALIASES: Final[dict[str, str]] = {
    "ref": "entry_ref",
    "reference": "entry_ref",
    "type": "kind",
    "date": "occurred_at",
    "datetime": "occurred_at",
    "qty": "quantity",
    "uom": "unit",
    "cn": "goods_code",
    "cn_code": "goods_code",
    "hs_code": "goods_code",
    "commodity_code": "goods_code",
    "mrn": "declaration",
    "value": "customs_value",
    "duty": "duty_rate",
    "country": "origin",
    "from_site": "site",
    "destination": "to_site",
}


def _suggestion(word: str, choices: Sequence[str], aliases: dict[str, str] | None = None) -> str:
    meant = (aliases or {}).get(word.replace(" ", "_"))
    if meant is None:
        close = difflib.get_close_matches(word, choices, n=1, cutoff=0.7)
        meant = close[0] if close else None
    return f" (did you mean '{meant}'?)" if meant else ""


def _pydantic_message(error: Any, column: str | None) -> str:
    """Our wording for a pydantic error; pydantic's own never reaches people."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "string_too_long":
        return f"too long: at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        if column == "documents":
            return "not a SHA-256 digest (64 hexadecimal characters; ';' between digests)"
        return "must be a single line of text"
    if kind == "enum" and column == "mode":
        return f"unknown mode; the modes are {', '.join(MODES)}"
    return "not a valid value"


# Where a model's error belongs: (row, column, raw value, what the row is), or None to skip it.
_Place = Callable[[tuple[Any, ...]], tuple[int, str, str | None, str] | None]


@dataclass
class _Row:
    number: int
    values: dict[str, str]  # the non-empty cells by column, trimmed
    role: _Role
    kind: str | None = None
    broken: set[str] = field(default_factory=set)  # cells already reported as unreadable
    documents: list[str] = field(default_factory=list)


@dataclass
class _Group:
    """The rows of one entry (several for a processing)."""

    rows: list[_Row]

    @property
    def first(self) -> _Row:
        return self.rows[0]

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(row.number for row in self.rows)


class _Checker:
    def __init__(self, path: Path, table: _Table) -> None:
        self.path = path
        self.table = table
        self.problems: list[Problem] = list(table.problems)
        self.bad_rows: set[int] = set()
        self.reported: set[tuple[int, str | None]] = set()
        self.columns: dict[str, int] = {}
        self.absent_needed: dict[str, list[tuple[int, str]]] = {}
        self.unnamed = [index for index, cell in enumerate(table.header) if not cell.strip()]

    def add(self, row: int, column: str | None, value: str | None, message: str) -> None:
        self.problems.append(Problem(self.path, row, column, value, message))
        self.reported.add((row, column))
        if row > 1:
            self.bad_rows.add(row)

    # ------------------------------------------------------------ header

    def check_header(self) -> bool:
        """Maps the columns; False when the header is unusable (and said so)."""
        header = [cell.strip().lower() for cell in self.table.header]
        if not any(header):
            if not self.table.rows:
                self.add(
                    1,
                    None,
                    None,
                    f"the file is empty; its first row names the columns ({', '.join(COLUMNS)})",
                )
            else:
                self.add(
                    1, None, None, f"the first row is empty; it must name the columns ({', '.join(COLUMNS)})"
                )
            return False
        if not any(name in COLUMNS for name in header):
            joined = ",".join(self.table.header)
            for separator, name in ((";", "semicolons"), ("\t", "tabs")):
                if separator in joined:
                    self.add(
                        1, None, None, f"the columns are separated by {name}: save the file comma-separated"
                    )
                    return False
            self.add(
                1,
                None,
                None,
                f"the first row does not name the columns ({', '.join(COLUMNS)}); it holds '{_shown(joined)}'",
            )
            return False
        for index, name in enumerate(header):
            if not name:
                continue
            if name not in COLUMNS:
                hint = (
                    _suggestion(name, COLUMNS, _COLUMN_ALIASES) or f"; the columns are {', '.join(COLUMNS)}"
                )
                self.add(1, name, None, f"is unknown{hint}")
            elif name in self.columns:
                self.add(1, name, None, f"appears twice (columns {self.columns[name] + 1} and {index + 1})")
            else:
                self.columns[name] = index
        for name in _EVERY_ROW:
            if name not in self.columns:
                self.add(1, name, None, "is missing; every row needs it")
        return True

    # ------------------------------------------------------------ one row

    def read_row(self, number: int, cells: list[str], bad_cells: dict[int, tuple[str, str]]) -> _Row | None:
        if not "".join(cells).strip():
            return None
        unnamed = [*self.unnamed, *range(len(self.table.header), len(cells))]
        for index in unnamed:
            cell = cells[index] if index < len(cells) else ""
            if cell.strip():
                self.add(
                    number,
                    None,
                    cell,
                    f"column {index + 1} has no name in the header row but holds '{_shown(cell.strip())}'",
                )
        values: dict[str, str] = {}
        broken: set[str] = set()
        for name, index in self.columns.items():
            if index < len(cells):
                value = cells[index].strip()
                if value:
                    values[name] = value
                if index in bad_cells:
                    text, message = bad_cells[index]
                    self.add(number, name, text, message)
                    broken.add(name)
        row = _Row(number, values, _UNKNOWN_KIND, broken=broken)
        self.classify(row)
        self.check_fields(row)
        return row

    def classify(self, row: _Row) -> None:
        text = row.values.get("kind")
        if text is None:
            return
        kind = _word(text)
        if kind == "extension":
            self.add(
                row.number,
                "kind",
                text,
                "deadline extensions are recorded by customs with 'pa extend', not in an entries file",
            )
            return
        if kind not in KINDS:
            hint = _suggestion(kind, KINDS)
            self.add(row.number, "kind", text, f"unknown kind{hint}; the kinds are {', '.join(KINDS)}")
            return
        row.kind = kind
        if kind != "processing":
            row.role = _ROLES[kind]
            return
        row.role = _PROCESSING_ANY_LINE
        line_text = row.values.get("line")
        if line_text is None:
            return  # reported as required
        line = _word(line_text)
        if line in LINES:
            row.role = _ROLES[line]
        else:
            self.add(
                row.number,
                "line",
                line_text,
                "unknown line; a processing row is 'in' (an input) or 'out' (an output)",
            )

    def require(self, row: _Row, column: str, phrase: str) -> None:
        if column in row.values or column in row.broken:
            return
        if column in self.columns:
            self.add(row.number, column, None, f"is required for {phrase}")
        elif column not in _EVERY_ROW:  # those are reported once, on the header
            self.absent_needed.setdefault(column, []).append((row.number, phrase))
            self.bad_rows.add(row.number)
        else:
            self.bad_rows.add(row.number)

    def check_fields(self, row: _Row) -> None:
        role = row.role
        for column in _EVERY_ROW:
            self.require(row, column, role.phrase)
        for column in role.ordered:
            self.require(row, column, role.phrase)
        for column, value in row.values.items():
            if column not in role.allowed:
                self.add(
                    row.number,
                    column,
                    value,
                    f"not used by {role.phrase}; leave it empty (it is for {_USERS[column]})",
                )
        if "mode" in row.values and "mode" in role.allowed:
            mode = _mode(row.values["mode"])
            if mode in MODES:
                if DischargeMode(mode).needs_declaration:
                    self.require(row, "declaration", f"a discharge by {mode}")
            else:
                hint = _suggestion(mode, MODES)
                self.add(
                    row.number,
                    "mode",
                    row.values["mode"],
                    f"unknown mode{hint}; the modes are {', '.join(MODES)}",
                )
        if "procedure" in row.values and "procedure" in role.allowed:
            procedure = row.values["procedure"]
            if not (len(procedure) == 4 and procedure.isascii() and procedure.isdigit()):
                self.add(
                    row.number, "procedure", procedure, "a procedure code has 4 digits (e.g. 5100, 3151)"
                )
            elif row.kind == "placement" and not procedure.startswith("51"):
                self.add(
                    row.number, "procedure", procedure, "a placement is under procedure 51xx (5100 to 5199)"
                )
        if "documents" in row.values:
            row.documents = [part.strip() for part in row.values["documents"].split(";") if part.strip()]

    # ------------------------------------------------------------ entries

    def model_data(self, row: _Row, columns: Iterable[str]) -> dict[str, Any]:
        """The model's input from a row's cells: the allowed, readable, given ones."""
        data: dict[str, Any] = {}
        for column in columns:
            if column not in row.values or column == "kind" or (row.number, column) in self.reported:
                continue  # not given, or already reported (unreadable cell, unknown mode, …)
            value: Any = row.values[column]
            if column == "documents":
                value = row.documents
            elif column == "mode":
                value = _mode(value)
            elif column == "line":
                continue
            elif column == "duty_rate" and value.endswith("%"):
                value = value[:-1].strip()
            elif column == "procedure":
                if not value.isdigit():
                    continue  # reported
                value = int(value)
            data[column] = value
        return data

    def report(self, error: ValidationError, place: _Place, rule_place: tuple[_Row, str | None]) -> None:
        """Translates a model's errors into problems; `place(loc)` gives (row, column, value)."""
        for item in error.errors():
            loc = tuple(item["loc"])
            if not loc:
                row, column = rule_place
                if column is not None and (
                    (row.number, column) in self.reported or column not in self.columns
                ):
                    continue  # said already, on the row or on the header
                value = row.values.get(column) if column else None
                message = _pydantic_message(item, column)
                if value is None:
                    self.add(row.number, None, None, message)
                else:
                    self.add(row.number, column, value, message)
                continue
            located = place(loc)
            if located is None:
                continue
            row_number, column, value, phrase = located
            if item["type"] == "missing":
                if (row_number, column) in self.reported or column not in self.columns:
                    continue
                self.add(row_number, column, None, f"is required for {phrase}")
                continue
            message = _pydantic_message(item, column)
            if value is not None and "," in value and message in _NOT_A_NUMBER:
                message += "; write numbers with a decimal point and no thousands separator (e.g. 1234.5)"
            self.add(row_number, column, value, message)

    def build_single(self, row: _Row) -> FileEntry | None:
        model: type[BaseModel] = EntryBase if row.kind is None else _MODELS[row.kind]
        columns = _ANY_ROW if row.kind is None else row.role.allowed
        data = self.model_data(row, columns)

        def place(loc: tuple[Any, ...]) -> tuple[int, str, str | None, str] | None:
            column = str(loc[0])
            if column == "documents" and len(loc) > 1 and isinstance(loc[1], int):
                return row.number, column, row.documents[loc[1]], row.role.phrase
            return row.number, column, row.values.get(column), row.role.phrase

        try:
            entry = model.model_validate(data)
        except ValidationError as error:
            self.report(error, place, (row, _MODEL_RULE_COLUMN.get(row.kind or "")))
            return None
        if isinstance(entry, Placement | Movement | Handling | Discharge | Correction):
            return entry
        return None  # a row of unknown kind: only its common fields were checked

    def build_processing(self, group: _Group) -> Processing | None:
        first = group.first
        header: dict[str, tuple[_Row, str]] = {}
        for row in group.rows:
            for column in ("authorisation", "occurred_at", "site"):
                value = row.values.get(column)
                if value is None or column in row.broken:
                    continue
                if column not in header:
                    header[column] = (row, value)
                    continue
                origin, expected = header[column]
                if value == expected:
                    continue
                if column == "occurred_at":
                    try:
                        same = _MOMENT.validate_python(value) == _MOMENT.validate_python(expected)
                    except ValidationError as error:
                        self.add(row.number, column, value, _pydantic_message(error.errors()[0], column))
                        continue
                    if same:
                        continue
                self.add(
                    row.number,
                    column,
                    value,
                    f"differs from '{_shown(expected)}' on row {origin.number}; "
                    f"the rows of processing '{first.values.get('entry_ref', '')}' share it",
                )
        inputs = [row for row in group.rows if row.role is _ROLES["in"]]
        outputs = [row for row in group.rows if row.role is _ROLES["out"]]
        if "entry_ref" in first.values and all(row.role is not _PROCESSING_ANY_LINE for row in group.rows):
            for rows, word, line in ((inputs, "input", "in"), (outputs, "output", "out")):
                if not rows:
                    self.add(
                        first.number,
                        None,
                        None,
                        f"processing '{first.values.get('entry_ref', '')}' has no {word} row (line = {line}); "
                        "it needs at least one input and one output",
                    )
        documents: list[tuple[str, _Row]] = []
        for row in group.rows:
            for digest in row.documents:
                if digest not in (known for known, _ in documents):
                    documents.append((digest, row))
        data: dict[str, Any] = {"entry_ref": first.values.get("entry_ref")}
        for column, (_origin, value) in header.items():
            data[column] = value
        data = {key: value for key, value in data.items() if value is not None}
        data["documents"] = [digest for digest, _ in documents]
        data["inputs"] = [self.model_data(row, ("lot", "quantity")) for row in inputs]
        data["outputs"] = [
            self.model_data(row, ("lot", "goods_code", "description", "quantity", "unit")) for row in outputs
        ]

        def place(loc: tuple[Any, ...]) -> tuple[int, str, str | None, str] | None:
            column = str(loc[0])
            if column in ("inputs", "outputs"):
                if len(loc) < 3:
                    return None  # no input or output row: reported above
                row = (inputs if column == "inputs" else outputs)[loc[1]]
                return row.number, str(loc[2]), row.values.get(str(loc[2])), row.role.phrase
            if column == "documents" and len(loc) > 1 and isinstance(loc[1], int):
                digest, row = documents[loc[1]]
                return row.number, column, digest, row.role.phrase
            row = header[column][0] if column in header else first
            return row.number, column, row.values.get(column), "a processing"

        try:
            return Processing.model_validate(data)
        except ValidationError as error:
            self.report(error, place, (first, None))
            return None

    def check_references(
        self, group: _Group, refs: dict[tuple[str, str], _Group], lots: dict[tuple[str, str], int]
    ) -> None:
        """Duplicate entry_ref within an authorisation; a lot created twice in the file."""
        first = group.first
        authorisation = first.values.get("authorisation")
        entry_ref = first.values.get("entry_ref")
        if authorisation is None or first.kind is None:
            return
        if entry_ref is not None:
            key = (authorisation, entry_ref)
            earlier = refs.get(key)
            if earlier is None:
                refs[key] = group
            else:
                hint = ""
                if earlier.first.kind == "processing" and first.kind == "processing":
                    hint = " (the rows of one processing follow one another)"
                self.add(
                    first.number,
                    "entry_ref",
                    entry_ref,
                    f"already used on row {earlier.first.number} for authorisation '{authorisation}'; "
                    f"an entry_ref is unique within its authorisation{hint}",
                )
        for row in group.rows:
            if row.role not in (_ROLES["placement"], _ROLES["out"]):
                continue
            lot = row.values.get("lot")
            if lot is None:
                continue
            key = (authorisation, lot)
            if key in lots:
                self.add(
                    row.number,
                    "lot",
                    lot,
                    f"lot already created on row {lots[key]} for authorisation '{authorisation}'; a lot is created once",
                )
            else:
                lots[key] = row.number

    def run(self) -> list[SourcedEntry]:
        if not self.check_header():
            return []
        bad_cells: dict[int, dict[int, tuple[str, str]]] = {}
        for number, index, text, message in self.table.bad_cells:
            bad_cells.setdefault(number, {})[index] = (text, message)
        groups: list[_Group] = []
        for number, cells in self.table.rows:
            row = self.read_row(number, cells, bad_cells.get(number, {}))
            if row is None:
                continue
            last = groups[-1].first if groups else None
            if (
                row.kind == "processing"
                and last is not None
                and last.kind == "processing"
                and "entry_ref" in row.values
                and row.values["entry_ref"] == last.values.get("entry_ref")
            ):
                groups[-1].rows.append(row)
            else:
                groups.append(_Group([row]))
        if not groups and not self.problems:
            self.add(2, None, None, "the file has a header row but no entries")
        for column, needing in self.absent_needed.items():
            row_number, phrase = needing[0]
            others = len(needing) - 1
            if others == 0:
                who = f"{phrase} on row {row_number} needs it"
            else:
                who = f"{phrase} on row {row_number} and {others} more row{'s' if others > 1 else ''} need it"
            self.add(1, column, None, f"is missing; {who}")
        built: list[tuple[_Group, FileEntry]] = []
        refs: dict[tuple[str, str], _Group] = {}
        lots: dict[tuple[str, str], int] = {}
        for group in groups:
            entry = (
                self.build_processing(group)
                if group.first.kind == "processing"
                else self.build_single(group.first)
            )
            self.check_references(group, refs, lots)
            if entry is not None:
                built.append((group, entry))
        entries: list[SourcedEntry] = []
        for group, entry in built:
            if self.bad_rows.intersection(group.numbers):
                continue
            if isinstance(entry, Processing):
                entries.append(
                    SourcedEntry(
                        entry,
                        group.numbers,
                        tuple(row.number for row in group.rows if row.role is _ROLES["in"]),
                        tuple(row.number for row in group.rows if row.role is _ROLES["out"]),
                    )
                )
            else:
                entries.append(SourcedEntry(entry, group.numbers))
        self.problems.sort(key=lambda problem: problem.row)
        return entries


def read_entries(path: Path) -> EntriesFile:
    """The entries of a CSV or XLSX file and every problem found in it (docs/spec/interfaces.md §1).

    Raises InputError only when the file cannot be read at all (missing, not .csv/.xlsx, a broken
    workbook); every problem of its content is a `Problem` of the result."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        table = _read_xlsx(path)
    elif suffix == ".xls":
        raise InputError(f"{path}: an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8")
    else:
        raise InputError(f"{path}: an entries file is a .csv or .xlsx file, not '{suffix or path.name}'")
    checker = _Checker(path, table)
    entries = [] if table.problems and not table.header else checker.run()
    if table.problems:
        entries = []  # part of the file could not be read: no entry is safe to send
    return EntriesFile(
        path,
        entries,
        checker.problems,
        tuple(table.header),
        {number: tuple(cells) for number, cells in table.rows if any(cell.strip() for cell in cells)},
    )
