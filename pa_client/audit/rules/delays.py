"""Recording delay: how long after the event an entry reached the ledger (block time − occurred_at).

Every entry counts, corrected or not (a record made late was made late), corrections and extensions
included. A business time up to an hour after the block (clock skew) gives a negative delay.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pa_client.audit.rules.frames import BOOL, INT, OBJ, TIME, frame_of, make_frame, sort_ranks, time_values
from pa_client.audit.rules.keys import Keys
from pa_client.audit.tables import LedgerTables

KINDS = {
    "placements": "placement",
    "movements": "movement",
    "processing_inputs": "processing",
    "processing_outputs": "processing",
    "handlings": "handling",
    "discharges": "discharge",
    "corrections": "correction",
    "extensions": "extension",
    "bills": "bill",  # a lodging dated long before its block: backdated, a late record
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


def recording_delays(tables: LedgerTables, keys: Keys | None = None) -> pd.DataFrame:
    """One row per entry (a processing entry once), in each authorisation's chain order."""
    names = [name for name in KINDS if not tables.tables[name].empty]
    if not names:
        return make_frame([], RECORDING_DELAYS)
    frames = [tables.tables[name] for name in names]
    if keys is None:
        ranks = sort_ranks(np.concatenate([f["authorisation"].to_numpy() for f in frames]))
    else:
        ranks = np.concatenate([keys.rank[keys.authorisation[name]] for name in names])
    sequences = np.concatenate([f["sequence"].to_numpy(dtype=np.int64) for f in frames])
    # One row per (authorisation, sequence): the first listed (processing inputs before outputs), in
    # the order of the authorisations' references, then of the sequence.
    span = int(sequences.max()) + 1 if len(sequences) else 1
    _, chosen = np.unique(ranks * span + sequences, return_index=True)
    columns: dict[str, Any] = {
        name: np.concatenate([f[name].to_numpy() for f in frames])[chosen]
        for name in ("authorisation", "entry_ref", "block", "account", "corrected")
    }
    columns["kind"] = np.concatenate(
        [np.full(len(f), KINDS[name], dtype=object) for name, f in zip(names, frames, strict=True)]
    )[chosen]
    columns["sequence"] = sequences[chosen]
    occurred = np.concatenate([time_values(f["occurred_at"]) for f in frames])[chosen]
    recorded = np.concatenate([time_values(f["block_time"]) for f in frames])[chosen]
    columns["occurred_at"] = pd.to_datetime(occurred, unit="ns", utc=True)
    columns["block_time"] = pd.to_datetime(recorded, unit="ns", utc=True)
    columns["delay_seconds"] = (recorded - occurred) // 1_000_000_000
    return frame_of(columns, RECORDING_DELAYS, len(chosen))
