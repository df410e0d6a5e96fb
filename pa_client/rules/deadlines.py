"""Periods for discharge (UCC art. 257): the placement date plus the authorisation's months, clamped to
the month's end, moved to the end of the month, quarter or semester when the authorisation says so,
and replaced by the latest extension customs recorded for the placement. The bill of discharge is due
30 days after the period ends (UCC-DA art. 175)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pandas as pd

from ..ledger_tables import LedgerTables
from ..models import PeriodEnd
from .frames import BOOL, INT, OBJ, Row, live, make_frame, rows, terms_for_entry, utc_day

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
    """The deadline of every live placement. The period and its end rule are those of the authorisation
    version in force when the placement was recorded; an extension (the latest one in the chain's order)
    replaces the deadline as customs state it, with no end-of-period rule applied."""
    latest: dict[tuple[str, str], tuple[int, date, str]] = {}
    for row in rows(live(tables.extensions)):
        key = (row["authorisation"], row["placement"])
        if key not in latest or row["sequence"] > latest[key][0]:
            latest[key] = (row["sequence"], row["new_deadline"], row["entry_ref"])
    out: list[Row] = []
    for row in rows(live(tables.placements)):
        reference = row["authorisation"]
        terms = terms_for_entry(tables, reference, row["block"], row["log_index"])
        placed_on = utc_day(row["occurred_at"])
        computed = period_deadline(placed_on, terms.discharge_period_months, terms.period_end)
        extension = latest.get((reference, row["entry_ref"]))
        out.append(
            {
                "authorisation": reference,
                "entry_ref": row["entry_ref"],
                "sequence": row["sequence"],
                "placed_on": placed_on,
                "months": terms.discharge_period_months,
                "period_end": terms.period_end.value,
                "period_deadline": computed,
                "extended_to": None if extension is None else extension[1],
                "extension": None if extension is None else extension[2],
                "deadline": computed if extension is None else extension[1],
                "extended": extension is not None,
            }
        )
    return make_frame(out, DEADLINES)
