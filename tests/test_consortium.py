"""The client on a consortium-like node (support.chain.consortium_node): nothing unlocked or funded, zero gas
price, interval mining, an eth_getLogs range limit, no Anvil-only method. These tests start such a node
of their own in the ordinary run; under PA_TEST_CONSORTIUM=1 (`make test-consortium`) they use the
session's, which is one, and the other chain tests of CONSORTIUM_TESTS (Makefile) run on it too."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_typing import HexStr
from support.chain import CONSORTIUM, CONSORTIUM_LOG_RANGE, AnvilNode, consortium_node
from support.faults import fresh_deployment, ledger_snapshot
from support.rpc_proxy import RpcProxy
from web3 import Web3

from pa_client.audit.index import LedgerIndex
from pa_client.audit.run import run_audit
from pa_client.chain import rpc
from pa_client.chain.accounts import dev_account
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import local_rpc
from pa_client.chain.sender import connect
from pa_client.cli import main
from pa_client.contract.encoding import AnyEntry
from pa_client.dev.synthetic import synthetic
from pa_client.domain.models import Correction
from pa_client.errors import ChainError, NodeError
from pa_client.present.audit_document import audit_document
from pa_client.settings import Settings
from pa_client.submission.journal import Journal
from pa_client.submission.submitter import Item, Outcome, Submitter

pytestmark = pytest.mark.consortium
HOLDER = dev_account("holder")


@dataclass(frozen=True)
class Node:
    url: str
    proxy: RpcProxy | None  # None when the session's node is the consortium one


@pytest.fixture(scope="module")
def node(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    if CONSORTIUM:
        anvil: AnvilNode = request.getfixturevalue("anvil")
        yield Node(anvil.rpc_url, None)
        return
    # Quarter-second blocks in the ordinary run: interval mining all the same, and quick.
    with consortium_node(tmp_path_factory.mktemp("consortium"), block_time="0.25") as (url, proxy):
        yield Node(url, proxy)


def test_no_account_is_unlocked_or_funded(node: Node) -> None:
    assert local_rpc(node.url, "eth_accounts") == []
    w3 = connect(node.url)
    assert w3.eth.get_balance(HOLDER.address) == 0
    with pytest.raises(NodeError, match=r"(?i)account|sign|unknown|not found"):
        local_rpc(node.url, "eth_sendTransaction", [{"from": HOLDER.address, "to": HOLDER.address}])


def test_anvil_only_methods_are_refused_by_the_proxy(node: Node) -> None:
    for method in ("anvil_mine", "evm_mine", "anvil_setBalance"):
        with pytest.raises(NodeError, match="does not exist"):
            local_rpc(node.url, method, [])


def test_a_submission_and_its_audit_on_the_consortium_node(node: Node, tmp_path: Path) -> None:
    """Deploy, register, submit (several batches in flight, mined together on the next block, for no
    gas fee) and audit across more blocks than one eth_getLogs may span."""
    w3 = connect(node.url)
    data = synthetic(entries=400, authorisations=2, seed=3, holders=[HOLDER.address])
    deployment = fresh_deployment(w3, data, tmp_path / "data")
    ledger = LedgerClient(w3, deployment, HOLDER)
    report = Submitter(ledger, batch_size=20).submit([Item(e) for e in data.entries()])
    assert report.count(Outcome.RECORDED) == 400
    blocks = {r.block for r in report.results}
    assert len(blocks) < report.transactions, "interval mining puts several batches in one block"
    receipts = [
        w3.eth.get_transaction_receipt(HexStr(r.transaction)) for r in report.results[:1] if r.transaction
    ]
    assert receipts and receipts[0]["effectiveGasPrice"] == 0
    assert w3.eth.get_balance(HOLDER.address) == 0

    # Enough blocks for the audit to need several pages under the range limit.
    first = deployment.block
    while w3.eth.block_number - first <= 2 * CONSORTIUM_LOG_RANGE:
        time.sleep(0.25)
    with pytest.raises(ChainError, match="range"):
        last = hex(first + CONSORTIUM_LOG_RANGE)
        rpc.request(w3, "eth_getLogs", [{"fromBlock": hex(first), "toBlock": last}], what="read logs")
    audit = run_audit(LedgerClient(w3, deployment), Settings(data_dir=tmp_path / "audit"))
    assert audit.verified
    assert sum(c.entries for c in audit.result.integrity.values()) == 400
    assert ledger_snapshot(w3, deployment, data).entries == 400
    if node.proxy is not None:
        assert node.proxy.counts["refused eth_getLogs"] > 0


def test_the_command_line_on_the_consortium_node(
    node: Node, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = synthetic(entries=60, authorisations=1, seed=4, holders=[HOLDER.address])
    w3 = connect(node.url)
    data_dir = tmp_path / "data"
    deployment = fresh_deployment(w3, data, data_dir)
    file = tmp_path / "entries.csv"
    data.write_csv(file)
    base = ["--rpc-url", node.url, "--data-dir", str(data_dir)]
    assert main([*base, "--account", "holder", "submit", str(file)]) == 0
    assert "60 recorded, 0 already recorded, 0 refused" in capsys.readouterr().out
    assert main([*base, "--account", "holder", "submit", str(file)]) == 0
    assert "0 recorded, 60 already recorded" in capsys.readouterr().out
    assert main([*base, "audit", "--format", "json", "--out", str(tmp_path / "reports")]) == 0
    capsys.readouterr()
    audits = [json.loads(p.read_text()) for p in (tmp_path / "reports").rglob("audit.json")]
    assert audits and all(audit["integrity"]["verified"] for audit in audits)
    assert sum(audit["integrity"]["entries"] for audit in audits) == 60
    assert ledger_snapshot(w3, deployment, data).entries == 60
    assert Web3.to_checksum_address(deployment.deployed_by) == dev_account("customs").address


def _correction(entry: AnyEntry, entry_ref: str, corrects: str | None = None) -> Correction:
    return Correction(
        authorisation=entry.authorisation,
        entry_ref=entry_ref,
        occurred_at=entry.occurred_at,
        corrects=corrects or entry.entry_ref,
        reason="keyed twice",
    )


def test_a_correction_of_an_entry_recorded_long_ago(node: Node, tmp_path: Path) -> None:
    """The corrected entry's logged data is found however far back it lies: read in pages within the
    node's eth_getLogs range limit (one request over the whole history is refused there)."""
    w3 = connect(node.url)
    data = synthetic(entries=10, authorisations=1, seed=5, holders=[HOLDER.address])
    deployment = fresh_deployment(w3, data)
    holder = LedgerClient(w3, deployment, HOLDER)
    first = next(e for e in data.entries() if e.kind == "placement")
    holder.record(first)
    while w3.eth.block_number - deployment.block <= 2 * CONSORTIUM_LOG_RANGE:
        time.sleep(0.25)
    report = Submitter(holder).submit([Item(_correction(first, "CORR-1"))])
    assert report.count(Outcome.RECORDED) == 1, report.results[0].reason
    assert holder.entry_state(first.authorisation, first.entry_ref).corrected


