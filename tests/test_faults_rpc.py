"""A faulty network between the client and the node (tests/rpc_proxy.py): dropped connections, answers
delayed beyond the client's time-out, HTTP 5xx, answers cut in the middle, truncated `eth_getLogs`
pages. Submission and audit must retry and end with the clean run's result, or stop with a clear
error; never report something wrong without saying so. Also: two submitters with one account.

CI runs each fault on a small file; `make faults` runs them on PA_FAULT_ENTRIES (5 000) entries.
"""

from __future__ import annotations

import csv
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import factories
from support.chain import AnvilNode, Parties
from support.faults import (
    Snapshot,
    audit_summary,
    fresh_deployment,
    ledger_snapshot,
    start_submission,
    wait_until_idle,
)
from support.rpc_proxy import Faults, RpcProxy, rpc_proxy
from web3 import Web3

from pa_client.audit.run import AuditRun, run_audit
from pa_client.chain.accounts import dev_account
from pa_client.chain.connection import open_chain
from pa_client.chain.deployment import Deployment, save_deployment
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.sender import connect
from pa_client.cli import main
from pa_client.dev.synthetic import SyntheticLedger, synthetic
from pa_client.errors import ChainError
from pa_client.settings import Settings
from pa_client.submission.submitter import Item, Outcome, Submitter

pytestmark = pytest.mark.faults

ENTRIES = int(os.environ.get("PA_FAULT_ENTRIES", "200"))
RATE = float(os.environ.get("PA_FAULT_RATE", "0.15"))
TIMEOUT = max(
    3.0, ENTRIES / 500
)  # the client's HTTP time-out here (a big simulation takes longer); delays exceed it
HOLDER = dev_account("holder")


@dataclass(frozen=True)
class Clean:
    data: SyntheticLedger
    items: list[Item]
    snapshot: Snapshot
    audit: AuditRun


def _w3(url: str) -> Web3:
    return connect(url, timeout=TIMEOUT)  # as `pa` connects


def _audit(w3: Web3, deployment: Deployment, data_dir: Path) -> AuditRun:
    return run_audit(LedgerClient(w3, deployment), Settings(data_dir=data_dir))


@pytest.fixture(scope="module")
def clean(w3: Web3, tmp_path_factory: pytest.TempPathFactory) -> Clean:
    data = synthetic(entries=ENTRIES, authorisations=2, seed=7, holders=[HOLDER.address])
    items = [Item(entry) for entry in data.entries()]
    deployment = fresh_deployment(w3, data)
    report = Submitter(LedgerClient(w3, deployment, HOLDER), batch_size=25).submit(items)
    assert report.count(Outcome.RECORDED) == ENTRIES
    audit = _audit(w3, deployment, tmp_path_factory.mktemp("clean-audit"))
    assert audit.verified
    return Clean(data, items, ledger_snapshot(w3, deployment, data), audit)


@pytest.fixture
def proxy(anvil: AnvilNode) -> Iterator[RpcProxy]:
    with rpc_proxy(anvil.rpc_url) as running:
        yield running


