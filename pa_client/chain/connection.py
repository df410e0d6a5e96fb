"""From settings to a ready `LedgerClient`: the chain (the embedded node started on demand), the
signing account and the deployment recorded for that chain."""

from __future__ import annotations

from web3 import Web3

from pa_client.chain.accounts import resolve_account
from pa_client.chain.deployment import Deployment, deploy, load_deployment, save_deployment
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode, rpc_url_for
from pa_client.chain.sender import Sender, connect
from pa_client.settings import Settings


def open_chain(settings: Settings) -> Web3:
    """The configured chain; the embedded node (started on demand) when no URL is configured, followed
    to its new port when it is started again elsewhere (a long-running `pa serve`)."""
    token = settings.rpc_token.get_secret_value() if settings.rpc_token is not None else None
    locate = None if settings.rpc_url is not None else EmbeddedNode(settings).running_url
    return connect(rpc_url_for(settings), token=token, locate=locate)


def open_ledger(settings: Settings, *, signing: bool = True) -> LedgerClient:
    """The deployed ledger on the configured chain, with the configured account when `signing`."""
    w3 = open_chain(settings)
    deployment = load_deployment(settings.data_dir, w3)
    account = resolve_account(settings, chain_id=w3.eth.chain_id) if signing else None
    return LedgerClient(w3, deployment, account)


def deploy_ledger(settings: Settings) -> Deployment:
    """Deploys the registry and ledger with the configured (customs) account and records where."""
    w3 = open_chain(settings)
    account = resolve_account(settings, chain_id=w3.eth.chain_id)
    deployment = deploy(Sender(w3, account))
    save_deployment(settings.data_dir, deployment)
    return deployment
