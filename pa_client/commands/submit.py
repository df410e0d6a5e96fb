"""`pa submit FILE`: validate a broker's or ERP's entries file, then record it exactly once."""

from __future__ import annotations

import enum
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pa_client.audit.index import LedgerIndex
from pa_client.chain.connection import open_ledger
from pa_client.commands import console, err_console, settings_from
from pa_client.errors import InputError
from pa_client.records.entries_file import read_entries
from pa_client.records.rejects import write_rejects
from pa_client.submission.journal import Journal
from pa_client.submission.submitter import DEFAULT_BATCH_SIZE, Item, Outcome, Report, Submitter


class OnError(enum.StrEnum):
    STOP = "stop"
    SKIP = "skip"


def register(app: typer.Typer) -> None:
    app.command("submit")(submit)


def submit(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Entries file: CSV or XLSX (docs/entries-file.md).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check against the chain; send nothing.")
    ] = False,
    on_error: Annotated[
        OnError,
        typer.Option(
            "--on-error",
            help="stop: send nothing while any row is refused; skip: record the good rows and write the "
            "refused ones, with why, to FILE.rejects.csv.",
        ),
    ] = OnError.STOP,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=2000, help="Entries per transaction.")
    ] = DEFAULT_BATCH_SIZE,
) -> None:
    """Validate a file of entries, simulate it on the ledger, then record it (resumable: a re-run
    records only what is missing)."""
    entries_file = read_entries(file)
    skip = on_error is OnError.SKIP
    reasons: dict[int, list[str]] = defaultdict(list)
    if entries_file.problems:
        if not skip:
            # Every problem on its own line (a file is checked whole), then the one-line error.
            for problem in entries_file.problems:
                err_console.print(str(problem), markup=False)
            count = len(entries_file.problems)
            raise InputError(
                f"{count:,} problem{'' if count == 1 else 's'} found in {file}: nothing was sent"
            )
        for problem in entries_file.problems:
            reasons[problem.row].append(f"{problem.column or 'row'}: {problem.message}")

    settings = settings_from(ctx)
    ledger = open_ledger(settings)
    items = [Item(sourced.entry, sourced.rows, str(file)) for sourced in entries_file.entries]
    journal = Journal.for_ledger(settings.data_dir, ledger.deployment.chain_id, ledger.deployment.ledger)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"recording {file.name}", total=len(items), rate="")

        def advance(done: int, total: int) -> None:
            elapsed = progress.tasks[task].elapsed or 0
            rate = f"{done / elapsed:,.0f} entries/s" if elapsed else ""
            progress.update(task, completed=done, total=total, rate=rate)

        d = ledger.deployment
        index = LedgerIndex.for_ledger(settings.data_dir, d.chain_id, d.registry, d.ledger, d.block)
        report = Submitter(
            ledger, batch_size=batch_size, journal=journal, progress=advance, index=index
        ).submit(items, dry_run=dry_run, skip_rejected=skip)

    for result in report.rejected:
        for row in result.item.rows or (0,):
            reasons[row].append(result.reason or str(result.error_name))
    _print_summary(report, file)
    if report.rejected and not skip:
        for result in report.rejected:
            err_console.print(
                f"{result.item.where}: entry {result.item.entry.entry_ref}: {result.reason}", markup=False
            )
        # A refusal found in a later window comes after earlier windows were recorded.
        sent = report.count(Outcome.RECORDED)
        done = "nothing was sent" if not sent else f"the {sent:,} entries before them were recorded"
        raise InputError(f"{len(report.rejected):,} entries of {file} would be refused by the ledger: {done}")
    if skip:
        rejects = write_rejects(entries_file, reasons)
        if rejects is not None:
            console.print(
                f"{len(reasons):,} rows refused, written with the reasons to {rejects}", markup=False
            )


def _print_summary(report: Report, file: Path) -> None:
    recorded = report.count(Outcome.RECORDED)
    rate = f", {recorded / report.seconds:,.0f} entries/s" if recorded and report.seconds else ""
    if report.dry_run:
        console.print(
            f"{file.name}: {report.count(Outcome.CHECKED):,} entries would be recorded, "
            f"{report.count(Outcome.ALREADY):,} already recorded, {len(report.rejected):,} refused; "
            "nothing sent (dry run)",
            markup=False,
        )
        return
    console.print(
        f"{file.name}: {recorded:,} recorded, {report.count(Outcome.ALREADY):,} already recorded, "
        f"{len(report.rejected):,} refused; {report.transactions:,} transaction{'' if report.transactions == 1 else 's'}, "
        f"{report.gas_used:,} gas, {report.seconds:,.1f} s{rate}",
        markup=False,
    )
