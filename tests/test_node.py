"""The embedded node against the real Anvil binary: lifecycle, persistence, clear errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from web3 import Web3

from pa_client.chain import node as node_module
from pa_client.chain.accounts import dev_account
from pa_client.chain.node import EmbeddedNode, rpc_url_for
from pa_client.cli import main
from pa_client.errors import NodeError
from pa_client.settings import Settings

if TYPE_CHECKING:
    from support.chain import AnvilNode


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`pa ARGV` through the console-script entry point; exit code, stdout, stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data folder whose node, if a test leaves one running, is stopped afterwards."""
    folder = tmp_path / "data"
    yield folder
    EmbeddedNode(Settings(data_dir=folder)).stop(timeout=5)


def test_session_node_is_running(anvil: AnvilNode) -> None:
    status = anvil.node.status()
    assert status.running and status.pid is not None
    assert status.rpc_url == anvil.rpc_url and status.rpc_url.startswith("http://127.0.0.1:")
    assert status.chain_id == 31337
    assert status.block_number is not None
    assert rpc_url_for(anvil.settings) == anvil.rpc_url
    assert rpc_url_for(Settings(rpc_url="http://example.org:8545")) == "http://example.org:8545"


def test_restart_keeps_the_chain(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out, err = run(capsys, "--data-dir", str(data_dir), "node", "start")
    assert (code, err) == (0, "")
    assert "node started at http://127.0.0.1:" in out

    code, out, _ = run(capsys, "--data-dir", str(data_dir), "node", "status")
    assert code == 0
    assert "running" in out and "yes" in out and "31337" in out

    node = EmbeddedNode(Settings(data_dir=data_dir))
    url = node.status().rpc_url
    assert url is not None
    w3 = Web3(Web3.HTTPProvider(url))
    sender, receiver = dev_account("customs"), dev_account("holder2")
    signed = sender.sign_transaction(
        {
            "to": receiver.address,
            "value": 123_456_789,
            "gas": 21_000,
            "gasPrice": w3.eth.gas_price,
            "nonce": w3.eth.get_transaction_count(sender.address),
            "chainId": 31337,
        }
    )
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)
    balance = w3.eth.get_balance(receiver.address)
    height = w3.eth.block_number

    code, out, err = run(capsys, "--data-dir", str(data_dir), "node", "stop")
    assert (code, err) == (0, "")
    assert "node stopped; chain saved in" in out
    state_file = data_dir / "node" / "state.json"
    assert state_file.stat().st_size > 0
    assert not (data_dir / "node" / "node.json").exists()

    code, out, _ = run(capsys, "--data-dir", str(data_dir), "node", "status")
    assert code == 0 and "no" in out and "KB" in out

    code, out, err = run(capsys, "--data-dir", str(data_dir), "node", "start")
    assert (code, err) == (0, "")
    url = node.status().rpc_url
    assert url is not None
    w3 = Web3(Web3.HTTPProvider(url))
    assert w3.eth.block_number == height
    assert w3.eth.get_balance(receiver.address) == balance
    assert w3.eth.get_transaction(tx_hash)["value"] == 123_456_789
    assert w3.eth.get_transaction_receipt(tx_hash)["blockHash"] == receipt["blockHash"]
    # The save on stop checked out, so it is the newest snapshot: the copy a damaged save goes back to.
    assert node.status().snapshots[0] == height
    assert (data_dir / "node" / "snapshots" / f"state-{height:010d}.json").exists()


def test_start_when_running_is_a_no_op(anvil: AnvilNode) -> None:
    before = anvil.node.status()
    after = EmbeddedNode(anvil.settings).start()
    assert (after.pid, after.rpc_url) == (before.pid, before.rpc_url)


