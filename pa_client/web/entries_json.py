"""Entries sent as JSON through the HTTP API, checked exactly as `pa submit` checks a file.

Each JSON object carries the fields of docs/spec/interfaces.md §1 (the columns of the entries file). A
processing is either consecutive objects with `line` = `in` / `out` sharing `entry_ref`, as in the
file, or one object with `inputs` and `outputs` lists (each item: the fields of one line). Numbers may
be JSON strings (exact, recommended) or JSON numbers (read from their shortest decimal form); a list of
`documents` is accepted for the `;`-separated text.

The objects become the rows of an entries table that the file's checker (`pa_client.records.checks`,
as `read_entries` runs it) checks whole — the same rules, the same messages, text refused alike — and
every problem is given back with the object it concerns (`entries[3]`, `entries[3].inputs[0]`) instead
of a file row. The rows never pass through a file: a JSON string that no file can hold (a lone
surrogate, `"\\ud800"`) reaches the same check as any other text. A value or field name in a problem
is shown escaped (`pa_client.domain.text.escaped`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pa_client.domain.text import escaped
from pa_client.records.cells import Table
from pa_client.records.checks import Checker
from pa_client.records.entries_file import COLUMNS, LIMITS, Problem
from pa_client.submission.submitter import Item

SOURCE = "entries"
_ROW_MENTION = re.compile(r"\brow (\d+)\b")
_LINE_FIELDS = ("inputs", "outputs")
_LINE_COLUMNS = frozenset(("line", "lot", "goods_code", "description", "quantity", "unit"))


@dataclass(frozen=True)
class JsonProblem:
    """A problem of one entry (`entry` is its index; None for the request as a whole)."""

    entry: int | None
    path: str  # entries[3] or entries[3].inputs[0]
    field: str | None
    value: str | None
    message: str

    @property
    def text(self) -> str:
        """Worded as `pa submit` words a file's problems, with the entry instead of the row."""
        if self.field is None:
            return f"{self.path}: {self.message}"
        if self.value is None:
            return f"{self.path}: field '{self.field}' {self.message}"
        return f"{self.path}: field '{self.field}' = '{self.value}': {self.message}"


@dataclass
class JsonEntries:
    items: list[Item] = field(default_factory=list)
    problems: list[JsonProblem] = field(default_factory=list)
    entry_of_item: list[int] = field(default_factory=list)  # index of the JSON object of each item


