"""The entries-file reader's limits (pa_client/records/limits.py): a file too large for them is refused
early, while it is read, in one line that names the limit and says how to split the file; a file with
thousands of problems prints the first ones and the count of the rest. No chain needed: each refusal
comes before the chain is opened (a data folder without a node, and none is started).

`make bench` (benchmarks/bench_files.py) measures the time and memory these refusals cost.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest

from pa_client.cli import main
from pa_client.records.entries_file import COLUMNS, LIMITS, FileTooLargeError, Limits, read_entries
from pa_client.records.limits import MAX_CELLS, MAX_PROBLEMS, MAX_RECORD_CHARS, MAX_ROWS, MAX_WORKBOOK_BYTES
from pa_client.records.results import PROBLEMS_SHOWN
from pa_client.submission.service import file_items
from pa_client.submission.submitter import SIMULATION_WINDOW

AUTH = "FRIPO000000000042"
PLACEMENT = {
    "kind": "placement",
    "authorisation": AUTH,
    "occurred_at": "2019-02-15",
    "goods_code": "40122000",
    "description": "Used aircraft tyre casings",
    "quantity": "20",
    "unit": "NAR",
    "site": "BOURGES",
    "declaration": "24FR00000000000017",
    "customs_value": "12000.50",
    "duty_rate": "4.5",
    "origin": "US",
}
# Bytes no UTF-8 reader accepts: a file that ends with them (some rows after the limit: the text is
# decoded a few KB ahead of the rows) was not read to its end when it is refused for its size.
NOT_UTF8 = b"\xff\xfe\xfd\n"


def _placements(count: int, **changes: str) -> bytes:
    """A CSV of `count` valid placements (one lot each), with `changes` to every row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for n in range(count):
        writer.writerow({**PLACEMENT, "entry_ref": f"PL-{n}", "lot": f"CAS-{n}", **changes})
    return out.getvalue().encode()


