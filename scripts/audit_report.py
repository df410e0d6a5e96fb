"""`ape run audit_report`: the audit of the ledger on the network Ape is on, as `pa audit` writes it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from ape.api.providers import ProviderAPI

from pa_client.audit.run import run_audit
from pa_client.chain.connection import open_ledger
from pa_client.commands.audit import write_reports
from pa_client.dev.console import AuditSummary
from pa_client.errors import ChainError, InputError
from scripts._pa import LedgerCommand, data_dir_option, settings_for

FORMATS = ("json", "html", "xlsx", "csv")


@click.command(cls=LedgerCommand)
@click.option(
    "--authorisation",
    "-a",
    "references",
    multiple=True,
    metavar="REFERENCE",
    help="Audit only this authorisation (repeat for several; default: all).",
)
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="Audit the ledger as it stood at the end of this day (UTC): its last block by then, the records "
    "that occurred by then, deadlines judged that day.",
)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="Judge deadlines as of this day (default: the audited block's day).",
)
@click.option(
    "--at-block", type=click.IntRange(min=0), default=None, help="Audit the ledger as it was at this block."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the reports, one folder per authorisation (default: DATA_DIR/reports).",
)
@click.option(
    "--format",
    "formats",
    default="json,html",
    show_default=True,
    help="Comma-separated: json, html, xlsx, csv (those `pa audit` writes).",
)
@data_dir_option()
def cli(
    provider: ProviderAPI,
    references: tuple[str, ...],
    as_of: datetime | None,
    today: datetime | None,
    at_block: int | None,
    out: Path | None,
    formats: str,
    data_dir: Path | None,
) -> None:
    """Rebuild each authorisation's record from the logs, prove it complete against the contract,
    check it, and write its report as `pa audit` does; one summary line per authorisation, then the
    files written. Exits 1 when the logs do not prove the contract's state."""
    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    bad = sorted(set(wanted) - set(FORMATS))
    if bad:
        raise click.BadParameter(f"unknown report format {', '.join(bad)}: use {', '.join(FORMATS)}")
    if as_of is not None and (at_block is not None or today is not None):
        raise click.UsageError("--as-of says the block and the day itself: leave out --at-block and --today")
    settings = settings_for(provider, account=None, data_dir=data_dir)
    ledger = open_ledger(settings, signing=False)
    run = run_audit(
        ledger,
        settings,
        at_block=at_block,
        today=today.date() if today else None,
        references=list(references) or None,
        as_of=as_of.date() if as_of else None,
    )
    unknown = sorted(set(references) - set(run.result.references))
    if unknown:
        raise InputError(f"no authorisation {', '.join(unknown)} on this ledger")
    folder = out or settings.data_dir / "reports"
    for reference in run.result.references:
        written = write_reports(run, reference, folder / reference, wanted)
        click.echo(str(AuditSummary.of(run.result, reference)))
        for kind, path in written.items():
            click.echo(f"  {kind:<5} {path}")
    failed = [r for r, check in run.result.integrity.items() if not check.verified]
    if failed:
        raise ChainError(
            f"integrity not proven for {', '.join(failed)}: {run.result.integrity[failed[0]].detail} "
            f"(as of block {run.block:,})"
        )
