"""What the scripts share: a command connected to the network Ape is on, and the options of `pa`.

On Ape's local network (the embedded node, provider `foundry`), the command first makes sure the
embedded node of the data folder runs, starting it on Ape's port when it does not, and points Ape at
it (APE_FOUNDRY_HOST): the scripts work on the chain and state of `pa`, never on an Anvil of Ape's
own. An APE_FOUNDRY_HOST set by the user is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
from ape.api.providers import ProviderAPI
from ape.cli import ConnectedProviderCommand

from pa_client.dev.console import embedded_node_url
from pa_client.errors import PaClientError
from pa_client.settings import Settings

__all__ = ["FOUNDRY_HOST", "LedgerCommand", "account_option", "data_dir_option", "settings_for"]

FOUNDRY_HOST = "APE_FOUNDRY_HOST"  # ape-foundry's own override of `foundry: host:`

F = TypeVar("F", bound=Callable[..., Any])


class LedgerCommand(ConnectedProviderCommand):
    """A script command run on the network Ape is on (`--network`); on the local network, the
    embedded node of the data folder. Errors of the client end the script with their one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            provider = ctx.params.get("network")
            if isinstance(provider, ProviderAPI):
                follow_embedded_node(provider, ctx.params.get("data_dir"))
            return super().invoke(ctx)
        except PaClientError as error:
            raise click.ClickException(str(error)) from None


def follow_embedded_node(provider: ProviderAPI, data_dir: Path | None) -> None:
    """Before Ape connects to its local network: the embedded node runs, and Ape goes there."""
    if not (provider.network.is_local and provider.name == "foundry") or os.environ.get(FOUNDRY_HOST):
        return
    port = urlsplit(provider.http_uri or "").port
    os.environ[FOUNDRY_HOST] = embedded_node_url(Settings.load(data_dir=data_dir), port)


def settings_for(provider: ProviderAPI, *, account: str | None, data_dir: Path | None) -> Settings:
    """The client's settings for the chain Ape is connected to."""
    if provider.http_uri is None:
        raise click.ClickException(f"the provider of {provider.network_choice} has no HTTP URL")
    return Settings.load(rpc_url=provider.http_uri, account=account, data_dir=data_dir)


def account_option(default: str) -> Callable[[F], F]:
    return click.option(
        "--account",
        envvar="PA_ACCOUNT",
        default=default,
        show_default=True,
        metavar="ACCOUNT",
        help=(
            "Keystore file (password from env PA_PASSWORD) or, on a local development chain, a "
            "development account: customs, holder, broker, holder2, broker2, stranger, dev0..dev9 "
            "(env PA_ACCOUNT)."
        ),
    )


def data_dir_option() -> Callable[[F], F]:
    return click.option(
        "--data-dir",
        envvar="PA_DATA_DIR",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        metavar="DIR",
        help="Data folder: embedded node, deployments per chain, journal (env PA_DATA_DIR).",
    )
