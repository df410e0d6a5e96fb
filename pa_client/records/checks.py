"""Checking an entries file whole: each row against what its kind needs, each cell against its
column, a processing's rows together, then the file's own consistency (references, lots), every
problem kept with its row, column and value."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, TypeAdapter, ValidationError

from pa_client.contract.reverts import not_correctable
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
from pa_client.domain.text import text_problem
from pa_client.records.cells import Table
from pa_client.records.columns import (
    ANY_ROW,
    COLUMNS,
    EVERY_ROW,
    KINDS,
    LINES,
    MODEL_RULE_COLUMN,
    MODELS,
    MODES,
    PROCESSING_ANY_LINE,
    ROLES,
    UNKNOWN_KIND,
    USERS,
    FileEntry,
    Role,
)
from pa_client.records.limits import MAX_PROBLEMS
from pa_client.records.results import Problem, SourcedEntry, shown

_MOMENT: Final = TypeAdapter(Moment)
_NOT_A_NUMBER: Final = frozenset(("not a decimal number", "not a plain decimal number"))


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
    role: Role
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


class Checker:
    def __init__(self, path: Path, table: Table) -> None:
        self.path = path
        self.table = table
        self.problems: list[Problem] = list(table.problems)
        self.more_problems = 0  # found beyond MAX_PROBLEMS, counted only
        self.bad_rows: set[int] = set()
        self.reported: set[tuple[int, str | None]] = set()
        self.columns: dict[str, int] = {}
        self.absent_needed: dict[str, list[tuple[int, str]]] = {}
        self.unnamed = [index for index, cell in enumerate(table.header) if not cell.strip()]

    def add(self, row: int, column: str | None, value: str | None, message: str) -> None:
        # The header's problems are always kept: they are few, and say the most.
        if row > 1 and len(self.problems) >= MAX_PROBLEMS:
            self.more_problems += 1
        else:
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
                f"the first row does not name the columns ({', '.join(COLUMNS)}); it holds '{shown(joined)}'",
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
        for name in EVERY_ROW:
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
                    f"column {index + 1} has no name in the header row but holds '{shown(cell.strip())}'",
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
                elif value and (problem := text_problem(value)) is not None:
                    self.add(number, name, value, problem)  # said once: the cell is set aside
                    del values[name]
                    broken.add(name)
        row = _Row(number, values, UNKNOWN_KIND, broken=broken)
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
            row.role = ROLES[kind]
            return
        row.role = PROCESSING_ANY_LINE
        line_text = row.values.get("line")
        if line_text is None:
            return  # reported as required
        line = _word(line_text)
        if line in LINES:
            row.role = ROLES[line]
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
        elif column not in EVERY_ROW:  # those are reported once, on the header
            self.absent_needed.setdefault(column, []).append((row.number, phrase))
            self.bad_rows.add(row.number)
        else:
            self.bad_rows.add(row.number)

    def check_fields(self, row: _Row) -> None:
        role = row.role
        for column in EVERY_ROW:
            self.require(row, column, role.phrase)
        for column in role.ordered:
            self.require(row, column, role.phrase)
        for column, value in row.values.items():
            if column not in role.allowed:
                self.add(
                    row.number,
                    column,
                    value,
                    f"not used by {role.phrase}; leave it empty (it is for {USERS[column]})",
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
        model: type[BaseModel] = EntryBase if row.kind is None else MODELS[row.kind]
        columns = ANY_ROW if row.kind is None else row.role.allowed
        data = self.model_data(row, columns)

        def place(loc: tuple[Any, ...]) -> tuple[int, str, str | None, str] | None:
            column = str(loc[0])
            if column == "documents" and len(loc) > 1 and isinstance(loc[1], int):
                return row.number, column, row.documents[loc[1]], row.role.phrase
            return row.number, column, row.values.get(column), row.role.phrase

        try:
            entry = model.model_validate(data)
        except ValidationError as error:
            self.report(error, place, (row, MODEL_RULE_COLUMN.get(row.kind or "")))
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
                    f"differs from '{shown(expected)}' on row {origin.number}; "
                    f"the rows of processing '{first.values.get('entry_ref', '')}' share it",
                )
        inputs = [row for row in group.rows if row.role is ROLES["in"]]
        outputs = [row for row in group.rows if row.role is ROLES["out"]]
        if "entry_ref" in first.values and all(row.role is not PROCESSING_ANY_LINE for row in group.rows):
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
        """Duplicate entry_ref within an authorisation; a lot created twice in the file. The file's
        corrections apply in order, as the chain will apply them: a correction of an earlier entry of
        the file undoes the lots it created (the lot may be placed again after it), and a correction
        of an earlier correction is refused with what to do instead."""
        first = group.first
        authorisation = first.values.get("authorisation")
        entry_ref = first.values.get("entry_ref")
        if authorisation is None or first.kind is None:
            return
        corrects = first.values.get("corrects") if first.kind == "correction" else None
        corrected = refs.get((authorisation, corrects)) if corrects is not None else None
        if corrects is not None and corrected is not None and corrected.first.kind == "correction":
            self.add(first.number, "corrects", corrects, not_correctable(corrects, "correction"))
        elif corrected is not None:
            for row in corrected.rows:
                lot = row.values.get("lot")
                creates = lot is not None and row.role in (ROLES["placement"], ROLES["out"])
                if creates and lots.get((authorisation, str(lot))) == row.number:
                    del lots[(authorisation, str(lot))]
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
            if row.role not in (ROLES["placement"], ROLES["out"]):
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
                        tuple(row.number for row in group.rows if row.role is ROLES["in"]),
                        tuple(row.number for row in group.rows if row.role is ROLES["out"]),
                    )
                )
            else:
                entries.append(SourcedEntry(entry, group.numbers))
        self.problems.sort(key=lambda problem: problem.row)
        return entries
