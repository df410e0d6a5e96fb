"""The reports of the sample season end to end: the 2019 pilot's season recorded on a chain of its own
as it happened (each entry some minutes after the event, one discharge four days late, the demo's
usual form of handling and deadline extension), read back from the logs, audited on a fixed day, and
written as JSON, HTML, XLSX, CSV and a bill of discharge.

The chain is a fresh Anvil whose block times are set entry by entry, so that block numbers, times,
addresses and hashes are the same on every run; the golden files compare whole documents. Regenerate
them after an intended change with `PA_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_present_season.py`
and review the diff.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
from web3 import Web3

from pa_client.audit.rules import AuditResult, BillOfDischarge, IntegrityResult, audit, bill_of_discharge
from pa_client.audit.rules.bill import BillCarriedForward
from pa_client.audit.rules.frames import rows
from pa_client.audit.run import basis, verify, verify_registry
from pa_client.audit.tables import LedgerTables, TableBuilder
from pa_client.chain.accounts import dev_account
from pa_client.chain.deployment import deploy
from pa_client.chain.extract import block_times, read_pages
from pa_client.chain.ledger import LedgerClient
from pa_client.chain.node import EmbeddedNode, local_rpc
from pa_client.chain.sender import Sender
from pa_client.dev.demo import REFERENCE, SAMPLE_AUTHORISATION, SAMPLE_SEASON, handling_entry
from pa_client.domain.models import DeadlineExtension, Discharge, Placement
from pa_client.present import write_audit, write_bill
from pa_client.present.bill import bill_html, bill_tables
from pa_client.present.html_report import render_audit_html
from pa_client.present.json_report import audit_json
from pa_client.records.authorisation_file import load_authorisation
from pa_client.records.entries_file import read_entries
from pa_client.settings import Settings

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("PA_UPDATE_GOLDEN", "") not in ("", "0", "false", "no")
AUDIT_DAY = date(2019, 10, 5)  # after the September deadlines: goods overdue, deemed released, a bill due
BILL_PERIOD = (date(2019, 8, 1), date(2019, 9, 30))
LATE = {"BDP-EX-2019-0012": timedelta(days=4, hours=2)}  # the broker sent this re-export late
DELAY = timedelta(minutes=12)
EXTENSION = DeadlineExtension(
    authorisation=REFERENCE,
    entry_ref="DGDDI-EXT-2019-0001",
    occurred_at=datetime(2019, 3, 29, 9, 0, tzinfo=UTC),
    placement="BDP-IM-2019-0003",
    new_deadline=date(2019, 12, 31),
    reason="processing delayed by a supplier's strike",
)


@dataclass(frozen=True)
class Season:
    tables: LedgerTables
    integrity: dict[str, IntegrityResult]
    registry: IntegrityResult
    result: AuditResult


def record_season(rpc_url: str) -> tuple[LedgerTables, dict[str, IntegrityResult], IntegrityResult]:
    """Deploys on the (fresh) node at `rpc_url` and records the sample season in time order, each
    entry in a block stamped some minutes after the event; returns the tables read from the logs and
    the integrity checks against the contracts (the authorisation's, the registry's)."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    local_rpc(rpc_url, "anvil_setTime", [int(datetime(2019, 1, 2, 9, 0, tzinfo=UTC).timestamp())])
    local_rpc(rpc_url, "anvil_setBlockTimestampInterval", [1])
    local_rpc(rpc_url, "evm_mine", [])
    customs_account, holder_account, broker_account = (
        dev_account(a) for a in ("customs", "holder", "broker")
    )
    deployment = deploy(Sender(w3, customs_account))
    customs = LedgerClient(w3, deployment, customs_account)
    holder = LedgerClient(w3, deployment, holder_account)
    broker = LedgerClient(w3, deployment, broker_account)
    customs.register(load_authorisation(SAMPLE_AUTHORISATION))
    holder.appoint(REFERENCE, broker_account.address)

    season = read_entries(SAMPLE_SEASON)
    season.raise_if_problems()
    planned: list[tuple[datetime, Any]] = [
        (e.entry.occurred_at + LATE.get(e.entry.entry_ref, DELAY), e.entry) for e in season.entries
    ]
    planned += [
        (handling_entry().occurred_at + DELAY, handling_entry()),
        (EXTENSION.occurred_at + DELAY, EXTENSION),
    ]
    planned.sort(key=lambda item: item[0])
    last = 0
    for when, entry in planned:
        stamp = max(int(when.timestamp()), last + 2)
        # An empty block just before, so that gas estimation already sees the entry's time.
        local_rpc(rpc_url, "evm_setNextBlockTimestamp", [stamp - 1])
        local_rpc(rpc_url, "evm_mine", [])
        last = stamp
        if isinstance(entry, DeadlineExtension):
            customs.extend(entry)
        elif isinstance(entry, Placement | Discharge):
            broker.record(entry)  # the broker lodges the declarations
        else:
            holder.record(entry)  # the holder's ERP records the rest

    latest = w3.eth.block_number
    builder = TableBuilder()
    for page in read_pages(w3, [deployment.registry, deployment.ledger], deployment.block, latest):
        builder.add_logs(page.logs, block_times(w3, page.logs))
    tables = builder.build(latest, int(w3.eth.get_block(latest)["timestamp"]))
    reader = LedgerClient(w3, deployment)
    registry = verify_registry(reader, tables, latest)
    return tables, verify(reader, tables, latest, registry), registry


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Season]:
    node = EmbeddedNode(Settings(data_dir=tmp_path_factory.mktemp("season-node")))
    status = node.start()
    assert status.rpc_url is not None
    try:
        tables, integrity, registry = record_season(status.rpc_url)
    finally:
        node.stop()
    result = audit(tables, today=AUDIT_DAY, integrity=integrity, registry=registry)
    # As `pa audit --today 2019-10-05` says it drew the audit: the reports state it.
    result = replace(result, basis=basis(tables.as_of_block, None, None, AUDIT_DAY))
    yield Season(tables, integrity, registry, result)


