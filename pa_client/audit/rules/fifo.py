"""First in, first out (docs/spec/domain.md; HMRC SPE03090): each discharge's import goods equivalent, per
import goods code, discharges the authorisation's placements of that code in the order of their
placement date (`occurred_at`), then their sequence.

Discharges are taken in the order they happened (`occurred_at`, then sequence). The chain checks that
the discharged total of a code never exceeds the placed total, so every discharge finds placements;
should tables say otherwise, the excess is kept as an allocation to no placement (`placement` None),
which the audit reports as an integrity alert.

Deemed release is fixed at expiry (UCC-DA art. 175(4)-(5)): where the authorisation provides it, what
is left of a placement at the end of its period for discharge is released for free circulation that
day and leaves the procedure. A later discharge cannot reduce it: it takes, first in first out, the
placements of its code still under the procedure on its day (`expires`); what none of them can take
is kept as an allocation to no placement marked `after_release` (a critical alert, and no part of any
placement's balance).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from pa_client.audit.rules.frames import (
    BOOL,
    INT,
    OBJ,
    TIME,
    Ints,
    day_numbers,
    frame_of,
    group_codes,
    objects,
    time_values,
)
from pa_client.domain.quantities import EQUIVALENT_PER_MICRO

ALLOCATIONS = {
    "authorisation": OBJ,
    "discharge": OBJ,  # entry_ref of the discharge
    "discharge_sequence": INT,
    "occurred_at": TIME,  # of the discharge
    "mode": OBJ,
    "goods_code": OBJ,
    "placement": OBJ,  # entry_ref of the placement, None for an excess no placement covers
    "quantity": OBJ,  # 10^-18 of the import goods' unit
    "after_release": BOOL,  # an excess only because the placements were deemed released before it
}

NEVER: Final = np.iinfo(np.int64).max  # the expiry of a placement that is never deemed released


@dataclass(frozen=True)
class Allocation:
    """The allocations table and, for each of its rows, the row of the discharges table it comes from
    (`source`) and the row of the placements table it is allocated to (`slot`; -1 for an excess)."""

    frame: pd.DataFrame
    source: Ints
    slot: Ints


def _chronological(frame: pd.DataFrame, *first: Ints) -> Ints:
    """Row positions in order of `first` keys (if any), then `occurred_at`, then `sequence` (stable)."""
    order: Ints = np.lexsort(
        (frame["sequence"].to_numpy(dtype=np.int64), time_values(frame["occurred_at"]), *first)
    ).astype(np.int64)
    return order


def allocate(placements: pd.DataFrame, discharges: pd.DataFrame) -> pd.DataFrame:
    """FIFO allocation of discharge equivalents to placements.

    `placements`: live placements (`authorisation`, `entry_ref`, `sequence`, `occurred_at`,
    `goods_code`, `quantity` in millionths). `discharges`: one row per discharge and code
    (`equivalents.discharge_equivalents`). Returns one row per (discharge, placement) share."""
    return fifo(placements, discharges).frame


def _segments(keys: Ints) -> tuple[Ints, Ints]:
    """For rows sorted by key: where each row's run of equal keys starts and ends (exclusive)."""
    count = len(keys)
    boundary = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if count else np.empty(0, dtype=np.int64)
    lengths = np.diff(np.r_[boundary, count])
    return np.repeat(boundary, lengths), np.repeat(boundary + lengths, lengths)


def _keys(
    placements: pd.DataFrame, discharges: pd.DataFrame, authorisations: tuple[Ints, Ints] | None
) -> Ints:
    """A number per (authorisation, goods code) of the placements' rows, then the discharges'."""
    goods = np.concatenate([placements["goods_code"].to_numpy(), discharges["goods_code"].to_numpy()])
    if authorisations is None:
        references = np.concatenate(
            [placements["authorisation"].to_numpy(), discharges["authorisation"].to_numpy()]
        )
        return group_codes(references, goods)
    return group_codes(np.concatenate(authorisations), goods)


