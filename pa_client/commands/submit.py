"""`pa submit FILE`: validate a broker's or ERP's entries file, then record it exactly once."""

from __future__ import annotations

import enum
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from pa_client.commands import console, err_console, settings_from, within
from pa_client.errors import InputError
from pa_client.submission.sizes import DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE, SIMULATION_WINDOW


class OnError(enum.StrEnum):
    STOP = "stop"
    SKIP = "skip"


def register(app: typer.Typer) -> None:
    app.command("submit")(submit)


def submit(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="The entries file: CSV or XLSX (docs/entries-file.md).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and simulate it on the ledger; send nothing.")
    ] = False,
    on_error: Annotated[
        OnError,
        typer.Option(
            "--on-error",
            metavar="stop|skip",
            help="stop: send nothing while any row is refused; skip: record the good rows and write the "
            "refused ones, with why, to FILE.rejects.csv.",
        ),
    ] = OnError.STOP,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            metavar="N",
            callback=within(1, MAX_BATCH_SIZE),
            help=f"Put up to N entries in each transaction, 1 to {MAX_BATCH_SIZE:,}.",
        ),
    ] = DEFAULT_BATCH_SIZE,
) -> None:
    """Validate a file of entries, simulate it on the ledger, then record it (resumable: a re-run
    records only what is missing)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pa_client.chain.connection import open_ledger
    from pa_client.records.entries_file import LIMITS, read_entries
    from pa_client.records.rejects import write_rejects
    from pa_client.submission.service import file_items
    from pa_client.submission.service import submit as submit_items

    skip = on_error is OnError.SKIP
    # A dry run simulates one window of entries at most: a larger file is refused while it is read,
    # not after it was read and checked whole (a 1.29 M-row file took 176 s and 6.2 GB to be refused).
    limits = replace(LIMITS, entries=SIMULATION_WINDOW) if dry_run else LIMITS
    entries_file = read_entries(file, limits)
    items, reasons = file_items(entries_file, skip=skip)  # ProblemsError: `pa` prints each problem
    settings = settings_from(ctx)
    ledger = open_ledger(settings)
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

        submission = submit_items(
            ledger,
            items,
            data_dir=settings.data_dir,
            dry_run=dry_run,
            skip_rejected=skip,
            batch_size=batch_size,
            progress=advance,
        )

    submission.add_rejected_reasons(reasons)
    console.print(f"{file.name}: {submission.summary(detail=True)}", markup=False)
    if submission.refused_by_ledger:
        for line in submission.rejected_lines():
            err_console.print(line, markup=False)
        raise InputError(submission.refusal(f"entries of {file}"))
    if skip:
        rejects = write_rejects(entries_file, reasons)
        if rejects is not None:
            console.print(
                f"{len(reasons):,} rows refused, written with the reasons to {rejects}", markup=False
            )
