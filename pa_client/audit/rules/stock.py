"""Stock accounting (comptabilité matières): what each lot holds at each site, after every block, and
the import goods equivalent on hand per import goods code over time (for a chart).

Only live entries count: a corrected entry's effects are gone on chain, so the history is that of the
ledger as corrected (a correction does not show as a movement of its own).

The functions take and give tables; `Stock` is the same computation keeping the integer keys of the
rows (`keys.Keys`) from one step to the next, as the audit runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pa_client.audit.rules.equivalents import BasisTable, LotKey, handlings_by_lot
from pa_client.audit.rules.frames import (
    INT,
    OBJ,
    TIME,
    Ints,
    Objects,
    frame_of,
    group_codes,
    lookup,
    make_frame,
    objects,
    sort_ranks,
    time_values,
)
from pa_client.audit.rules.keys import Keys, live_rows
from pa_client.audit.tables import LedgerTables
from pa_client.domain.quantities import EQUIVALENT_PER_MICRO

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

# (table, kind, site column, sign): each live row of the table changes its lot's stock at that site.
_CHANGES = (
    ("placements", "placement", "site", 1),
    ("movements", "movement", "from_site", -1),
    ("movements", "movement", "to_site", 1),
    ("processing_inputs", "processing", "site", -1),
    ("processing_outputs", "processing", "site", 1),
    ("discharges", "discharge", "site", -1),
)


@dataclass(frozen=True)
class Events:
    """Stock events as columns (those of STOCK_EVENTS, `block_time` in nanoseconds) with each row's
    authorisation code, its rank among the references in sorted order, and its lot code
    (`keys.Keys`)."""

    columns: dict[str, Any]
    authorisation: Ints
    rank: Ints
    lot: Ints

    def __len__(self) -> int:
        return len(self.lot)

    @property
    def frame(self) -> pd.DataFrame:
        columns = dict(self.columns)
        columns["block_time"] = pd.to_datetime(columns["block_time"], unit="ns", utc=True)
        return frame_of(columns, STOCK_EVENTS, len(self))


_PLACED, _MOVED_FROM, _MOVED_TO = 0, 1, 2  # positions in _CHANGES


def _kind_codes(kinds: Any) -> Ints:
    """Codes of stock event kinds as `events_of` numbers them (movements: from, as both legs)."""
    numbers = {"placement": _PLACED, "movement": _MOVED_FROM, "processing": 3, "discharge": 5}
    return np.array([numbers[k] for k in np.asarray(kinds).tolist()], dtype=np.int64)


def events_of(tables: LedgerTables, keys: Keys) -> Events:
    """`stock_events`, as columns, keeping the rows' keys."""
    columns: dict[str, list[Any]] = {
        name: [] for name in (*STOCK_EVENTS, "authorisation_code", "lot_code", "kind_code")
    }
    for number, (name, kind, site, sign) in enumerate(_CHANGES):
        table = tables.tables[name]
        rows = live_rows(table)
        if len(rows) == 0:
            continue
        for column in ("authorisation", "block", "log_index", "sequence", "entry_ref", "lot"):
            columns[column].append(table[column].to_numpy()[rows])
        columns["block_time"].append(time_values(table["block_time"])[rows])
        columns["kind"].append(np.full(len(rows), kind, dtype=object))
        columns["kind_code"].append(np.full(len(rows), number, dtype=np.int64))
        columns["site"].append(table[site].to_numpy()[rows])
        columns["delta"].append(table["quantity"].to_numpy()[rows] * sign)
        columns["authorisation_code"].append(keys.authorisation[name][rows])
        columns["lot_code"].append(keys.lot[name][rows])
    if not columns["block"]:
        empty = np.empty(0, dtype=np.int64)
        frame = make_frame([], STOCK_EVENTS)
        arrays = {name: frame[name].to_numpy() for name in STOCK_EVENTS}
        arrays["block_time"] = empty
        arrays["kind_code"] = empty
        return Events(arrays, empty, empty, empty)
    blocks = np.concatenate(columns["block"]).astype(np.int64)
    order = np.lexsort((np.concatenate(columns["log_index"]).astype(np.int64), blocks))
    ordered = {name: np.concatenate(parts)[order] for name, parts in columns.items()}
    for name in ("block", "log_index", "sequence", "delta", "block_time"):
        ordered[name] = ordered[name].astype(np.int64)
    codes = ordered.pop("authorisation_code")
    lots = ordered.pop("lot_code")
    return Events(ordered, codes, keys.rank[codes], lots)