SCENARIOS = {
    "dropped connections": Faults(drop=RATE, seed=1),
    "delays beyond the time-out": Faults(delay=RATE / 2, delay_seconds=TIMEOUT + 1.0, seed=2),
    "HTTP 5xx answers": Faults(http_error=RATE, seed=3),
    "answers cut in the middle": Faults(cut_body=RATE, seed=4),
    "all of them": Faults(drop=RATE / 3, delay=RATE / 6, http_error=RATE / 3, cut_body=RATE / 3, seed=5),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_submission_and_audit_through_faults_end_as_a_clean_run(
    name: str, w3: Web3, clean: Clean, proxy: RpcProxy, tmp_path: Path
) -> None:
    deployment = fresh_deployment(w3, clean.data)
    proxy.faults = SCENARIOS[name]
    faulty = _w3(proxy.url)
    started = time.monotonic()
    report = Submitter(LedgerClient(faulty, deployment, HOLDER), batch_size=25).submit(clean.items)
    submitted = time.monotonic() - started
    wait_until_idle(w3, HOLDER.address)
    # Every entry once, recorded by this run even when the answer to its transaction was lost.
    assert report.count(Outcome.RECORDED) == ENTRIES
    assert not report.rejected
    assert ledger_snapshot(w3, deployment, clean.data) == clean.snapshot
    started = time.monotonic()
    audit = _audit(faulty, deployment, tmp_path)
    audited = time.monotonic() - started
    assert audit.verified
    assert audit_summary(audit) == audit_summary(clean.audit)
    injected = proxy.injected()
    # Each fault of the scenario happened (and was survived), not merely some fault.
    faults = SCENARIOS[name]
    expected = {
        "drop": ("drop before forwarding", "drop after forwarding"),
        "http_error": ("http error before forwarding", "http error after forwarding"),
        "delay": ("delay beyond the time-out",),
        "cut_body": ("body cut",),
    }
    for field, kinds in expected.items():
        if getattr(faults, field) > 0:
            assert any(injected.get(kind, 0) > 0 for kind in kinds), (field, injected)
    print(
        f"\n{name}: {ENTRIES:,} entries; {proxy.counts['requests']:,} requests, faults injected {injected}; "
        f"submission {submitted:.1f} s ({report.count(Outcome.RECORDED):,} recorded, "
        f"{report.transactions} transactions), audit {audited:.1f} s: equal to the clean run"
    )


def test_a_truncated_log_page_is_caught_and_read_again(
    w3: Web3, clean: Clean, proxy: RpcProxy, tmp_path: Path
) -> None:
    deployment = fresh_deployment(w3, clean.data)
    Submitter(LedgerClient(w3, deployment, HOLDER), batch_size=25).submit(clean.items)
    proxy.faults = Faults(truncate_logs=1.0, budget=1)
    audit = _audit(_w3(proxy.url), deployment, tmp_path)
    assert proxy.injected() == {"eth_getLogs page truncated": 1}
    assert audit.rebuilt and audit.verified
    assert audit_summary(audit) == audit_summary(clean.audit)


def test_a_node_that_wants_a_bearer_token_gets_the_one_configured(
    w3: Web3, clean: Clean, proxy: RpcProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = fresh_deployment(w3, clean.data)
    proxy.faults = Faults(bearer="s3cret")
    with pytest.raises(ChainError, match="401"):
        connect(proxy.url)
    refused = proxy.counts["refused: no valid bearer token"]
    faulty = open_chain(Settings(rpc_url=proxy.url, rpc_token="s3cret"))  # type: ignore[arg-type]
    report = Submitter(LedgerClient(faulty, deployment, HOLDER), batch_size=25).submit(clean.items)
    assert report.count(Outcome.RECORDED) == ENTRIES
    audit = _audit(faulty, deployment, tmp_path / "index")
    assert audit.verified and audit_summary(audit) == audit_summary(clean.audit)
    assert refused > 0 and proxy.counts["refused: no valid bearer token"] == refused  # none with it
    # `pa` takes the token from the environment only (not a command-line option, seen by `ps`).
    save_deployment(tmp_path / "data", deployment)
    base = ["--rpc-url", proxy.url, "--data-dir", str(tmp_path / "data"), "audit", "--format", "json"]
    monkeypatch.setenv("PA_RPC_TOKEN", "wrong")
    assert main([*base, "--out", str(tmp_path / "refused")]) == 1
    monkeypatch.setenv("PA_RPC_TOKEN", "s3cret")
    assert main([*base, "--out", str(tmp_path / "reports")]) == 0


def test_pa_compare_catches_a_node_that_hides_records(
    w3: Web3,
    anvil: AnvilNode,
    clean: Clean,
    proxy: RpcProxy,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deployment = fresh_deployment(w3, clean.data)
    Submitter(LedgerClient(w3, deployment, HOLDER), batch_size=25).submit(clean.items)
    save_deployment(tmp_path, deployment)
    base = ["--rpc-url", anvil.rpc_url, "--data-dir", str(tmp_path), "compare"]
    block = w3.eth.block_number
    assert main([*base, proxy.url, "--at-block", str(block)]) == 0
    agreed = capsys.readouterr().out
    references = [a.authorisation.reference for a in clean.data.authorisations]
    assert f"the nodes agree on {len(references)} authorisation(s) at block {block:,}" in agreed
    for reference in references:
        assert re.search(rf"{reference}  [\d,]+ records, head 0x[0-9a-f]{{12}}…  same", agreed), agreed
    # The other node answers chainOf one record short, as a node hiding its newest records would.
    proxy.faults = Faults(lie_about_chains=True)
    assert main([*base, proxy.url, "--at-block", str(block)]) == 1
    out, err = capsys.readouterr()
    assert out.count("DIFFERENT") == len(references)
    assert err.strip().splitlines()[-1] == (
        f"error: the nodes disagree on {len(references)} authorisation(s) at block {block:,}: "
        + ", ".join(sorted(references))
    )
    # The other node answers registryChain one event short: it would hide an authorisation.
    proxy.faults = Faults(lie_about_registry=True)
    assert main([*base, proxy.url, "--at-block", str(block)]) == 1
    out, err = capsys.readouterr()
    assert re.search(r"registry  [\d,]+ events, head 0x[0-9a-f]{12}…  DIFFERENT", out), out
    assert out.count("DIFFERENT") == 1  # the authorisations' chains agree
    assert err.strip().splitlines()[-1] == (
        f"error: the nodes disagree on the registry at block {block:,}: an authorisation, or a change of "
        "one, is missing from one of them"
    )


@pytest.mark.parametrize("pages", ["one page", "many pages"])
def test_truncated_log_pages_fail_the_audit_loudly(
    pages: str, w3: Web3, clean: Clean, proxy: RpcProxy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every page truncated: the audit never concludes. With one page the tables lack the newest
    records (integrity alerts); with many (a 2-block range limit) they also lack records that later
    ones refer to, which the rules cannot even compute: one clear error, not a traceback."""
    data_dir = tmp_path / "data"
    deployment = fresh_deployment(w3, clean.data, data_dir)
    Submitter(LedgerClient(w3, deployment, HOLDER), batch_size=25).submit(clean.items)
    proxy.faults = Faults(truncate_logs=1.0, max_log_range=2 if pages == "many pages" else None)
    if pages == "one page":
        audit = _audit(_w3(proxy.url), deployment, tmp_path / "api")
        assert not audit.verified
        failed = [c for c in audit.result.integrity.values() if not c.verified]
        assert failed and all("the contract" in c.detail for c in failed)
        assert "integrity" in set(audit.result.alerts["kind"])
    else:
        with pytest.raises(ChainError, match="do not prove the contract's state") as raised:
            _audit(_w3(proxy.url), deployment, tmp_path / "api")
        assert "\n" not in str(raised.value)
    # The command says so in its last line and exits 1 (after writing the report, when there is one).
    assert main(["--rpc-url", proxy.url, "--data-dir", str(data_dir), "audit"]) == 1
    captured = capsys.readouterr()
    last = captured.err.strip().splitlines()[-1]
    if pages == "one page":
        assert "NOT VERIFIED" in captured.out
        assert last.startswith("error: integrity not proven for ")
    else:
        assert last.startswith("error: the logs read from the node do not prove the contract's state")


def test_a_node_that_stays_unreachable_stops_the_submission_with_one_clear_line(
    anvil: AnvilNode,
    w3: Web3,
    clean: Clean,
    proxy: RpcProxy,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir = tmp_path / "data"
    deployment = fresh_deployment(w3, clean.data, data_dir)
    file = tmp_path / "entries.csv"
    clean.data.write_csv(file)
    proxy.faults = Faults(down=True)
    args = ["--rpc-url", proxy.url, "--data-dir", str(data_dir), "--account", "holder", "submit", str(file)]
    assert main(args) == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("error: no chain answers at ")
    assert ledger_snapshot(w3, deployment, clean.data).entries == 0


def test_the_node_going_away_mid_submission_stops_it_and_a_rerun_completes(
    w3: Web3, clean: Clean, proxy: RpcProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pa_client.submission.submitter.RECEIPT_TIMEOUT_SECONDS", 5)
    deployment = fresh_deployment(w3, clean.data)
    faulty = _w3(proxy.url)
    submitter = Submitter(LedgerClient(faulty, deployment, HOLDER), batch_size=25, in_flight=2)
    sent = 0

    def progress(done: int, total: int) -> None:
        nonlocal sent
        sent = done
        if done >= ENTRIES // 3:
            proxy.faults = Faults(down=True)  # the node is gone from here on

    submitter.progress = progress
    with pytest.raises(ChainError) as caught:
        submitter.submit(clean.items)
    message = str(caught.value)
    assert "\n" not in message and (
        "no receipt" in message or "did not answer" in message or "503" in message
    )
    wait_until_idle(w3, HOLDER.address)
    proxy.faults = Faults()
    report = Submitter(LedgerClient(_w3(proxy.url), deployment, HOLDER), batch_size=25).submit(clean.items)
    assert report.count(Outcome.RECORDED) + report.count(Outcome.ALREADY) == ENTRIES
    assert report.count(Outcome.ALREADY) >= sent
    assert ledger_snapshot(w3, deployment, clean.data) == clean.snapshot


def test_batches_that_keep_failing_on_chain_are_an_error_not_a_success(
    w3: Web3, clean: Clean, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each round re-checks and re-sends what failed; when every round fails, the submission must say
    # that entries were not recorded instead of returning as if all went well.
    deployment = fresh_deployment(w3, clean.data)
    monkeypatch.setattr(Submitter, "_send", lambda self, items, good, planned, report: False)
    with pytest.raises(ChainError, match="not recorded"):
        Submitter(LedgerClient(w3, deployment, HOLDER), batch_size=25).submit(clean.items[:50])


# ---------------------------------------------------------------- two submitters, one account


@pytest.mark.slow
def test_two_submitters_with_one_account_at_once_lose_nothing(
    anvil: AnvilNode, w3: Web3, clean: Clean, tmp_path: Path
) -> None:
    """Two `pa submit` processes with the holder's key at the same time: each half of the file (one
    authorisation each), then both the whole file. Nonces never collide for good (a refused nonce is
    replaced), every entry is recorded once."""
    rows = []
    whole = tmp_path / "all.csv"
    clean.data.write_csv(whole)
    with whole.open(newline="", encoding="utf-8") as handle:
        header, *records = list(csv.reader(handle))
    column = header.index("authorisation")
    files = []
    for authorisation in clean.data.authorisations:
        part = tmp_path / f"{authorisation.reference}.csv"
        with part.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(
                [header, *(r for r in records if r[column] == authorisation.reference)]
            )
        files.append(part)
    for name, pair in (("one half each", files), ("the same file", [whole, whole])):
        data_dir = tmp_path / name.replace(" ", "-")
        deployment = fresh_deployment(w3, clean.data, data_dir)
        processes = [start_submission(anvil.rpc_url, data_dir, file, 20, capture=True) for file in pair]
        outputs = [process.communicate(timeout=600) for process in processes]
        codes = [process.returncode for process in processes]
        wait_until_idle(w3, HOLDER.address)
        after = ledger_snapshot(w3, deployment, clean.data)
        rows.append((name, codes, [out.strip().splitlines()[-1:] for out, _ in outputs]))
        assert codes == [0, 0], [err for _, err in outputs]
        if name == "one half each":
            assert after == clean.snapshot
        else:
            assert after.entries == ENTRIES and after.stocks == clean.snapshot.stocks
    for name, codes, last_lines in rows:
        print(f"\ntwo submitters, one account, {name}: exit codes {codes}; {last_lines}")


def test_a_submitter_racing_another_one_predicts_corrections_from_the_chain_it_sees(
    parties: Parties, auth: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another submitter records an entry of the same file between this one's reading of the sequence
    numbers and its simulation: the correction of a later entry must still carry the right logged data
    (the sequence numbers are read again), not be refused as a mismatch."""
    placements = [factories.placement(auth, f"P{n}", f"L{n}") for n in range(1, 6)]
    parties.broker.record_batch(placements[:2])  # an earlier, partial run
    items = [*(Item(p) for p in placements), Item(factories.correction(auth, "C1", "P4"))]
    real = Submitter._sequences
    calls = 0

    def racing(self: Submitter, authorisations: set[str]) -> dict[str, int]:
        nonlocal calls
        calls += 1
        sequences = real(self, authorisations)
        if calls == 1:
            parties.holder.record(placements[2])  # the other submitter, just now
        return sequences

    monkeypatch.setattr(Submitter, "_sequences", racing)
    report = Submitter(parties.broker).submit(items)
    assert [r.outcome for r in report.results] == [Outcome.ALREADY] * 3 + [Outcome.RECORDED] * 3, [
        r.reason for r in report.results
    ]
