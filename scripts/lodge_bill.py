"""`ape run lodge_bill REFERENCE --from D1 --to D2`: draw the bill of discharge of the period from the
ledger on the network Ape is on and lodge it, as `pa bill … --lodge` does."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from ape.api.providers import ProviderAPI

from pa_client.audit.rules import bill_of_discharge
from pa_client.audit.run import run_audit
from pa_client.chain.connection import open_ledger
from pa_client.errors import InputError
from pa_client.submission.bills import lodge_bill
from scripts._pa import LedgerCommand, account_option, data_dir_option, settings_for


@click.command(cls=LedgerCommand)
@click.argument("reference")
@click.option(
    "--from",
    "period_start",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    metavar="YYYY-MM-DD",
    help="First day of the bill's period.",
)
@click.option(
    "--to",
    "period_end",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    metavar="YYYY-MM-DD",
    help="Last day of the bill's period.",
)
@account_option(default="holder")
@data_dir_option()
def cli(
    provider: ProviderAPI,
    reference: str,
    period_start: datetime,
    period_end: datetime,
    account: str,
    data_dir: Path | None,
) -> None:
    """Record on the ledger that the bill of discharge of REFERENCE for the period was lodged (its
    SHA-256 and due date), as the holder or a declarant. Lodging the same bill again sends nothing."""
    if period_end < period_start:
        raise InputError(f"--to {period_end.date()} is before --from {period_start.date()}")
    settings = settings_for(provider, account=account, data_dir=data_dir)
    ledger = open_ledger(settings)
    run = run_audit(ledger, settings, references=[reference])
    if reference not in run.result.references:
        raise InputError(f"no authorisation {reference} on this ledger")
    bill = bill_of_discharge(run.result, reference, period_start.date(), period_end.date())
    click.echo(lodge_bill(ledger, bill, today=run.result.today).summary())
