"""Audit speed on synthetic ledgers of 100 000 and 1 000 000 entries (chains built once, kept in
build/bench): a cold audit from the node in events/s, against web3.py's `contract.events.X.get_logs`
and against the bare paged `eth_getLogs` reads (the practical limit), measured in the same run; then
a warm audit from the index, with the peak memory of a process that does only that."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from web3 import Web3

from benchmarks.chain_cache import ensure_chain
from pa_client import rpc
from pa_client.auditing import run_audit
from pa_client.chain import connect
from pa_client.deploy import Deployment
from pa_client.extract import read_pages
from pa_client.ledger import LedgerClient
from pa_client.node import EmbeddedNode
from pa_client.settings import Settings

SIZES = [(100_000, 50), (1_000_000, 200)]
WEB3_SAMPLE_EVENTS = 20_000
EVENTS = (
    "PlacementRecorded",
    "MovementRecorded",
    "ProcessingRecorded",
    "HandlingRecorded",
    "DischargeRecorded",
    "CorrectionRecorded",
)

_WARM = """
import resource, sys, time
from pathlib import Path
from pa_client.auditing import run_audit
from pa_client.chain import connect
from pa_client.deploy import Deployment
from pa_client.ledger import LedgerClient
from pa_client.settings import Settings
import json
settings = Settings(data_dir=Path(sys.argv[2]))
deployment = Deployment(**json.loads(sys.argv[3]))
ledger = LedgerClient(connect(sys.argv[1]), deployment)
started = time.perf_counter()
run = run_audit(ledger, settings)
seconds = time.perf_counter() - started
assert run.verified
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _raw(w3: Web3, deployment: Deployment, to_block: int) -> tuple[int, float]:
    started = time.perf_counter()
    count = sum(
        len(page.logs)
        for page in read_pages(w3, [deployment.registry, deployment.ledger], deployment.block, to_block)
    )
    return count, time.perf_counter() - started


def _web3(ledger: LedgerClient, to_block: int) -> tuple[int, float]:
    """web3.py's decoder over the first blocks holding about WEB3_SAMPLE_EVENTS records."""
    started = time.perf_counter()
    count, end = 0, ledger.deployment.block
    while count < WEB3_SAMPLE_EVENTS and end < to_block:
        start, end = end + 1, min(to_block, end + 20)
        for name in EVENTS:
            count += len(getattr(ledger.ledger.events, name)().get_logs(from_block=start, to_block=end))
    return count, time.perf_counter() - started


def measure(entries: int, authorisations: int) -> None:
    settings, deployment = ensure_chain(entries, authorisations)
    node = EmbeddedNode(settings)
    status = node.start()
    try:
        assert status.rpc_url is not None
        w3 = connect(status.rpc_url)
        to_block = int(rpc.request(w3, "eth_blockNumber", [], what="head"), 16)
        ledger = LedgerClient(w3, deployment)
        events, raw_seconds = _raw(w3, deployment, to_block)
        sample, web3_seconds = _web3(ledger, to_block)
        with tempfile.TemporaryDirectory() as folder:
            audit_settings = Settings(data_dir=Path(folder))
            started = time.perf_counter()
            run = run_audit(ledger, audit_settings)
            cold_seconds = time.perf_counter() - started
            assert run.verified, "the synthetic ledger must prove itself"
            warm = subprocess.run(
                [sys.executable, "-c", _WARM, status.rpc_url, folder, _json(deployment)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ},
            )
            warm_seconds, warm_rss_kb = warm.stdout.split()
    finally:
        node.stop()
    raw_rate, web3_rate, cold_rate = events / raw_seconds, sample / web3_seconds, events / cold_seconds
    print(f"{entries:,} entries ({events:,} events, {authorisations} authorisations):")
    print(f"  bare eth_getLogs pages   {raw_rate:>10,.0f} events/s  ({raw_seconds:.1f} s)")
    print(f"  web3.py get_logs         {web3_rate:>10,.0f} events/s  (on {sample:,} events)")
    print(
        f"  cold audit (pa_client)   {cold_rate:>10,.0f} events/s  ({cold_seconds:.1f} s): "
        f"{cold_rate / web3_rate:,.0f} × web3.py, {cold_rate / raw_rate:.0%} of the bare reads"
    )
    print(
        f"  warm audit (index)       {float(warm_seconds):>10.1f} s, peak RSS {int(warm_rss_kb) / 1024 / 1024:.2f} GB"
    )
    print("  targets: cold ≥ 30 × web3.py and ≥ 60 % of the bare reads; warm 1M < 30 s, < 3 GB")


def _json(deployment: Deployment) -> str:
    import json

    return json.dumps(deployment.__dict__)


def main() -> None:
    sizes = SIZES
    if os.environ.get("PA_BENCH_AUDIT_SIZES"):
        sizes = [(int(n), max(1, int(n) // 5000)) for n in os.environ["PA_BENCH_AUDIT_SIZES"].split(",")]
    for entries, authorisations in sizes:
        measure(entries, authorisations)
