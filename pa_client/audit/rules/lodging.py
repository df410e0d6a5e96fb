"""Bills of discharge lodged, due and overdue (UCC-DA art. 175(1); docs/audit.md, rule 4).

A placement's bill of discharge is due 30 days after its period for discharge (as extended) ends. A
bill is lodged by a `bill` record of the ledger (`pa bill … --lodge`): the span of ends of periods it
covers, its due date and the SHA-256 of its content. A period end is lodged when the latest lodged
bill whose span holds it says so. Alerts:

- `bill_due` (warning): not lodged, due within `bill_due_days` from today;
- `bill_overdue` (critical): not lodged and its due date passed, until a bill covering it is lodged;
- `bill_outdated` (warning): the latest bill lodged for a span is no longer the bill the ledger gives
  for that span (a record changed what it covers after lodging, a correction say): lodge it again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from typing import Any

import pandas as pd

from pa_client.audit.rules.alerts import (
    BILL_DUE,
    BILL_OUTDATED,
    BILL_OVERDUE,
    CRITICAL,
    WARNING,
    Alert,
    AlertThresholds,
    as_frame,
    sort_alerts,
)
from pa_client.audit.rules.bill import bill_of_discharge
from pa_client.audit.rules.deadlines import bill_due_date
from pa_client.audit.rules.frames import BOOL, INT, OBJ, live, make_frame, rows, utc_day
from pa_client.audit.rules.result import AuditResult
from pa_client.audit.tables import LedgerTables, mark_corrected

# One row per authorisation and end of a period for discharge (as extended) of its placements.
BILLS = {
    "authorisation": OBJ,
    "period_end": OBJ,  # date: the end of the placements' period for discharge
    "due": OBJ,  # date: 30 days later
    "placements": OBJ,  # tuple of the placements' entry refs
    "lodged": BOOL,
    "lodging": OBJ,  # entry ref of the bill record that covers it, or None
    "lodged_at": OBJ,  # date of that record, or None
    "lodged_by": OBJ,  # account, or None
    "bill_period_start": OBJ,  # the lodged bill's span, or None
    "bill_period_end": OBJ,
    "bill_sha256": OBJ,  # hex, or None
    "current": OBJ,  # True/False: whether the lodged bill is still the ledger's bill; None: not lodged
    "days_late": INT,  # days past the due date without a bill (0 when lodged or not yet due)
}


def with_bills(result: AuditResult) -> AuditResult:
    """The result with its `bills` table and the bill alerts added (the audit's last step: it needs the
    other rules' results to draw the bills it compares with the lodged ones)."""
    frames: list[pd.DataFrame] = []
    found: list[Alert] = []
    by_reference: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows(live(result.tables.bills)):
        # A lodging counts from its block's day (an audit as of an earlier day does not see it), and only
        # for a span that had ended by then (before, what the bill covers could still change).
        lodged_on = utc_day(row["block_time"])
        if lodged_on <= result.today and row["period_end"] < lodged_on:
            by_reference[row["authorisation"]].append({**row, "lodged_on": lodged_on})
    periods: dict[str, dict[date, list[str]]] = defaultdict(lambda: defaultdict(list))
    for reference, deadline, entry_ref in zip(
        result.placements["authorisation"].tolist(),
        result.placements["deadline"].tolist(),
        result.placements["entry_ref"].tolist(),
        strict=True,
    ):
        periods[reference][deadline].append(entry_ref)
    for reference in sorted(set(periods) | set(by_reference)):
        lodgings = sorted(by_reference.get(reference, []), key=lambda r: int(r["sequence"]))
        current, unmatched = _checked_lodgings(result, reference, lodgings)
        counted = [row for row in lodgings if row["entry_ref"] not in unmatched]
        table = _bills_of(reference, periods.get(reference, {}), counted, current, result.today)
        frames.append(make_frame(table, BILLS))
        found += _alerts(table, counted, current, result.today, result.thresholds)
        found += [_unmatched_alert(row) for row in lodgings if row["entry_ref"] in unmatched]
    bills = (pd.concat(frames, ignore_index=True) if frames else make_frame([], BILLS)).reset_index(drop=True)
    return replace(result, bills=bills, alerts=sort_alerts([result.alerts, as_frame(found)]))


def _checked_lodgings(
    result: AuditResult, reference: str, lodgings: list[dict[str, Any]]
) -> tuple[dict[str, bool], set[str]]:
    """For each span's latest lodging (by entry ref): whether it is still the ledger's bill for the span
    (`current`), and the lodgings that were not the ledger's bill even when they were lodged (a digest
    that matched nothing: they do not count as lodged)."""
    latest: dict[tuple[date, date], dict[str, Any]] = {}
    for row in lodgings:
        latest[(row["period_start"], row["period_end"])] = row
    if not latest or reference not in result.references:
        return {}, set()
    narrowed = result.for_authorisation(reference)
    current: dict[str, bool] = {}
    unmatched: set[str] = set()
    for (start, end), row in latest.items():
        current[row["entry_ref"]] = (
            bill_of_discharge(narrowed, reference, start, end).content_sha256() == row["bill_sha256"]
        )
        if not current[row["entry_ref"]]:
            # The bill as the ledger stood at the lodging's block, judged on the lodging's day.
            then = bill_of_discharge(
                tables_at(narrowed.tables, int(row["block"])), reference, start, end, today=row["lodged_on"]
            )
            if then.content_sha256() != row["bill_sha256"]:
                unmatched.add(row["entry_ref"])
    return current, unmatched


def tables_at(tables: LedgerTables, block: int) -> LedgerTables:
    """The tables as they stood at `block` (records and terms up to it), without lodged bills: what a
    lodging made at that block was drawn from."""
    cut = {}
    for name, frame in tables.tables.items():
        kept = (frame.iloc[0:0] if name == "bills" else frame.loc[frame["block"] <= block]).reset_index(
            drop=True
        )
        kept["corrected"] = False  # a correction after the block had not reversed anything yet
        cut[name] = kept
    mark_corrected(cut)
    return LedgerTables(
        tables=cut,
        authorisations={
            reference: [v for v in versions if v.block <= block]
            for reference, versions in tables.authorisations.items()
            if any(v.block <= block for v in versions)
        },
        statuses={
            reference: [c for c in changes if c.block <= block]
            for reference, changes in tables.statuses.items()
        },
        chains=tables.chains,
        as_of_block=block,
        as_of_time=tables.as_of_time,
        registry_chain=tables.registry_chain,
    )


def _unmatched_alert(row: dict[str, Any]) -> Alert:
    return Alert(
        BILL_OUTDATED,
        WARNING,
        row["authorisation"],
        row["entry_ref"],
        None,
        f"the bill lodged on {row['lodged_on']} as {row['entry_ref']} for {row['period_start']} to "
        f"{row['period_end']} was not the ledger's bill for that span even then (its SHA-256 matches "
        "nothing the ledger gave): it does not count as lodged",
        row["due"],
    )


def _bills_of(
    reference: str,
    periods: dict[date, list[str]],
    lodgings: list[dict[str, Any]],
    current: dict[str, bool],
    today: date,
) -> list[dict[str, Any]]:
    table: list[dict[str, Any]] = []
    for period_end, placements in sorted(periods.items()):
        due = bill_due_date(period_end)
        cover = next(
            (row for row in reversed(lodgings) if row["period_start"] <= period_end <= row["period_end"]),
            None,
        )
        # Lodged late stays late: the days from the due date to the lodging's block day.
        late_until = cover["lodged_on"] if cover is not None else today
        table.append(
            {
                "authorisation": reference,
                "period_end": period_end,
                "due": due,
                "placements": tuple(placements),
                "lodged": cover is not None,
                "lodging": cover["entry_ref"] if cover else None,
                "lodged_at": cover["lodged_on"] if cover else None,
                "lodged_by": cover["account"] if cover else None,
                "bill_period_start": cover["period_start"] if cover else None,
                "bill_period_end": cover["period_end"] if cover else None,
                "bill_sha256": cover["bill_sha256"] if cover else None,
                "current": current.get(cover["entry_ref"]) if cover else None,
                "days_late": max(0, (late_until - due).days),
            }
        )
    return table


def _listed(placements: tuple[str, ...]) -> str:
    shown = ", ".join(placements[:5])
    more = f" and {len(placements) - 5} more" if len(placements) > 5 else ""
    return f"{len(placements)} placement{'s' if len(placements) > 1 else ''}: {shown}{more}"


def _alerts(
    table: list[dict[str, Any]],
    lodgings: list[dict[str, Any]],
    current: dict[str, bool],
    today: date,
    thresholds: AlertThresholds,
) -> list[Alert]:
    out: list[Alert] = []
    for row in table:
        if row["lodged"]:
            continue
        reference, placements, due = row["authorisation"], row["placements"], row["due"]
        single = placements[0] if len(placements) == 1 else None
        what = (
            f"for the placements whose period for discharge ended on {row['period_end']} "
            f"({_listed(placements)}): draw it and lodge it (pa bill --lodge)"
        )
        if due < today:
            late = row["days_late"]
            out.append(
                Alert(
                    BILL_OVERDUE,
                    CRITICAL,
                    reference,
                    single,
                    None,
                    f"bill of discharge not lodged, due by {due} ({late} day{'s' if late > 1 else ''} late, "
                    f"UCC-DA art. 175(1)), {what}",
                    due,
                )
            )
        elif (due - today).days <= thresholds.bill_due_days:
            left = (due - today).days
            when = "today" if left == 0 else f"in {left} day{'s' if left > 1 else ''}"
            out.append(
                Alert(
                    BILL_DUE,
                    WARNING,
                    reference,
                    single,
                    None,
                    f"bill of discharge due by {due} ({when}), {what}",
                    due,
                )
            )
    shown: set[str] = set()
    for row in reversed(lodgings):
        entry_ref = row["entry_ref"]
        if current.get(entry_ref, True) or entry_ref in shown:
            continue
        shown.add(entry_ref)
        out.append(
            Alert(
                BILL_OUTDATED,
                WARNING,
                row["authorisation"],
                entry_ref,
                None,
                f"the bill of discharge lodged on {row['lodged_on']} as {entry_ref} for "
                f"{row['period_start']} to {row['period_end']} is no longer the "
                f"ledger's bill for that span: a record recorded since changed what it covers; draw it "
                f"again and lodge it",
                row["due"],
            )
        )
    return out
