"""Alerts for customs and the holder (docs/spec/interfaces.md §4): `deadline_near`, `overdue`,
`yield_deviation`, `late_record` and `integrity` here, the bills' (`bill_due`, `bill_overdue`,
`bill_outdated`) in `lodging`; each with a severity, the entry or lot it concerns, a message and the
date it is due where there is one. Thresholds are configurable (`AlertThresholds`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from pa_client.audit.rules.frames import (
    OBJ,
    dates_of,
    day_numbers,
    frame_of,
    objects,
    ordinals,
    rows,
    sort_ranks,
    utc_day,
    utc_days,
)
from pa_client.domain.codes import format_cn_code
from pa_client.domain.quantities import display_equivalent, from_cents, plain, ppm_to_percent
from pa_client.domain.units import in_unit

DEADLINE_NEAR = "deadline_near"
OVERDUE = "overdue"
YIELD_DEVIATION = "yield_deviation"
LATE_RECORD = "late_record"
BILL_DUE = "bill_due"
BILL_OVERDUE = "bill_overdue"
BILL_OUTDATED = "bill_outdated"
INTEGRITY = "integrity"
KINDS = (
    DEADLINE_NEAR,
    OVERDUE,
    YIELD_DEVIATION,
    LATE_RECORD,
    BILL_DUE,
    BILL_OVERDUE,
    BILL_OUTDATED,
    INTEGRITY,
)

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


def _frame(columns: Mapping[str, Any], length: int) -> pd.DataFrame:
    """Alerts as columns (a value or one per alert), in the order they were found."""
    return frame_of({name: columns.get(name) for name in ALERTS}, ALERTS, length)


def _alerts(frame: pd.DataFrame) -> list[Alert]:
    return [Alert(**row) for row in rows(frame)]


def _string_order(values: Any) -> Any:
    """A sort key of entry references (None sorts as "") as the last key of a stable sort: each one's
    place in a stable sort of them (equal ones keep their order, as a stable sort on them would)."""
    items = ["" if v is None else v for v in objects(values).tolist()]
    if len(items) < 64 or pd.api.types.infer_dtype(items, skipna=False) != "string":
        return sort_ranks(objects(items))
    text = "".join(items)
    if "\0" in text:
        return sort_ranks(objects(items))
    encoded = np.array(items, dtype="S" if text.isascii() else str)  # bytes compare as the text
    order = np.argsort(encoded, kind="stable")
    place = np.empty(len(items), dtype=np.int64)
    place[order] = np.arange(len(items), dtype=np.int64)
    return place


def sort_alerts(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Alerts (frames of ALERTS, in the order found) as one table, most severe first, then by due date
    (undated last), authorisation, kind and entry (stable: ties keep the order found)."""
    found = [f for f in frames if len(f)]
    if not found:
        return _frame({}, 0)
    alerts = found[0] if len(found) == 1 else pd.concat(found, ignore_index=True)
    order = {severity: i for i, severity in enumerate(SEVERITIES)}
    due = alerts["due"].to_numpy()
    undated = np.array([d is None for d in due], dtype=bool)
    days = np.full(len(alerts), date.min.toordinal(), dtype=np.int64)
    if not undated.all():
        days[~undated] = ordinals(due[~undated])
    entries = alerts["entry_ref"].to_numpy()
    keys = (
        _string_order(entries),
        sort_ranks(alerts["kind"].to_numpy()),
        sort_ranks(alerts["authorisation"].to_numpy()),
        days,
        undated,
        np.array([order[s] for s in alerts["severity"].tolist()], dtype=np.int64),
    )
    return alerts.take(np.lexsort(keys)).reset_index(drop=True)


def alerts_frame(alerts: Iterable[Alert]) -> pd.DataFrame:
    """Alerts as a table, most severe first, then by due date (undated last) and authorisation."""
    found = list(alerts)
    columns = {name: objects([getattr(a, name) for a in found]) for name in ALERTS}
    return sort_alerts([_frame(columns, len(found))])


