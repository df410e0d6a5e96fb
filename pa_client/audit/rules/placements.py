"""The placements table: each live placement with its deadline, what FIFO discharged of it by mode,
what remains, its status and the duty it suspends.

Status (docs/audit-model.md): `discharged` when the remaining equivalent shows as 0.000000 (rounding
dust of at most a few 10^-18 is closed this way, docs/ledger.md), otherwise `overdue` once the day of
the audit is after the deadline (the deadline is the last day of the period), otherwise `open`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pa_client.audit.rules.fifo import NEVER, Allocation, allocated_by_placement
from pa_client.audit.rules.frames import (
    BOOL,
    INT,
    OBJ,
    TIME,
    Bools,
    Ints,
    Objects,
    frame_of,
    half_up_ratio,
    live,
    objects,
    ordinals,
    sort_ranks,
    terms_in_force,
    time_values,
    utc_days,
)
from pa_client.audit.tables import LedgerTables
from pa_client.domain.quantities import EQUIVALENT_PER_MICRO, PPM

OPEN = "open"
DISCHARGED = "discharged"
OVERDUE = "overdue"

PLACEMENTS = {
    "authorisation": OBJ,
    "entry_ref": OBJ,
    "sequence": INT,
    "block": INT,
    "occurred_at": TIME,
    "date": OBJ,
    "lot": OBJ,
    "declaration": OBJ,
    "procedure": INT,
    "goods_code": OBJ,
    "description": OBJ,
    "quantity": INT,  # millionths of the unit
    "unit": OBJ,
    "site": OBJ,
    "origin": OBJ,
    "customs_value_cents": INT,
    "duty_rate_ppm": INT,
    "suspended_duty_cents": INT,
    "period_deadline": OBJ,  # by the authorisation's terms
    "deadline": OBJ,  # after the latest extension, if any
    "extended": BOOL,
    "extension": OBJ,  # entry_ref of the latest extension, None when not extended
    "placed": OBJ,  # 10^-18
    "discharged": OBJ,  # dict: discharge mode -> 10^-18
    "discharged_total": OBJ,  # 10^-18
    "remaining": OBJ,  # 10^-18
    "status": OBJ,
    "deemed_release": BOOL,  # the authorisation deems goods left at expiry released
}

_HALF_SHOWN = EQUIVALENT_PER_MICRO // 2  # half of the last decimal shown (10^-6)


def shows_as_zero(amounts: Objects) -> Bools:
    """`display_equivalent(amount) == 0` of each amount (6 decimals, half away from zero)."""
    values = objects(amounts)
    result: Bools = np.asarray((values < _HALF_SHOWN) & (values > -_HALF_SHOWN), dtype=bool)
    return result


def statuses(remaining: Objects, deadlines: Objects, today: date) -> Objects:
    zero = shows_as_zero(remaining)
    late = today.toordinal() > ordinals(deadlines)
    return objects(np.where(zero, DISCHARGED, np.where(late, OVERDUE, OPEN)).astype(object))


def suspended_duties(customs_value_cents: Any, duty_rate_ppm: Any) -> Objects:
    """`suspended_duty_cents` of each placement."""
    return half_up_ratio(objects(np.asarray(customs_value_cents)) * objects(np.asarray(duty_rate_ppm)), PPM)


def _discharged(allocation: Allocation, count: int) -> tuple[Objects, Objects]:
    """Per placement (row of the live placements `fifo` was given): the equivalent discharged by mode
    (a dict in the order of the modes' names) and in all."""
    covered = np.flatnonzero(allocation.slot >= 0)
    slots = allocation.slot[covered]
    modes = allocation.frame["mode"].to_numpy()[covered]
    amounts = objects(allocation.frame["quantity"].to_numpy()[covered])
    order = np.lexsort((sort_ranks(modes), slots))
    slots, modes, amounts = slots[order], modes[order], amounts[order]
    if len(slots):
        starts = np.flatnonzero(np.r_[True, (slots[1:] != slots[:-1]) | (modes[1:] != modes[:-1])])
        sums = np.add.reduceat(amounts, starts)
        slots, modes = slots[starts], modes[starts]
    else:
        sums = amounts
    discharged = objects([{} for _ in range(count)])
    for slot, mode, amount in zip(slots.tolist(), modes.tolist(), sums.tolist(), strict=True):
        discharged[slot][mode] = amount
    totals = objects([0] * count)
    if len(slots):
        np.add.at(totals, slots, sums)
    return discharged, totals


def deemed_release(tables: LedgerTables, placements: pd.DataFrame) -> Bools:
    """Whether each placement's goods are deemed released at expiry, by the terms in force when it was
    recorded."""
    terms, in_force = terms_in_force(tables, placements)
    if not terms:
        return in_force.astype(bool)
    flags: Bools = np.array([t.deemed_release_on_expiry for t in terms], dtype=bool)[in_force]
    return flags


def expiry_days(tables: LedgerTables, deadlines: pd.DataFrame) -> Ints:
    """For each live placement (in the order of `deadlines`, `deadlines.placement_deadlines`), the last
    day it is under the procedure (days since 1970-01-01): its deadline where the authorisation deems
    goods released at expiry (UCC-DA art. 175(4)), `fifo.NEVER` otherwise (the goods stay overdue)."""
    placements = live(tables.placements)
    deemed = deemed_release(tables, placements)
    if not len(placements):
        return np.empty(0, dtype=np.int64)
    epoch = date(1970, 1, 1).toordinal()
    last = ordinals(deadlines["deadline"].to_numpy()) - epoch
    result: Ints = np.where(deemed, last, NEVER).astype(np.int64)
    return result


def placement_table(
    tables: LedgerTables, deadlines: pd.DataFrame, allocations: pd.DataFrame | Allocation, today: date
) -> pd.DataFrame:
    """One row per live placement (see PLACEMENTS); the terms are those in force when it was recorded.
    `deadlines`: `deadlines.placement_deadlines`; `allocations`: `fifo.allocate` (or `fifo.fifo` of the
    same live placements)."""
    placements = live(tables.placements)
    count = len(placements)
    references = placements["authorisation"].tolist()
    entry_refs = placements["entry_ref"].tolist()
    aligned = (
        deadlines["authorisation"].tolist() == references and deadlines["entry_ref"].tolist() == entry_refs
    )
    if aligned:
        which = np.arange(count, dtype=np.int64)
    else:
        by_ref = {
            key: i
            for i, key in enumerate(zip(deadlines["authorisation"], deadlines["entry_ref"], strict=True))
        }
        which = np.array([by_ref[key] for key in zip(references, entry_refs, strict=True)], dtype=np.int64)
    deemed = deemed_release(tables, placements)
    if isinstance(allocations, Allocation):
        discharged, totals = _discharged(allocations, count)
    else:
        allocated = allocated_by_placement(allocations)
        discharged = objects(
            [
                dict(sorted(allocated[key].items())) if key in allocated else {}
                for key in zip(references, entry_refs, strict=True)
            ]
        )
        totals = objects([sum(d.values()) for d in discharged])
    placed = objects(placements["quantity"].to_numpy()) * EQUIVALENT_PER_MICRO
    remaining = placed - totals
    deadline = deadlines["deadline"].to_numpy()[which]
    columns: dict[str, Any] = {
        name: placements[name].to_numpy()
        for name in (
            "authorisation", "entry_ref", "sequence", "block", "lot", "declaration", "procedure",
            "goods_code", "description", "quantity", "unit", "site", "origin", "customs_value_cents",
            "duty_rate_ppm",
        )
    }  # fmt: skip
    columns["occurred_at"] = placements["occurred_at"]
    columns["date"] = utc_days(placements["occurred_at"])
    columns["suspended_duty_cents"] = suspended_duties(
        placements["customs_value_cents"].to_numpy(), placements["duty_rate_ppm"].to_numpy()
    ).astype(np.int64)
    columns["period_deadline"] = deadlines["period_deadline"].to_numpy()[which]
    columns["deadline"] = deadline
    columns["extended"] = deadlines["extended"].to_numpy()[which]
    columns["extension"] = deadlines["extension"].to_numpy()[which]
    columns["placed"] = placed
    columns["discharged"] = discharged
    columns["discharged_total"] = totals
    columns["remaining"] = remaining
    columns["status"] = statuses(remaining, deadline, today)
    columns["deemed_release"] = deemed
    frame = frame_of(columns, PLACEMENTS, count)
    if count == 0:
        return frame
    order = np.lexsort(
        (
            frame["sequence"].to_numpy(dtype=np.int64),
            time_values(frame["occurred_at"]),
            sort_ranks(frame["authorisation"].to_numpy()),
        )
    )
    return frame.take(order).reset_index(drop=True)


UNDER_PROCEDURE = {
    "goods_code": OBJ,
    "placements": INT,
    "open": INT,  # placements not yet discharged (open or overdue)
    "placed": OBJ,  # import goods, 10^-18 of the unit (Python ints: sums of many placements)
    "discharged": OBJ,
    "remaining": OBJ,
    "overdue": OBJ,  # of the remaining, what is past its deadline
}


def under_procedure(placements: pd.DataFrame) -> pd.DataFrame:
    """Per import goods code (in code order): how many placements and how many not yet discharged,
    what was placed, discharged, what remains under the procedure and how much of it is overdue."""
    totals: dict[str, dict[str, int]] = {}
    for code, placed, discharged, remaining, status in zip(
        placements["goods_code"].tolist(),
        placements["placed"].tolist(),
        placements["discharged_total"].tolist(),
        placements["remaining"].tolist(),
        placements["status"].tolist(),
        strict=True,
    ):
        total = totals.setdefault(
            code, {"placements": 0, "open": 0, "placed": 0, "discharged": 0, "remaining": 0, "overdue": 0}
        )
        total["placements"] += 1
        total["open"] += status != DISCHARGED
        total["placed"] += int(placed)
        total["discharged"] += int(discharged)
        total["remaining"] += int(remaining)
        total["overdue"] += int(remaining) if status == OVERDUE else 0
    codes = sorted(totals)
    columns: dict[str, Any] = {
        name: [totals[code][name] for code in codes] for name in UNDER_PROCEDURE if name != "goods_code"
    }
    return frame_of({"goods_code": codes, **columns}, UNDER_PROCEDURE, length=len(codes))
