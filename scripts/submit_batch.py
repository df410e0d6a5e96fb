"""`ape run submit_batch FILE`: record an entries file on the network Ape is on, as `pa submit` does."""

from __future__ import annotations

from pathlib import Path

import click
from ape.api.providers import ProviderAPI

from pa_client.chain.connection import open_ledger
from pa_client.errors import ProblemsError
from pa_client.records.entries_file import read_entries
from pa_client.submission.service import file_items, submit
from pa_client.submission.submitter import DEFAULT_BATCH_SIZE
from scripts._pa import LedgerCommand, account_option, data_dir_option, settings_for


@click.command(cls=LedgerCommand)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check against the chain; send nothing.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 2000),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Entries per transaction.",
)
@account_option(default="broker")
@data_dir_option()
def cli(
    provider: ProviderAPI,
    file: Path,
    dry_run: bool,
    batch_size: int,
    account: str,
    data_dir: Path | None,
) -> None:
    """Check FILE (CSV or XLSX, docs/entries-file.md) whole, simulate it on the ledger, then record
    it in batches, each entry exactly once (a re-run records only what is missing). Nothing is sent
    while any entry would be refused. Confirmed entries are written to the journal in the data folder."""
    try:
        items, _ = file_items(read_entries(file), skip=False)
    except ProblemsError as problems:
        for line in problems.details:
            click.echo(line, err=True)
        raise click.ClickException(str(problems)) from None
    settings = settings_for(provider, account=account, data_dir=data_dir)
    submission = submit(
        open_ledger(settings), items, data_dir=settings.data_dir, dry_run=dry_run, batch_size=batch_size
    )
    if submission.refused_by_ledger:
        for line in submission.rejected_lines():
            click.echo(line, err=True)
        raise click.ClickException(submission.refusal(f"entries of {file}"))
    journal = "" if dry_run else f"; journal {submission.journal}"
    click.echo(f"{file.name}: {submission.summary(detail=True)}{journal}")