def _pa(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(tmp_path / "data"), "--account", "holder", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _no_node_started(tmp_path: Path) -> bool:
    return not (tmp_path / "data" / "node").exists()


def test_a_csv_over_the_row_limit_is_refused_in_one_line_before_it_is_read_to_its_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "entries.csv"
    path.write_bytes(_placements(MAX_ROWS + 2_000) + NOT_UTF8)
    code, out, err = _pa(tmp_path, capsys, "submit", str(path))
    assert (code, out) == (1, "")
    assert err == (
        f"error: entries.csv has more than {MAX_ROWS:,} rows of entries (row {MAX_ROWS + 2:,} is one too "
        f"many), the most an entries file may hold: split it into files of at most {MAX_ROWS:,} rows, a "
        "processing's rows in one file, and send them in order\n"
    )
    assert _no_node_started(tmp_path)


def test_a_dry_run_of_more_entries_than_one_window_is_refused_while_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before, the whole file was read and checked (a 1.29 M-row file: 176 s, 6.2 GB), then refused.
    path = tmp_path / "entries.csv"
    path.write_bytes(_placements(SIMULATION_WINDOW + 1_000) + NOT_UTF8)
    code, _, err = _pa(tmp_path, capsys, "submit", "--dry-run", str(path))
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(
        f"error: entries.csv has more than {SIMULATION_WINDOW:,} entries (row {SIMULATION_WINDOW + 2:,} starts "
        f"entry {SIMULATION_WINDOW + 1:,}) and a dry run checks at most {SIMULATION_WINDOW:,} at once: split it"
    )
    assert _no_node_started(tmp_path)


def test_entries_are_counted_as_the_check_groups_them(tmp_path: Path) -> None:
    # A processing of three rows is one entry: 3 placements and 1 processing are 4 entries.
    rows = _placements(3).decode().splitlines()
    header = rows[0].split(",")
    processing = dict.fromkeys(header, "")
    processing.update(
        kind="processing", entry_ref="PR-1", authorisation=AUTH, occurred_at="2019-02-16", site="BOURGES"
    )
    lines = [
        {**processing, "line": "in", "lot": "CAS-0", "quantity": "1"},
        {**processing, "line": "in", "lot": "CAS-1", "quantity": "1"},
        {
            **processing,
            "line": "out",
            "lot": "RET-1",
            "goods_code": "40121200",
            "description": "Retreaded",
            "quantity": "1",
            "unit": "NAR",
        },
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writerows(lines)
    path = tmp_path / "entries.csv"
    path.write_text("\n".join(rows) + "\n" + out.getvalue(), encoding="utf-8")
    assert len(read_entries(path, Limits(entries=4)).entries) == 4
    with pytest.raises(FileTooLargeError, match=r"more than 3 entries \(row 5 starts entry 4\)"):
        read_entries(path, Limits(entries=3))


def test_a_zip_bomb_workbook_is_refused_from_its_zip_directory_with_the_limit_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A real workbook whose sheet is 300 MB of rows once inflated, a few hundred KB compressed.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    sample = io.BytesIO()
    workbook.save(sample)
    path = tmp_path / "entries.xlsx"
    row = (
        b'<row><c t="inlineStr"><is><t>placement</t></is></c><c t="inlineStr"><is><t>x</t></is></c></row>'
        * 1_000
    )
    with zipfile.ZipFile(sample) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in original.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item, original.read(item))
        start = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        end = b"</worksheet>"
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(start + b"<sheetData>")
            written = len(start) + len(b"<sheetData>")
            while written < 300 * 1024 * 1024:
                part.write(row)
                written += len(row)
            part.write(b"</sheetData>" + end)
            written += len(b"</sheetData>" + end)
    assert path.stat().st_size < 5 * 1024 * 1024
    started = time.monotonic()
    code, out, err = _pa(tmp_path, capsys, "submit", str(path))
    seconds = time.monotonic() - started
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith("error: entries.xlsx holds ")
    assert f"(xl/worksheets/sheet1.xml: {written:,} bytes)" in err
    assert f"an entries workbook may hold at most {MAX_WORKBOOK_BYTES:,}: split it into workbooks of" in err
    # From the zip directory alone (the sheet was never inflated; before, such a sheet took minutes).
    assert seconds < 10, f"{seconds:.1f} s"
    assert _no_node_started(tmp_path)


def test_a_row_with_too_many_cells_or_characters_is_refused_in_one_line(tmp_path: Path) -> None:
    header = ",".join(COLUMNS)
    wide = tmp_path / "wide.csv"
    wide.write_text(f"{header}\n" + "x," * 100_000 + "x\n", encoding="utf-8")
    with pytest.raises(FileTooLargeError) as refused:
        read_entries(wide)
    assert str(refused.value) == (
        f"wide.csv: row 2 has 100,001 cells and an entries file has at most {MAX_CELLS} in a row (it has 21 "
        "columns): remove the extra columns"
    )
    # Trailing empty cells, as spreadsheets leave them, are no cells.
    padded = tmp_path / "padded.csv"
    padded.write_bytes(_placements(2).replace(b"\n", b"," * 10_000 + b"\n"))
    assert read_entries(padded).ok
    long = tmp_path / "long.csv"
    cell = '"' + "y\n" * 50_000 + '"'  # each cell within the CSV reader's 131 072 characters
    long.write_text(f"{header}\n" + ",".join([cell] * 50) + "\n", encoding="utf-8")
    with pytest.raises(
        FileTooLargeError, match=rf"long.csv: row 2 holds more than {MAX_RECORD_CHARS:,} characters"
    ):
        read_entries(long)


def test_thousands_of_bad_rows_print_the_first_problems_and_how_many_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "entries.csv"
    path.write_bytes(_placements(5_000, quantity="0"))
    code, out, err = _pa(tmp_path, capsys, "submit", str(path))
    lines = err.strip().splitlines()
    assert code == 1 and out == ""
    assert len(lines) == PROBLEMS_SHOWN + 2
    assert lines[0] == f"{path}:2: column 'quantity' = '0': quantity must be greater than zero"
    assert lines[PROBLEMS_SHOWN - 1].startswith(f"{path}:{PROBLEMS_SHOWN + 1}: column 'quantity'")
    assert lines[-2] == (
        f"… and {5_000 - PROBLEMS_SHOWN:,} more problems (--on-error skip records the good rows and writes "
        "every refused row, with why, to entries.rejects.csv)"
    )
    assert lines[-1] == f"error: 5,000 problems found in {path}: nothing was sent"
    assert _no_node_started(tmp_path)


def test_problems_beyond_those_kept_are_counted_and_their_rows_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    rows = MAX_PROBLEMS + 2_500
    path.write_bytes(_placements(rows, quantity="0"))
    checked = read_entries(path)
    assert len(checked.problems) == MAX_PROBLEMS and checked.problem_count == rows
    assert checked.entries == [] and len(checked.rejected_rows()) == rows
    # --on-error skip writes every refused row to the rejects file, each with a reason.
    _, reasons = file_items(checked, skip=True)
    assert sorted(reasons) == checked.rejected_rows()
    assert reasons[rows + 1] == [
        f"row: has problems not listed (the file has {rows:,}; fix the rows listed first)"
    ]


def test_the_default_limits_are_the_documented_ones() -> None:
    assert (
        Limits(rows=100_000, cells=64, record_chars=4 * 1024 * 1024, workbook_bytes=256 * 1024 * 1024)
        == LIMITS
    )