def _qty(amount: int, unit: str) -> str:
    """An equivalent (10^-18) as people write a quantity: "40.5 kg" (6 decimals at most, half up)."""
    return in_unit(display_equivalent(amount), unit)


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def _by_key(frame: pd.DataFrame, first: str, second: str) -> dict[tuple[Any, Any], int]:
    """(first, second) -> row position (the last row of a repeated key)."""
    return {
        key: position
        for position, key in enumerate(zip(frame[first].tolist(), frame[second].tolist(), strict=True))
    }


def deadline_alert_frame(
    placements: pd.DataFrame, duty_due: pd.DataFrame, today: date, thresholds: AlertThresholds
) -> pd.DataFrame:
    """`deadline_alerts` as a frame (the order found)."""
    deemed = {
        (reference, placement): int(amount)
        for reference, placement, basis, amount in zip(
            duty_due["authorisation"].tolist(),
            duty_due["placement"].tolist(),
            duty_due["basis"].tolist(),
            duty_due["amount_cents"].tolist(),
            strict=True,
        )
        if basis == "deemed_release"
    }
    status = placements["status"].to_numpy()
    deadline = placements["deadline"].to_numpy()
    days_left = (ordinals(deadline) - today.toordinal()) if len(placements) else np.empty(0, dtype=np.int64)
    near = (status == "open") & (days_left <= thresholds.deadline_near_days)
    over = ~near & (status == "overdue")
    chosen = np.flatnonzero(near | over)
    picked = placements.take(chosen)
    kinds, severities, messages = [], [], []
    for is_near, days, reference, entry_ref, lot, code, remaining, unit, when in zip(
        near[chosen].tolist(),
        days_left[chosen].tolist(),
        *(
            picked[c].tolist()
            for c in ("authorisation", "entry_ref", "lot", "goods_code", "remaining", "unit", "deadline")
        ),
        strict=True,
    ):
        left = _qty(remaining, unit)
        where = f"placement {entry_ref} (lot {lot}, {format_cn_code(code)})"
        if is_near:
            kinds.append(DEADLINE_NEAR)
            severities.append(WARNING)
            left_days = "today is the last day" if days == 0 else f"{_days(days)} left"
            messages.append(
                f"{where}: {left} still to discharge by {when} ({left_days}): re-export, process or "
                "otherwise discharge them before then"
            )
        else:
            key = (reference, entry_ref)
            consequence = (
                f"they are deemed released for free circulation, and EUR {plain(from_cents(deemed[key]), min_decimals=2)} "
                "of import duty is due"
                if key in deemed
                else "customs must regularise the situation (UCC art. 215(3))"
            )
            kinds.append(OVERDUE)
            severities.append(CRITICAL)
            messages.append(f"{where}: {left} not discharged by {when}, the end of its period; {consequence}")
    columns = {
        "kind": kinds,
        "severity": severities,
        "authorisation": picked["authorisation"].to_numpy(),
        "entry_ref": picked["entry_ref"].to_numpy(),
        "lot": picked["lot"].to_numpy(),
        "message": messages,
        "due": picked["deadline"].to_numpy(),
    }
    return _frame(columns, len(chosen))


def deadline_alerts(
    placements: pd.DataFrame, duty_due: pd.DataFrame, today: date, thresholds: AlertThresholds
) -> list[Alert]:
    """`deadline_near` for open placements whose deadline is close; `overdue` for those whose period
    has ended with goods not discharged (saying whether they are deemed released and the duty due)."""
    return _alerts(deadline_alert_frame(placements, duty_due, today, thresholds))


