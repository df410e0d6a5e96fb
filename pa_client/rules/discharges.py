"""The discharges table: each live discharge with its import goods equivalent per goods code and its
FIFO allocation to placements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import pandas as pd

from ..ledger_tables import LedgerTables
from .equivalents import LotBasis, LotKey
from .frames import INT, OBJ, TIME, Row, live, make_frame, rows, utc_day

DISCHARGES = {
    "authorisation": OBJ,
    "entry_ref": OBJ,
    "sequence": INT,
    "block": INT,
    "occurred_at": TIME,
    "date": OBJ,
    "lot": OBJ,
    "product_code": OBJ,  # the lot's basis: import goods code or product code
    "site": OBJ,
    "mode": OBJ,
    "declaration": OBJ,  # MRN or None
    "procedure": INT,
    "quantity": INT,  # millionths of the lot's unit
    "unit": OBJ,
    "import_equivalent": OBJ,  # dict: import goods code -> 10^-18
    "allocation": OBJ,  # list of dicts: placement (entry_ref or None), goods_code, quantity (10^-18)
}


def discharge_table(
    tables: LedgerTables,
    bases: Mapping[LotKey, LotBasis],
    equivalents: pd.DataFrame,
    allocations: pd.DataFrame,
) -> pd.DataFrame:
    """One row per live discharge, in chain order; `equivalents` from
    `equivalents.discharge_equivalents`, `allocations` from `fifo.allocate`."""
    by_discharge: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for row in rows(equivalents, "authorisation", "entry_ref", "goods_code", "equivalent"):
        by_discharge[(row["authorisation"], row["entry_ref"])][row["goods_code"]] = int(row["equivalent"])
    shares: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows(allocations, "authorisation", "discharge", "placement", "goods_code", "quantity"):
        shares[(row["authorisation"], row["discharge"])].append(
            {"placement": row["placement"], "goods_code": row["goods_code"], "quantity": int(row["quantity"])}
        )
    out: list[Row] = []
    for row in rows(live(tables.discharges)):
        key = (row["authorisation"], row["entry_ref"])
        basis = bases[(row["authorisation"], row["lot"])]
        out.append(
            {
                "authorisation": row["authorisation"],
                "entry_ref": row["entry_ref"],
                "sequence": row["sequence"],
                "block": row["block"],
                "occurred_at": row["occurred_at"],
                "date": utc_day(row["occurred_at"]),
                "lot": row["lot"],
                "product_code": basis.code,
                "site": row["site"],
                "mode": row["mode"],
                "declaration": row["declaration"],
                "procedure": row["procedure"],
                "quantity": row["quantity"],
                "unit": basis.unit,
                "import_equivalent": dict(sorted(by_discharge.get(key, {}).items())),
                "allocation": shares.get(key, []),
            }
        )
    frame = make_frame(out, DISCHARGES)
    return frame.sort_values(["authorisation", "sequence"], kind="stable").reset_index(drop=True)
