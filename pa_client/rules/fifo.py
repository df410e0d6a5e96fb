"""First in, first out (domain.md; HMRC SPE03090): each discharge's import goods equivalent, per
import goods code, discharges the authorisation's placements of that code in the order of their
placement date (`occurred_at`), then their sequence.

Discharges are taken in the order they happened (`occurred_at`, then sequence). The chain checks that
the discharged total of a code never exceeds the placed total, so every discharge finds placements;
should tables say otherwise, the excess is kept as an allocation to no placement (`placement` None),
which the audit reports as an integrity alert.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from ..quantities import micro_to_equivalent
from .frames import INT, OBJ, TIME, Row, make_frame, rows

ALLOCATIONS = {
    "authorisation": OBJ,
    "discharge": OBJ,  # entry_ref of the discharge
    "discharge_sequence": INT,
    "occurred_at": TIME,  # of the discharge
    "mode": OBJ,
    "goods_code": OBJ,
    "placement": OBJ,  # entry_ref of the placement, None for an excess no placement covers
    "quantity": OBJ,  # 10^-18 of the import goods' unit
}


@dataclass
class _Slot:
    entry_ref: str
    left: int


def allocate(placements: pd.DataFrame, discharges: pd.DataFrame) -> pd.DataFrame:
    """FIFO allocation of discharge equivalents to placements.

    `placements`: live placements (`authorisation`, `entry_ref`, `sequence`, `occurred_at`,
    `goods_code`, `quantity` in millionths). `discharges`: one row per discharge and code
    (`equivalents.discharge_equivalents`). Returns one row per (discharge, placement) share."""
    queues: dict[tuple[str, str], list[_Slot]] = defaultdict(list)
    ordered = (
        placements.sort_values(["occurred_at", "sequence"], kind="stable") if len(placements) else placements
    )
    for row in rows(ordered, "authorisation", "goods_code", "entry_ref", "quantity"):
        queues[(row["authorisation"], row["goods_code"])].append(
            _Slot(row["entry_ref"], micro_to_equivalent(int(row["quantity"])))
        )
    positions: dict[tuple[str, str], int] = defaultdict(int)
    out: list[Row] = []
    ordered_discharges = (
        discharges.sort_values(["occurred_at", "sequence"], kind="stable") if len(discharges) else discharges
    )
    for row in rows(ordered_discharges):
        key = (row["authorisation"], row["goods_code"])
        queue = queues[key]
        left = int(row["equivalent"])
        common = {
            "authorisation": row["authorisation"],
            "discharge": row["entry_ref"],
            "discharge_sequence": row["sequence"],
            "occurred_at": row["occurred_at"],
            "mode": row["mode"],
            "goods_code": row["goods_code"],
        }
        while left > 0 and positions[key] < len(queue):
            slot = queue[positions[key]]
            taken = min(slot.left, left)
            if taken > 0:
                out.append({**common, "placement": slot.entry_ref, "quantity": taken})
            slot.left -= taken
            left -= taken
            if slot.left == 0:
                positions[key] += 1
        if left > 0:
            out.append({**common, "placement": None, "quantity": left})
    return make_frame(out, ALLOCATIONS)


def allocated_by_placement(allocations: pd.DataFrame) -> dict[tuple[str, str], dict[str, int]]:
    """(authorisation, placement entry_ref) -> discharge mode -> equivalent allocated (10^-18)."""
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for row in rows(allocations, "authorisation", "placement", "mode", "quantity"):
        if row["placement"] is None:
            continue
        by_mode = totals[(row["authorisation"], row["placement"])]
        by_mode[row["mode"]] = by_mode.get(row["mode"], 0) + int(row["quantity"])
    return dict(totals)
