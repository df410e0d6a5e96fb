"""Import goods equivalents, computed exactly as on chain (docs/ledger.md, the rounding rule).

An import lot (created by a placement) is its own goods code at 10^12 per millionth; a product lot
(created by processing) contains, per unit, the import goods its product states in the authorisation
version it was processed under (`processing_outputs.version`), forever. A usual form of handling changes
a lot's CN code, never its import goods basis.

The audit works on `BasisTable`, the bases of all lots as columns: lots sharing a composition (an
import goods code, or a product of an authorisation version) share a basis, and the equivalents of
a whole column of quantities are computed per basis with integer arithmetic on Python ints (NumPy
`object` arrays: exact, no float, and no per-row Python call).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from pa_client.audit.rules.frames import (
    BOOL,
    INT,
    OBJ,
    TIME,
    Bools,
    Ints,
    Objects,
    frame_of,
    group_codes,
    live,
    lookup,
    objects,
)
from pa_client.audit.rules.keys import Keys, live_rows
from pa_client.audit.tables import LedgerTables, factorize
from pa_client.domain.models import Product
from pa_client.domain.quantities import EQUIVALENT_PER_MICRO, equivalent

PLACEMENT = "placement"
PROCESSING = "processing"


@dataclass(frozen=True)
class LotBasis:
    """What one unit of a lot stands for in import goods."""

    authorisation: str
    lot: str
    origin: str  # "placement" or "processing"
    entry_ref: str  # the entry that created the lot
    code: str  # the import goods code (placement) or the product code (processing)
    description: str
    unit: str
    version: int  # the authorisation version of a product lot's table; 0 for an import lot
    contains: Mapping[str, Fraction]  # import goods code -> import goods per unit of the lot

    def equivalents(self, quantity_micro: int) -> dict[str, int]:
        """The import goods equivalent of a quantity of the lot, per import goods code, in 10^-18."""
        return {code: equivalent(quantity_micro, ratio) for code, ratio in self.contains.items()}


LotKey = tuple[str, str]  # (authorisation, lot)


def lot_bases(tables: LedgerTables) -> dict[LotKey, LotBasis]:
    """Every lot created by an uncorrected placement or processing. A corrected creation removed its
    lot, so a lot reference maps to at most one live creator."""
    return basis_table(tables).mapping()


def _products(tables: LedgerTables, reference: str, version: int) -> dict[str, Product]:
    return {p.code: p for p in tables.version(reference, version).products}


@dataclass(frozen=True)
class BasisTable:
    """The bases of every live lot, as columns.

    `lots`: one row per lot (`authorisation`, `lot`, `origin`, `entry_ref`, `code`, `description`,
    `unit`, `version`, `basis`); `basis` numbers the distinct compositions, whose import goods are
    the rows `starts[b]` to `starts[b] + counts[b]` of `goods_code`, `numerator`, `denominator` (in
    the order of the product's table)."""

    lots: pd.DataFrame
    contains: tuple[Mapping[str, Fraction], ...]  # per basis
    starts: Ints
    counts: Ints
    goods_code: Objects
    numerator: Objects
    denominator: Objects
    position: Ints  # `keys.Keys` lot code -> row in `lots` (-1: no live lot)

    @property
    def whole(self) -> Bools:
        """Per content: one unit of import goods per unit (an import lot's own code)."""
        result: Bools = np.asarray((self.numerator == 1) & (self.denominator == 1), dtype=bool)
        return result

    def mapping(self) -> dict[LotKey, LotBasis]:
        columns = ("authorisation", "lot", "origin", "entry_ref", "code", "description", "unit")
        values = [self.lots[c].tolist() for c in columns]
        versions = self.lots["version"].tolist()
        basis = self.lots["basis"].tolist()
        return {
            (reference, lot): LotBasis(
                reference, lot, origin, entry_ref, code, description, unit, int(version), self.contains[b]
            )
            for (reference, lot, origin, entry_ref, code, description, unit), version, b in zip(
                zip(*values, strict=True), versions, basis, strict=True
            )
        }

    def find(self, frame: pd.DataFrame) -> Ints:
        """The row in `lots` of the lot of each row of `frame` (`authorisation`, `lot`, `entry_ref`);
        KeyError for a lot no live entry created."""
        if frame.empty:
            return np.empty(0, dtype=np.int64)
        found = lookup(
            (self.lots["authorisation"].to_numpy(), self.lots["lot"].to_numpy()),
            (frame["authorisation"].to_numpy(), frame["lot"].to_numpy()),
        )
        if (found < 0).any():
            missing = int(np.flatnonzero(found < 0)[0])
            row = frame.iloc[missing]
            raise KeyError(
                f"{row['authorisation']}: entry {row['entry_ref']} uses lot {row['lot']}, which no live "
                "entry created"
            )
        return found

    def find_pairs(self, authorisations: Any, lots: Any) -> Ints:
        """The row in `lots` of each (authorisation, lot), or -1."""
        return lookup(
            (self.lots["authorisation"].to_numpy(), self.lots["lot"].to_numpy()), (authorisations, lots)
        )

    def rows_of(self, lot_keys: Ints, frame: pd.DataFrame) -> Ints:
        """`find` for rows whose (authorisation, lot) codes (`keys.Keys.lot`) are known."""
        found: Ints = self.position[lot_keys]
        if (found < 0).any():
            row = frame.iloc[int(np.flatnonzero(found < 0)[0])]
            raise KeyError(
                f"{row['authorisation']}: entry {row['entry_ref']} uses lot {row['lot']}, which no live "
                "entry created"
            )
        return found

    def explode(self, lot_rows: Ints) -> tuple[Ints, Ints]:
        """For rows whose lots are `lot_rows`: (the row, the import goods content) of each pair, rows
        in order and each row's import goods in the order of its table."""
        basis = self.lots["basis"].to_numpy(dtype=np.int64)[lot_rows]
        counts = self.counts[basis]
        total = int(counts.sum())
        row = np.repeat(np.arange(len(lot_rows), dtype=np.int64), counts)
        first = np.cumsum(counts) - counts
        within = np.arange(total, dtype=np.int64) - np.repeat(first, counts)
        content = self.starts[basis][row] + within
        return row, content

    def equivalents(self, quantities: Any, content: Ints) -> Objects:
        """Equivalents (10^-18, Python ints) of quantities (millionths) by import goods content, as on
        chain: floor(quantity × 10^12 × numerator ÷ denominator)."""
        scaled = objects(np.asarray(quantities)) * (self.numerator[content] * EQUIVALENT_PER_MICRO)
        result: Objects = scaled // self.denominator[content]
        return result


_LOT_COLUMNS = ["authorisation", "lot", "origin", "entry_ref", "code", "description", "unit", "version"]


def basis_table(tables: LedgerTables, keys: Keys | None = None) -> BasisTable:
    """Every lot created by an uncorrected placement or processing (the later creator of a lot
    reference wins, as in a mapping; a corrected creation removed its lot)."""
    keys = keys or Keys.of(tables)
    placed_rows = live_rows(tables.placements)
    made_rows = live_rows(tables.processing_outputs)
    placed = tables.placements.take(placed_rows)
    made = tables.processing_outputs.take(made_rows)
    compositions: dict[tuple[Any, ...], int] = {}
    contains: list[Mapping[str, Fraction]] = []

    def composition(key: tuple[Any, ...], ratios: Mapping[str, Fraction]) -> int:
        number = compositions.get(key)
        if number is None:
            number = compositions[key] = len(contains)
            contains.append(ratios)
        return number

    goods, distinct_goods = factorize(placed["goods_code"].to_numpy(dtype=object))
    numbers = [composition(("import", code), {code: Fraction(1)}) for code in distinct_goods.tolist()]
    placed_basis = np.asarray(numbers, dtype=np.int64)[goods] if len(goods) else np.empty(0, dtype=np.int64)
    made_basis = np.empty(0, dtype=np.int64)
    if len(made):
        tables_of: dict[tuple[str, int], dict[str, Product]] = {}
        references = made["authorisation"].to_numpy(dtype=object)
        versions = made["version"].to_numpy(dtype=object)
        products = made["product_code"].to_numpy(dtype=object)
        groups = group_codes(references, versions, products)
        first = np.unique(groups, return_index=True)[1]  # in order of first appearance
        numbers = []
        for reference, version, code, lot in zip(
            references[first].tolist(),
            versions[first].tolist(),
            products[first].tolist(),
            made["lot"].to_numpy(dtype=object)[first].tolist(),
            strict=True,
        ):
            table = (reference, int(version))
            if table not in tables_of:
                tables_of[table] = _products(tables, *table)
            product = tables_of[table].get(code)
            if product is None:
                raise KeyError(
                    f"{reference}: product {code} of lot {lot} is not in version {version} of the "
                    "authorisation"
                )
            numbers.append(composition((reference, int(version), code), dict(product.contains)))
        made_basis = np.asarray(numbers, dtype=np.int64)[groups]
    parts = []
    if len(placed):
        parts.append(
            pd.DataFrame(
                {
                    "authorisation": placed["authorisation"].to_numpy(),
                    "lot": placed["lot"].to_numpy(),
                    "origin": PLACEMENT,
                    "entry_ref": placed["entry_ref"].to_numpy(),
                    "code": placed["goods_code"].to_numpy(),
                    "description": placed["description"].to_numpy(),
                    "unit": placed["unit"].to_numpy(),
                    "version": 0,
                    "basis": np.asarray(placed_basis, dtype=np.int64),
                }
            )
        )
    if len(made):
        parts.append(
            pd.DataFrame(
                {
                    "authorisation": made["authorisation"].to_numpy(),
                    "lot": made["lot"].to_numpy(),
                    "origin": PROCESSING,
                    "entry_ref": made["entry_ref"].to_numpy(),
                    "code": made["product_code"].to_numpy(),
                    "description": made["description"].to_numpy(),
                    "unit": made["unit"].to_numpy(),
                    "version": made["version"].to_numpy(dtype=np.int64),
                    "basis": np.asarray(made_basis, dtype=np.int64),
                }
            )
        )
    lot_keys = np.concatenate(
        [keys.lot["placements"][placed_rows], keys.lot["processing_outputs"][made_rows]]
    )
    position = np.full(keys.lot_count, -1, dtype=np.int64)
    if parts:
        lots = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        # The last creator of each lot, in the order of the creations kept (as drop_duplicates).
        _, reversed_first = np.unique(lot_keys[::-1], return_index=True)
        kept = np.sort(len(lot_keys) - 1 - reversed_first)
        if len(kept) < len(lots):
            lots = lots.take(kept).reset_index(drop=True)
            lot_keys = lot_keys[kept]
        position[lot_keys] = np.arange(len(lot_keys), dtype=np.int64)
    else:
        lots = pd.DataFrame({c: pd.Series([], dtype=OBJ) for c in _LOT_COLUMNS})
        lots["version"] = lots["version"].astype(np.int64)
        lots["basis"] = pd.Series([], dtype=np.int64)
    counts = np.array([len(c) for c in contains], dtype=np.int64)
    ratios = [(code, ratio) for c in contains for code, ratio in c.items()]
    return BasisTable(
        lots=lots,
        contains=tuple(contains),
        starts=np.cumsum(counts) - counts,
        counts=counts,
        goods_code=objects([code for code, _ in ratios]),
        numerator=objects([ratio.numerator for _, ratio in ratios]),
        denominator=objects([ratio.denominator for _, ratio in ratios]),
        position=position,
    )


DISCHARGE_EQUIVALENTS = {
    "authorisation": OBJ,
    "entry_ref": OBJ,
    "sequence": INT,
    "occurred_at": TIME,
    "block": INT,
    "lot": OBJ,
    "mode": OBJ,
    "goods_code": OBJ,
    "equivalent": OBJ,
}


@dataclass(frozen=True)
class Exploded:
    """A table's rows, one per import goods code of each row's lot: `frame`, and for each of its rows
    the row of the source table (`source`) and of the basis table's lots (`lot`)."""

    frame: pd.DataFrame
    source: Ints
    lot: Ints


def explode_discharges(discharges: pd.DataFrame, bases: BasisTable, lot_keys: Ints | None = None) -> Exploded:
    """One row per discharge of `discharges` (live) and import goods code: its equivalent.
    `lot_keys`: the discharges' lot codes (`keys.Keys.lot`), when known."""
    lot_rows = bases.find(discharges) if lot_keys is None else bases.rows_of(lot_keys, discharges)
    row, content = bases.explode(lot_rows)
    columns: dict[str, Any] = {
        name: discharges[name].to_numpy()[row]
        for name in ("authorisation", "entry_ref", "sequence", "block", "lot", "mode")
    }
    columns["occurred_at"] = discharges["occurred_at"].array[row]
    columns["goods_code"] = bases.goods_code[content]
    columns["equivalent"] = bases.equivalents(discharges["quantity"].to_numpy()[row], content)
    return Exploded(frame_of(columns, DISCHARGE_EQUIVALENTS, len(row)), row, lot_rows[row])


def discharge_equivalents(tables: LedgerTables, bases: BasisTable) -> pd.DataFrame:
    """One row per live discharge and import goods code: the equivalent it discharges (10^-18)."""
    return explode_discharges(live(tables.discharges), bases).frame


PROCESSING_EQUIVALENTS = {
    "authorisation": OBJ,
    "entry_ref": OBJ,
    "sequence": INT,
    "occurred_at": TIME,
    "block": INT,
    "site": OBJ,
    "is_input": BOOL,
    "lot": OBJ,
    "quantity": INT,
    "goods_code": OBJ,
    "equivalent": OBJ,
}


def processing_equivalents(tables: LedgerTables, bases: BasisTable, keys: Keys | None = None) -> pd.DataFrame:
    """One row per live processing input or output and import goods code, as the chain's yield check
    counts them: an import lot its quantity, a product lot its table equivalent."""
    parts = []
    for name, is_input in (("processing_inputs", True), ("processing_outputs", False)):
        table = tables.tables[name]
        if keys is None:
            frame = live(table)
            lot_rows = bases.find(frame)
        else:
            rows = live_rows(table)
            frame = table.take(rows)
            lot_rows = bases.rows_of(keys.lot[name][rows], frame)
        row, content = bases.explode(lot_rows)
        columns: dict[str, Any] = {
            name: frame[name].to_numpy()[row]
            for name in ("authorisation", "entry_ref", "sequence", "block", "site", "lot", "quantity")
        }
        columns["occurred_at"] = frame["occurred_at"].array[row] if len(frame) else []
        columns["is_input"] = np.full(len(row), is_input)
        columns["goods_code"] = bases.goods_code[content]
        columns["equivalent"] = bases.equivalents(columns["quantity"], content)
        parts.append(frame_of(columns, PROCESSING_EQUIVALENTS, len(row)))
    filled = [p for p in parts if len(p)]
    if len(filled) < 2:
        return filled[0] if filled else parts[0]
    return pd.concat(filled, ignore_index=True)


__all__ = [
    "DISCHARGE_EQUIVALENTS",
    "PLACEMENT",
    "PROCESSING",
    "PROCESSING_EQUIVALENTS",
    "BasisTable",
    "Exploded",
    "LotBasis",
    "LotKey",
    "basis_table",
    "discharge_equivalents",
    "explode_discharges",
    "lot_bases",
    "processing_equivalents",
]


def handlings_by_lot(tables: LedgerTables) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """Each lot's live usual forms of handling (UCC art. 220): (sequence, new CN code), in chain order."""
    handled: dict[tuple[str, str], list[tuple[int, str]]] = {}
    handlings = live(tables.handlings)
    for reference, lot, sequence, code in zip(
        handlings["authorisation"].tolist(),
        handlings["lot"].tolist(),
        handlings["sequence"].tolist(),
        handlings["goods_code"].tolist(),
        strict=True,
    ):
        handled.setdefault((reference, lot), []).append((int(sequence), code))
    return handled
