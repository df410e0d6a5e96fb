"""The discharges table: each live discharge with its import goods equivalent per goods code and its
FIFO allocation to placements."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pa_client.audit.rules.equivalents import BasisTable, Exploded, handlings_by_lot
from pa_client.audit.rules.fifo import Allocation
from pa_client.audit.rules.frames import INT, OBJ, TIME, Ints, Row, frame_of, live, sort_ranks, utc_days
from pa_client.audit.tables import LedgerTables

DISCHARGES = {
    "authorisation": OBJ,
    "entry_ref": OBJ,
    "sequence": INT,
    "block": INT,
    "occurred_at": TIME,
    "date": OBJ,
    "lot": OBJ,
    "product_code": OBJ,  # the lot's basis: import goods code or product code
    "lot_code": OBJ,  # the lot's CN code at the discharge (after any usual form of handling)
    "site": OBJ,
    "mode": OBJ,
    "declaration": OBJ,  # MRN or None
    "procedure": INT,
    "quantity": INT,  # millionths of the lot's unit
    "unit": OBJ,
    "import_equivalent": OBJ,  # dict: import goods code -> 10^-18
    "allocation": OBJ,  # list of dicts: placement (entry_ref or None), goods_code, quantity (10^-18)
}


def _runs(owners: Ints, count: int) -> tuple[Ints, Ints]:
    """Where the rows of each of `count` owners start and how many there are, the rows of an owner
    being consecutive (ValueError otherwise)."""
    length = np.bincount(owners, minlength=count).astype(np.int64)
    first = np.zeros(count, dtype=np.int64)
    if len(owners):
        changes = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        starters = owners[changes]
        if len(np.unique(starters)) != len(starters):
            raise ValueError("the rows of a discharge are not consecutive")
        first[starters] = changes
    return first, length


def lot_codes(tables: LedgerTables, discharges: pd.DataFrame, basis_codes: Any) -> list[str]:
    """Each discharge's lot's CN code when it was discharged: the code of the latest usual form of
    handling (UCC art. 220) recorded for the lot before the discharge, else the lot's own code."""
    handled = handlings_by_lot(tables)
    codes: list[str] = []
    for reference, lot, sequence, basis in zip(
        discharges["authorisation"].tolist(),
        discharges["lot"].tolist(),
        discharges["sequence"].tolist(),
        list(basis_codes),
        strict=True,
    ):
        before = [(s, c) for s, c in handled.get((reference, lot), ()) if s < int(sequence)]
        codes.append(max(before)[1] if before else basis)
    return codes


def discharge_table(
    tables: LedgerTables, bases: BasisTable, equivalents: Exploded, allocation: Allocation
) -> pd.DataFrame:
    """One row per live discharge, in chain order; `equivalents` from
    `equivalents.explode_discharges` (of the live discharges), `allocation` from `fifo.fifo`."""
    discharges = live(tables.discharges)
    count = len(discharges)
    codes = equivalents.frame["goods_code"].tolist()
    amounts = [int(a) for a in equivalents.frame["equivalent"].tolist()]
    first, length = _runs(equivalents.source, count)
    import_equivalent = [
        {codes[at]: amounts[at]}
        if size == 1
        else dict(sorted(zip(codes[at : at + size], amounts[at : at + size], strict=True)))
        for at, size in zip(first.tolist(), length.tolist(), strict=True)
    ]
    allocations = allocation.frame
    shares: list[Row] = [
        {"placement": placement, "goods_code": code, "quantity": int(amount)}
        for placement, code, amount in zip(
            allocations["placement"].tolist(),
            allocations["goods_code"].tolist(),
            allocations["quantity"].tolist(),
            strict=True,
        )
    ]
    first, length = _runs(equivalents.source[allocation.source], count)
    by_discharge = [shares[at : at + size] for at, size in zip(first.tolist(), length.tolist(), strict=True)]
    lots = bases.lots.take(bases.find(discharges))
    columns: dict[str, Any] = {
        name: discharges[name].to_numpy()
        for name in ("authorisation", "entry_ref", "sequence", "block", "lot", "site", "mode", "declaration", "procedure", "quantity")
    }  # fmt: skip
    columns["occurred_at"] = discharges["occurred_at"]
    columns["date"] = utc_days(discharges["occurred_at"])
    columns["product_code"] = lots["code"].to_numpy()
    columns["lot_code"] = lot_codes(tables, discharges, columns["product_code"])
    columns["unit"] = lots["unit"].to_numpy()
    columns["import_equivalent"] = import_equivalent
    columns["allocation"] = by_discharge
    frame = frame_of(columns, DISCHARGES, count)
    if count == 0:
        return frame
    order = np.lexsort(
        (frame["sequence"].to_numpy(dtype=np.int64), sort_ranks(frame["authorisation"].to_numpy()))
    )
    return frame.take(order).reset_index(drop=True)
