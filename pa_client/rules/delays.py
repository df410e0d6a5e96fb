"""Recording delay: how long after the event an entry reached the ledger (block time − occurred_at).

Every entry counts, corrected or not (a record made late was made late), corrections and extensions
included. A business time up to an hour after the block (clock skew) gives a negative delay.
"""

from __future__ import annotations

import pandas as pd

from ..ledger_tables import LedgerTables
from .frames import BOOL, INT, OBJ, TIME, make_frame

KINDS = {
    "placements": "placement",
    "movements": "movement",
    "processing_inputs": "processing",
    "processing_outputs": "processing",
    "handlings": "handling",
    "discharges": "discharge",
    "corrections": "correction",
    "extensions": "extension",
}

RECORDING_DELAYS = {
    "authorisation": OBJ,
    "entry_ref": OBJ,
    "kind": OBJ,
    "sequence": INT,
    "occurred_at": TIME,
    "block": INT,
    "block_time": TIME,
    "account": OBJ,
    "corrected": BOOL,
    "delay_seconds": INT,
}

_COLUMNS = [
    "authorisation",
    "entry_ref",
    "sequence",
    "occurred_at",
    "block",
    "block_time",
    "account",
    "corrected",
]


def recording_delays(tables: LedgerTables) -> pd.DataFrame:
    """One row per entry (a processing entry once), in each authorisation's chain order."""
    parts = []
    for name, kind in KINDS.items():
        frame = tables.tables[name]
        if frame.empty:
            continue
        part = frame[_COLUMNS].copy()
        part["kind"] = kind
        parts.append(part)
    if not parts:
        return make_frame([], RECORDING_DELAYS)
    entries = pd.concat(parts, ignore_index=True).drop_duplicates(["authorisation", "sequence"])
    nanoseconds = entries["block_time"].astype(INT) - entries["occurred_at"].astype(INT)
    entries["delay_seconds"] = nanoseconds // 1_000_000_000
    entries = entries.astype({"sequence": INT, "block": INT, "corrected": BOOL})
    ordered = entries.sort_values(["authorisation", "sequence"], kind="stable").reset_index(drop=True)
    return ordered[list(RECORDING_DELAYS)]
