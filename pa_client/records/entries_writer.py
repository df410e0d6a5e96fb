"""Writing the entries file (docs/spec/interfaces.md §1): rows built by column name from the one
column list (`columns.COLUMNS`), so that a row cannot put a value in the wrong column.

`entry_rows` writes an entry's rows (a processing: one per input, then one per output) as people
write the values: decimals without exponent or trailing zeros, money with 2 decimals, times with the
offset asked for."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Final

from pa_client.contract.encoding import AnyEntry
from pa_client.domain.models import (
    Correction,
    DeadlineExtension,
    Discharge,
    Handling,
    Movement,
    Placement,
    Processing,
)
from pa_client.records.columns import COLUMNS

__all__ = ["Row", "decimal_text", "entry_rows", "row", "write_csv", "write_rows"]

Row = tuple[str, ...]
"""One row of the entries file: a cell per column of `COLUMNS`, in that order, "" where not given."""

_INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(COLUMNS)}
_CENT = Decimal("0.01")


def row(**cells: str) -> Row:
    """A row from its cells by column name; the other columns are empty. A name that is not a
    column of the file is an error (a typo must not drop a value)."""
    out = [""] * len(COLUMNS)
    for name, value in cells.items():
        index = _INDEX.get(name)
        if index is None:
            raise ValueError(f"'{name}' is not a column of the entries file")
        out[index] = value
    return tuple(out)


def decimal_text(value: Decimal) -> str:
    """A decimal as people write it: no exponent, no trailing zeros (12.500000 → 12.5, 1E+2 → 100)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _money_text(value: Decimal) -> str:
    return format(value.quantize(_CENT, rounding=ROUND_HALF_UP), "f")


def _moment_text(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).isoformat()


def entry_rows(entry: AnyEntry, tz: tzinfo = UTC) -> list[Row]:
    """The rows of the entries file for one entry (processing: one row per input, then per output).

    `tz` is the offset the times are written with (the models keep them in UTC). Deadline extensions
    are customs decisions, not rows of the entries file: they raise `ValueError`."""
    common = {
        "entry_ref": entry.entry_ref,
        "kind": entry.kind,
        "authorisation": entry.authorisation,
        "occurred_at": _moment_text(entry.occurred_at, tz),
        "documents": ";".join(entry.documents),
    }
    if isinstance(entry, Placement):
        return [
            row(
                **common,
                lot=entry.lot,
                goods_code=entry.goods_code,
                description=entry.description,
                quantity=decimal_text(entry.quantity),
                unit=entry.unit,
                site=entry.site,
                declaration=entry.declaration,
                procedure="" if entry.procedure is None else str(entry.procedure),
                customs_value=_money_text(entry.customs_value),
                duty_rate=decimal_text(entry.duty_rate),
                origin=entry.origin,
            )
        ]
    if isinstance(entry, Movement):
        return [
            row(
                **common,
                lot=entry.lot,
                quantity=decimal_text(entry.quantity),
                site=entry.site,
                to_site=entry.to_site,
            )
        ]
    if isinstance(entry, Processing):
        rows = [
            row(**common, line="in", lot=item.lot, quantity=decimal_text(item.quantity), site=entry.site)
            for item in entry.inputs
        ]
        rows.extend(
            row(
                **common,
                line="out",
                lot=out.lot,
                goods_code=out.goods_code,
                description=out.description,
                quantity=decimal_text(out.quantity),
                unit=out.unit,
                site=entry.site,
            )
            for out in entry.outputs
        )
        return rows
    if isinstance(entry, Handling):
        return [row(**common, lot=entry.lot, goods_code=entry.goods_code)]
    if isinstance(entry, Discharge):
        return [
            row(
                **common,
                lot=entry.lot,
                quantity=decimal_text(entry.quantity),
                site=entry.site,
                declaration=entry.declaration or "",
                procedure="" if entry.procedure is None else str(entry.procedure),
                mode=entry.mode.value,
            )
        ]
    if isinstance(entry, Correction):
        return [row(**common, corrects=entry.corrects, reason=entry.reason)]
    assert isinstance(entry, DeadlineExtension)
    raise ValueError(f"{entry.entry_ref}: deadline extensions are not rows of the entries file")


def write_rows(rows: Iterable[Row], path: Path | str) -> int:
    """Writes the header and `rows` as an entries file (UTF-8, comma-separated, LF line ends).

    Returns the number of rows written (header excluded)."""
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(COLUMNS)
        for cells in rows:
            writer.writerow(cells)
            count += 1
    return count


def write_csv(entries: Iterable[AnyEntry], path: Path | str, *, tz: tzinfo = UTC) -> int:
    """Writes `entries` as an entries file; times with the offset of `tz`. Returns the rows written."""
    return write_rows((cells for entry in entries for cells in entry_rows(entry, tz)), path)
