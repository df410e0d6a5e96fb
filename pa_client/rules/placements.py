"""The placements table: each live placement with its deadline, what FIFO discharged of it by mode,
what remains, its status and the duty it suspends.

Status (docs/audit-model.md): `discharged` when the remaining equivalent shows as 0.000000 (rounding
dust of at most a few 10^-18 is closed this way, docs/ledger.md), otherwise `overdue` once the day of
the audit is after the deadline (the deadline is the last day of the period), otherwise `open`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..ledger_tables import LedgerTables
from ..quantities import display_equivalent, micro_to_equivalent
from .duties import suspended_duty_cents
from .fifo import allocated_by_placement
from .frames import BOOL, INT, OBJ, TIME, Row, live, make_frame, rows, terms_for_entry, utc_day

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
    "placed": OBJ,  # 10^-18
    "discharged": OBJ,  # dict: discharge mode -> 10^-18
    "discharged_total": OBJ,  # 10^-18
    "remaining": OBJ,  # 10^-18
    "status": OBJ,
    "deemed_release": BOOL,  # the authorisation deems goods left at expiry released
}


def status_of(remaining: int, deadline: date, today: date) -> str:
    if display_equivalent(remaining) == 0:
        return DISCHARGED
    return OVERDUE if today > deadline else OPEN


def placement_table(
    tables: LedgerTables, deadlines: pd.DataFrame, allocations: pd.DataFrame, today: date
) -> pd.DataFrame:
    """One row per live placement (see PLACEMENTS); the terms are those in force when it was recorded."""
    by_ref = {(row["authorisation"], row["entry_ref"]): row for row in rows(deadlines)}
    allocated = allocated_by_placement(allocations)
    out: list[Row] = []
    for row in rows(live(tables.placements)):
        key = (row["authorisation"], row["entry_ref"])
        deadline = by_ref[key]
        terms = terms_for_entry(tables, row["authorisation"], row["block"], row["log_index"])
        placed = micro_to_equivalent(int(row["quantity"]))
        discharged = dict(sorted(allocated.get(key, {}).items()))
        total = sum(discharged.values())
        remaining = placed - total
        out.append(
            {
                "authorisation": row["authorisation"],
                "entry_ref": row["entry_ref"],
                "sequence": row["sequence"],
                "block": row["block"],
                "occurred_at": row["occurred_at"],
                "date": utc_day(row["occurred_at"]),
                "lot": row["lot"],
                "declaration": row["declaration"],
                "procedure": row["procedure"],
                "goods_code": row["goods_code"],
                "description": row["description"],
                "quantity": row["quantity"],
                "unit": row["unit"],
                "site": row["site"],
                "origin": row["origin"],
                "customs_value_cents": row["customs_value_cents"],
                "duty_rate_ppm": row["duty_rate_ppm"],
                "suspended_duty_cents": suspended_duty_cents(
                    int(row["customs_value_cents"]), int(row["duty_rate_ppm"])
                ),
                "period_deadline": deadline["period_deadline"],
                "deadline": deadline["deadline"],
                "extended": deadline["extended"],
                "placed": placed,
                "discharged": discharged,
                "discharged_total": total,
                "remaining": remaining,
                "status": status_of(remaining, deadline["deadline"], today),
                "deemed_release": terms.deemed_release_on_expiry,
            }
        )
    frame = make_frame(out, PLACEMENTS)
    return frame.sort_values(["authorisation", "occurred_at", "sequence"], kind="stable").reset_index(
        drop=True
    )
