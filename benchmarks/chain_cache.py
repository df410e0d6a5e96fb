"""Synthetic ledgers on a real embedded chain, built once and kept in build/bench/ for the audit
benchmark (loading a million entries takes minutes; reading them is what is measured).

Entries are valid by construction (pa_client.dev.synthetic), so they are sent straight in batches,
without the submission's simulation; corrections carry the logged data predicted from the sequence
numbers, as the submission does."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from hexbytes import HexBytes
from web3 import Web3
from web3.types import Nonce, TxParams

from pa_client.chain.accounts import dev_account
from pa_client.chain.deployment import Deployment, deploy, save_deployment
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode
from pa_client.chain.sender import Sender, connect
from pa_client.contract.artifacts import CONTRACTS, load_artifact
from pa_client.contract.encoding import AnyEntry, batch_call, entry_call, entry_log_data
from pa_client.dev.synthetic import synthetic
from pa_client.domain.models import Correction
from pa_client.settings import Settings

log = logging.getLogger("pa_client")

ROOT = Path(__file__).resolve().parent.parent / "build" / "bench"
BATCH = 400
IN_FLIGHT = 8
KEEP_UP_TO = 200_000
"""Larger chains are built in memory for each run rather than kept: Anvil's state file takes about
12 KB per entry (12 GB at a million), which it reads whole at start; loading takes about a minute per
100 000 entries."""


def chain_folder(entries: int) -> Path:
    return ROOT / f"chain-{entries}"


@contextlib.contextmanager
def running_chain(entries: int, authorisations: int) -> Iterator[tuple[str, Deployment]]:
    """A node holding `entries` synthetic entries, running for the block: (its RPC URL, the deployment).
    Up to KEEP_UP_TO entries the chain is kept in build/bench and loaded again next time; a larger one
    lives in memory only. With PA_BENCH_KEEP_NODE=1 the node is left running afterwards, and a later
    run uses it rather than loading the chain again."""
    folder = chain_folder(entries)
    keep = entries <= KEEP_UP_TO
    # No recent states (calls at past blocks are not measured); a long save interval, as each save
    # writes the whole state.
    settings = Settings(
        data_dir=folder,
        block_gas_limit=300_000_000,
        node_state_interval=3600,
        node_recent_states=0,
        node_persist=keep,
    )
    marker = folder / "complete.json"
    if marker.exists() and json.loads(marker.read_text()).get("contracts") != _contracts():
        # Deployed with other contracts (the client would call functions they lack): built again.
        EmbeddedNode(settings).stop()
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    node = EmbeddedNode(settings)
    was_running = node.status().running
    if not keep and not was_running:
        marker.unlink(missing_ok=True)  # its chain was in memory only
    status = node.start()
    try:
        assert status.rpc_url is not None
        if marker.exists():
            deployment = Deployment(**json.loads(marker.read_text())["deployment"])
        else:
            deployment = _build(status.rpc_url, folder, entries, authorisations)
            marker.write_text(
                json.dumps({"deployment": deployment.__dict__, "entries": entries, "contracts": _contracts()})
            )
        yield status.rpc_url, deployment
    finally:
        if os.environ.get("PA_BENCH_KEEP_NODE") == "1":
            print(
                f"  left the node of {folder} running (PA_BENCH_KEEP_NODE): pa --data-dir {folder} node stop"
            )
        else:
            node.stop()


def _contracts() -> str:
    """A digest of the contracts the client deploys."""
    code = "".join(load_artifact(name).bytecode for name in CONTRACTS)
    return hashlib.sha256(code.encode()).hexdigest()


def _build(rpc_url: str, folder: Path, entries: int, authorisations: int) -> Deployment:
    started = time.perf_counter()
    w3 = connect(rpc_url)
    holder = dev_account("holder")
    deployment = deploy(Sender(w3, dev_account("customs")))
    save_deployment(folder, deployment)
    customs = LedgerClient(w3, deployment, dev_account("customs"))
    data = synthetic(entries=entries, authorisations=authorisations, holders=[holder.address])
    for authorisation in data.authorisations:
        customs.register(authorisation.authorisation)
    _load(Sender(w3, holder), deployment, data.entries(), entries)
    print(f"  built a chain of {entries:,} entries in {time.perf_counter() - started:,.0f} s ({folder})")
    return deployment


def _load(sender: Sender, deployment: Deployment, entries: Iterable[AnyEntry], total: int) -> None:
    sequences: dict[str, int] = {}
    logged: dict[tuple[str, str], bytes] = {}  # logged data of correctable entries, for corrections
    pending: list[HexBytes] = []
    batch: list[bytes] = []
    fees = sender.fees()
    done = 0
    for entry in entries:
        original = (
            logged.pop((entry.authorisation, entry.corrects), b"") if isinstance(entry, Correction) else b""
        )
        sequences[entry.authorisation] = sequences.get(entry.authorisation, 0) + 1
        if not isinstance(entry, Correction):
            logged[(entry.authorisation, entry.entry_ref)] = entry_log_data(
                entry, sequences[entry.authorisation]
            )
        batch.append(entry_call(entry, original))
        if len(batch) == BATCH:
            pending.append(_send(sender, deployment, batch, fees))
            batch = []
            done += BATCH
            if len(pending) >= IN_FLIGHT:
                _confirm(sender, pending.pop(0))
            if done % 50_000 == 0:
                print(f"  loaded {done:,} / {total:,}", flush=True)
    if batch:
        pending.append(_send(sender, deployment, batch, fees))
    for tx_hash in pending:
        _confirm(sender, tx_hash)


def _send(sender: Sender, deployment: Deployment, batch: list[bytes], fees: TxParams) -> HexBytes:
    tx: TxParams = {
        "from": sender.account.address,
        "to": Web3.to_checksum_address(deployment.ledger),
        "data": batch_call(batch),
        "gas": 250_000 * len(batch) + 200_000,  # generous: in-flight batches cannot be estimated
        "nonce": Nonce(sender.next_nonce()),
        "chainId": sender.chain_id,
        **fees,
    }
    return sender.send_raw(tx, "load a synthetic batch")


def _confirm(sender: Sender, tx_hash: HexBytes) -> None:
    receipt = sender.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=600, poll_latency=0.05)
    if receipt["status"] != 1:
        raise RuntimeError(f"a synthetic batch failed in block {receipt['blockNumber']}")
