"""Periods for discharge (UCC art. 257): the placement date plus the authorisation's months, clamped to
the month's end, moved to the end of the month, quarter or semester when the authorisation says so,
and replaced by the latest extension customs recorded for the placement. The bill of discharge is due
30 days after the period ends (UCC-DA art. 175)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from pa_client.audit.rules.frames import (
    BOOL,
    INT,
    OBJ,
    dates_of,
    day_numbers,
    frame_of,
    live,
    objects,
    terms_in_force,
)
from pa_client.audit.tables import LedgerTables
from pa_client.domain.models import PeriodEnd

BILL_DUE_DAYS = 30


def add_months(day: date, months: int) -> date:
    """`day` plus whole months; a day past the target month's end becomes its last day
    (31 Aug + 6 months = 28 or 29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of_period(day: date, rule: PeriodEnd) -> date:
    """The last day of the month, quarter or semester in which `day` falls (or `day` itself)."""
    if rule is PeriodEnd.NONE:
        return day
    months_per_period = {PeriodEnd.MONTH: 1, PeriodEnd.QUARTER: 3, PeriodEnd.SEMESTER: 6}[rule]
    last_month = ((day.month - 1) // months_per_period + 1) * months_per_period
    return date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def period_deadline(placed_on: date, months: int, rule: PeriodEnd) -> date:
    """The last day of the period for discharge of goods placed on `placed_on`."""
    return end_of_period(add_months(placed_on, months), rule)


def bill_due_date(period_end: date, days: int = BILL_DUE_DAYS) -> date:
    """The bill of discharge is due `days` after the period ends (30; customs may allow 60)."""
    return period_end + timedelta(days=days)


DEADLINES = {
    "authorisation": OBJ,
    "entry_ref": OBJ,
    "sequence": INT,
    "placed_on": OBJ,
    "months": INT,
    "period_end": OBJ,
    "period_deadline": OBJ,
    "extended_to": OBJ,
    "extension": OBJ,
    "deadline": OBJ,
    "extended": BOOL,
}


def placement_deadlines(tables: LedgerTables) -> pd.DataFrame:
    """The deadline of every live placement, in the order of the placements table. The period and its
    end rule are those of the authorisation version in force when the placement was recorded; an
    extension (the latest one in the chain's order) replaces the deadline as customs state it, with no
    end-of-period rule applied."""
    latest: dict[tuple[str, str], tuple[int, date, str]] = {}
    extensions = live(tables.extensions)
    for reference, placement, sequence, new_deadline, entry_ref in zip(
        extensions["authorisation"].tolist(),
        extensions["placement"].tolist(),
        extensions["sequence"].tolist(),
        extensions["new_deadline"].tolist(),
        extensions["entry_ref"].tolist(),
        strict=True,
    ):
        key = (reference, placement)
        if key not in latest or sequence > latest[key][0]:
            latest[key] = (sequence, new_deadline, entry_ref)
    placements = live(tables.placements)
    terms, which = terms_in_force(tables, placements)
    days = day_numbers(placements["occurred_at"]) if len(placements) else np.empty(0, dtype=np.int64)
    placed_on = dates_of(days)
    months = np.array([t.discharge_period_months for t in terms], dtype=np.int64)[which] if terms else which
    period_end = objects([t.period_end.value for t in terms])[which] if terms else objects([])
    # One computation per distinct (day, months, rule): a season has few days, authorisations few rules.
    rules = [t.period_end for t in terms]
    rule_numbers = (
        np.array([list(PeriodEnd).index(r) for r in rules], dtype=np.int64)[which] if terms else which
    )
    triples, inverse = (
        np.unique(np.stack([days, months, rule_numbers]), axis=1, return_inverse=True)
        if len(days)
        else (np.empty((3, 0), dtype=np.int64), np.empty(0, dtype=np.int64))
    )
    every_rule = list(PeriodEnd)
    computed_unique = objects(
        [
            period_deadline(day, number_of_months, every_rule[rule])
            for day, number_of_months, rule in zip(
                dates_of(triples[0]).tolist(), triples[1].tolist(), triples[2].tolist(), strict=True
            )
        ]
    )
    computed = computed_unique[np.asarray(inverse).reshape(-1)]
    extended_to = objects([None] * len(placements))
    extension = objects([None] * len(placements))
    if latest:
        for position, key in enumerate(
            zip(placements["authorisation"].tolist(), placements["entry_ref"].tolist(), strict=True)
        ):
            found = latest.get(key)
            if found is not None:
                extended_to[position] = found[1]
                extension[position] = found[2]
    extended = np.array([e is not None for e in extension], dtype=bool)
    deadline = np.where(extended, extended_to, computed)
    columns: dict[str, Any] = {
        "authorisation": placements["authorisation"].to_numpy(),
        "entry_ref": placements["entry_ref"].to_numpy(),
        "sequence": placements["sequence"].to_numpy(),
        "placed_on": placed_on,
        "months": months,
        "period_end": period_end,
        "period_deadline": computed,
        "extended_to": extended_to,
        "extension": extension,
        "deadline": deadline,
        "extended": extended,
    }
    return frame_of(columns, DEADLINES, len(placements))
