"""Audit speed on synthetic ledgers of 100 000 and 1 000 000 entries (chains built once, kept in
build/bench): a cold audit from the node in events/s, against web3.py's `contract.events.X.get_logs`
and against the bare paged `eth_getLogs` reads (the practical limit), measured in the same run; then
a warm audit from the index, with the peak memory of a process that does only that.

The bare reads page the node exactly as the audit does (`pa_client.chain.extract.read_pages` with the
index's first range, `index.READ_RANGE`, and its decoding: data as bytes), one page after the other,
doing nothing with the logs. The
audit reads the next page while it decodes one (`index.prefetched`); the bare reads with that same
prefetching are shown too, for information. On a machine shared with other work the timings vary
from one run to the next: the bare reads and the cold audit are measured in turns
(`PA_BENCH_AUDIT_REPEAT` times, default 3 up to 100 000 entries, else 1) and the medians compared.

Environment: `PA_BENCH_AUDIT_SIZES` (e.g. "20000,100000"), `PA_BENCH_AUDIT_REPEAT`,
`PA_BENCH_DIR` (where the chains are kept, default build/bench), `PA_BENCH_KEEP_NODE=1` (leave the
chains' nodes running: a chain over 200 000 entries lives in memory only, and takes long to build).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from web3 import Web3

from benchmarks import chain_cache
from pa_client.audit.index import READ_RANGE, prefetched
from pa_client.audit.run import run_audit
from pa_client.chain import rpc
from pa_client.chain.deployment import Deployment
from pa_client.chain.extract import read_pages
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.sender import connect
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
from pa_client.audit.run import run_audit
from pa_client.chain.sender import connect
from pa_client.chain.deployment import Deployment
from pa_client.chain.ledger import LedgerClient
from pa_client.settings import Settings
import json
settings = Settings(data_dir=Path(sys.argv[2]))
deployment = Deployment(**json.loads(sys.argv[3]))
ledger = LedgerClient(connect(sys.argv[1]), deployment)
started = time.perf_counter()
run = run_audit(ledger, settings)
seconds = time.perf_counter() - started
assert run.verified
# The peak of this process's own memory (VmHWM): ru_maxrss would count the benchmark's memory too,
# as a child starts with its parent's peak and keeps it across exec.
try:
    status = Path("/proc/self/status").read_text().splitlines()
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(seconds, peak_kb)
"""


def _raw(w3: Web3, deployment: Deployment, to_block: int, *, ahead: bool = False) -> tuple[int, float]:
    """The bare paged reads: every page of logs asked for and parsed as the audit parses it (the
    fields it reads, data as bytes), nothing done with them."""
    started = time.perf_counter()
    addresses = [deployment.registry, deployment.ledger]
    pages = read_pages(
        w3, addresses, deployment.block, to_block, initial_range=READ_RANGE, data_as_bytes=True
    )
    count = sum(len(page.logs) for page in (prefetched(pages) if ahead else pages))
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


def _cold(ledger: LedgerClient, folder: str) -> float:
    started = time.perf_counter()
    run = run_audit(ledger, Settings(data_dir=Path(folder)))
    seconds = time.perf_counter() - started
    assert run.verified, "the synthetic ledger must prove itself"
    return seconds


def measure(entries: int, authorisations: int, repeat: int) -> None:
    with chain_cache.running_chain(entries, authorisations) as (rpc_url, deployment):
        w3 = connect(rpc_url)
        to_block = int(rpc.request(w3, "eth_blockNumber", [], what="head"), 16)
        ledger = LedgerClient(w3, deployment)
        raw_times: list[float] = []
        cold_times: list[float] = []
        with tempfile.TemporaryDirectory() as folder:
            for turn in range(repeat):
                events, seconds = _raw(w3, deployment, to_block)
                raw_times.append(seconds)
                index = Path(folder) / f"cold-{turn}"
                cold_times.append(_cold(ledger, str(index)))
            ahead_events, ahead_seconds = _raw(w3, deployment, to_block, ahead=True)
            assert ahead_events == events
            sample, web3_seconds = _web3(ledger, to_block)
            warm = subprocess.run(
                [sys.executable, "-c", _WARM, rpc_url, str(index), _json(deployment)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ},
            )
            warm_seconds, warm_rss_kb = warm.stdout.split()
    raw_seconds, cold_seconds = statistics.median(raw_times), statistics.median(cold_times)
    raw_rate, web3_rate, cold_rate = events / raw_seconds, sample / web3_seconds, events / cold_seconds
    turns = f" (median of {repeat}: {', '.join(f'{t:.1f}' for t in cold_times)} s)" if repeat > 1 else ""
    print(f"{entries:,} entries ({events:,} events, {authorisations} authorisations):")
    print(f"  bare eth_getLogs pages   {raw_rate:>10,.0f} events/s  ({raw_seconds:.1f} s)")
    print(f"  … read one page ahead    {events / ahead_seconds:>10,.0f} events/s  ({ahead_seconds:.1f} s)")
    print(f"  web3.py get_logs         {web3_rate:>10,.0f} events/s  (on {sample:,} events)")
    print(
        f"  cold audit (pa_client)   {cold_rate:>10,.0f} events/s  ({cold_seconds:.1f} s{turns}): "
        f"{cold_rate / web3_rate:,.0f} × web3.py, {cold_rate / raw_rate:.0%} of the bare reads"
    )
    print(
        f"  warm audit (index)       {float(warm_seconds):>10.1f} s, peak RSS {int(warm_rss_kb) / 1024 / 1024:.2f} GB"
    )
    print("  targets: cold ≥ 30 × web3.py and ≥ 60 % of the bare reads; warm 1M < 30 s, < 3 GB")


def _json(deployment: Deployment) -> str:
    return json.dumps(deployment.__dict__)


def main() -> None:
    sizes = SIZES
    if os.environ.get("PA_BENCH_AUDIT_SIZES"):
        # The authorisations of the standard sizes (their chains may be kept), else one per 5 000.
        known = dict(SIZES)
        sizes = [
            (int(n), known.get(int(n), max(1, int(n) // 5000)))
            for n in os.environ["PA_BENCH_AUDIT_SIZES"].split(",")
        ]
    if os.environ.get("PA_BENCH_DIR"):
        chain_cache.ROOT = Path(os.environ["PA_BENCH_DIR"])
    for entries, authorisations in sizes:
        repeat = int(os.environ.get("PA_BENCH_AUDIT_REPEAT", "3" if entries <= 100_000 else "1"))
        measure(entries, authorisations, max(1, repeat))