def stock_events(tables: LedgerTables) -> pd.DataFrame:
    """Every change of a lot's stock at a site by a live entry, in chain order."""
    return events_of(tables, Keys.of(tables)).frame


STOCK_HISTORY = {
    "authorisation": OBJ,
    "block": INT,
    "block_time": TIME,
    "lot": OBJ,
    "site": OBJ,
    "quantity": INT,  # the lot's stock at the site after the block, millionths
}


@dataclass(frozen=True)
class History:
    """The stock history (`frame`) with the lot code of each row and each row's event (`rows`)."""

    frame: pd.DataFrame
    lot: Ints


def _last_of(groups: Ints) -> Ints:
    """The positions of the last row of each group, in order."""
    _, reversed_first = np.unique(groups[::-1], return_index=True)
    return np.sort(len(groups) - 1 - reversed_first)


def history_of(events: Events) -> History:
    """`stock_history`, keeping the rows' lot codes."""
    if len(events) == 0:
        return History(make_frame([], STOCK_HISTORY), np.empty(0, dtype=np.int64))
    columns = events.columns
    places = group_codes(events.lot, columns["site"])
    delta = columns["delta"]
    quantity = pd.Series(delta).groupby(places, sort=False).cumsum().to_numpy(dtype=np.int64)
    blocks = columns["block"]
    kept = _last_of(places * (int(blocks.max()) + 1) + blocks)
    history = {name: columns[name][kept] for name in ("authorisation", "block", "lot", "site")}
    history["block_time"] = pd.to_datetime(columns["block_time"][kept], unit="ns", utc=True)
    history["quantity"] = quantity[kept]
    return History(frame_of(history, STOCK_HISTORY, len(kept)), events.lot[kept])


def stock_history(events: pd.DataFrame) -> pd.DataFrame:
    """The stock of each lot at each site after every block that changed it."""
    if events.empty:
        return make_frame([], STOCK_HISTORY)
    lots = group_codes(events["authorisation"].to_numpy(), events["lot"].to_numpy())
    unused = np.zeros(len(events), dtype=np.int64)
    return history_of(Events(_columns(events), unused, unused, lots)).frame


def _columns(events: pd.DataFrame) -> dict[str, Any]:
    columns = {name: events[name].to_numpy() for name in STOCK_EVENTS}
    for name in ("block", "log_index", "sequence", "delta"):
        columns[name] = columns[name].astype(np.int64)
    columns["block_time"] = time_values(events["block_time"])
    return columns


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


def _basis_rows(bases: BasisTable, frame: pd.DataFrame, lots: Ints | None) -> Ints:
    """The row in `bases.lots` of each row's (authorisation, lot); KeyError (the key) when none."""
    if frame.empty:
        return np.empty(0, dtype=np.int64)
    if lots is None:
        found = bases.find_pairs(frame["authorisation"].to_numpy(), frame["lot"].to_numpy())
    else:
        found = bases.position[lots]
    if (found < 0).any():
        missing = int(np.flatnonzero(found < 0)[0])
        raise KeyError((frame["authorisation"].iloc[missing], frame["lot"].iloc[missing]))
    return found


def current_stock(tables: LedgerTables, history: pd.DataFrame | History, bases: BasisTable) -> pd.DataFrame:
    """What each lot holds at each site now (non-zero stocks only)."""
    # The lot's latest handling gives its code now.
    handled: dict[LotKey, tuple[int, str]] = {
        key: max(found) for key, found in handlings_by_lot(tables).items()
    }
    frame, lot_codes = (history.frame, history.lot) if isinstance(history, History) else (history, None)
    if frame.empty:
        return make_frame([], STOCK)
    places = (
        group_codes(lot_codes, frame["site"].to_numpy())
        if lot_codes is not None
        else group_codes(frame["authorisation"].to_numpy(), frame["lot"].to_numpy(), frame["site"].to_numpy())
    )
    kept = _last_of(places)
    kept = kept[frame["quantity"].to_numpy()[kept] != 0]
    last = frame.take(kept)
    lots = bases.lots.take(_basis_rows(bases, last, None if lot_codes is None else lot_codes[kept]))
    codes = lots["code"].to_numpy()
    if handled:
        codes = objects(
            [
                handled[key][1] if key in handled else code
                for key, code in zip(
                    zip(last["authorisation"].tolist(), last["lot"].tolist(), strict=True),
                    codes.tolist(),
                    strict=True,
                )
            ]
        )
    columns: dict[str, Any] = {
        name: last[name].to_numpy() for name in ("authorisation", "lot", "site", "quantity", "block")
    }
    columns["origin"] = lots["origin"].to_numpy()
    columns["goods_code"] = codes
    columns["basis_code"] = lots["code"].to_numpy()
    columns["description"] = lots["description"].to_numpy()
    columns["unit"] = lots["unit"].to_numpy()
    order = np.lexsort(
        (sort_ranks(columns["site"]), sort_ranks(columns["lot"]), sort_ranks(columns["authorisation"]))
    )
    return frame_of({name: np.asarray(values)[order] for name, values in columns.items()}, STOCK, len(last))


