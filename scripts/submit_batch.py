"""`ape run submit_batch FILE`: record an entries file on the network Ape is on, as `pa submit` does."""

from __future__ import annotations

from pathlib import Path

import click
from ape.api.providers import ProviderAPI

from pa_client.chain.connection import open_ledger
from pa_client.records.entries_file import read_entries
from pa_client.submission.journal import Journal
from pa_client.submission.submitter import DEFAULT_BATCH_SIZE, Item, Outcome, Submitter
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
    entries_file = read_entries(file)
    entries_file.raise_if_problems()
    settings = settings_for(provider, account=account, data_dir=data_dir)
    ledger = open_ledger(settings)
    journal = Journal.for_ledger(settings.data_dir, ledger.deployment.chain_id, ledger.deployment.ledger)
    items = [Item(sourced.entry, sourced.rows, str(file)) for sourced in entries_file.entries]
    report = Submitter(ledger, batch_size=batch_size, journal=journal).submit(items, dry_run=dry_run)

    for result in report.rejected:
        click.echo(f"{result.item.where}: entry {result.item.entry.entry_ref}: {result.reason}", err=True)
    if report.rejected:
        raise click.ClickException(
            f"{len(report.rejected):,} entries of {file} would be refused by the ledger: nothing was sent"
        )
    already = report.count(Outcome.ALREADY)
    if dry_run:
        click.echo(
            f"{file.name}: {report.count(Outcome.CHECKED):,} entries would be recorded, {already:,} already "
            "recorded; nothing sent (dry run)"
        )
        return
    click.echo(
        f"{file.name}: {report.count(Outcome.RECORDED):,} recorded, {already:,} already recorded; "
        f"{report.transactions:,} transaction(s), {report.gas_used:,} gas, {report.seconds:,.1f} s; "
        f"journal {journal.path}"
    )
