"""Shared fixtures: one real Anvil node for the session, and an environment free of PA_* values."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from support import factories
from support.chain import CONSORTIUM, AnvilNode, Parties, consortium_node
from web3 import Web3

from pa_client.chain.accounts import DEV_ALIASES, dev_account
from pa_client.chain.deployment import Deployment, deploy
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode
from pa_client.chain.sender import Sender
from pa_client.settings import ENV_VARS, Settings


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


# ---------------------------------------------------------------- a consortium-like node
#
# PA_TEST_CONSORTIUM=1 (`make test-consortium`, a pass of .ci/run) runs the session against Anvil
# configured like a node of a permissioned consortium chain (docs/consortium.md): no unlocked or funded
# account (only raw transactions signed by the client are accepted), a zero gas price and base fee,
# a block every PA_TEST_BLOCK_TIME seconds (interval mining, not one block per transaction), and, in
# front of it, a proxy that enforces what Anvil does not: an eth_getLogs range limit, Besu's default
# request size limit, and no Anvil-only method (anvil_*, evm_*, hardhat_*).

if CONSORTIUM:

    @pytest.fixture(scope="session")
    def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
        """The session's node is the consortium-like one (PA_TEST_CONSORTIUM=1)."""
        settings = Settings(data_dir=tmp_path_factory.mktemp("consortium-session"))
        with consortium_node(settings.data_dir / "node") as (url, _):
            yield AnvilNode(settings, EmbeddedNode(settings), url, 31337)


# Tests of the ordinary session that assume what a consortium node does not do, skipped under
# PA_TEST_CONSORTIUM=1 (test_consortium.py covers what they check in its own way):
CONSORTIUM_SKIPS = {
    "test_a_customs_role_granted_by_customs_can_register_and_be_revoked": (
        "it funds a new account with ether; a free-gas consortium chain has none to send"
    ),
    "test_at_block_audits_the_past_and_warm_equals_cold": (
        "it assumes no block is mined between two audits of the head; interval mining mines one every "
        "second (test_consortium.py compares warm and cold audits at a fixed block)"
    ),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # `-m chain` / `-m "not chain"`: the tests that need the real node, or those that do not.
        if "anvil" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.chain)
        reason = CONSORTIUM_SKIPS.get(item.name.split("[")[0]) if CONSORTIUM else None
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"consortium node: {reason}"))
