"""The tables' text keys as integers, worked out once per audit.

The rules join and group the tables by authorisation and by lot (an authorisation's lot reference)
over and over; hashing the same strings for each join costs more than the rules' own arithmetic on a
large ledger. `Keys` numbers every authorisation and every (authorisation, lot) of the ledger tables
once, in one code space across tables, so that the rules join and group on int64 arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pa_client.audit.rules.frames import Ints, objects
from pa_client.audit.tables import LedgerTables, factorize

LOT_TABLES = ("placements", "movements", "processing_inputs", "processing_outputs", "handlings", "discharges")


@dataclass(frozen=True)
class Keys:
    """`authorisation[table]`: the code of each row's authorisation (`references[code]` is the
    reference, `rank[code]` its place in sorted order); `lot[table]`: the code of each row's
    (authorisation, lot), for the tables that name a lot (`lot_count` codes in all)."""

    references: tuple[str, ...]
    rank: Ints
    authorisation: dict[str, Ints]
    lot: dict[str, Ints]
    lot_count: int

    @classmethod
    def of(cls, tables: LedgerTables) -> Keys:
        names = list(tables.tables)
        sizes = [len(tables.tables[name]) for name in names]
        values = [objects(tables.tables[name]["authorisation"].to_numpy()) for name in names]
        codes, unique = factorize(np.concatenate(values) if values else objects([]))
        references = tuple(str(r) for r in unique)
        authorisation = dict(
            zip(names, np.split(np.asarray(codes, dtype=np.int64), np.cumsum(sizes)[:-1]), strict=True)
        )
        rank = np.empty(len(references), dtype=np.int64)
        rank[np.argsort(np.array(references, dtype=object), kind="stable")] = np.arange(len(references))
        lot_names = [name for name in LOT_TABLES if name in tables.tables]
        lot_sizes = [len(tables.tables[name]) for name in lot_names]
        lots = [objects(tables.tables[name]["lot"].to_numpy()) for name in lot_names]
        lot_codes, lot_unique = factorize(np.concatenate(lots) if lots else objects([]))
        pairs = (
            np.concatenate([authorisation[name] for name in lot_names])
            if lot_names
            else np.empty(0, np.int64)
        )
        combined, distinct = factorize(
            pairs * max(1, len(lot_unique)) + np.asarray(lot_codes, dtype=np.int64)
        )
        lot = dict(
            zip(
                lot_names,
                np.split(np.asarray(combined, dtype=np.int64), np.cumsum(lot_sizes)[:-1]),
                strict=True,
            )
        )
        return cls(references, rank, authorisation, lot, len(distinct))


def live_rows(frame: pd.DataFrame) -> Ints:
    """The positions of the rows a correction has not reversed (those `frames.live` keeps)."""
    if frame.empty:
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(~frame["corrected"].to_numpy(dtype=bool)).astype(np.int64)
