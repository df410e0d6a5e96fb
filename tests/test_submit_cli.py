"""`pa submit` from real files to the real chain: the sample season, re-sending, bad files, refusals
found before sending, skipping with a rejects file, CSV and XLSX alike."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest
from support.chain import AnvilNode

from pa_client.chain.connection import open_ledger
from pa_client.chain.ledger import LedgerClient
from pa_client.cli import main
from pa_client.contract.rolling_hash import recompute
from pa_client.dev.demo import REFERENCE
from pa_client.domain.codes import mrn_check_character
from pa_client.settings import Settings
from pa_client.submission import service as submission_service
from pa_client.submission.submitter import Submitter

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEASON = EXAMPLES / "season-bourges-2019.csv"
BROKER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


@dataclass
class Ledger:
    """A deployment of its own (data folder) on the session node, with the sample authorisation."""

    rpc_url: str
    data_dir: Path
    capsys: pytest.CaptureFixture[str]

    def pa(self, *args: str, account: str = "broker") -> tuple[int, str, str]:
        code = main(
            ["--rpc-url", self.rpc_url, "--data-dir", str(self.data_dir), "--account", account, *args]
        )
        out, err = self.capsys.readouterr()
        return code, out, err

    def client(self) -> LedgerClient:
        return open_ledger(Settings.load(rpc_url=self.rpc_url, data_dir=self.data_dir), signing=False)


def _ledger(anvil: AnvilNode, folder: Path, capsys: pytest.CaptureFixture[str]) -> Ledger:
    ledger = Ledger(anvil.rpc_url, folder, capsys)
    assert ledger.pa("deploy", account="customs")[0] == 0
    assert ledger.pa("authorise", str(EXAMPLES / "authorisation-bourges.toml"), account="customs")[0] == 0
    assert ledger.pa("appoint", REFERENCE, BROKER, account="holder")[0] == 0
    return ledger


@pytest.fixture
def ledger(anvil: AnvilNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Ledger:
    return _ledger(anvil, tmp_path / "data", capsys)


def _records(path: Path) -> int:
    with path.open(encoding="utf-8") as file:
        return len({row["entry_ref"] for row in csv.DictReader(file)})


def test_the_sample_season_is_recorded_once(ledger: Ledger) -> None:
    entries = _records(SEASON)
    code, out, _ = ledger.pa("submit", str(SEASON), "--dry-run")
    assert code == 0 and f"{entries} entries would be recorded" in out
    assert ledger.client().chain_of(REFERENCE)[0] == 0

    code, out, _ = ledger.pa("submit", str(SEASON))
    assert code == 0 and f"{entries} recorded, 0 already recorded, 0 refused" in out
    client = ledger.client()
    check = recompute(client.records(REFERENCE))
    assert check.complete and check.entries == entries
    assert (check.sequence, check.head) == client.chain_of(REFERENCE)

    code, out, _ = ledger.pa("submit", str(SEASON))
    assert code == 0 and f"0 recorded, {entries} already recorded, 0 refused; 0 transactions" in out
    assert client.chain_of(REFERENCE)[0] == entries


def test_a_bad_file_reports_every_problem_and_sends_nothing(ledger: Ledger) -> None:
    bad = Path(__file__).parent / "data" / "entries" / "many-errors.csv"
    code, out, err = ledger.pa("submit", str(bad))
    lines = err.strip().splitlines()
    assert code == 1 and out == ""
    assert lines[-1] == f"error: 24 problems found in {bad}: nothing was sent"
    assert len(lines) == 25 and all(line.startswith(f"{bad}:") for line in lines[:-1])
    assert ledger.client().chain_of(REFERENCE)[0] == 0


def _with_overdraw(tmp_path: Path) -> Path:
    """The season with one more re-export than its lot holds, as row 309."""
    rows = SEASON.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    extra = dict.fromkeys(header, "")
    extra.update(
        entry_ref="BDP-EX-2019-9999",
        kind="discharge",
        authorisation=REFERENCE,
        occurred_at="2019-03-29T10:00:00+01:00",
        lot="CAS-2019-0001",
        quantity="500",
        site="BOURGES-STORE",
        mode="reexport",
        declaration="19FR0000000009999" + mrn_check_character("19FR0000000009999"),
        procedure="3151",
    )
    path = tmp_path / "season-overdraw.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("\n".join(rows) + "\n")
        csv.DictWriter(file, fieldnames=header).writerow(extra)
    return path


def test_an_overdraw_is_found_before_sending(ledger: Ledger, tmp_path: Path) -> None:
    from pa_client.domain.codes import mrn_check_character

    path = _with_overdraw(tmp_path)
    text = path.read_text().replace(
        "19FR00000000099990", "19FR0000000009999" + mrn_check_character("19FR0000000009999")
    )
    path.write_text(text)
    code, out, err = ledger.pa("submit", str(path))
    assert code == 1
    assert f"{path}:309: entry BDP-EX-2019-9999: lot CAS-2019-0001 has" in err
    assert "less than the 500.000000 taken" in err
    assert err.strip().endswith(
        f"error: 1 entries of {path} would be refused by the ledger: nothing was sent"
    )
    assert ledger.client().chain_of(REFERENCE)[0] == 0

    code, out, _ = ledger.pa("submit", str(path), "--on-error", "skip")
    assert code == 0 and f"{_records(SEASON)} recorded, 0 already recorded, 1 refused" in out
    rejects = tmp_path / "season-overdraw.rejects.csv"
    with rejects.open(encoding="utf-8") as file:
        (row,) = list(csv.DictReader(file))
    assert row["entry_ref"] == "BDP-EX-2019-9999" and row["source_row"] == "309"
    assert "less than the 500.000000 taken" in row["rejected_because"]


def test_a_refusal_in_a_later_window_says_what_was_recorded(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With windows of 50 entries the overdraw (the last entry) is found after the earlier windows
    were recorded: the last line must say so, not "nothing was sent"."""
    monkeypatch.setattr(submission_service, "Submitter", functools.partial(Submitter, window=50))
    path = _with_overdraw(tmp_path)
    code, _out, err = ledger.pa("submit", str(path))
    assert code == 1
    recorded = ledger.client().chain_of(REFERENCE)[0]
    assert 0 < recorded < _records(SEASON)
    assert err.strip().endswith(
        f"error: 1 entries of {path} would be refused by the ledger: the {recorded:,} entries before "
        "them were recorded"
    )