STOCK_BY_CODE = {
    "authorisation": OBJ,
    "block": INT,
    "block_time": TIME,
    "goods_code": OBJ,
    "on_hand": OBJ,  # Σ over lots of the lot's (all sites) import goods equivalent, 10^-18
    "placed": OBJ,  # cumulative, 10^-18
    "discharged": OBJ,  # cumulative, 10^-18 (the chain's totals)
}

_LIMIT = 2**62


def _segment_cumsum(values: Objects, groups: Ints) -> Objects:
    """Running totals of `values` within runs of equal `groups` (rows sorted by group)."""
    if len(values) == 0:
        return values
    totals = np.cumsum(values)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    before = objects(np.r_[0, totals[starts[1:] - 1]]) if len(starts) > 1 else objects([0])
    offsets = np.repeat(before, np.diff(np.r_[starts, len(values)]))
    result: Objects = totals - offsets
    return result


def stock_by_code(
    events: pd.DataFrame | Events,
    discharges: pd.DataFrame,
    bases: BasisTable,
    discharge_authorisations: Ints | None = None,
) -> pd.DataFrame:
    """Per authorisation and import goods code, after every block that changed it: the import goods
    equivalent on hand (each lot's total stock taken at its table's rate, rounded down as on chain),
    and the placed and discharged totals (`discharges`: `equivalents.discharge_equivalents`;
    `discharge_authorisations`: their authorisation codes, with `Events`)."""
    keyed = isinstance(events, Events)
    if isinstance(events, Events):
        columns, references_code, ranks, lot_code = (
            events.columns,
            events.authorisation,
            events.rank,
            events.lot,
        )
    else:
        columns = _columns(events)
        codes = group_codes(
            np.concatenate([events["authorisation"].to_numpy(), discharges["authorisation"].to_numpy()])
        )
        references_code, discharge_authorisations = codes[: len(events)], codes[len(events) :]
        ranks = sort_ranks(events["authorisation"].to_numpy())
        lot_code = group_codes(events["authorisation"].to_numpy(), events["lot"].to_numpy())
    assert discharge_authorisations is not None
    kinds = columns["kind_code"] if "kind_code" in columns else _kind_codes(columns["kind"])
    counted = np.flatnonzero((kinds != _MOVED_FROM) & (kinds != _MOVED_TO))
    if len(counted) == 0:
        return make_frame([], STOCK_BY_CODE)
    rank, blocks = ranks[counted], columns["block"][counted]
    order = np.lexsort((columns["log_index"][counted], blocks, rank))
    counted, rank, blocks = counted[order], rank[order], blocks[order]
    authorisations = references_code[counted]
    delta = columns["delta"][counted]
    # Each lot's total stock (all sites) after each of its events, in the order above.
    after = pd.Series(delta).groupby(lot_code[counted], sort=False).cumsum().to_numpy(dtype=np.int64)
    if keyed:
        lot_rows = bases.position[lot_code[counted]]
    else:
        lot_rows = bases.find_pairs(columns["authorisation"][counted], columns["lot"][counted])
    if (lot_rows < 0).any():
        missing = counted[int(np.flatnonzero(lot_rows < 0)[0])]
        raise KeyError((columns["authorisation"][missing], columns["lot"][missing]))
    event, content = bases.explode(lot_rows)
    # An import lot counts its millionths (10^12 each); a product lot its table equivalent, rounded
    # down on its total stock: the change is the difference of the rounded totals.
    whole = bases.whole[content]
    if len(delta) and int(np.abs(delta).max()) >= _LIMIT // (len(delta) + 1):
        whole[:] = False  # totals of millionths could leave int64: count everything exactly
    micro_on_hand = np.where(whole, delta[event], 0)
    parts = np.flatnonzero(~whole)
    on_hand_parts = bases.equivalents(after[event][parts], content[parts]) - bases.equivalents(
        (after - delta)[event][parts], content[parts]
    )
    placements = kinds[counted][event] == _PLACED
    micro_placed = np.where(placements & whole, delta[event], 0)
    # The discharged totals, counted in the blocks where the authorisation has stock events.
    span = int(max(blocks.max(), discharges["block"].max() if len(discharges) else 0)) + 1
    block_keys = authorisations * span + blocks
    seen = _last_of(block_keys)  # one event per (authorisation, block): its time
    seen_keys = block_keys[seen]
    taken = np.flatnonzero(
        lookup(
            (seen_keys,), (discharge_authorisations * span + discharges["block"].to_numpy(dtype=np.int64),)
        )
        >= 0
    )
    count = len(event)
    goods = np.concatenate([bases.goods_code[content], discharges["goods_code"].to_numpy()[taken]])
    owner = np.concatenate([authorisations[event], discharge_authorisations[taken]])
    block = np.concatenate([blocks[event], discharges["block"].to_numpy(dtype=np.int64)[taken]])
    # Running totals per (authorisation, code) in block order; each block's last one is its figure.
    series = group_codes(owner, goods)
    order = np.lexsort((block, series))
    series, block = series[order], block[order]
    last = np.flatnonzero(np.r_[(series[1:] != series[:-1]) | (block[1:] != block[:-1]), True])
    extra = np.zeros(len(taken), dtype=np.int64)
    micro = {
        "on_hand": np.concatenate([micro_on_hand, extra])[order],
        "placed": np.concatenate([micro_placed, extra])[order],
    }
    inexact = np.flatnonzero(placements & ~whole)
    exact = {
        "on_hand": (parts, on_hand_parts),
        "placed": (inexact, objects(delta[event][inexact]) * EQUIVALENT_PER_MICRO),
        "discharged": (count + np.arange(len(taken)), objects(discharges["equivalent"].to_numpy()[taken])),
    }
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order), dtype=np.int64)
    totals: dict[str, Objects] = {}
    for name in ("on_hand", "placed", "discharged"):
        total = (
            objects(_segment_sums(micro[name], series)[last]) * EQUIVALENT_PER_MICRO
            if name in micro
            else objects([0] * len(last))
        )
        if name in exact:
            rows, values = exact[name]
            total = total + _running_at(position[rows], values, series, last)
        totals[name] = total
    owner, goods, block = owner[order][last], goods[order][last], block[last]
    at = seen[lookup((seen_keys,), (owner * span + block,))]
    table = {
        "authorisation": columns["authorisation"][counted[at]],
        "block": block,
        "block_time": pd.to_datetime(columns["block_time"][counted[at]], unit="ns", utc=True),
        "goods_code": goods,
        **totals,
    }
    rows = np.lexsort((sort_ranks(goods), block, rank[at]))
    return frame_of({name: values[rows] for name, values in table.items()}, STOCK_BY_CODE, len(rows))


def _segment_sums(values: Ints, groups: Ints) -> Ints:
    """Running totals of int64 `values` within runs of equal `groups` (rows sorted by group)."""
    totals = np.cumsum(values)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]]) if len(groups) else np.empty(0, np.int64)
    before = np.r_[0, totals[starts[1:] - 1]] if len(starts) else np.empty(0, np.int64)
    result: Ints = totals - np.repeat(before, np.diff(np.r_[starts, len(values)]))
    return result


def _running_at(rows: Ints, values: Objects, groups: Ints, at: Ints) -> Objects:
    """For positions `at` of rows sorted by group: the running total (within the group) of the exact
    `values` placed at positions `rows`, up to and including each position."""
    if len(rows) == 0:
        return objects([0] * len(at))
    order = np.argsort(rows, kind="stable")
    rows, values = rows[order], values[order]
    running = _segment_cumsum(values, groups[rows])
    # The last of the rows at or before each position, if it is in the same group.
    last = np.searchsorted(rows, at, side="right") - 1
    valid = last >= 0
    same = valid & (groups[rows[np.maximum(last, 0)]] == groups[at])
    result: Objects = np.where(same, running[np.maximum(last, 0)], 0)
    return objects(result)
