"""Shared fixtures: one real Anvil node for the session, and an environment free of PA_* values."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import factories
import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from pa_client.accounts import DEV_ALIASES, dev_account
from pa_client.chain import Sender
from pa_client.deploy import Deployment, deploy
from pa_client.ledger import LedgerClient
from pa_client.node import EmbeddedNode
from pa_client.settings import ENV_VARS, Settings


@dataclass(frozen=True)
class AnvilNode:
    """The session's running node: its settings (data folder), handle and URL."""

    settings: Settings
    node: EmbeddedNode
    rpc_url: str
    chain_id: int


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A developer's own PA_* variables or data folder must neither change nor be touched by tests.
    for name in ENV_VARS.values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    """A real Anvil on a free port, started and stopped by the same code as `pa node`."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("anvil-session"))
    node = EmbeddedNode(settings)
    status = node.start()
    assert status.rpc_url is not None and status.chain_id is not None
    try:
        yield AnvilNode(settings, node, status.rpc_url, status.chain_id)
    finally:
        node.stop()


@pytest.fixture(scope="session")
def w3(anvil: AnvilNode) -> Web3:
    """web3 connected to the session node."""
    return Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 30}))


@pytest.fixture(scope="session")
def dev_accounts() -> dict[str, LocalAccount]:
    """The development accounts by alias: customs, holder, broker, ..., dev0..dev9."""
    return {alias: dev_account(alias) for alias in DEV_ALIASES}


# ---------------------------------------------------------------- the deployed ledger


@dataclass(frozen=True)
class Parties:
    """Clients of the session's ledger, one per role, and a fresh authorisation per test."""

    deployment: Deployment
    customs: LedgerClient
    holder: LedgerClient
    broker: LedgerClient
    holder2: LedgerClient
    broker2: LedgerClient
    stranger: LedgerClient
    reader: LedgerClient


@pytest.fixture(scope="session")
def deployment(w3: Web3, dev_accounts: dict[str, LocalAccount]) -> Deployment:
    """The registry and ledger deployed once for the session by the customs account."""
    return deploy(Sender(w3, dev_accounts["customs"]))


@pytest.fixture(scope="session")
def parties(w3: Web3, deployment: Deployment, dev_accounts: dict[str, LocalAccount]) -> Parties:
    def client(alias: str) -> LedgerClient:
        return LedgerClient(w3, deployment, dev_accounts[alias])

    return Parties(
        deployment=deployment,
        customs=client("customs"),
        holder=client("holder"),
        broker=client("broker"),
        holder2=client("holder2"),
        broker2=client("broker2"),
        stranger=client("stranger"),
        reader=LedgerClient(w3, deployment),
    )


_references = itertools.count(1)


@pytest.fixture
def auth(parties: Parties) -> str:
    """A fresh authorisation of `holder` with `broker` appointed: each test has its own ledger."""
    reference = f"FRIPO{os.getpid() % 10000:04d}{next(_references):08d}"
    parties.customs.register(factories.authorisation(reference))
    parties.holder.appoint(reference, parties.broker.sender.address)
    return reference