@pytest.fixture(scope="module")
def bill(season: Season) -> BillOfDischarge:
    return bill_of_discharge(season.result, REFERENCE, *BILL_PERIOD)


# ---------------------------------------------------------------- golden files


def normalise(text: str) -> str:
    """Hashes and addresses do not concern the presentation: a contract or deployment change must not
    fail these tests (block numbers and times are fixed by the fixture and stay)."""
    text = re.sub(r"0x[0-9a-f]{64}", "0x<hash>", text)
    text = re.sub(r"0x[0-9a-f]{8}…[0-9a-f]{8}", "0x<hash>", text)
    return re.sub(r"0x[0-9a-fA-F]{40}", "0x<address>", text)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(normalise(text), encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with PA_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    actual = normalise(text)
    if actual != expected:
        # Show the first differing line rather than two whole documents.
        for number, (want, got) in enumerate(
            zip(expected.splitlines(), actual.splitlines(), strict=False), 1
        ):
            assert got == want, f"{name} line {number} differs (PA_UPDATE_GOLDEN=1 regenerates)"
        assert len(actual.splitlines()) == len(expected.splitlines()), f"{name}: line count differs"


def test_audit_json_matches_the_golden_file(season: Season) -> None:
    check_golden("season-audit.json", audit_json(season.result, REFERENCE))


def test_audit_html_matches_the_golden_file(season: Season) -> None:
    check_golden("season-audit.html", render_audit_html(season.result, REFERENCE))


def test_bill_html_matches_the_golden_file(bill: BillOfDischarge) -> None:
    check_golden("season-bill.html", bill_html(bill))


# ---------------------------------------------------------------- JSON


def _no_float(text: str) -> Decimal:
    raise AssertionError(f"a JSON number with a fraction: {text}")


def test_audit_json_has_the_keys_of_interfaces_4_with_exact_strings(season: Season) -> None:
    document = json.loads(audit_json(season.result, REFERENCE), parse_float=_no_float)
    assert {
        "authorisation",
        "as_of_block",
        "as_of_time",
        "integrity",
        "placements",
        "discharges",
        "duty_due",
        "alerts",
    } <= set(document)
    assert document["integrity"]["verified"] is True
    assert document["integrity"]["entries"] == document["integrity"]["sequence"] == 180
    assert document["as_of_time"] == "2019-03-29T09:12:00Z"
    placements = {p["entry_ref"]: p for p in document["placements"]}
    assert len(placements) == 19
    p15 = placements["BDP-IM-2019-0015"]
    assert (p15["quantity"], p15["unit"], p15["customs_value"], p15["duty_rate"]) == (
        "380.000000",
        "KGM",
        "4590.40",
        "3",
    )
    assert (p15["remaining"], p15["status"], p15["deadline"]) == ("251.800000", "overdue", "2019-09-30")
    assert placements["BDP-IM-2019-0003"]["deadline"] == "2019-12-31"  # the demo's extension
    assert document["duty_due"]["total"] == "1940.25"
    assert document["duty_due"]["free_circulation"] == "0.48"
    first = document["discharges"][0]
    assert first["import_equivalent"] == {"40061000": "34.500000", "40122000": "3.000000"}
    assert first["allocation"] == [
        {"placement": "BDP-IM-2019-0001", "goods_code": "40122000", "quantity": "3.000000"},
        {"placement": "BDP-IM-2019-0003", "goods_code": "40061000", "quantity": "34.500000"},
    ]
    kinds = {(a["kind"], a["severity"]) for a in document["alerts"]}
    assert kinds == {
        ("overdue", "critical"),
        ("bill_overdue", "critical"),  # August's bill, due 30 September, not lodged on 5 October
        ("bill_due", "warning"),
        ("yield_deviation", "warning"),
        ("late_record", "info"),
    }
    bills = {b["period_end"]: b for b in document["bills"]}
    assert (bills["2019-08-31"]["due"], bills["2019-08-31"]["lodged"], bills["2019-08-31"]["days_late"]) == (
        "2019-09-30", False, 5,
    )  # fmt: skip
    assert len(bills["2019-09-30"]["placements"]) == 10
    text = audit_json(season.result, REFERENCE)
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- HTML


def test_audit_html_is_one_self_contained_page_in_the_officers_order(season: Season) -> None:
    page = render_audit_html(season.result, REFERENCE)
    lowered = page.lower()
    assert (
        "<script" not in lowered
        and "<link" not in lowered
        and "<img" not in lowered
        and "@import" not in lowered
    )
    assert (
        re.findall(r"https?://[^\"' )]+", page) == ["http://www.w3.org/2000/svg"] * 4
    )  # the SVG namespace only
    assert re.findall(r"url\(([^)]*)\)", page) == ["#hatch"]
    assert "@media print" in page and page.count("<svg") == 4  # timeline, yields, one stock panel per code
    # The summary first: authorisation, holder, office, as-of block and time, integrity, counts, duty.
    for text in (
        REFERENCE,
        "FR12345678900042",
        "FR000150",
        "365",
        "2019-03-29 09:12 UTC",
        "VERIFIED",
        "EUR 1,940.25",
    ):
        assert text in page.split('id="alerts"')[0], text
    order = [
        page.index(f'id="{anchor}"')
        for anchor in ("summary", "alerts", "placements", "discharges", "duty", "yields", "stock", "delays")
    ]
    assert order == sorted(order)
    # People's numbers: units, thousands separators, no float artefacts.
    assert "841.8 kg" in page and "27 p/st" in page and "16,646.41" in page and "−11.8519 %" in page
    assert not re.search(r"\d\.\d{7,}", re.sub(r"<svg.*?</svg>", "", page, flags=re.S))
    assert "NOT VERIFIED" not in page


def test_audit_html_lists_every_placement_and_each_discharge_with_its_fifo_shares(season: Season) -> None:
    page = render_audit_html(season.result, REFERENCE)
    section = page.split('id="discharges"')[1].split('id="duty"')[0]
    for entry in season.result.placements["entry_ref"]:
        assert entry in page.split('id="placements"')[1].split('id="discharges"')[0]
    for row in rows(season.result.discharges):
        assert row["entry_ref"] in section
        for share in row["allocation"]:
            assert share["placement"] in section
    # BDP-EX-2019-0013 discharges tread rubber from two placements: 30 kg then 16 kg.
    block = section.split("BDP-EX-2019-0013")[1].split("BDP-EX-2019-0014")[0]
    assert re.search(
        r"BDP-IM-2019-0003 \(2019-02-15\).*?30 kg.*?BDP-IM-2019-0007 \(2019-02-25\).*?16 kg", block, re.S
    )


def test_a_failed_integrity_check_shows_in_big_letters(season: Season) -> None:
    failed = audit(
        season.tables,
        today=AUDIT_DAY,
        integrity={
            REFERENCE: IntegrityResult(
                180, 180, b"\1" * 32, False, (), "the rolling hash differs from the contract's"
            )
        },
    )
    page = render_audit_html(failed, REFERENCE)
    assert "NOT VERIFIED" in page and "verdict bad" in page
    assert "not verified: the rolling hash differs" in page  # the integrity alert, critical


# ---------------------------------------------------------------- XLSX and CSV


def test_write_audit_writes_every_format(season: Season, tmp_path: Path) -> None:
    written = write_audit(season.result, REFERENCE, tmp_path)
    assert set(written) == {"json", "html", "xlsx", "csv"}
    assert written["json"].name == "audit-FRIPO000000000042-2019-10-05.json"
    assert all(path.exists() for path in written.values())
    named = write_audit(season.result, REFERENCE, tmp_path / REFERENCE, ["json", "csv"], stem="audit")
    assert (named["json"].name, named["csv"].name) == ("audit.json", "audit-csv")
    with pytest.raises(ValueError, match="pdf"):
        write_audit(season.result, REFERENCE, tmp_path, ["pdf"])
    with pytest.raises(KeyError):
        write_audit(season.result, "FRIPO999", tmp_path)


def test_xlsx_has_a_sheet_per_table_frozen_headers_and_exact_numbers(season: Season, tmp_path: Path) -> None:
    path = write_audit(season.result, REFERENCE, tmp_path, ["xlsx"])["xlsx"]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Summary", "Alerts", "Placements", "Discharges", "FIFO allocation", "Duty due", "Yields", "Stock",
        "Stock by import code", "Stock history", "Recording delays", "Corrected records",
    ]  # fmt: skip
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=5, values_only=True) if row[0]}
    assert summary["Integrity verified"] == "yes"
    assert summary["Duty due, total (EUR)"] == 1940.25
    sheet = book["Placements"]
    assert sheet.freeze_panes == "A2"
    headers = [c.value for c in sheet[1]]
    assert headers[:3] == ["Authorisation", "Entry", "Sequence"]
    assert {"Customs value (EUR)", "Duty rate (%)", "Remaining", "Discharged: Destruction"} <= set(headers)
    rows = {r[1]: dict(zip(headers, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    p15 = rows["BDP-IM-2019-0015"]
    assert Decimal(f"{p15['Remaining']:.15g}") == Decimal("251.8")
    assert p15["Customs value (EUR)"] == 4590.4 and p15["Duty rate (%)"] == 3
    assert p15["Deadline"] == datetime(2019, 9, 30) and p15["Status"] == "overdue"
    cells = {c.value: c for c in sheet[1]}
    column = cells["Customs value (EUR)"].column
    assert sheet.cell(row=2, column=column).number_format == "#,##0.00"
    assert sheet.column_dimensions[cells["Description"].column_letter].width > 20
    allocation = book["FIFO allocation"]
    assert allocation.max_row - 1 == len(season.result.allocations)


def test_csv_folder_has_one_exact_file_per_table(season: Season, tmp_path: Path) -> None:
    folder = write_audit(season.result, REFERENCE, tmp_path, ["csv"])["csv"]
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        f"{n}.csv"
        for n in ("summary", "alerts", "placements", "discharges", "allocations", "duty_due", "yields", "stock",
                  "stock_by_code", "stock_history", "recording_delays", "corrected")
    )  # fmt: skip

    def read(name: str) -> list[dict[str, str]]:
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as file:
            return list(csv.DictReader(file))

    placements = {row["entry_ref"]: row for row in read("placements")}
    p15 = placements["BDP-IM-2019-0015"]
    assert (p15["quantity"], p15["customs_value"], p15["duty_rate_percent"], p15["remaining"]) == (
        "380.000000", "4590.40", "3", "251.800000",
    )  # fmt: skip
    assert (p15["occurred_at"], p15["deadline"], p15["extended"]) == (
        "2019-03-15T07:10:00Z",
        "2019-09-30",
        "false",
    )
    assert placements["BDP-IM-2019-0005"]["discharged_destruction"] == "1.000000"
    discharges = {row["entry_ref"]: row for row in read("discharges")}
    assert discharges["BDP-EX-2019-0001"]["import_equivalent_40061000"] == "34.500000"
    duties = read("duty_due")
    assert sum(Decimal(row["amount"]) for row in duties) == Decimal("1940.25")
    summary = {row["item"]: row["value"] for row in read("summary")}
    assert summary["integrity_verified"] == "true" and summary["duty_due_total"] == "1940.25"
    # Every allocation adds up to its discharge's equivalent, exactly.
    totals: dict[tuple[str, str], Decimal] = {}
    for row in read("allocations"):
        key = (row["discharge"], row["goods_code"])
        totals[key] = totals.get(key, Decimal(0)) + Decimal(row["quantity"])
    for (discharge, code), total in totals.items():
        assert Decimal(discharges[discharge][f"import_equivalent_{code}"]) == total


# ---------------------------------------------------------------- the bill of discharge


def test_bill_html_has_the_contents_domain_md_lists(bill: BillOfDischarge, season: Season) -> None:
    page = bill_html(bill)
    header = page.split('id="summary"')[0]
    # authorisation reference; holder (EORI); supervising office; period covered and its due date
    # Due on the earliest due date of its placements (periods ending 31 Aug: 30 Sep), UCC-DA art. 175(1).
    assert bill.due == date(2019, 9, 30)
    for text in (REFERENCE, "FR12345678900042", "FR000150", "1 Aug 2019", "30 Sep 2019"):
        assert text in header, text
    # each placement: MRN, date, CN8, description, quantity and unit, customs value, duty rate, suspended duty
    placements = page.split('id="placements"')[1].split('id="rates"')[0]
    for p in bill.placements:
        for text in (
            p.declaration,
            p.date.isoformat(),
            p.goods_code[:4] + " " + p.goods_code[4:6],
            p.description,
        ):
            assert text in placements, text
    assert (
        "380 kg" in placements and "4,590.40" in placements and "3 %" in placements and "137.71" in placements
    )
    # the rates of yield used
    rates = page.split('id="rates"')[1].split('id="products"')[0]
    assert "4012 13 00" in rates and "11.5" in rates and "2/23 ≈ 0.086957" in rates
    # processed products (MPP/SPP, CN8, quantity)
    products = page.split('id="products"')[1].split('id="discharges"')[0]
    assert "Main (MPP)" in products and "Secondary (SPP)" in products and "4004 00 00" in products
    # each discharge: mode, MRN, date, quantity, import goods equivalent, by placement under FIFO
    discharges = page.split('id="discharges"')[1].split('id="released"')[0]
    for d in bill.discharges:
        assert d.entry_ref in discharges and (d.declaration or "—") in discharges
    assert "Re-export" in discharges and "Destruction" in discharges
    # goods released / deemed released for free circulation and the duty due
    released = page.split('id="released"')[1].split('id="carried"')[0]
    assert "BDP-EX-2019-0027" in released and "0.48" in released
    for deemed in bill.deemed_released:
        assert deemed.placement in released
    assert "EUR 1,939.77" in released and "EUR 1,940.25" in released
    # quantities carried forward or extended
    carried = page.split('id="carried"')[1]
    # BDP-IM-2019-0003's period ended on 31 Aug but customs extended it to 31 Dec: this bill does not
    # cover it (and, discharged in full, it has nothing to carry forward; the discharges' FIFO shares
    # name it as outside this bill); December's bill does.
    assert "BDP-IM-2019-0003" not in placements and "BDP-IM-2019-0003" not in carried
    assert "BDP-IM-2019-0003 (not in this bill)" in discharges
    december = bill_of_discharge(season.result, REFERENCE, date(2019, 12, 1), date(2019, 12, 31))
    assert [p.entry_ref for p in december.placements] == ["BDP-IM-2019-0003"]


def test_bill_xlsx_carries_every_list(bill: BillOfDischarge, tmp_path: Path) -> None:
    written = write_bill(bill, tmp_path)
    assert written["xlsx"].name == "bill-of-discharge-FRIPO000000000042-2019-08-01-2019-09-30.xlsx"
    book = openpyxl.load_workbook(written["xlsx"])
    assert book.sheetnames == [
        "Bill of discharge", "Placements", "Rates of yield", "Processed products", "Discharges (FIFO)",
        "Free circulation", "Deemed released", "Carried forward",
    ]  # fmt: skip
    head = {
        row[0]: row[1] for row in book["Bill of discharge"].iter_rows(min_row=5, values_only=True) if row[0]
    }
    assert head["Holder (EORI)"] == "FR12345678900042" and head["Bill due by"] == datetime(2019, 9, 30)
    assert head["Duty due, total (EUR)"] == 1940.25
    assert book["Placements"].max_row - 1 == len(bill.placements)
    assert book["Discharges (FIFO)"].max_row - 1 == sum(len(d.allocation) for d in bill.discharges)
    deemed = [r for r in book["Deemed released"].iter_rows(min_row=2, values_only=True)]
    assert [r[1] for r in deemed] == [d.placement for d in bill.deemed_released]
    assert next(t.name for t in bill_tables(bill)) == "bill_placements"


def test_bill_json_is_the_rules_document_with_sorted_keys(bill: BillOfDischarge, tmp_path: Path) -> None:
    path = write_bill(bill, tmp_path, ["json"], stem="bill-2019-08-01-2019-09-30")["json"]
    assert path.name == "bill-2019-08-01-2019-09-30.json"
    assert json.loads(path.read_text(encoding="utf-8"), parse_float=_no_float) == bill.to_json()
    with pytest.raises(ValueError, match="csv"):
        write_bill(bill, tmp_path, ["csv"])


def test_the_bill_shows_quantities_carried_forward(bill: BillOfDischarge, tmp_path: Path) -> None:
    carried = replace(
        bill,
        carried_forward=(
            BillCarriedForward(
                "BDP-IM-2019-0016",
                "40122000",
                "NAR",
                7 * 10**18,
                date(2019, 12, 31),
                "extended",
                "DGDDI-EXT-1",
            ),
        ),
    )
    section = bill_html(carried).split('id="carried"')[1]
    assert "BDP-IM-2019-0016" in section and "7 p/st" in section and "Period extended by customs" in section
    assert "DGDDI-EXT-1" in section
    book = openpyxl.load_workbook(write_bill(carried, tmp_path, ["xlsx"])["xlsx"])
    assert list(book["Carried forward"].iter_rows(min_row=2, values_only=True)) == [
        ("BDP-IM-2019-0016", "40122000", 7, datetime(2019, 12, 31), "extended", "DGDDI-EXT-1")
    ]
    assert "Nothing is carried forward" in bill_html(bill)


def test_empty_sections_say_so(season: Season) -> None:
    quiet = replace(
        season.result,
        alerts=season.result.alerts.iloc[0:0],
        duty_due=season.result.duty_due.iloc[0:0],
        yields=season.result.yields.iloc[0:0],
    )
    page = render_audit_html(quiet, REFERENCE)
    assert "No critical alert and no warning." in page and "No duty due." in page
    assert "No processing recorded." in page and page.count("<svg") == 3  # no yield chart
