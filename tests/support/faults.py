"""Helpers of the fault tests (tests/test_faults*.py): a ledger's state as one comparable value, fresh
deployments of the same authorisations, and the `pa` command run as a separate process.

A clean run and a run under faults must end with the same `Snapshot`: per authorisation the entry
count and the rolling head (`chainOf`), and the stock of every lot at every site any entry names.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from eth_utils.abi import function_signature_to_4byte_selector
from web3 import Web3

from pa_client.audit.run import AuditRun
from pa_client.chain import rpc
from pa_client.chain.accounts import dev_account
from pa_client.chain.deployment import Deployment, deploy, save_deployment
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.sender import Sender
from pa_client.contract import ids
from pa_client.contract.encoding import AnyEntry
from pa_client.dev.synthetic import SyntheticLedger
from pa_client.domain.models import Discharge, Movement, Placement, Processing

PA = Path(sys.executable).parent / "pa"
_CHAIN_OF = function_signature_to_4byte_selector("chainOf(bytes32)")
_STOCK_OF = function_signature_to_4byte_selector("stockOf(bytes32,bytes32)")


@dataclass(frozen=True)
class Snapshot:
    chains: dict[str, tuple[int, str]]  # reference -> (entry count, rolling head)
    stocks: dict[tuple[str, str, str], int]  # (reference, lot, site) -> stock in 10^-6

    @property
    def entries(self) -> int:
        return sum(sequence for sequence, _ in self.chains.values())


def lot_sites(entries: Iterable[AnyEntry]) -> list[tuple[str, str, str]]:
    """Every (authorisation, lot, site) that an entry puts goods in or takes them from."""
    found: set[tuple[str, str, str]] = set()
    for entry in entries:
        auth = entry.authorisation
        if isinstance(entry, Placement | Discharge):
            found.add((auth, entry.lot, entry.site))
        elif isinstance(entry, Movement):
            found.update({(auth, entry.lot, entry.site), (auth, entry.lot, entry.to_site)})
        elif isinstance(entry, Processing):
            found.update((auth, item.lot, entry.site) for item in entry.inputs)
            found.update((auth, item.lot, entry.site) for item in entry.outputs)
    return sorted(found)


def snapshot(
    w3: Web3, ledger_address: str, references: list[str], places: list[tuple[str, str, str]]
) -> Snapshot:
    chains = rpc.call_many(
        w3, ledger_address, [_CHAIN_OF + ids.authorisation_id(r) for r in references], what="read the chains"
    )
    stocks = rpc.call_many(
        w3,
        ledger_address,
        [_STOCK_OF + ids.lot_id(auth, lot) + ids.site_id(site) for auth, lot, site in places],
        what="read the stocks",
    )
    return Snapshot(
        {
            r: (int.from_bytes(a[:32], "big"), "0x" + a[32:64].hex())
            for r, a in zip(references, chains, strict=True)
        },
        {place: int.from_bytes(a[:32], "big") for place, a in zip(places, stocks, strict=True)},
    )


def ledger_snapshot(w3: Web3, deployment: Deployment, data: SyntheticLedger) -> Snapshot:
    return snapshot(
        w3, deployment.ledger, [a.reference for a in data.authorisations], lot_sites(data.entries())
    )


def fresh_deployment(w3: Web3, data: SyntheticLedger, data_dir: Path | None = None) -> Deployment:
    """The registry and ledger deployed anew by `customs`, the synthetic authorisations registered
    (their holder records every entry); saved in `data_dir` for the `pa` command when given."""
    deployment = deploy(Sender(w3, dev_account("customs")))
    customs = LedgerClient(w3, deployment, dev_account("customs"))
    for authorisation in data.authorisations:
        customs.register(authorisation.authorisation)
    if data_dir is not None:
        save_deployment(data_dir, deployment)
    return deployment


def pa_command(rpc_url: str, data_dir: Path, *arguments: str) -> list[str]:
    """`pa` with the holder's development account on `rpc_url` and `data_dir`, then `arguments`."""
    return [str(PA), "--rpc-url", rpc_url, "--data-dir", str(data_dir), "--account", "holder", *arguments]


def start_submission(
    rpc_url: str, data_dir: Path, file: Path, batch_size: int | str, *, capture: bool = False
) -> subprocess.Popen[str]:
    """`pa submit FILE` as a child process (its output captured, or dropped), to kill or race."""
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(
        pa_command(rpc_url, data_dir, "submit", str(file), "--batch-size", str(batch_size)),
        stdout=output,
        stderr=output,
        text=True,
        env=pa_env(),
    )


def pa_env() -> dict[str, str]:
    """The environment of a `pa` child process: no PA_* value of the developer's."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PA_")}


def wait_until_idle(w3: Web3, address: str, timeout: float = 60.0) -> None:
    """Waits until no transaction of `address` is pending (sent before a kill, still to be mined)."""
    deadline = time.monotonic() + timeout
    account = Web3.to_checksum_address(address)
    while w3.eth.get_transaction_count(account, "pending") > w3.eth.get_transaction_count(account, "latest"):
        if time.monotonic() > deadline:
            raise AssertionError(f"transactions of {address} still pending after {timeout:.0f} s")
        time.sleep(0.05)


def audit_summary(run: AuditRun) -> tuple[object, ...]:
    """What an audit concludes, to compare runs: integrity, records, stocks and alerts."""
    result = run.result
    integrity = {r: (c.verified, c.entries, c.sequence, c.head) for r, c in result.integrity.items()}
    stock = result.stock.drop(columns=[c for c in result.stock.columns if "block" in c or "time" in c])
    return (
        integrity,
        len(result.placements),
        len(result.discharges),
        stock.sort_values(list(stock.columns)).to_csv(index=False),
        sorted(result.alerts["kind"]) if "kind" in result.alerts else len(result.alerts),
    )
