"""The embedded node's state file checked at start, and the ring of consistent snapshots it comes back
from (pa_client/chain/node_state.py, node_keeper.py), against the real Anvil binary.

Anvil can save its accounts a block ahead of its blocks when a save catches a block being mined; a
SIGKILL then leaves a chain whose contracts count records no log shows. The file made here is the one
such a save writes: the accounts (contract storage and nonces) of a later save with the blocks and
transactions of an earlier one. tests/test_faults_kill.py makes them by killing the node.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.chain import AnvilNode
from support.faults import (
    Snapshot,
    audit_summary,
    fresh_deployment,
    ledger_snapshot,
)
from web3 import Web3

from pa_client.audit.index import LedgerIndex
from pa_client.audit.run import AuditRun, run_audit
from pa_client.chain import node_state
from pa_client.chain.accounts import dev_account
from pa_client.chain.deployment import Deployment
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode
from pa_client.chain.sender import connect
from pa_client.cli import main
from pa_client.dev.synthetic import SyntheticLedger, synthetic
from pa_client.errors import NodeError
from pa_client.settings import Settings
from pa_client.submission.journal import Journal
from pa_client.submission.submitter import Item, Submitter

HOLDER = dev_account("holder")
ENTRIES = 300
SUMMARY_LINE = "entries.csv: {recorded:,} recorded, {already:,} already recorded, 0 refused"


@dataclass(frozen=True)
class Clean:
    data: SyntheticLedger
    file: Path
    snapshot: Snapshot
    audit: tuple[object, ...]


@pytest.fixture(scope="module")
def clean(anvil: AnvilNode, w3: Web3, tmp_path_factory: pytest.TempPathFactory) -> Clean:
    folder = tmp_path_factory.mktemp("recovery-clean")
    data = synthetic(entries=ENTRIES, authorisations=2, seed=31, holders=[HOLDER.address])
    file = folder / "entries.csv"
    data.write_csv(file)
    deployment = fresh_deployment(w3, data, folder)
    assert (
        main(
            [
                "--rpc-url",
                anvil.rpc_url,
                "--data-dir",
                str(folder),
                "--account",
                "holder",
                "submit",
                str(file),
            ]
        )
        == 0
    )
    audit = _audit(w3, deployment, folder)
    assert audit.verified
    return Clean(data, file, ledger_snapshot(w3, deployment, data), audit_summary(audit))


def _audit(w3: Web3, deployment: Deployment, data_dir: Path) -> AuditRun:
    return run_audit(LedgerClient(w3, deployment), Settings(data_dir=data_dir))


@pytest.fixture
def node(tmp_path: Path) -> Iterator[EmbeddedNode]:
    handle = EmbeddedNode(Settings(data_dir=tmp_path / "data", node_state_interval=1))
    yield handle
    handle.stop(timeout=5)


def _url(node: EmbeddedNode) -> str:
    url = node.status().rpc_url
    assert url is not None
    return url


def _half_then_all(
    node: EmbeddedNode, clean: Clean, capsys: pytest.CaptureFixture[str]
) -> tuple[Deployment, Path, Path]:
    """Deploys, records the first half of the entries (then stops the node: save A) and the rest with `pa
    submit` and an audit (stop: save B). Returns the deployment and copies of saves A and B."""
    data_dir = node.settings.data_dir
    node.start()
    w3 = connect(_url(node))
    deployment = fresh_deployment(w3, clean.data, data_dir)
    items = [Item(entry) for entry in clean.data.entries()]
    journal = Journal.for_ledger(data_dir, deployment.chain_id, deployment.ledger)
    Submitter(LedgerClient(w3, deployment, HOLDER), batch_size=50, journal=journal).submit(
        items[: ENTRIES // 2]
    )
    node.stop()
    save_a = data_dir / "save-a.json"
    save_a.write_bytes(node.state_file.read_bytes())
    node.start()
    w3 = connect(_url(node))
    args = ["--data-dir", str(data_dir), "--account", "holder"]
    assert main([*args, "submit", str(clean.file), "--batch-size", "50"]) == 0
    assert _audit(w3, deployment, data_dir).verified  # the index now reaches save B's last block
    node.stop()
    save_b = data_dir / "save-b.json"
    save_b.write_bytes(node.state_file.read_bytes())
    capsys.readouterr()
    return deployment, save_a, save_b


def _accounts_ahead_of_blocks(earlier: Path, later: Path, into: Path) -> None:
    """The file a save that caught blocks being mined writes: the accounts of `later`, the blocks,
    transactions and block environment of `earlier`."""
    state = json.loads(later.read_text())
    blocks = json.loads(earlier.read_text())
    for key in ("block", "best_block_number", "blocks", "transactions"):
        state[key] = blocks[key]
    into.write_text(json.dumps(state))


def test_a_state_file_whose_accounts_are_ahead_of_its_blocks_comes_back_from_the_newest_good_snapshot(
    node: EmbeddedNode, clean: Clean, capsys: pytest.CaptureFixture[str]
) -> None:
    deployment, save_a, save_b = _half_then_all(node, clean, capsys)
    data_dir = node.settings.data_dir
    block_a = node_state.check_state_file(save_a).block
    assert node_state.check_state_file(save_b).consistent
    # The save that the crash left: B's accounts over A's blocks. Its own snapshot never happened (the
    # save was not a good one), so the newest good snapshot is A's.
    _accounts_ahead_of_blocks(save_a, save_b, node.state_file)
    for block, path in node_state.snapshots(node.snapshot_dir):
        if block > block_a:
            path.unlink()
    bad = node.state_file.read_bytes()
    check = node_state.check_state_file(node.state_file)
    assert not check.consistent and "ahead of the blocks" in check.problems[0]

    code = main(["--data-dir", str(data_dir), "node", "start"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "node started at" in out
    # One line says what happened: which file, why, which snapshot and block.
    assert err.count("\n") == 1 and err.startswith(
        f"warning: node state file {node.state_file} does not match"
    )
    assert (
        f"started from snapshot {node.snapshot_dir / f'state-{block_a:010d}.json'} (block {block_a:,})" in err
    )
    assert node.rejected_file.read_bytes() == bad
    w3 = connect(_url(node))
    assert w3.eth.block_number == block_a

    # The audit index had read blocks that are gone: it must not keep them.
    audited = _audit(w3, deployment, data_dir)
    assert audited.verified
    index = LedgerIndex.for_ledger(
        data_dir, deployment.chain_id, deployment.registry, deployment.ledger, deployment.block
    )
    state = json.loads((index.folder / "state.json").read_text())
    assert state["last_block"] == block_a
    assert state["last_block_hash"] == w3.eth.get_block(block_a)["hash"].to_0x_hex()

    # A re-run records what the chain lacks, once; the chain and its audit are the clean run's.
    assert (
        main(
            [
                "--data-dir",
                str(data_dir),
                "--account",
                "holder",
                "submit",
                str(clean.file),
                "--batch-size",
                "50",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    half = ENTRIES // 2
    assert SUMMARY_LINE.format(recorded=ENTRIES - half, already=half) in out
    assert ledger_snapshot(w3, deployment, clean.data) == clean.snapshot
    final = _audit(w3, deployment, data_dir)
    assert final.verified and audit_summary(final) == clean.audit


def test_a_damaged_state_file_comes_back_from_the_newest_good_snapshot(node: EmbeddedNode) -> None:
    node.start()
    w3 = connect(_url(node))
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    node.stop()
    height = node_state.check_state_file(node.state_file).block
    assert node_state.newest_snapshot_block(node.snapshot_dir) == height
    whole = node.state_file.read_bytes()
    node.state_file.write_bytes(whole[: len(whole) // 2])  # cut by a kill in the middle of a save
    node.start()
    assert connect(_url(node)).eth.block_number == height
    assert node.rejected_file.stat().st_size == len(whole) // 2


def test_no_good_snapshot_is_one_line_that_says_what_to_do(
    node: EmbeddedNode, capsys: pytest.CaptureFixture[str]
) -> None:
    node.dir.mkdir(parents=True)
    node.state_file.write_text('{"block": {"num')
    code = main(["--data-dir", str(node.settings.data_dir), "node", "start"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"error: node state file {node.state_file} is damaged (")
    assert err.rstrip().endswith(
        f"and no consistent snapshot of it is kept in {node.snapshot_dir}; move it away to start an empty chain"
    )
    with pytest.raises(NodeError):
        node.start()


def test_the_keeper_snapshots_each_periodic_save_that_checks_out(node: EmbeddedNode) -> None:
    node.start()
    w3 = connect(_url(node))
    kept: list[int] = []
    for _ in range(4):
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        height = w3.eth.block_number
        deadline = time.monotonic() + 15
        while height not in kept:
            assert time.monotonic() < deadline, f"no snapshot of block {height} (kept: {kept})"
            time.sleep(0.2)
            kept = [block for block, _ in node_state.snapshots(node.snapshot_dir)]
    # A small ring: the newest few, each one a save that checks out.
    assert len(kept) == node_state.KEEP and kept == sorted(kept, reverse=True)
    for _, path in node_state.snapshots(node.snapshot_dir):
        assert node_state.check_state_file(path).consistent
    assert "kept the save of block" in (node.dir / "keeper.log").read_text()
    status = node.status()
    assert status.snapshots == tuple(kept)
    keeper = json.loads(node.info_file.read_text())["keeper"]
    node.stop()
    assert not Path(f"/proc/{keeper}").exists(), "the keeper outlived its node"
