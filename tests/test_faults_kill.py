"""Crashes: the submitting process SIGKILLed at random points of a submission, and the embedded node
SIGKILLed during one and restarted. After a re-run the chain must equal a clean run's: the same entry
count and rolling head for each authorisation, and the same stock of every lot at every site.

CI runs short variants (2 kills of the submitting process, 3 of the node, 1 000 entries); `make faults`
runs the figures of docs/reliability.md (PA_KILL_RUNS=20 kills of a 5 000-entry submission,
PA_NODE_KILLS=5 node kills during 5 000-entry ones), with a random seed unless PA_KILL_SEED is set.
After a node kill the audit must also verify and equal the clean run's: a restart on a state file
whose accounts are ahead of its blocks would leave the chain counting records no log shows.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.chain import AnvilNode
from support.faults import (
    Snapshot,
    audit_summary,
    fresh_deployment,
    ledger_snapshot,
    pa_command,
    pa_env,
    start_submission,
    wait_until_idle,
)
from web3 import Web3

from pa_client.audit.run import run_audit
from pa_client.chain import node_state
from pa_client.chain.accounts import dev_account
from pa_client.chain.deployment import load_deployment
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode
from pa_client.chain.sender import connect
from pa_client.cli import main
from pa_client.dev.synthetic import SyntheticLedger, synthetic
from pa_client.settings import Settings
from pa_client.submission.journal import Journal

KILL_RUNS = int(os.environ.get("PA_KILL_RUNS", "2"))
KILL_ENTRIES = int(os.environ.get("PA_KILL_ENTRIES", "1000"))
NODE_KILLS = int(os.environ.get("PA_NODE_KILLS", "3"))
NODE_ENTRIES = int(os.environ.get("PA_NODE_ENTRIES", "1000"))
SEED = int(os.environ["PA_KILL_SEED"]) if os.environ.get("PA_KILL_SEED") else None
BATCH = "50"
SUMMARY = re.compile(r"([\d,]+) recorded, ([\d,]+) already recorded, ([\d,]+) refused")

pytestmark = pytest.mark.faults
HOLDER = dev_account("holder")


def _seed() -> int:
    # CI (CI set, no PA_KILL_SEED) draws the same points every time; `make faults` new ones.
    if SEED is not None:
        return SEED
    return 2026 if os.environ.get("CI") else random.SystemRandom().randrange(10**6)


def _journaled(journal: Journal) -> int:
    try:
        return journal.path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _counts(output: str) -> tuple[int, int, int]:
    found = SUMMARY.search(output)
    assert found is not None, output
    recorded, already, refused = (int(g.replace(",", "")) for g in found.groups())
    return recorded, already, refused


@dataclass(frozen=True)
class CleanRun:
    data: SyntheticLedger
    file: Path
    snapshot: Snapshot
    seconds: float  # wall time of the whole `pa submit` process


def _clean_run(anvil: AnvilNode, w3: Web3, folder: Path, entries: int, seed: int) -> CleanRun:
    data = synthetic(entries=entries, authorisations=2, seed=seed, holders=[HOLDER.address])
    file = folder / "entries.csv"
    data.write_csv(file)
    data_dir = folder / "clean"
    deployment = fresh_deployment(w3, data, data_dir)
    started = time.monotonic()
    done = subprocess.run(
        pa_command(anvil.rpc_url, data_dir, "submit", str(file), "--batch-size", BATCH),
        capture_output=True,
        text=True,
        env=pa_env(),
        timeout=600,
        check=False,
    )
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert _counts(done.stdout) == (entries, 0, 0)
    return CleanRun(data, file, ledger_snapshot(w3, deployment, data), seconds)


@pytest.fixture(scope="module")
def clean(anvil: AnvilNode, w3: Web3, tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
    return _clean_run(anvil, w3, tmp_path_factory.mktemp("kill-clean"), KILL_ENTRIES, 11)


@pytest.mark.slow
def test_submission_killed_at_random_points_then_rerun_equals_a_clean_run(
    anvil: AnvilNode, w3: Web3, clean: CleanRun, tmp_path: Path
) -> None:
    seed = _seed()
    rng = random.Random(seed)
    total = clean.data.entry_count
    rows = []
    for run in range(KILL_RUNS):
        data_dir = tmp_path / f"run-{run}"
        deployment = fresh_deployment(w3, clean.data, data_dir)
        # A point anywhere in the run: mostly while batches are sent and confirmed (after a random
        # number of entries journaled, plus up to a batch's time), sometimes before anything is sent.
        early = rng.random() < 0.2
        journaled_first = rng.randrange(0, total - int(BATCH)) if not early else 0
        extra = rng.uniform(0.0, 0.3) if not early else rng.uniform(0.5, 0.6 * clean.seconds)
        journal = Journal.for_ledger(data_dir, deployment.chain_id, deployment.ledger)
        process = start_submission(anvil.rpc_url, data_dir, clean.file, BATCH)
        started = time.monotonic()
        deadline = started + 300
        while process.poll() is None and time.monotonic() < deadline:
            if not early and _journaled(journal) >= journaled_first:
                break
            if early and time.monotonic() - started >= extra:
                break
            time.sleep(0.005)
        if not early:
            time.sleep(extra)
        kill_at = time.monotonic() - started
        killed = process.poll() is None
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=10)
        # A run that ended before the kill (it can, on the last batches) must have ended well.
        assert code == (-signal.SIGKILL if killed else 0), f"run {run}: pa submit exited {code}"
        wait_until_idle(w3, HOLDER.address)
        before = ledger_snapshot(w3, deployment, clean.data).entries
        started = time.monotonic()
        rerun = subprocess.run(
            pa_command(anvil.rpc_url, data_dir, "submit", str(clean.file), "--batch-size", BATCH),
            capture_output=True,
            text=True,
            env=pa_env(),
            timeout=600,
            check=False,
        )
        rerun_seconds = time.monotonic() - started
        assert rerun.returncode == 0, rerun.stderr
        recorded, already, refused = _counts(rerun.stdout)
        after = ledger_snapshot(w3, deployment, clean.data)
        rows.append((run, kill_at, killed, before, recorded, already, rerun_seconds, after == clean.snapshot))
        assert (already, refused) == (before, 0)
        assert recorded + already == total
        assert after == clean.snapshot, f"run {run}: the chain differs from the clean run's"
    print(
        f"\nsubmitter SIGKILL: seed {seed}, {KILL_RUNS} runs of {total:,} entries, clean run "
        f"{clean.seconds:.1f} s, {len(clean.snapshot.stocks):,} stocks compared"
    )
    print("  run  kill at (s)  killed  on chain before re-run  re-run recorded  already  re-run (s)  equal")
    for run, at, killed, before, recorded, already, seconds, equal in rows:
        print(
            f"  {run:>3}  {at:>11.2f}  {killed!s:>6}  {before:>22,}  {recorded:>15,}  {already:>7,}"
            f"  {seconds:>10.1f}  {equal}"
        )
    assert any(row[2] for row in rows), "no kill landed while pa submit was running"
    if KILL_RUNS >= 10:
        # Over many runs some kills must land while batches are being mined (20 runs: 13 did). Not
        # asked of CI's two runs: on a loaded machine both may land after the last batch was mined,
        # which the test checks all the same (tests/test_submit_kill.py kills mid-way for sure).
        assert any(row[2] and 0 < row[3] < total for row in rows), (
            "no kill landed while entries were recorded"
        )


# ---------------------------------------------------------------- the node killed


def _wait_for_snapshot(node: EmbeddedNode, block: int, timeout: float = 30.0) -> None:
    """Waits until the node kept a consistent snapshot of `block` or later (what a crash goes back to)."""
    deadline = time.monotonic() + timeout
    while (node_state.newest_snapshot_block(node.snapshot_dir) or -1) < block:
        assert time.monotonic() < deadline, f"the node kept no snapshot of block {block:,}"
        time.sleep(0.1)


@dataclass
class NodeKill:
    journaled: int = 0  # entries the killed run had confirmed (receipt, journal line)
    lost: int = 0  # of those, in blocks the restarted chain does not have
    kept: int = 0  # entries on the chain after the restart
    recorded: int = 0  # by the re-run
    already: int = 0  # found by the re-run
    exit_code: int | None = None  # of the killed run
    stopped_after: float = 0.0  # seconds from the kill to the killed run's end
    error: str = ""  # its last line
    last_save: str = ""  # what the check found in the state file the kill left
    restored: str = ""  # the restart's warning when it went back to a snapshot
    head: int = 0  # the chain's head after the restart
    audit_seconds: float = 0.0


@pytest.mark.slow
def test_node_killed_during_submissions_comes_back_consistent_and_a_rerun_audits_as_a_clean_run(
    anvil: AnvilNode,
    w3: Web3,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each kill on an embedded node of its own, saving its state every second (so that saves land
    during batches, as they do during a long submission at the default 5 s): deploy, wait for a
    snapshot, submit, SIGKILL the node at a random point, restart it as `pa` would, run the submission
    again, audit. The chain, and its audit, must be the clean run's every time; the audit must verify."""
    # The submission running when the node dies waits this long for a receipt before it gives up.
    monkeypatch.setattr("pa_client.submission.submitter.RECEIPT_TIMEOUT_SECONDS", 4)
    clean = _clean_run(anvil, w3, tmp_path, NODE_ENTRIES, 23)
    deployment = load_deployment(tmp_path / "clean", w3)
    clean_audit = run_audit(LedgerClient(w3, deployment), Settings(data_dir=tmp_path / "clean"))
    assert clean_audit.verified
    seed = _seed()
    rng = random.Random(seed)
    kills: list[NodeKill] = []
    for kill in range(NODE_KILLS):
        node = EmbeddedNode(Settings(data_dir=tmp_path / f"node-{kill}", node_state_interval=1))
        status = node.start()
        try:
            assert status.pid is not None
            kills.append(
                _kill_and_rerun(node, status.pid, clean, audit_summary(clean_audit), rng, capsys, caplog)
            )
        finally:
            node.stop()
    print(
        f"\nnode SIGKILL during a submission of {clean.data.entry_count:,} entries, then restarted "
        f"(seed {seed}):"
    )
    for n, k in enumerate(kills):
        print(
            f"  kill {n}: {k.journaled:,} entries confirmed by the killed run, {k.lost:,} of them in blocks "
            f"the restarted chain lacks; the state file left: {k.last_save}; "
            + (f"the restart: {k.restored}" if k.restored else "the restart started from it")
            + f"; {k.kept:,} entries on chain at block {k.head:,}; the killed run exited {k.exit_code} "
            f"{k.stopped_after:.1f} s after the kill ({k.error[:90]}); the re-run recorded {k.recorded:,} "
            f"and found {k.already:,}; audit verified in {k.audit_seconds:.1f} s, equal to the clean run"
        )
    restored = sum(1 for k in kills if k.restored)
    print(
        f"  {len(kills)} of {len(kills)} audits verified and equal to the clean run's; {restored} restarts "
        "went back to a snapshot (the state file the kill left did not check out)"
    )


