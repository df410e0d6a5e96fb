"""What reading an entries file gives: the entries with the rows they came from, and every problem
with its row, column and value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pa_client.domain.models import Discharge, Handling, Movement, Placement, Processing
from pa_client.domain.text import escaped
from pa_client.errors import InputError
from pa_client.records.columns import FileEntry

SHOWN_LENGTH: Final = 80
PROBLEMS_SHOWN: Final = 50
"""Problems printed of a file's list; the count of the rest follows them."""


def shown(value: str) -> str:
    """A cell's value in a message: on one line, what is not text escaped, at most 80 characters."""
    text = escaped(value)
    return text if len(text) <= SHOWN_LENGTH else text[: SHOWN_LENGTH - 1] + "…"


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
        return f"{where} column '{self.column}' = '{shown(self.value)}': {self.message}"


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
    more_problems: int = 0
    """Problems found beyond those kept in `problems` (records/limits.py: MAX_PROBLEMS), counted only."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.more_problems

    def problem_lines(self, shown: int = PROBLEMS_SHOWN) -> list[str]:
        """The first `shown` problems, one a line, then how many more there are, if any."""
        lines = [str(problem) for problem in self.problems[:shown]]
        rest = self.problem_count - len(lines)
        if rest > 0:
            lines.append(
                f"… and {rest:,} more problem{'' if rest == 1 else 's'} (--on-error skip records the good rows "
                f"and writes every refused row, with why, to {self.path.stem}.rejects.csv)"
            )
        return lines

    def rejected_rows(self) -> list[int]:
        """Data rows that gave no entry (their own or their entry's problems)."""
        used = {row for sourced in self.entries for row in sourced.rows}
        return sorted(row for row in self.raw_rows if row not in used)

    def raise_if_problems(self) -> None:
        """InputError listing the first problems, one per line, after a first line with their count."""
        if not self.problems:
            return
        count = self.problem_count
        lines = [f"{count:,} problem{'' if count == 1 else 's'} found in {self.path}:", *self.problem_lines()]
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
