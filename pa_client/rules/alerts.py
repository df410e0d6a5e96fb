"""Alerts for customs and the holder (interfaces.md §4): `deadline_near`, `overdue`, `yield_deviation`,
`late_record`, `bill_due`, `integrity`, each with a severity, the entry or lot it concerns, a message
and the date it is due where there is one. Thresholds are configurable (`AlertThresholds`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from ..quantities import display_equivalent, format_quantity, from_cents, ppm_to_percent
from .deadlines import bill_due_date
from .frames import OBJ, make_frame, rows, utc_day

DEADLINE_NEAR = "deadline_near"
OVERDUE = "overdue"
YIELD_DEVIATION = "yield_deviation"
LATE_RECORD = "late_record"
BILL_DUE = "bill_due"
INTEGRITY = "integrity"
KINDS = (DEADLINE_NEAR, OVERDUE, YIELD_DEVIATION, LATE_RECORD, BILL_DUE, INTEGRITY)

CRITICAL = "critical"
WARNING = "warning"
INFO = "info"
SEVERITIES = (CRITICAL, WARNING, INFO)


@dataclass(frozen=True)
class AlertThresholds:
    """When an alert is raised.

    - `deadline_near_days`: an open placement whose deadline is at most this many days away;
    - `late_record_hours`: an entry recorded more than this many hours after it happened;
    - `bill_due_days`: a bill of discharge due (30 days after a period ends) within this many days;
    - `yield_tolerance_percent`: overrides the authorisation's tolerance when given."""

    deadline_near_days: int = 30
    late_record_hours: int = 72
    bill_due_days: int = 30
    yield_tolerance_percent: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("deadline_near_days", "late_record_hours", "bill_due_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


@dataclass(frozen=True)
class Alert:
    kind: str
    severity: str
    authorisation: str
    entry_ref: str | None
    lot: str | None
    message: str
    due: date | None = None


ALERTS = {
    "kind": OBJ,
    "severity": OBJ,
    "authorisation": OBJ,
    "entry_ref": OBJ,
    "lot": OBJ,
    "message": OBJ,
    "due": OBJ,
}


def alerts_frame(alerts: Iterable[Alert]) -> pd.DataFrame:
    """Alerts as a table, most severe first, then by due date (undated last) and authorisation."""
    rank = {severity: i for i, severity in enumerate(SEVERITIES)}
    ordered = sorted(
        alerts,
        key=lambda a: (
            rank[a.severity],
            a.due is None,
            a.due or date.min,
            a.authorisation,
            a.kind,
            a.entry_ref or "",
        ),
    )
    return make_frame([asdict(a) for a in ordered], ALERTS)


def _qty(amount: int, unit: str) -> str:
    return format_quantity(display_equivalent(amount), unit, decimals=6)


def deadline_alerts(
    placements: pd.DataFrame, duty_due: pd.DataFrame, today: date, thresholds: AlertThresholds
) -> list[Alert]:
    """`deadline_near` for open placements whose deadline is close; `overdue` for those whose period
    has ended with goods not discharged (saying whether they are deemed released and the duty due)."""
    deemed = {
        (row["authorisation"], row["placement"]): int(row["amount_cents"])
        for row in rows(duty_due)
        if row["basis"] == "deemed_release"
    }
    out: list[Alert] = []
    for row in rows(placements):
        left = _qty(row["remaining"], row["unit"])
        where = f"placement {row['entry_ref']} (lot {row['lot']}, {row['goods_code']})"
        if row["status"] == "open" and (row["deadline"] - today).days <= thresholds.deadline_near_days:
            days = (row["deadline"] - today).days
            out.append(
                Alert(
                    DEADLINE_NEAR,
                    WARNING,
                    row["authorisation"],
                    row["entry_ref"],
                    row["lot"],
                    f"{where}: {left} still to discharge by {row['deadline']} ({days} days left)",
                    row["deadline"],
                )
            )
        elif row["status"] == "overdue":
            key = (row["authorisation"], row["entry_ref"])
            consequence = (
                f"deemed released for free circulation on expiry, duty EUR {from_cents(deemed[key])} due"
                if key in deemed
                else "customs must regularise the situation (UCC art. 215(3))"
            )
            out.append(
                Alert(
                    OVERDUE,
                    CRITICAL,
                    row["authorisation"],
                    row["entry_ref"],
                    row["lot"],
                    f"{where}: {left} not discharged by {row['deadline']}; {consequence}",
                    row["deadline"],
                )
            )
    return out


def late_discharge_alerts(placements: pd.DataFrame, allocations: pd.DataFrame) -> list[Alert]:
    """`overdue` (warning) for each discharge that FIFO allocates to a placement after the end of that
    placement's period for discharge."""
    by_ref = {(row["authorisation"], row["entry_ref"]): row for row in rows(placements)}
    out: list[Alert] = []
    for share in rows(allocations):
        if share["placement"] is None:
            continue
        placement = by_ref[(share["authorisation"], share["placement"])]
        day = utc_day(share["occurred_at"])
        if day > placement["deadline"]:
            out.append(
                Alert(
                    OVERDUE,
                    WARNING,
                    share["authorisation"],
                    share["discharge"],
                    placement["lot"],
                    f"discharge {share['discharge']} on {day} discharges "
                    f"{_qty(share['quantity'], placement['unit'])} of placement {share['placement']} "
                    f"after its deadline {placement['deadline']}",
                    placement["deadline"],
                )
            )
    return out


def yield_alerts(yields: pd.DataFrame) -> list[Alert]:
    out: list[Alert] = []
    for row in rows(yields):
        if not row["beyond_tolerance"]:
            continue
        deviation = "no input" if row["deviation_percent"] is None else f"{row['deviation_percent']:+} %"
        out.append(
            Alert(
                YIELD_DEVIATION,
                WARNING,
                row["authorisation"],
                row["entry_ref"],
                None,
                f"processing {row['entry_ref']}: {row['goods_code']} in {display_equivalent(row['input_equivalent'])}, "
                f"out {display_equivalent(row['output_equivalent'])} by the authorised rates ({deviation}; "
                f"tolerance {ppm_to_percent(row['tolerance_ppm']).normalize():f} %)",
            )
        )
    return out


def late_record_alerts(delays: pd.DataFrame, thresholds: AlertThresholds) -> list[Alert]:
    limit = thresholds.late_record_hours * 3600
    out: list[Alert] = []
    for row in rows(delays.loc[delays["delay_seconds"] > limit]):
        delay = timedelta(seconds=int(row["delay_seconds"]))
        out.append(
            Alert(
                LATE_RECORD,
                INFO,
                row["authorisation"],
                row["entry_ref"],
                None,
                f"{row['kind']} {row['entry_ref']} of {utc_day(row['occurred_at'])} was recorded "
                f"{delay.days} days {delay.seconds // 3600} hours later (limit {thresholds.late_record_hours} hours)",
            )
        )
    return out


def bill_due_alerts(placements: pd.DataFrame, today: date, thresholds: AlertThresholds) -> list[Alert]:
    """`bill_due` once per authorisation and period end whose bill of discharge falls due within the
    threshold (from today to today + `bill_due_days`). Whether a bill was sent is not on the ledger."""
    periods: dict[tuple[str, date], list[str]] = defaultdict(list)
    for row in rows(placements):
        periods[(row["authorisation"], row["deadline"])].append(row["entry_ref"])
    out: list[Alert] = []
    for (reference, period_end), entries in sorted(periods.items()):
        due = bill_due_date(period_end)
        if not 0 <= (due - today).days <= thresholds.bill_due_days:
            continue
        listed = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
        out.append(
            Alert(
                BILL_DUE,
                WARNING,
                reference,
                entries[0] if len(entries) == 1 else None,
                None,
                f"bill of discharge for the period ending {period_end} due by {due} "
                f"({len(entries)} placement{'s' if len(entries) > 1 else ''}: {listed})",
                due,
            )
        )
    return out


def integrity_alerts(
    checks: Mapping[str, tuple[bool, Sequence[int], str]], allocations: pd.DataFrame
) -> list[Alert]:
    """`integrity` when the rolling hash recomputed from the logs differs from the contract's, when the
    logs miss sequence numbers, or when discharges exceed the placements of a code.

    `checks`: reference -> (verified, gaps, what was compared)."""
    out: list[Alert] = []
    for reference, (verified, gaps, compared) in sorted(checks.items()):
        if gaps:
            shown = ", ".join(str(g) for g in gaps[:10]) + (" …" if len(gaps) > 10 else "")
            out.append(
                Alert(
                    INTEGRITY,
                    CRITICAL,
                    reference,
                    None,
                    None,
                    f"entries missing from the logs: sequence {shown}",
                )
            )
        if not verified:
            out.append(Alert(INTEGRITY, CRITICAL, reference, None, None, f"not verified: {compared}"))
    for share in rows(allocations):
        if share["placement"] is None:
            out.append(
                Alert(
                    INTEGRITY,
                    CRITICAL,
                    share["authorisation"],
                    share["discharge"],
                    None,
                    f"discharge {share['discharge']} exceeds the placements of {share['goods_code']} by "
                    f"{display_equivalent(share['quantity'])}",
                )
            )
    return out
