"""`pa audit`, `pa alerts`, `pa bill`: the audit rebuilt from the logs, for customs and holders."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from pa_client.commands import AsOf, AtBlock, DeadlineDays, LateHours, console, settings_from
from pa_client.domain.text import for_terminal
from pa_client.errors import ChainError, InputError

if TYPE_CHECKING:
    from pa_client.audit.rules import AlertThresholds
    from pa_client.audit.run import AuditRun
    from pa_client.settings import Settings

Authorisations = Annotated[
    list[str] | None,
    typer.Option(
        "--authorisation",
        "-a",
        metavar="REFERENCE",
        help="Only this authorisation, e.g. FRIPO000000000042 (repeat the option for several).",
    ),
]
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def register(app: typer.Typer) -> None:
    app.command("audit")(audit_command)
    app.command("alerts")(alerts_command)
    app.command("bill")(bill_command)


def _run(
    ctx: typer.Context,
    *,
    authorisations: list[str] | None,
    at_block: int | None,
    today: datetime | None,
    thresholds: AlertThresholds,
    as_of: datetime | None = None,
    today_option: str = "--today",
) -> tuple[Settings, AuditRun]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from pa_client.audit.run import run_audit
    from pa_client.chain.connection import open_ledger

    if as_of is not None and (at_block is not None or today is not None):
        used = " and ".join(o for o, v in (("--at-block", at_block), (today_option, today)) if v is not None)
        raise InputError(f"--as-of says the block and the day itself: leave out {used}")
    settings = settings_from(ctx)
    ledger = open_ledger(settings, signing=False)
    with Progress(
        TextColumn("reading the ledger's logs"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("logs", total=None)
        run = run_audit(
            ledger,
            settings,
            at_block=at_block,
            today=today.date() if today else None,
            thresholds=thresholds,
            references=authorisations,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            as_of=as_of.date() if as_of else None,
        )
    unknown = sorted(set(authorisations or ()) - set(run.result.references))
    if unknown:
        raise InputError(f"no authorisation {', '.join(unknown)} on this ledger")
    return settings, run


def audit_command(
    ctx: typer.Context,
    authorisations: Authorisations = None,
    as_of: AsOf = None,
    at_block: AtBlock = None,
    today: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="Judge deadlines as of this day (default: the audited block's day).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="DIR", help="Write the reports in this folder (default: DATA_DIR/reports)."
        ),
    ] = None,
    formats: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="FORMATS",
            help="The reports to write, comma-separated: json, html, xlsx, csv.",
        ),
    ] = "json,html",
    deadline_days: DeadlineDays = 30,
    late_hours: LateHours = 72,
) -> None:
    """Rebuild every authorisation's record from the logs, prove it complete, check it, and write the
    report. Exits 1 when the logs do not prove the contract's state."""
    from pa_client.audit.rules import AlertThresholds
    from pa_client.dev.console import AuditSummary
    from pa_client.present.audit_document import audit_document

    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    bad = sorted(set(wanted) - {"json", "html", "xlsx", "csv"})
    if bad:
        raise InputError(f"unknown report format {', '.join(bad)}: use json, html, xlsx, csv")
    thresholds = AlertThresholds(deadline_near_days=deadline_days, late_record_hours=late_hours)
    settings, run = _run(
        ctx, authorisations=authorisations, at_block=at_block, today=today, thresholds=thresholds, as_of=as_of
    )
    folder = out or settings.data_dir / "reports"
    result = run.result
    for reference in result.references:
        written = write_reports(run, reference, folder / reference, wanted)
        console.print(str(AuditSummary.of_report(audit_document(result, reference))), markup=False)
        for kind, path in written.items():
            console.print(f"  {kind:<5} {path}", markup=False)
    if result.registry is not None and not result.registry.verified:
        raise ChainError(f"the registry is not proven: {result.registry.detail} (as of block {run.block:,})")
    failed = [r for r, check in result.integrity.items() if not check.verified]
    if failed:
        raise ChainError(
            f"integrity not proven for {', '.join(failed)}: {result.integrity[failed[0]].detail} "
            f"(as of block {run.block:,})"
        )


def write_reports(run: AuditRun, reference: str, folder: Path, formats: list[str]) -> dict[str, Path]:
    """The report of one authorisation in the requested formats (audit.json, audit.html, …)."""
    from pa_client.present import write_audit

    return write_audit(run.result, reference, folder, formats, stem="audit")