def late_discharge_alert_frame(placements: pd.DataFrame, allocations: pd.DataFrame) -> pd.DataFrame:
    """`overdue` (warning) for each discharge that FIFO allocates to a placement after the end of that
    placement's period for discharge (the order found)."""
    position = _by_key(placements, "authorisation", "entry_ref")
    covered = np.flatnonzero(pd.notna(allocations["placement"]).to_numpy())
    shares = allocations.take(covered)
    rows_of = np.array(
        [
            position[key]
            for key in zip(shares["authorisation"].tolist(), shares["placement"].tolist(), strict=True)
        ],
        dtype=np.int64,
    )
    days = utc_days(shares["occurred_at"])
    deadline = placements["deadline"].to_numpy()[rows_of]
    late = np.flatnonzero(ordinals(days) > ordinals(deadline)) if len(rows_of) else rows_of
    shares = shares.take(late)
    rows_of, days, deadline = rows_of[late], days[late], deadline[late]
    units = placements["unit"].to_numpy()[rows_of]
    messages = [
        f"discharge {discharge} of {day} takes {_qty(amount, unit)} from placement {placement}, whose "
        f"period for discharge ended on {when}: a discharge after the deadline"
        for discharge, day, amount, unit, placement, when in zip(
            shares["discharge"].tolist(),
            days.tolist(),
            shares["quantity"].tolist(),
            units.tolist(),
            shares["placement"].tolist(),
            deadline.tolist(),
            strict=True,
        )
    ]
    columns = {
        "kind": OVERDUE,
        "severity": WARNING,
        "authorisation": shares["authorisation"].to_numpy(),
        "entry_ref": shares["discharge"].to_numpy(),
        "lot": placements["lot"].to_numpy()[rows_of],
        "message": messages,
        "due": deadline,
    }
    return _frame(columns, len(late))


def yield_alert_frame(
    yields: pd.DataFrame, units: Mapping[tuple[str, str], str] | None = None
) -> pd.DataFrame:
    """`yield_deviation` for each processing beyond its tolerance (the order found). `units`:
    (authorisation, import goods code) -> unit, for the message."""
    beyond = yields.loc[yields["beyond_tolerance"].to_numpy(dtype=bool)]
    messages = []
    names = (
        "authorisation",
        "entry_ref",
        "goods_code",
        "input_equivalent",
        "output_equivalent",
        "deviation_percent",
        "tolerance_ppm",
    )
    for reference, entry_ref, code, inputs, outputs, deviation, tolerance in zip(
        *(beyond[c].tolist() for c in names), strict=True
    ):
        unit = (units or {}).get((reference, code), "")
        messages.append(
            yield_message(entry_ref, format_cn_code(code), inputs, outputs, deviation, tolerance, unit)
        )
    columns = {
        "kind": YIELD_DEVIATION,
        "severity": WARNING,
        "authorisation": beyond["authorisation"].to_numpy(),
        "entry_ref": beyond["entry_ref"].to_numpy(),
        "lot": None,
        "message": messages,
        "due": None,
    }
    return _frame(columns, len(beyond))


def yield_message(
    entry_ref: str,
    code: str,
    inputs: int,
    outputs: int,
    deviation: Decimal | None,
    tolerance_ppm: int,
    unit: str,
) -> str:
    """What a yield deviation means: the import goods a processing used against what its products
    contain by the authorised rates of yield, and the difference to explain to customs."""
    tolerance = f"tolerance {plain(ppm_to_percent(tolerance_ppm))} %"
    by_rates = "by the authorised rates of yield"
    if deviation is None:
        return (
            f"processing {entry_ref}: its products contain {_qty(outputs, unit)} of {code} {by_rates}, "
            "but no import goods of that code are recorded as used"
        )
    went_in = f"processing {entry_ref}: {_qty(inputs, unit)} of {code} went in"
    difference = _qty(abs(outputs - inputs), unit)
    if deviation < 0:
        return (
            f"{went_in}, but its products contain only {_qty(outputs, unit)} {by_rates}, "
            f"{plain(-deviation)} % less ({tolerance}): {difference} of import goods are not accounted for"
        )
    return (
        f"{went_in}, but its products contain {_qty(outputs, unit)} {by_rates}, "
        f"{plain(deviation)} % more ({tolerance}): {difference} more than was recorded as used"
    )