@pytest.mark.parametrize("where", ["journal", "audit index"])
def test_a_correction_reads_the_block_where_the_entry_is_known(
    where: str, node: Node, tmp_path: Path
) -> None:
    """With the journal of the entry's submission, or an audit index that holds the entry, its logged
    data is read from its block alone, not from pages over the whole history (finding 3 of
    reliability.md)."""
    w3 = connect(node.url)
    data = synthetic(entries=10, authorisations=1, seed=8, holders=[HOLDER.address])
    deployment = fresh_deployment(w3, data)
    holder = LedgerClient(w3, deployment, HOLDER)
    journal = Journal(tmp_path / "journal.jsonl") if where == "journal" else None
    d = deployment
    index = LedgerIndex.for_ledger(tmp_path / "data", d.chain_id, d.registry, d.ledger, d.block)
    first = next(e for e in data.entries() if e.kind == "placement")
    assert Submitter(holder, journal=journal).submit([Item(first)]).count(Outcome.RECORDED) == 1
    while w3.eth.block_number - deployment.block <= 2 * CONSORTIUM_LOG_RANGE:
        time.sleep(0.25)
    if where == "audit index":  # recorded by someone else; this data folder audited the ledger since
        assert run_audit(LedgerClient(w3, deployment), Settings(data_dir=tmp_path / "data")).verified
    submitter = Submitter(holder, journal=journal, index=index if where == "audit index" else None)
    reads_before = node.proxy.counts["method eth_getLogs"] if node.proxy else 0
    report = submitter.submit([Item(_correction(first, "CORR-2"))])
    assert report.count(Outcome.RECORDED) == 1, report.results[0].reason
    assert holder.entry_state(first.authorisation, first.entry_ref).corrected
    if node.proxy is not None:
        assert node.proxy.counts["method eth_getLogs"] - reads_before == 1
    unknown = _correction(first, "CORR-3", corrects="NEVER-RECORDED")
    refused = submitter.submit([Item(unknown)], skip_rejected=True)
    assert refused.count(Outcome.REJECTED) == 1
    assert "recorded neither on chain nor earlier in the file" in (refused.results[0].reason or "")


def test_warm_and_cold_audits_at_a_fixed_block_agree(node: Node, tmp_path: Path) -> None:
    """The index read in pages within the range limit gives the same audit as a cold read, at a block
    fixed while new blocks keep coming (interval mining)."""
    w3 = connect(node.url)
    data = synthetic(entries=80, authorisations=1, seed=6, holders=[HOLDER.address])
    deployment = fresh_deployment(w3, data)
    Submitter(LedgerClient(w3, deployment, HOLDER), batch_size=10).submit([Item(e) for e in data.entries()])
    block = w3.eth.block_number
    reader = LedgerClient(w3, deployment)
    warm_settings = Settings(data_dir=tmp_path / "warm")
    first = run_audit(reader, warm_settings, at_block=block - 1)  # the index is built up to block - 1
    while w3.eth.block_number <= block + 2:
        time.sleep(0.25)
    warm = run_audit(reader, warm_settings, at_block=block)  # from the index, then one more block
    cold = run_audit(reader, Settings(data_dir=tmp_path / "cold"), at_block=block)
    reference = data.authorisations[0].reference
    assert first.verified and warm.verified and cold.verified
    assert audit_document(warm.result, reference) == audit_document(cold.result, reference)