def cell_text(value: Any) -> str:
    """A JSON value as the text of a file's cell (None and "" are "not given")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        number = Decimal(repr(value))
        return format(number.normalize(), "f") if number == number.to_integral() else format(number, "f")
    if isinstance(value, list | tuple):
        return ";".join(cell_text(item) for item in value)
    if isinstance(value, str):
        return value
    return str(value)


def _rows(entries: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, str]], list[tuple[int, str]]]:
    """The file rows of the entries, and for each row (entry index, path suffix)."""
    rows: list[dict[str, str]] = []
    origins: list[tuple[int, str]] = []
    for index, entry in enumerate(entries):
        base = {str(k): cell_text(v) for k, v in entry.items() if k not in _LINE_FIELDS}
        nested = {name: entry.get(name) for name in _LINE_FIELDS if entry.get(name) is not None}
        if not nested:
            rows.append(base)
            origins.append((index, ""))
            continue
        for name, line in (("inputs", "in"), ("outputs", "out")):
            items = nested.get(name)
            if not isinstance(items, list):
                if items is not None:
                    rows.append({**base, "line": line, "__bad__": name})
                    origins.append((index, f".{name}"))
                continue
            for position, item in enumerate(items):
                values = (
                    {str(k): cell_text(v) for k, v in item.items()}
                    if isinstance(item, Mapping)
                    else {"__bad__": f"{name}[{position}]"}
                )
                rows.append({**base, "line": line, **values})
                origins.append((index, f".{name}[{position}]"))
    return rows, origins


def _of_request(message: str) -> JsonProblem:
    """A problem of the request as a whole, not of one entry."""
    return JsonProblem(None, SOURCE, None, None, message)


def read_json_entries(entries: Sequence[Mapping[str, Any]]) -> JsonEntries:
    """Checks the entries whole (docs/spec/interfaces.md §1, docs/entries-file.md) and returns the items to
    submit, in order, and every problem."""
    result = JsonEntries()
    if not entries:
        result.problems.append(_of_request("no entries were given"))
        return result
    rows, origins = _rows(entries)
    for row_index, row in enumerate(rows):
        bad = row.pop("__bad__", None)
        if bad is not None:
            entry, suffix = origins[row_index]
            result.problems.append(
                JsonProblem(
                    entry, f"{SOURCE}[{entry}]{suffix}", bad, None, "must be a list of objects (one per line)"
                )
            )
    if result.problems:
        return result
    if len(rows) > LIMITS.rows:
        # The file's limit, said in the request's terms (the file is this module's own).
        result.problems.append(
            _of_request(
                f"{len(rows):,} rows of entries (a processing has one per input and output) and a request may "
                f"hold at most {LIMITS.rows:,}: send them in several requests, in order",
            )
        )
        return result
    extra = [name for row in rows for name in row if name not in COLUMNS]
    header = [*COLUMNS, *dict.fromkeys(extra)]
    if len(header) > LIMITS.cells:
        result.problems.append(
            _of_request(
                f"the entries use {len(header):,} different fields and the entries file they are checked as "
                f"has at most {LIMITS.cells} columns ({len(COLUMNS)} known ones): remove the unknown fields",
            )
        )
        return result
    for entry, row in enumerate(rows):
        size = sum(len(str(value)) for value in row.values())
        if size > LIMITS.record_chars:  # an entry of millions of characters
            result.problems.append(
                _of_request(
                    f"entries[{entry}] holds more than {LIMITS.record_chars:,} characters, the most a row of "
                    "an entries file may hold (is it an entries file?): fix or remove that row",
                )
            )
            return result
    table = Table(
        header=header,
        rows=[(number, [row.get(name, "") for name in header]) for number, row in enumerate(rows, start=2)],
    )
    checker = Checker(Path(SOURCE), table)
    checked = checker.run()
    for problem in checker.problems:
        result.problems.extend(_translate(problem, rows, origins))
    if checker.more_problems:
        # Beyond the problems kept with their entry (records/limits.py): the count, not silence.
        result.problems.append(
            _of_request(
                f"… and {checker.more_problems:,} more problems, not listed: fix the entries listed first",
            )
        )
    for sourced in checked:
        entry = origins[sourced.row - 2][0]
        result.items.append(Item(sourced.entry, (entry,), SOURCE))
        result.entry_of_item.append(entry)
    return result


def _path(origins: list[tuple[int, str]], row: int) -> tuple[int, str]:
    entry, suffix = origins[row - 2]
    return entry, f"{SOURCE}[{entry}]{suffix}"


def _mentions(message: str, origins: list[tuple[int, str]]) -> str:
    """`row 5` in a message becomes the entry it was made from."""

    def swap(match: re.Match[str]) -> str:
        row = int(match.group(1))
        if 2 <= row < len(origins) + 2:
            return _path(origins, row)[1]
        return match.group(0)

    return _ROW_MENTION.sub(swap, message)


def _translate(
    problem: Problem, rows: list[dict[str, str]], origins: list[tuple[int, str]]
) -> list[JsonProblem]:
    return [
        dataclasses.replace(
            found,
            field=None if found.field is None else escaped(found.field),
            value=None if found.value is None else escaped(found.value),
        )
        for found in _located(problem, rows, origins)
    ]


def _located(
    problem: Problem, rows: list[dict[str, str]], origins: list[tuple[int, str]]
) -> list[JsonProblem]:
    message = _mentions(problem.message, origins)
    if problem.row >= 2 and problem.row - 2 < len(origins):
        entry, path = _path(origins, problem.row)
        if problem.column is not None and problem.column not in _LINE_COLUMNS:
            path = f"{SOURCE}[{entry}]"  # a field of the whole entry, not of one of its lines
        return [JsonProblem(entry, path, problem.column, problem.value, message)]
    # The header: an unknown or doubled field, said of each entry that has it.
    if problem.column is not None:
        having = [i for i, row in enumerate(rows) if problem.column in row]
        if having:
            out: list[JsonProblem] = []
            for row_index in having:
                entry, path = _path(origins, row_index + 2)
                if not any(p.entry == entry and p.field == problem.column for p in out):
                    out.append(JsonProblem(entry, path, problem.column, None, message))
            return out
    return [JsonProblem(None, SOURCE, problem.column, None, message)]
