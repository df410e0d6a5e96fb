"""`ape run deploy`: deploy the registry and the ledger on the network Ape is on, as `pa deploy` does."""

from __future__ import annotations

from pathlib import Path

import click
from ape.api.providers import ProviderAPI

from pa_client.chain.connection import deploy_ledger
from pa_client.chain.deployment import deployment_file
from scripts._pa import LedgerCommand, account_option, data_dir_option, settings_for


@click.command(cls=LedgerCommand)
@account_option(default="customs")
@data_dir_option()
def cli(provider: ProviderAPI, account: str, data_dir: Path | None) -> None:
    """Deploy the registry and the ledger (customs); the account becomes the first customs account.
    The addresses are recorded for this chain in the data folder, where `pa` and the other scripts
    find them."""
    settings = settings_for(provider, account=account, data_dir=data_dir)
    deployment = deploy_ledger(settings)
    click.echo(f"registry  {deployment.registry}")
    click.echo(f"ledger    {deployment.ledger}")
    click.echo(
        f"deployed by {deployment.deployed_by} on chain {deployment.chain_id} at block {deployment.block:,}; "
        f"recorded in {deployment_file(settings.data_dir, deployment.chain_id)}"
    )