def test_port_in_use_is_one_clear_line(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(capsys, "--data-dir", str(data_dir), "node", "start", "--port", str(port))
    assert code == 1 and out == ""
    assert err == (
        f"error: port {port} is in use by another process; choose another with --port or PA_NODE_PORT\n"
    )
    assert not (data_dir / "node" / "node.json").exists()


def test_port_taken_between_check_and_start_is_reported_alike(
    capsys: pytest.CaptureFixture[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process grabbing the port after our check: Anvil itself fails to bind.
    monkeypatch.setattr(node_module, "_port_is_free", lambda port: True)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("PA_NODE_PORT", str(port))
        code, _, err = run(capsys, "--data-dir", str(data_dir), "node", "start")
    assert code == 1
    assert err == (
        f"error: port {port} is in use by another process; choose another with --port or PA_NODE_PORT\n"
    )


def test_missing_binary(
    capsys: pytest.CaptureFixture[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = data_dir / "nowhere" / "anvil"
    monkeypatch.setenv("PA_ANVIL", str(missing))
    code, _, err = run(capsys, "--data-dir", str(data_dir), "node", "start")
    assert code == 1
    assert err.startswith(f"error: anvil not found at '{missing}'")
    assert "make setup" in err and "npm ci" in err and err.count("\n") == 1


def test_status_and_stop_when_stopped(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out, err = run(capsys, "--data-dir", str(data_dir), "node", "status")
    assert (code, err) == (0, "")
    lines = dict(line.split(None, 1) for line in out.splitlines() if line.strip())
    assert lines["running"].strip() == "no"
    assert "none yet" in out

    code, out, _ = run(capsys, "--data-dir", str(data_dir), "node", "stop")
    assert (code, out) == (0, "node was not running\n")


def test_data_dir_from_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_DATA_DIR", str(tmp_path / "from-env"))
    _, out, _ = run(capsys, "node", "status")
    assert str(tmp_path / "from-env" / "node" / "state.json") in out
    _, out, _ = run(capsys, "--data-dir", str(tmp_path / "from-option"), "node", "status")
    assert str(tmp_path / "from-option" / "node" / "state.json") in out


def test_stale_pid_file_is_ignored(data_dir: Path) -> None:
    gone = _pid_of_finished_process()
    node_dir = data_dir / "node"
    node_dir.mkdir(parents=True)
    (node_dir / "node.json").write_text(json.dumps({"pid": gone, "port": 1}))
    node = EmbeddedNode(Settings(data_dir=data_dir))
    assert not node.status().running
    status = node.start()
    assert status.running and status.pid != gone
    assert node.stop()


def test_damaged_state_file_is_refused(data_dir: Path) -> None:
    node_dir = data_dir / "node"
    node_dir.mkdir(parents=True)
    (node_dir / "state.json").write_text('{"block": {"num')
    with pytest.raises(NodeError, match=r"state\.json is damaged .* move it away"):
        EmbeddedNode(Settings(data_dir=data_dir)).start()


def test_stop_kills_a_node_ignoring_sigterm() -> None:
    # A shell that ignores SIGTERM stands in for a hung Anvil.
    proc = subprocess.Popen(["sh", "-c", 'trap "" TERM; echo ready; exec sleep 30'], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"  # the trap is set
    started = time.monotonic()
    assert node_module._terminate(proc.pid, timeout=0.3) is False
    assert time.monotonic() - started < 3
    proc.wait(timeout=5)
    proc.stdout.close()
    with pytest.raises(ProcessLookupError):
        os.kill(proc.pid, 0)


def _pid_of_finished_process() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_node_kept_in_memory_writes_no_state_and_starts_empty_again(
    capsys: pytest.CaptureFixture[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_NODE_PERSIST", "false")
    code, out, err = run(capsys, "--data-dir", str(data_dir), "node", "start")
    assert (code, err) == (0, "")
    url = EmbeddedNode(Settings.load(data_dir=data_dir)).status().rpc_url
    assert url is not None
    w3 = Web3(Web3.HTTPProvider(url))
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert w3.eth.block_number == 1
    monkeypatch.delenv("PA_NODE_PERSIST")  # stopped without it: the node still says what it did
    code, out, err = run(capsys, "--data-dir", str(data_dir), "node", "stop")
    assert (code, err) == (0, "")
    assert "kept in memory only" in out
    assert not (data_dir / "node" / "state.json").exists()

    monkeypatch.setenv("PA_NODE_PERSIST", "false")
    code, out, err = run(capsys, "--data-dir", str(data_dir), "node", "start")
    assert (code, err) == (0, "")
    url = EmbeddedNode(Settings.load(data_dir=data_dir)).status().rpc_url
    assert url is not None
    assert Web3(Web3.HTTPProvider(url)).eth.block_number == 0


def test_a_new_chain_starts_at_the_genesis_time_given_and_a_saved_one_keeps_its_own(data_dir: Path) -> None:
    node = EmbeddedNode(Settings(data_dir=data_dir))
    genesis = 1_550_134_800  # 14 February 2019, 09:00 UTC (the demo's season)
    url = node.start(genesis_time=genesis).rpc_url
    assert url is not None
    w3 = Web3(Web3.HTTPProvider(url))
    assert w3.eth.get_block(0)["timestamp"] == genesis
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    mined = w3.eth.get_block("latest")["timestamp"]
    assert genesis <= mined < genesis + 3600  # the clock runs on from the genesis
    node.stop(timeout=5)
    url = node.start(genesis_time=genesis + 10 * 86_400).rpc_url  # loaded from its state: not re-dated
    assert url is not None
    w3 = Web3(Web3.HTTPProvider(url))
    assert w3.eth.get_block(0)["timestamp"] == genesis
    assert w3.eth.block_number == 1
