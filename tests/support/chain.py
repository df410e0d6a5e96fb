"""The session's chain as the tests see it: the node, the parties of the deployed ledger, and a
consortium-like node (Anvil configured like a permissioned chain's node, behind a proxy)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pa_client.chain.deployment import Deployment
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode, free_port, local_rpc
from pa_client.errors import NodeError
from pa_client.settings import Settings
from support.rpc_proxy import Faults, RpcProxy, rpc_proxy


@dataclass(frozen=True)
class AnvilNode:
    """The session's running node: its settings (data folder), handle and URL."""

    settings: Settings
    node: EmbeddedNode
    rpc_url: str
    chain_id: int


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


# The consortium-like node (PA_TEST_CONSORTIUM=1; see conftest.py).

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
