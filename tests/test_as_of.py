"""`--as-of DATE`: the ledger as it stood at the end of a day (its last block by then, the records that
occurred by then, deadlines judged that day), on a fresh node whose blocks carry 2019's times."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import factories

from pa_client.chain import extract
from pa_client.chain.connection import open_ledger
from pa_client.chain.node import EmbeddedNode, local_rpc
from pa_client.cli import main
from pa_client.dev.demo import REFERENCE
from pa_client.settings import Settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BROKER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (entry, when it says it occurred, when its block is stamped)
RECORDS = [
    ("IM-1", at("2019-03-31 10:00"), at("2019-03-31 10:10")),
    ("IM-2", at("2019-04-02 00:20"), at("2019-04-01 23:40")),  # in a block of 1 April, dated the 2nd
    ("IM-3", at("2019-04-01 15:00"), at("2019-04-02 08:00")),  # of 1 April, recorded the 2nd
    ("IM-4", at("2019-04-02 09:00"), at("2019-04-02 09:10")),
]


@dataclass
class Ledger:
    rpc_url: str
    data_dir: Path
    blocks: dict[str, int]  # each record's block
    deployed: int
    latest: int

    def pa(self, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
        code = main(["--rpc-url", self.rpc_url, "--data-dir", str(self.data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    def audit(self, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
        out_dir = self.data_dir / "out"
        code, _, err = self.pa(capsys, "audit", *args, "--format", "json,csv", "--out", str(out_dir))
        assert code == 0, err
        document: dict[str, object] = json.loads((out_dir / REFERENCE / "audit.json").read_text())
        return document


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    folder = tmp_path_factory.mktemp("as-of")
    node = EmbeddedNode(Settings(data_dir=folder / "node"))
    status = node.start()
    url = status.rpc_url
    assert url is not None
    data = folder / "data"
    try:
        local_rpc(url, "anvil_setTime", [int(at("2019-03-30 09:00").timestamp())])
        local_rpc(url, "evm_mine", [])
        for account, *args in (
            ("customs", "deploy"),
            ("customs", "authorise", str(EXAMPLES / "authorisation-bourges.toml")),
            ("holder", "appoint", REFERENCE, BROKER),
        ):
            assert main(["--rpc-url", url, "--data-dir", str(data), "--account", account, *args]) == 0
        broker = open_ledger(Settings.load(rpc_url=url, data_dir=data, account="broker"))
        blocks: dict[str, int] = {}
        for ref, occurred, stamped in RECORDS:
            stamp = int(stamped.timestamp())
            # An empty block just before, so that gas estimation already sees the entry's time.
            local_rpc(url, "evm_setNextBlockTimestamp", [stamp - 1])
            local_rpc(url, "evm_mine", [])
            local_rpc(url, "evm_setNextBlockTimestamp", [stamp])
            broker.record(factories.placement(REFERENCE, ref, f"LOT-{ref}", when=occurred))
            blocks[ref] = broker.w3.eth.block_number
        yield Ledger(url, data, blocks, broker.deployment.block, broker.w3.eth.block_number)
    finally:
        node.stop()


def _placements(document: dict[str, object]) -> list[str]:
    return [p["entry_ref"] for p in document["placements"]]  # type: ignore[attr-defined]


def test_as_of_audits_the_ledger_as_it_stood_at_the_end_of_the_day(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    document = ledger.audit(capsys, "--as-of", "2019-04-01")
    cut = ledger.blocks["IM-2"]  # the last block of 1 April (UTC)
    assert document["as_of_block"] == cut
    assert document["basis"] == f"as of end of 2019-04-01 (block {cut:,})"
    # IM-2 is in a block of 1 April but says it happened on the 2nd: left out, and counted;
    # IM-3 happened on 1 April but was recorded on the 2nd: not in the ledger as it stood.
    assert _placements(document) == ["IM-1"]
    assert document["left_out"] == 1
    summary = (ledger.data_dir / "out" / REFERENCE / "audit-csv" / "summary.csv").read_text()
    assert f"basis,as of end of 2019-04-01 (block {cut})\nleft_out,1\n" in summary

    document = ledger.audit(capsys, "--as-of", "2019-04-02")
    assert sorted(_placements(document)) == ["IM-1", "IM-2", "IM-3", "IM-4"]
    assert document["left_out"] == 0 and document["as_of_block"] == ledger.latest


def test_at_block_and_today_keep_their_meaning_and_say_so(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    block = ledger.blocks["IM-2"]
    document = ledger.audit(capsys, "--at-block", str(block))
    assert sorted(_placements(document)) == ["IM-1", "IM-2"]  # every record of the blocks, however dated
    assert document["basis"] == f"at block {block:,}" and document["left_out"] == 0
    document = ledger.audit(capsys, "--today", "2019-04-01")
    assert len(_placements(document)) == 4
    assert document["basis"] == f"deadlines judged on 2019-04-01 (latest block {ledger.latest:,})"


def test_as_of_after_the_last_block_is_the_latest_and_before_the_deployment_is_refused(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    document = ledger.audit(capsys, "--as-of", "2030-01-01")
    assert document["as_of_block"] == ledger.latest and len(_placements(document)) == 4
    code, _, err = ledger.pa(capsys, "audit", "--as-of", "2019-03-29")
    assert code == 1 and err.count("\n") == 1
    assert "the ledger was deployed after that day" in err


def test_as_of_with_at_block_or_today_is_a_one_line_usage_error(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    for command, other in (("audit", "--today"), ("audit", "--at-block"), ("alerts", "--at")):
        value = "5" if other == "--at-block" else "2019-04-01"
        code, _, err = ledger.pa(capsys, command, "--as-of", "2019-04-01", other, value)
        assert code == 1 and err == f"error: --as-of says the block and the day itself: leave out {other}\n"


def test_alerts_and_bill_say_how_they_were_drawn(ledger: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    cut = ledger.blocks["IM-2"]
    code, out, err = ledger.pa(capsys, "alerts", "--as-of", "2019-04-01")
    assert code == 0, err
    assert f"as of 2019-04-01 (as of end of 2019-04-01 (block {cut:,}))" in out.strip().splitlines()[-1]
    code, out, err = ledger.pa(
        capsys, "bill", REFERENCE, "--from", "2019-01-01", "--to", "2019-12-31", "--as-of", "2019-04-01",
        "--out", str(ledger.data_dir / "bill"),
    )  # fmt: skip
    assert code == 0, err
    assert f"(as of end of 2019-04-01 (block {cut:,}))" in out
    [bill] = (ledger.data_dir / "bill").glob("*.json")
    assert json.loads(bill.read_text())["basis"] == f"as of end of 2019-04-01 (block {cut:,})"


def test_the_block_search_reads_few_headers(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(ledger.rpc_url))
    reads: list[int] = []
    real = extract.block_time

    def counted(w3: Web3, block: int) -> int:
        reads.append(block)
        return real(w3, block)

    monkeypatch.setattr(extract, "block_time", counted)
    cut = int(at("2019-04-01 23:59:59").timestamp())
    assert extract.last_block_by(w3, cut, ledger.deployed, ledger.latest) == ledger.blocks["IM-2"]
    assert len(reads) <= (ledger.latest - ledger.deployed).bit_length() + 2
    reads.clear()
    assert extract.last_block_by(w3, cut + 10**9, 0, ledger.latest) == ledger.latest
    assert len(reads) == 2