def fifo(
    placements: pd.DataFrame,
    discharges: pd.DataFrame,
    authorisations: tuple[Ints, Ints] | None = None,
    expires: Ints | None = None,
) -> Allocation:
    """`allocate`, keeping where each share comes from and goes to.

    The queue of a code is the line of its placements' quantities end to end; the discharges of the
    code, end to end in their order, take the stretches of that line they cover. A share is the
    overlap of a discharge's stretch with a placement's, so every share is found by a binary search
    in the cumulated quantities instead of walking the queue. Placements' equivalents are whole
    millionths (10^12 in 10^-18), so the search runs on int64 millionths and only the shares' bounds
    are worked out in exact Python ints. `authorisations`: codes of the rows' authorisations
    (`keys.Keys`), when known. `expires`: for each placement, the last day (days since 1970-01-01)
    it is under the procedure, `NEVER` where it is not deemed released; when a discharge comes after
    some placement's expiry, the queues are walked (`fifo_by_walking`) to leave expired ones out."""
    placed, taken = len(placements), len(discharges)
    if expires is not None and placed and taken:
        finite = expires[expires < NEVER]
        if len(finite) and int(day_numbers(discharges["occurred_at"]).max()) > int(finite.min()):
            return fifo_by_walking(placements, discharges, expires)
    keys = _keys(placements, discharges, authorisations)
    key_count = int(keys.max()) + 1 if len(keys) else 0
    placement_keys, discharge_keys = keys[:placed], keys[placed:]
    # The queues, key after key: each in placement order (date, then sequence).
    queue = _chronological(placements, placement_keys) if placed else np.empty(0, dtype=np.int64)
    queue_keys = placement_keys[queue]
    micro = placements["quantity"].to_numpy()[queue] if placed else np.empty(0, dtype=np.int64)
    amounts = discharges["equivalent"].to_numpy() if taken else np.empty(0, dtype=object)
    if not _fits(micro, amounts):
        return fifo_by_walking(placements, discharges)
    micro = np.asarray(micro).astype(np.int64)
    placed_total = np.zeros(key_count, dtype=np.int64)
    np.add.at(placed_total, queue_keys, micro)
    queue_start = np.searchsorted(queue_keys, np.arange(key_count), side="left")
    queue_end = np.searchsorted(queue_keys, np.arange(key_count), side="right")
    # Discharges in the order they happened, then grouped by key (keeping that order).
    happened = _chronological(discharges) if taken else np.empty(0, dtype=np.int64)
    by_key = happened[np.argsort(discharge_keys[happened], kind="stable")]
    keys_sorted = discharge_keys[by_key]
    amount = objects(amounts[by_key])
    end = np.cumsum(amount) if taken else amount
    first, _ = _segments(keys_sorted)
    before_run = np.where(first > 0, end[np.maximum(first - 1, 0)], 0) if taken else amount
    end = end - before_run
    start = end - amount
    # Lay the keys end to end on one line of millionths (each key after the longest of its placed
    # and discharged totals), so that one search serves every key.
    discharged_total = np.zeros(key_count, dtype=object)
    if taken:
        np.add.at(discharged_total, keys_sorted, amount)
    reach = np.maximum(placed_total, _ceil_micro(discharged_total).astype(np.int64)) + 1
    offset = np.cumsum(reach) - reach
    line = np.cumsum(micro) - np.repeat(np.cumsum(placed_total) - placed_total, queue_end - queue_start)
    line = line + offset[queue_keys]
    low = np.searchsorted(line, _floor_micro(start).astype(np.int64) + offset[keys_sorted], side="right")
    high = np.searchsorted(line, _ceil_micro(end).astype(np.int64) + offset[keys_sorted], side="left")
    high = np.minimum(high, queue_end[keys_sorted] - 1)
    positive = amount > 0
    counts = np.where(positive, np.maximum(high - low + 1, 0), 0).astype(np.int64)
    row = np.repeat(np.arange(taken, dtype=np.int64), counts)
    slot = low[row] + np.arange(len(row), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    slot_end = objects(line[slot] - offset[queue_keys[slot]]) * EQUIVALENT_PER_MICRO
    slot_start = slot_end - objects(micro[slot]) * EQUIVALENT_PER_MICRO
    share = np.minimum(slot_end, end[row]) - np.maximum(slot_start, start[row])
    kept = np.flatnonzero(share > 0)
    row, slot, share = row[kept], slot[kept], share[kept]
    # What no placement covers: beyond the key's placed total.
    ceiling = objects(placed_total[keys_sorted]) * EQUIVALENT_PER_MICRO
    excess = end - np.maximum(start, ceiling)
    over = np.flatnonzero(positive & (excess > 0))
    # In the order of the discharges, each one's shares in queue order, then its excess.
    order_of = np.empty(taken, dtype=np.int64)
    order_of[happened] = np.arange(taken, dtype=np.int64)
    rows = np.concatenate([row, over])
    position = np.lexsort(
        (
            np.concatenate([slot, np.zeros(len(over), dtype=np.int64)]),
            np.concatenate([np.zeros(len(row), dtype=np.int64), np.ones(len(over), dtype=np.int64)]),
            order_of[by_key[rows]],
        )
    )
    source = by_key[rows][position]
    slots = np.concatenate([queue[slot], np.full(len(over), -1, dtype=np.int64)])[position]
    quantity = np.concatenate([share, excess[over]])[position] if len(rows) else objects([])
    placement = objects([None] * len(slots))
    covered = slots >= 0
    placement[covered] = placements["entry_ref"].to_numpy(dtype=object)[slots[covered]]
    return _allocation(discharges, source, slots, placement, objects(quantity))


_LIMIT = 2**62


def _fits(micro: Any, amounts: Any) -> bool:
    """Whether the line of millionths laid out by `fifo` stays well within int64 (else the queues
    are walked, in Python ints)."""
    placed = int(np.asarray(micro, dtype=object).sum()) if len(micro) else 0
    discharged = int(np.asarray(amounts, dtype=object).sum()) if len(amounts) else 0
    return (
        min(placed, discharged) >= 0
        and placed + discharged // EQUIVALENT_PER_MICRO + len(micro) + len(amounts) < _LIMIT
    )


def _floor_micro(amounts: Any) -> Any:
    return objects(amounts) // EQUIVALENT_PER_MICRO


def _ceil_micro(amounts: Any) -> Any:
    return -(-objects(amounts) // EQUIVALENT_PER_MICRO)


def _allocation(
    discharges: pd.DataFrame,
    source: Ints,
    slots: Ints,
    placement: Any,
    quantity: Any,
    after_release: Any = None,
) -> Allocation:
    columns: dict[str, Any] = {
        "authorisation": discharges["authorisation"].to_numpy()[source],
        "discharge": discharges["entry_ref"].to_numpy()[source],
        "discharge_sequence": discharges["sequence"].to_numpy()[source],
        "occurred_at": discharges["occurred_at"].array[source],
        "mode": discharges["mode"].to_numpy()[source],
        "goods_code": discharges["goods_code"].to_numpy()[source],
        "placement": placement,
        "quantity": quantity,
        "after_release": np.zeros(len(source), dtype=bool) if after_release is None else after_release,
    }
    return Allocation(frame_of(columns, ALLOCATIONS, len(source)), source, slots)


def fifo_by_walking(
    placements: pd.DataFrame, discharges: pd.DataFrame, expires: Ints | None = None
) -> Allocation:
    """`fifo` by walking each code's queue discharge after discharge (the plain algorithm, for
    quantities beyond int64, for placements deemed released before a later discharge (`expires`, as
    in `fifo`), and as the reference of the tests)."""
    placed, taken = len(placements), len(discharges)
    keys = group_codes(
        np.concatenate([placements["authorisation"].to_numpy(), discharges["authorisation"].to_numpy()]),
        np.concatenate([placements["goods_code"].to_numpy(), discharges["goods_code"].to_numpy()]),
    )
    count = int(keys.max()) + 1 if len(keys) else 0
    slot_rows: list[list[int]] = [[] for _ in range(count)]
    slot_left: list[list[int]] = [[] for _ in range(count)]
    slot_expires: list[list[int]] = [[] for _ in range(count)]
    last_day = (expires if expires is not None else np.full(placed, NEVER, dtype=np.int64)).tolist()
    placed_total = [0] * count
    discharged_total = [0] * count
    if placed:
        order = _chronological(placements)
        quantities = (objects(placements["quantity"].to_numpy()[order]) * EQUIVALENT_PER_MICRO).tolist()
        for key, position, placed_quantity in zip(
            keys[:placed][order].tolist(), order.tolist(), quantities, strict=True
        ):
            slot_rows[key].append(position)
            slot_left[key].append(placed_quantity)
            slot_expires[key].append(last_day[position])
            placed_total[key] += placed_quantity
    positions = [0] * count
    source: list[int] = []
    slots: list[int] = []
    quantity: list[int] = []
    after_release: list[bool] = []
    if taken:
        order = _chronological(discharges)
        amounts = discharges["equivalent"].to_numpy()[order].tolist()
        days = day_numbers(discharges["occurred_at"])[order].tolist()
        for row, key, amount, day in zip(
            order.tolist(), keys[placed:][order].tolist(), amounts, days, strict=True
        ):
            left = int(amount)
            if left <= 0:
                continue
            lefts, rows_of, ends = slot_left[key], slot_rows[key], slot_expires[key]
            at, end = positions[key], len(lefts)
            while left > 0 and at < end:
                if ends[at] < day:  # deemed released before this discharge: out of the queue for good
                    at += 1
                    continue
                slot = lefts[at]
                share = slot if slot < left else left
                if share > 0:
                    source.append(row)
                    slots.append(rows_of[at])
                    quantity.append(share)
                    after_release.append(False)
                slot -= share
                left -= share
                lefts[at] = slot
                if slot == 0:
                    at += 1
            positions[key] = at
            before = discharged_total[key]
            discharged_total[key] += int(amount)
            if left > 0:
                # Beyond what was ever placed of the code: an integrity fault; the rest of the excess
                # is only there because placements left the procedure at expiry.
                beyond = max(0, discharged_total[key] - max(placed_total[key], before))
                for part, released in ((left - min(beyond, left), True), (min(beyond, left), False)):
                    if part > 0:
                        source.append(row)
                        slots.append(-1)
                        quantity.append(part)
                        after_release.append(released)
    slot_array = np.asarray(slots, dtype=np.int64)
    refs = placements["entry_ref"].to_numpy(dtype=object)
    placement = [None if s < 0 else refs[s] for s in slots]
    return _allocation(
        discharges,
        np.asarray(source, dtype=np.int64),
        slot_array,
        placement,
        quantity,
        np.asarray(after_release, dtype=bool),
    )


def allocated_by_placement(allocations: pd.DataFrame) -> dict[tuple[str, str], dict[str, int]]:
    """(authorisation, placement entry_ref) -> discharge mode -> equivalent allocated (10^-18)."""
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for reference, placement, mode, amount in zip(
        allocations["authorisation"].tolist(),
        allocations["placement"].tolist(),
        allocations["mode"].tolist(),
        allocations["quantity"].tolist(),
        strict=True,
    ):
        if placement is None:
            continue
        by_mode = totals[(reference, placement)]
        by_mode[mode] = by_mode.get(mode, 0) + int(amount)
    return dict(totals)
