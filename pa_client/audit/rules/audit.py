"""The audit: every rule run over the ledger tables, assembled into one `AuditResult` (its JSON
document, docs/spec/interfaces.md §4, is `present.audit_document`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import date

import pandas as pd

from pa_client.audit.rules import alerts as alert_rules
from pa_client.audit.rules.alerts import AlertThresholds, sort_alerts
from pa_client.audit.rules.corrections import corrected_records
from pa_client.audit.rules.deadlines import placement_deadlines
from pa_client.audit.rules.delays import recording_delays
from pa_client.audit.rules.discharges import discharge_table
from pa_client.audit.rules.duties import duty_due
from pa_client.audit.rules.equivalents import basis_table, explode_discharges, processing_equivalents
from pa_client.audit.rules.fifo import fifo
from pa_client.audit.rules.frames import gc_paused, make_frame
from pa_client.audit.rules.keys import Keys, live_rows
from pa_client.audit.rules.lodging import BILLS, with_bills
from pa_client.audit.rules.placements import expiry_days, placement_table
from pa_client.audit.rules.result import AuditResult, IntegrityResult, restrict, unverified
from pa_client.audit.rules.stock import current_stock, events_of, history_of, stock_by_code
from pa_client.audit.rules.yields import yields
from pa_client.audit.tables import LedgerTables
from pa_client.domain.quantities import (
    percent_to_ppm,
)


def _import_units(placements: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(authorisation, import goods code) -> the unit of its first placement."""
    units: dict[tuple[str, str], str] = {}
    for key, unit in zip(
        zip(placements["authorisation"].tolist(), placements["goods_code"].tolist(), strict=True),
        placements["unit"].tolist(),
        strict=True,
    ):
        units.setdefault(key, unit)
    return units


def audit(
    tables: LedgerTables,
    *,
    today: date,
    thresholds: AlertThresholds = AlertThresholds(),  # noqa: B008 (frozen, immutable)
    integrity: Mapping[str, IntegrityResult],
    references: Collection[str] | None = None,
    registry: IntegrityResult | None = None,
) -> AuditResult:
    """Runs every rule over the tables (of `references` only, when given) as of the day `today`.

    `integrity` is the caller's comparison of each authorisation's rolling hash with the contract; an
    authorisation missing from it is reported as not verified. `registry`: the caller's comparison of
    the registry's, kept in the result as it is."""
    with gc_paused():
        return with_bills(
            replace(_audit(tables, today, thresholds, integrity, references), registry=registry)
        )


def _audit(
    tables: LedgerTables,
    today: date,
    thresholds: AlertThresholds,
    integrity: Mapping[str, IntegrityResult],
    references: Collection[str] | None,
) -> AuditResult:
    if references is not None:
        tables = restrict(tables, references)
    known = set(tables.authorisations)
    for frame in tables.tables.values():
        known.update(str(r) for r in frame["authorisation"].unique())
    audited = tuple(sorted(known))
    checks = {reference: integrity.get(reference) or unverified(tables, reference) for reference in audited}

    keys = Keys.of(tables)
    bases = basis_table(tables, keys)
    discharged = live_rows(tables.discharges)
    equivalents = explode_discharges(
        tables.discharges.take(discharged), bases, keys.lot["discharges"][discharged]
    )
    placed = live_rows(tables.placements)
    discharge_authorisations = keys.authorisation["discharges"][discharged][equivalents.source]
    deadlines = placement_deadlines(tables)
    allocation = fifo(
        tables.placements.take(placed),
        equivalents.frame,
        (keys.authorisation["placements"][placed], discharge_authorisations),
        expires=expiry_days(tables, deadlines),
    )
    allocations = allocation.frame
    placements = placement_table(tables, deadlines, allocation, today)
    duties = duty_due(placements, allocations)
    tolerance = (
        None
        if thresholds.yield_tolerance_percent is None
        else percent_to_ppm(thresholds.yield_tolerance_percent)
    )
    yield_table = yields(tables, processing_equivalents(tables, bases, keys), tolerance_ppm=tolerance)
    delays = recording_delays(tables, keys)
    # Stock before the discharges table: its working arrays are gone before the discharges' dicts
    # and lists are made (the peak of memory is lower).
    events = events_of(tables, keys)
    history = history_of(events)
    by_code = stock_by_code(events, equivalents.frame, bases, discharge_authorisations)
    del events
    stock = current_stock(tables, history, bases)
    discharges = discharge_table(tables, bases, equivalents, allocation)
    del equivalents

    import_units = _import_units(placements)
    found = [
        alert_rules.deadline_alert_frame(placements, duties, today, thresholds),
        alert_rules.late_discharge_alert_frame(placements, allocations),
        alert_rules.as_frame(alert_rules.release_alerts(allocations, import_units)),
        alert_rules.yield_alert_frame(yield_table, import_units),
        alert_rules.late_record_alert_frame(delays, thresholds),
        alert_rules.as_frame(
            alert_rules.integrity_alerts(
                {
                    reference: (
                        check.verified,
                        check.gaps,
                        check.detail or "the rolling hash differs from the contract's",
                    )
                    for reference, check in checks.items()
                },
                allocations,
                import_units,
            )
        ),
    ]
    return AuditResult(
        as_of_block=tables.as_of_block,
        as_of_time=tables.as_of_time,
        today=today,
        thresholds=thresholds,
        references=audited,
        terms={reference: versions[-1].terms for reference, versions in tables.authorisations.items()},
        integrity=checks,
        placements=placements,
        discharges=discharges,
        allocations=allocations,
        duty_due=duties,
        yields=yield_table,
        recording_delays=delays,
        stock=stock,
        stock_history=history.frame,
        stock_by_code=by_code,
        alerts=sort_alerts(found),
        corrected=corrected_records(tables),
        bills=make_frame([], BILLS),  # `lodging.with_bills`
        tables=tables,
    )