def alerts_command(
    ctx: typer.Context,
    authorisations: Authorisations = None,
    at: Annotated[
        datetime | None,
        typer.Option(
            "--at",
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="List the alerts open on this day (default: the latest block's day).",
        ),
    ] = None,
    as_of: AsOf = None,
    at_block: AtBlock = None,
    severities: Annotated[
        list[str] | None,
        typer.Option(
            "--severity",
            metavar="SEVERITY",
            help="Only the alerts of this severity: critical, warning or info (repeat, or separate by commas).",
        ),
    ] = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            metavar="KIND",
            help="Only the alerts of this kind: deadline_near, overdue, yield_deviation, late_record, bill_due, "
            "bill_overdue, bill_outdated or integrity (repeat, or separate by commas).",
        ),
    ] = None,
) -> None:
    """List the open alerts, most severe first, then how many of each kind."""
    from pa_client.audit.rules import AlertThresholds
    from pa_client.audit.rules.alerts import KINDS, SEVERITIES

    wanted_severities = _choices("--severity", severities, SEVERITIES)
    wanted_kinds = _choices("--kind", kinds, KINDS)
    _, run = _run(
        ctx,
        authorisations=authorisations,
        at_block=at_block,
        today=at,
        thresholds=AlertThresholds(),
        as_of=as_of,
        today_option="--at",
    )
    rows = [
        row
        for row in run.result.alerts.to_dict("records")
        if (not wanted_severities or row["severity"] in wanted_severities)
        and (not wanted_kinds or row["kind"] in wanted_kinds)
    ]
    day = run.result.today.isoformat()
    if not rows:
        console.print(
            f"no open alerts as of {day}"
            + (" of that kind" if severities or kinds else "")
            + f" ({run.result.basis})",
            markup=False,
        )
        return
    for row in rows:
        # Record text is a declarant's: neither an escape sequence nor rich markup ("[red]") in it acts.
        # Each message names its placement, processing or discharge, and its date where it has one.
        console.print(
            f"[{SEVERITY_STYLE.get(row['severity'], '')}]{row['severity']:<8}[/] {row['kind']:<16} "
            f"{_shown(row['authorisation'])}  {_shown(row['message'])}",
            highlight=False,
        )
    counted = Counter(row["kind"] for row in rows)
    per_kind = ", ".join(f"{counted[kind]:,} {kind}" for kind in KINDS if counted[kind])
    total = len(run.result.alerts)
    shown = f"{len(rows):,} of {total:,}" if len(rows) != total else f"{total:,}"
    console.print(
        f"{shown} open alert{'s' if total != 1 else ''} as of {day} ({run.result.basis}): {per_kind}",
        markup=False,
    )


def _choices(option: str, given: list[str] | None, allowed: tuple[str, ...]) -> set[str]:
    """The values of a repeatable option that also takes commas; an InputError names a wrong one."""
    values = {value.strip().lower() for item in given or () for value in item.split(",") if value.strip()}
    wrong = sorted(values - set(allowed))
    if wrong:
        raise InputError(f"{option} {', '.join(wrong)} is not one of {', '.join(allowed)}")
    return values


def _shown(text: str) -> str:
    return escape(for_terminal(str(text)))


def bill_command(
    ctx: typer.Context,
    reference: Annotated[
        str, typer.Argument(metavar="REFERENCE", help="The authorisation, e.g. FRIPO000000000042.")
    ],
    period_start: Annotated[
        datetime,
        typer.Option("--from", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="First day of the period."),
    ],
    period_end: Annotated[
        datetime,
        typer.Option("--to", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="Last day of the period."),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Write the bill in this folder (default: DATA_DIR/reports/REFERENCE).",
        ),
    ] = None,
    as_of: AsOf = None,
    at_block: AtBlock = None,
    lodge: Annotated[
        bool,
        typer.Option(
            "--lodge",
            help="Also record on the ledger that this bill was lodged (its SHA-256 and due date), as the "
            "holder or a declarant. Safe to repeat: a bill already lodged is not lodged twice.",
        ),
    ] = False,
) -> None:
    """Write the bill of discharge (décompte d'apurement) of the placements whose period for discharge
    ends in the period, and with --lodge record that it was lodged."""
    from pa_client.audit.rules import AlertThresholds, bill_of_discharge
    from pa_client.present import write_bill

    if period_end < period_start:
        raise InputError(f"--to {period_end.date()} is before --from {period_start.date()}")
    if lodge and (at_block is not None or as_of is not None):
        raise InputError("--lodge lodges the bill as the ledger stands now: leave out --at-block and --as-of")
    settings, run = _run(
        ctx,
        authorisations=[reference],
        at_block=at_block,
        today=None,
        thresholds=AlertThresholds(),
        as_of=as_of,
    )
    bill = bill_of_discharge(run.result, reference, period_start.date(), period_end.date())
    folder = out or settings.data_dir / "reports" / reference
    written = write_bill(
        bill, folder, ["html", "xlsx", "json"], stem=f"bill-{period_start.date()}-{period_end.date()}"
    )
    console.print(
        f"bill of discharge of {reference} for {period_start.date()} to {period_end.date()} (due {bill.due}): "
        f"{len(bill.placements)} placements, {len(bill.discharges)} discharges, duty EUR "
        f"{Decimal(bill.duty_free_circulation_cents + bill.duty_deemed_release_cents) / 100:,.2f} "
        f"({run.result.basis})",
        markup=False,
    )
    for kind, path in written.items():
        console.print(f"  {kind:<5} {path}", markup=False)
    if lodge:
        from pa_client.chain.connection import open_ledger
        from pa_client.submission.bills import lodge_bill

        lodging = lodge_bill(open_ledger(settings), bill, today=run.result.today)
        console.print(for_terminal(lodging.summary()), markup=False)
