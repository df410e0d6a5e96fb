"""A submission killed (SIGKILL) after some batches, then run again, ends with every entry exactly
once: the same count and the same rolling hash as a clean run."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from support.chain import AnvilNode
from support.faults import start_submission

from pa_client.chain.accounts import dev_account
from pa_client.chain.connection import open_ledger
from pa_client.cli import main
from pa_client.dev.synthetic import synthetic
from pa_client.domain.models import Authorisation
from pa_client.settings import Settings
from pa_client.submission.journal import Journal

ENTRIES = 3_000


def _deploy(anvil: AnvilNode, data_dir: Path, authorisations: list[Authorisation]) -> Settings:
    settings = Settings.load(rpc_url=anvil.rpc_url, data_dir=data_dir, account="customs")
    assert (
        main(["--rpc-url", anvil.rpc_url, "--data-dir", str(data_dir), "--account", "customs", "deploy"]) == 0
    )
    customs = open_ledger(settings)
    for authorisation in authorisations:
        customs.register(authorisation)
    return settings


def test_killed_submission_rerun_records_each_entry_once(
    anvil: AnvilNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = dev_account("holder")
    data = synthetic(entries=ENTRIES, authorisations=2, seed=11, holders=[holder.address])
    file = tmp_path / "entries.csv"
    data.write_csv(file)
    authorisations = [a.authorisation for a in data.authorisations]

    clean = _deploy(anvil, tmp_path / "clean", authorisations)
    killed = _deploy(anvil, tmp_path / "killed", authorisations)
    base = ["--rpc-url", anvil.rpc_url, "--account", "holder"]
    assert main([*base, "--data-dir", str(clean.data_dir), "submit", str(file)]) == 0
    capsys.readouterr()

    ledger = open_ledger(killed, signing=False)
    journal = Journal.for_ledger(killed.data_dir, ledger.deployment.chain_id, ledger.deployment.ledger)
    process = start_submission(anvil.rpc_url, killed.data_dir, file, 20)
    deadline = time.monotonic() + 60
    while len(journal.lines()) < 200 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL, "the submission ended before it could be killed"
    # Batches sent before the kill may still be mined: count once the account has none pending.
    eth = ledger.w3.eth
    while eth.get_transaction_count(holder.address, "pending") > eth.get_transaction_count(
        holder.address, "latest"
    ):
        time.sleep(0.05)
    recorded_before = sum(ledger.chain_of(a.reference)[0] for a in data.authorisations)
    assert 0 < recorded_before < ENTRIES

    assert main([*base, "--data-dir", str(killed.data_dir), "submit", str(file)]) == 0
    out = capsys.readouterr().out
    assert f"{ENTRIES - recorded_before:,} recorded, {recorded_before:,} already recorded, 0 refused" in out

    reference_ledger = open_ledger(clean, signing=False)
    for authorisation in data.authorisations:
        assert ledger.chain_of(authorisation.reference) == reference_ledger.chain_of(authorisation.reference)
