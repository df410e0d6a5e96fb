"""Stock accounting (comptabilité matières): what each lot holds at each site, after every block, and
the import goods equivalent on hand per import goods code over time (for a chart).

Only live entries count: a corrected entry's effects are gone on chain, so the history is that of the
ledger as corrected (a correction does not show as a movement of its own).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from itertools import groupby

import pandas as pd

from ..ledger_tables import LedgerTables
from ..quantities import micro_to_equivalent
from .equivalents import LotBasis, LotKey
from .frames import INT, OBJ, TIME, Row, live, make_frame, rows

STOCK_EVENTS = {
    "authorisation": OBJ,
    "block": INT,
    "log_index": INT,
    "block_time": TIME,
    "sequence": INT,
    "entry_ref": OBJ,
    "kind": OBJ,
    "lot": OBJ,
    "site": OBJ,
    "delta": INT,  # millionths of the lot's unit
}


def stock_events(tables: LedgerTables) -> pd.DataFrame:
    """Every change of a lot's stock at a site by a live entry, in chain order."""
    parts: list[pd.DataFrame] = []

    def part(frame: pd.DataFrame, kind: str, site: str, sign: int) -> None:
        frame = live(frame)
        if frame.empty:
            return
        selected = frame[
            ["authorisation", "block", "log_index", "block_time", "sequence", "entry_ref", "lot"]
        ].copy()
        selected["kind"] = kind
        selected["site"] = frame[site]
        selected["delta"] = frame["quantity"] * sign
        parts.append(selected)

    part(tables.placements, "placement", "site", 1)
    part(tables.movements, "movement", "from_site", -1)
    part(tables.movements, "movement", "to_site", 1)
    part(tables.processing_inputs, "processing", "site", -1)
    part(tables.processing_outputs, "processing", "site", 1)
    part(tables.discharges, "discharge", "site", -1)
    if not parts:
        return make_frame([], STOCK_EVENTS)
    events = pd.concat(parts, ignore_index=True)[list(STOCK_EVENTS)]
    events = events.astype({"block": INT, "log_index": INT, "sequence": INT})
    return events.sort_values(["block", "log_index"], kind="stable").reset_index(drop=True)


STOCK_HISTORY = {
    "authorisation": OBJ,
    "block": INT,
    "block_time": TIME,
    "lot": OBJ,
    "site": OBJ,
    "quantity": INT,  # the lot's stock at the site after the block, millionths
}


def stock_history(events: pd.DataFrame) -> pd.DataFrame:
    """The stock of each lot at each site after every block that changed it."""
    if events.empty:
        return make_frame([], STOCK_HISTORY)
    keys = ["authorisation", "lot", "site"]
    frame = events.copy()
    frame["quantity"] = frame.groupby(keys, sort=False)["delta"].cumsum()
    frame = frame.drop_duplicates([*keys, "block"], keep="last")
    return frame[list(STOCK_HISTORY)].reset_index(drop=True)


STOCK = {
    "authorisation": OBJ,
    "lot": OBJ,
    "site": OBJ,
    "origin": OBJ,  # placement or processing
    "goods_code": OBJ,  # the lot's CN code now (after any usual form of handling)
    "basis_code": OBJ,  # the import goods code or the product code the lot was created with
    "description": OBJ,
    "unit": OBJ,
    "quantity": INT,
    "block": INT,  # of the last change
}


def current_stock(
    tables: LedgerTables, history: pd.DataFrame, bases: Mapping[LotKey, LotBasis]
) -> pd.DataFrame:
    """What each lot holds at each site now (non-zero stocks only)."""
    handled: dict[LotKey, tuple[int, str]] = {}
    for row in rows(live(tables.handlings)):
        key = (row["authorisation"], row["lot"])
        if key not in handled or row["sequence"] > handled[key][0]:
            handled[key] = (row["sequence"], row["goods_code"])
    last = history.drop_duplicates(["authorisation", "lot", "site"], keep="last")
    out: list[Row] = []
    for row in rows(last):
        if row["quantity"] == 0:
            continue
        key = (row["authorisation"], row["lot"])
        basis = bases[key]
        out.append(
            {
                "authorisation": row["authorisation"],
                "lot": row["lot"],
                "site": row["site"],
                "origin": basis.origin,
                "goods_code": handled[key][1] if key in handled else basis.code,
                "basis_code": basis.code,
                "description": basis.description,
                "unit": basis.unit,
                "quantity": row["quantity"],
                "block": row["block"],
            }
        )
    frame = make_frame(out, STOCK)
    return frame.sort_values(["authorisation", "lot", "site"], kind="stable").reset_index(drop=True)


STOCK_BY_CODE = {
    "authorisation": OBJ,
    "block": INT,
    "block_time": TIME,
    "goods_code": OBJ,
    "on_hand": OBJ,  # Σ over lots of the lot's (all sites) import goods equivalent, 10^-18
    "placed": OBJ,  # cumulative, 10^-18
    "discharged": OBJ,  # cumulative, 10^-18 (the chain's totals)
}


def stock_by_code(
    events: pd.DataFrame, discharges: pd.DataFrame, bases: Mapping[LotKey, LotBasis]
) -> pd.DataFrame:
    """Per authorisation and import goods code, after every block that changed it: the import goods
    equivalent on hand (each lot's total stock taken at its table's rate, rounded down as on chain),
    and the placed and discharged totals (`discharges`: `equivalents.discharge_equivalents`)."""
    discharged_at: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows(discharges, "authorisation", "block", "goods_code", "equivalent"):
        discharged_at[(row["authorisation"], int(row["block"]))][row["goods_code"]] += int(row["equivalent"])
    lot_stock: dict[LotKey, int] = defaultdict(int)
    on_hand: dict[tuple[str, str], int] = defaultdict(int)
    placed: dict[tuple[str, str], int] = defaultdict(int)
    discharged: dict[tuple[str, str], int] = defaultdict(int)
    counted = events.loc[events["kind"] != "movement"] if len(events) else events
    if len(counted):
        counted = counted.sort_values(["authorisation", "block", "log_index"], kind="stable")
    out: list[Row] = []
    for (reference, block), group in groupby(
        rows(counted, "authorisation", "block", "block_time", "lot", "kind", "delta"),
        key=lambda r: (r["authorisation"], int(r["block"])),
    ):
        changed: set[str] = set()
        block_time = None
        for row in group:
            block_time = row["block_time"]
            key = (reference, row["lot"])
            basis = bases[key]
            before = basis.equivalents(lot_stock[key])
            lot_stock[key] += int(row["delta"])
            for code, amount in basis.equivalents(lot_stock[key]).items():
                on_hand[(reference, code)] += amount - before[code]
                if row["kind"] == "placement":
                    placed[(reference, code)] += micro_to_equivalent(int(row["delta"]))
                changed.add(code)
        for code, amount in discharged_at.get((reference, block), {}).items():
            discharged[(reference, code)] += amount
            changed.add(code)
        for code in sorted(changed):
            out.append(
                {
                    "authorisation": reference,
                    "block": block,
                    "block_time": block_time,
                    "goods_code": code,
                    "on_hand": on_hand[(reference, code)],
                    "placed": placed[(reference, code)],
                    "discharged": discharged[(reference, code)],
                }
            )
    return make_frame(out, STOCK_BY_CODE)
