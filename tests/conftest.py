"""Shared fixtures: one real Anvil node for the session, and an environment free of PA_* values."""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import factories
import pytest
from eth_account.signers.local import LocalAccount
from rpc_proxy import Faults, RpcProxy, rpc_proxy
from web3 import Web3

from pa_client.chain.accounts import DEV_ALIASES, dev_account
from pa_client.chain.deployment import Deployment, deploy
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode, free_port, local_rpc
from pa_client.chain.sender import Sender
from pa_client.errors import NodeError
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


# ---------------------------------------------------------------- a consortium-like node
#
# PA_TEST_CONSORTIUM=1 (`make test-consortium`, a pass of .ci/run) runs the session against Anvil
# configured like a node of a permissioned consortium chain (docs/consortium.md): no unlocked or funded
# account (only raw transactions signed by the client are accepted), a zero gas price and base fee,
# a block every PA_TEST_BLOCK_TIME seconds (interval mining, not one block per transaction), and, in
# front of it, a proxy that enforces what Anvil does not: an eth_getLogs range limit, Besu's default
# request size limit, and no Anvil-only method (anvil_*, evm_*, hardhat_*).

CONSORTIUM = os.environ.get("PA_TEST_CONSORTIUM", "").strip().lower() not in ("", "0", "false", "no")
CONSORTIUM_BLOCK_TIME = os.environ.get("PA_TEST_BLOCK_TIME", "1")
CONSORTIUM_LOG_RANGE = 10  # blocks per eth_getLogs: small, to page (Besu's --rpc-max-logs-range: 5 000)
CONSORTIUM_MAX_BODY = 5 * 1024 * 1024  # Besu's default --rpc-http-max-request-content-length
NON_STANDARD_METHODS = ("anvil_", "evm_", "hardhat_", "ots_")


def consortium_argv(binary: Path, port: int, block_time: str = CONSORTIUM_BLOCK_TIME) -> list[str]:
    return [
        str(binary),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--chain-id", "31337",
        "--accounts", "0",  # no development account: nothing unlocked, nothing funded
        "--gas-price", "0",
        "--base-fee", "0",
        "--disable-min-priority-fee",
        "--block-time", block_time,  # interval mining
        "--gas-limit", str(Settings().block_gas_limit),
        "--color", "never",
    ]  # fmt: skip


@contextlib.contextmanager
def consortium_node(folder: Path, block_time: str = CONSORTIUM_BLOCK_TIME) -> Iterator[tuple[str, RpcProxy]]:
    """A consortium-like Anvil behind its proxy: (the proxy's URL, the proxy)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with (folder / "anvil.log").open("wb") as log:
        process = subprocess.Popen(
            consortium_argv(Settings().anvil_path, port, block_time), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            upstream = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 15
            while True:
                try:
                    local_rpc(upstream, "eth_chainId", timeout=1.0)
                    break
                except NodeError:
                    assert process.poll() is None and time.monotonic() < deadline, "anvil did not start"
                    time.sleep(0.1)
            faults = Faults(
                max_log_range=CONSORTIUM_LOG_RANGE,
                max_body=CONSORTIUM_MAX_BODY,
                refuse_prefixes=NON_STANDARD_METHODS,
            )
            # A call to an Anvil-only method is refused, so a client that used one would fail the tests.
            with rpc_proxy(upstream, faults) as proxy:
                yield proxy.url, proxy
        finally:
            process.terminate()
            process.wait(timeout=10)


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
    if not CONSORTIUM:
        return
    for item in items:
        reason = CONSORTIUM_SKIPS.get(item.name.split("[")[0])
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"consortium node: {reason}"))