def late_record_alert_frame(delays: pd.DataFrame, thresholds: AlertThresholds) -> pd.DataFrame:
    """`late_record` (info) for each record logged more than `late_record_hours` after it happened
    (the order found)."""
    limit = thresholds.late_record_hours * 3600
    late = delays.loc[delays["delay_seconds"].to_numpy() > limit]
    seconds = late["delay_seconds"].to_numpy(dtype=np.int64)
    days, rest = np.divmod(seconds, 86_400)  # as timedelta(seconds=...) splits them
    hours = rest // 3600
    hours_limit = thresholds.late_record_hours
    # "KIND ENTRY" + " of DAY was recorded D days H hours later (limit L hours)": the second part
    # is made once per distinct (day, days, hours).
    happened = day_numbers(late["occurred_at"]) if len(late) else np.empty(0, dtype=np.int64)
    stretch = int(days.max()) + 1 if len(days) else 1
    tails, which = np.unique((happened * stretch + days) * 24 + hours, return_inverse=True)
    day_of = dates_of(tails // 24 // stretch)
    texts = objects(
        [
            f" of {day} was recorded {d} days {h} hours later (limit {hours_limit} hours)"
            for day, d, h in zip(
                day_of.tolist(), (tails // 24 % stretch).tolist(), (tails % 24).tolist(), strict=True
            )
        ]
    )
    messages = [
        f"{kind} {entry_ref}{text}"
        for kind, entry_ref, text in zip(
            late["kind"].tolist(), late["entry_ref"].tolist(), texts[which.reshape(-1)].tolist(), strict=True
        )
    ]
    columns = {
        "kind": LATE_RECORD,
        "severity": INFO,
        "authorisation": late["authorisation"].to_numpy(),
        "entry_ref": late["entry_ref"].to_numpy(),
        "lot": None,
        "message": messages,
        "due": None,
    }
    return _frame(columns, len(late))


def integrity_alerts(
    checks: Mapping[str, tuple[bool, Sequence[int], str]],
    allocations: pd.DataFrame,
    units: Mapping[tuple[str, str], str] | None = None,
) -> list[Alert]:
    """`integrity` when the rolling hash recomputed from the logs differs from the contract's, when the
    logs miss sequence numbers, or when discharges exceed the placements of a code.

    `checks`: reference -> (verified, gaps, what was compared); `units`: (authorisation, import goods
    code) -> unit, for the message."""
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
    # Shares no placement took: beyond what was placed (an integrity fault) or, where placements were
    # deemed released before the discharge, goods no longer under the procedure (`release_alerts`).
    uncovered = allocations.loc[
        pd.isna(allocations["placement"]).to_numpy() & ~allocations["after_release"].to_numpy(dtype=bool)
    ]
    for reference, discharge, code, amount in zip(
        uncovered["authorisation"].tolist(),
        uncovered["discharge"].tolist(),
        uncovered["goods_code"].tolist(),
        uncovered["quantity"].tolist(),
        strict=True,
    ):
        out.append(
            Alert(
                INTEGRITY,
                CRITICAL,
                reference,
                discharge,
                None,
                f"discharge {discharge} exceeds the placements of {format_cn_code(code)} by "
                f"{_qty(amount, (units or {}).get((reference, code), ''))}: more goods discharged than "
                "were placed under the procedure",
            )
        )
    return out


def release_alerts(allocations: pd.DataFrame, units: Mapping[tuple[str, str], str]) -> list[Alert]:
    """`overdue` (critical) for each discharge of goods that are no longer under the procedure: the
    placements of their code were deemed released at the end of their period (UCC-DA art. 175(4)-(5))
    before the discharge, and none still under the procedure could take it; it is not allocated.
    `units`: (authorisation, import goods code) -> unit, for the message."""
    released = allocations.loc[allocations["after_release"].to_numpy(dtype=bool)]
    out: list[Alert] = []
    for reference, discharge, code, amount, moment in zip(
        released["authorisation"].tolist(),
        released["discharge"].tolist(),
        released["goods_code"].tolist(),
        released["quantity"].tolist(),
        released["occurred_at"].tolist(),
        strict=True,
    ):
        out.append(
            Alert(
                OVERDUE,
                CRITICAL,
                reference,
                discharge,
                None,
                f"discharge {discharge} of {utc_day(moment)}: {_qty(amount, units.get((reference, code), ''))} of "
                f"{format_cn_code(code)} discharged that are no longer under the procedure (deemed released "
                "at the end of their period); not allocated to any placement",
            )
        )
    return out


def as_frame(alerts: Sequence[Alert]) -> pd.DataFrame:
    """A few alerts as a frame (the order found)."""
    return _frame({name: objects([getattr(a, name) for a in alerts]) for name in ALERTS}, len(alerts))