def test_csv_and_xlsx_of_the_same_data_give_the_same_chain(
    anvil: AnvilNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    with SEASON.open(encoding="utf-8") as file:
        for row in csv.reader(file):
            sheet.append(row)
    xlsx = tmp_path / "season.xlsx"
    workbook.save(xlsx)
    from_csv = _ledger(anvil, tmp_path / "csv", capsys)
    from_xlsx = _ledger(anvil, tmp_path / "xlsx", capsys)
    assert from_csv.pa("submit", str(SEASON))[0] == 0
    assert from_xlsx.pa("submit", str(xlsx))[0] == 0
    # Same records, same accounts, same order: the same rolling hash, though in another deployment.
    assert from_csv.client().chain_of(REFERENCE) == from_xlsx.client().chain_of(REFERENCE)


CORRECTION_COLUMNS = ["entry_ref", "kind", "authorisation", "occurred_at", "lot", "goods_code", "description",
                      "quantity", "unit", "site", "declaration", "customs_value", "duty_rate", "origin",
                      "corrects", "reason"]  # fmt: skip


def _correction_file(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, CORRECTION_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _placement(entry_ref: str, mrn: str) -> dict[str, str]:
    return {
        "entry_ref": entry_ref, "kind": "placement", "authorisation": REFERENCE,
        "occurred_at": "2019-03-01T09:00:00Z", "lot": "CAS-RE-1", "goods_code": "40122000",
        "description": "Used aircraft tyre casings", "quantity": "2", "unit": "NAR", "site": "BOURGES-STORE",
        "declaration": mrn, "customs_value": "1000.00", "duty_rate": "4.5", "origin": "US",
    }  # fmt: skip


def _correcting(entry_ref: str, corrects: str) -> dict[str, str]:
    return {
        "entry_ref": entry_ref, "kind": "correction", "authorisation": REFERENCE,
        "occurred_at": "2019-03-01T10:00:00Z", "corrects": corrects, "reason": "keyed twice",
    }  # fmt: skip


def _mrn(serial: str) -> str:
    body = f"19FR18I{serial:0>10}"
    return body + mrn_check_character(body)


def test_a_correction_and_the_lot_placed_again_in_one_file_are_recorded_and_resent_safely(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = _correction_file(
        tmp_path / "again.csv",
        [
            _placement("RE-PL-1", _mrn("1")),
            _correcting("RE-CO-1", "RE-PL-1"),
            _placement("RE-PL-2", _mrn("2")),
        ],
    )
    code, out, err = ledger.pa("submit", str(path))
    assert code == 0, err
    assert "3 recorded, 0 already recorded, 0 refused" in out
    code, out, err = ledger.pa("submit", str(path))  # the whole file again, as after a split submission
    assert code == 0, err
    assert "0 recorded, 3 already recorded, 0 refused" in out
    assert ledger.client().chain_of(REFERENCE)[0] == 3


def test_correcting_a_correction_or_an_extension_says_why_it_cannot_be(
    ledger: Ledger, tmp_path: Path
) -> None:
    first = _correction_file(
        tmp_path / "first.csv",
        [
            _placement("NC-PL-1", _mrn("3")),
            _correcting("NC-CO-1", "NC-PL-1"),
            _placement("NC-PL-2", _mrn("4")),
        ],
    )
    assert ledger.pa("submit", str(first))[0] == 0
    code, _, err = ledger.pa(
        "extend", REFERENCE, "NC-PL-2", "--until", "2019-12-31", "--reason", "strike",
        "--entry-ref", "NC-EXT-1", "--decided", "2019-03-02", account="customs",
    )  # fmt: skip
    assert code == 0, err
    second = _correction_file(
        tmp_path / "second.csv", [_correcting("NC-CO-2", "NC-CO-1"), _correcting("NC-CO-3", "NC-EXT-1")]
    )
    code, _, err = ledger.pa("submit", str(second))
    assert code == 1
    assert (
        "entry NC-CO-2: entry NC-CO-1 is a correction, which cannot be corrected: to undo a correction, "
        "record the corrected entry again under a new entry_ref" in err
    )
    assert (
        "entry NC-CO-3: entry NC-EXT-1 is a deadline extension, which cannot be corrected: customs record "
        "a new deadline extension, which replaces it (the latest one applies)" in err
    )
    assert "recorded neither on chain" not in err