def _kill_and_rerun(
    node: EmbeddedNode,
    pid: int,
    clean: CleanRun,
    clean_audit: tuple[object, ...],
    rng: random.Random,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> NodeKill:
    data_dir = node.settings.data_dir
    args = ["--data-dir", str(data_dir), "--account", "holder"]
    status = node.status()
    assert status.rpc_url is not None
    deployed = connect(status.rpc_url)
    deployment = fresh_deployment(deployed, clean.data, data_dir)
    _wait_for_snapshot(node, deployed.eth.block_number)  # the deployment must outlive the crash
    journal = Journal.for_ledger(data_dir, deployment.chain_id, deployment.ledger)
    result = NodeKill()
    outcome: list[int] = []
    # The submission of the killed run, in this process: it must end by itself, with an error.
    worker = threading.Thread(
        target=lambda done=outcome: done.append(
            main([*args, "submit", str(clean.file), "--batch-size", BATCH])
        )
    )
    worker.start()
    # A random point: after a random number of entries confirmed, plus up to the time of a batch.
    wanted = rng.randint(1, max(1, clean.data.entry_count - int(BATCH)))
    extra = rng.uniform(0.0, 0.2)
    deadline = time.monotonic() + 300
    while _journaled(journal) < wanted and worker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(extra)
    ended_before = not worker.is_alive()  # possible on the last batches: the kill is no less a kill
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    worker.join(timeout=300)
    assert not worker.is_alive(), "the submission did not stop after the node died"
    result.stopped_after = time.monotonic() - killed_at
    result.exit_code = outcome[0] if outcome else None
    error = capsys.readouterr().err.strip()
    result.error = error.splitlines()[-1] if error else "no error"
    # Its last confirmation can come before the kill, and its return after: it then ends well although
    # the kill came while it ran (seen under load); every entry journaled says it had nothing left to send.
    finished = result.exit_code == 0 and _journaled(journal) == clean.data.entry_count
    if ended_before or finished:
        assert result.exit_code == 0, error
        result.error = "it had ended before the kill"
    else:
        # It must stop by itself with exit code 1: warnings while it retried, then one line that says why.
        assert result.exit_code == 1, error
        assert result.error.startswith("error: "), error
        assert sum(line.startswith("error: ") for line in error.splitlines()) == 1, error
    try:
        left = node_state.check_state_file(node.state_file)
        result.last_save = (
            f"block {left.block:,}, consistent"
            if left.consistent
            else f"block {left.block:,}, {left.problems[0]}"
        )
    except node_state.StateDamagedError as damaged:
        result.last_save = f"damaged ({str(damaged)[:60]})"
    caplog.clear()
    node.start()  # the next command would start it on demand; this is the same
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelname == "WARNING" and "node state file" in r.getMessage()
    ]
    assert len(warnings) <= 1, warnings
    if warnings:
        assert "started from snapshot" in warnings[0], warnings[0]
        # Shown without the temporary folder's path, which says nothing here.
        result.restored = warnings[0].replace(f"{node.dir}/", "")
    restarted = node.status()
    assert restarted.rpc_url is not None
    restarted_w3 = connect(restarted.rpc_url)
    result.head = restarted_w3.eth.block_number
    result.kept = ledger_snapshot(restarted_w3, deployment, clean.data).entries
    lines = journal.lines()
    result.journaled = len(lines)
    result.lost = sum(1 for line in lines if line.block is not None and line.block > result.head)
    assert main([*args, "submit", str(clean.file), "--batch-size", BATCH]) == 0
    result.recorded, result.already, _ = _counts(capsys.readouterr().out)
    final = ledger_snapshot(restarted_w3, deployment, clean.data)
    assert result.already == result.kept and result.recorded + result.already == clean.data.entry_count
    assert final == clean.snapshot, "after the re-run the chain differs from the clean run's"
    started = time.monotonic()
    audited = run_audit(LedgerClient(restarted_w3, deployment), Settings(data_dir=data_dir))
    result.audit_seconds = time.monotonic() - started
    assert audited.verified, {r: c.detail for r, c in audited.result.integrity.items() if not c.verified}
    assert audit_summary(audited) == clean_audit, "the audit after the re-run differs from the clean run's"
    return result
