"""Reading entries files within the reader's limits (pa_client/records/limits.py): the time and the peak
memory (ru_maxrss of a process that does only that) of

- a valid CSV of 1 000 000 rows (synthetic, every kind of entry; about 170 MB): read as `pa submit`
  reads it (refused at the row limit, early) and as `pa submit --dry-run` does (refused at one
  simulation window of entries, earlier);
- the largest file accepted, its first 100 000 rows, read and checked whole (`read_entries`), as CSV
  and as XLSX (the XLSX's uncompressed size is printed too: what the workbook limit leaves room for;
  the last processing is cut, one problem);
- 100 000 rows that each have a problem (all checked; the first ones printed, the rest counted);
- a zip-bomb XLSX: a few MB that inflate to a 2 GB sheet (refused from its zip directory).

Before the limits, the first case used 6.2 GB for 176 s and the last 3.3 GB for 532 s (issue 15).
Environment: `PA_BENCH_FILE_ROWS` (default 1 000 000), `PA_BENCH_BOMB_MB` (default 2048).
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]

from pa_client.dev.synthetic import synthetic
from pa_client.records.limits import MAX_ROWS

ROWS = int(os.environ.get("PA_BENCH_FILE_ROWS", "1000000"))
BOMB_MB = int(os.environ.get("PA_BENCH_BOMB_MB", "2048"))

# What the measured process runs: one case, then its time, outcome and peak memory as one JSON line.
_CHILD = """
import contextlib, io, json, resource, sys, time
from pathlib import Path
case, path = sys.argv[1], Path(sys.argv[2])
started = time.perf_counter()
if case in ("submit", "dry-run"):
    from pa_client.cli import main
    err = io.StringIO()
    dry = ["--dry-run"] if case == "dry-run" else []
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["--data-dir", str(path.parent / "data"), "--account", "holder", "submit", *dry, str(path)])
    lines = err.getvalue().strip().splitlines()
    outcome = f"exit {code}: {lines[-1] if lines else ''}"
else:
    from pa_client.records.entries_file import read_entries
    from pa_client.errors import InputError
    try:
        read = read_entries(path)
        count = read.problem_count
        outcome = f"{len(read.entries):,} entries, {count:,} problem{'' if count == 1 else 's'}"
    except InputError as error:
        outcome = f"refused: {error}"
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "outcome": outcome}))
"""


def _measure(case: str, path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, case, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _first_rows(source: Path, target: Path, rows: int) -> None:
    with (
        source.open(encoding="utf-8", newline="") as inp,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows(itertools.islice(csv.reader(inp), rows + 1))


def _bad_rows(source: Path, target: Path) -> None:
    """The same rows with every quantity (or, without one, every site) made wrong."""
    with (
        source.open(encoding="utf-8", newline="") as inp,
        target.open("w", encoding="utf-8", newline="") as out,
    ):
        reader, writer = csv.reader(inp), csv.writer(out, lineterminator="\n")
        header = next(reader)
        writer.writerow(header)
        quantity = header.index("quantity")
        site = header.index("site")
        for row in reader:
            if row[quantity]:
                row[quantity] = "-1"
            else:
                row[site] = "?"
            writer.writerow(row)


def _as_xlsx(source: Path, target: Path) -> int:
    """The CSV as a workbook (every cell text); returns the sheet's uncompressed size."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    with source.open(encoding="utf-8", newline="") as inp:
        for row in csv.reader(inp):
            sheet.append(row)
    workbook.save(target)
    with zipfile.ZipFile(target) as archive:
        return sum(item.file_size for item in archive.infolist())


def _bomb(target: Path, megabytes: int) -> None:
    """A workbook whose one sheet is `megabytes` of rows once inflated."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["entry_ref", "kind"])
    sample = target.with_suffix(".sample.xlsx")
    workbook.save(sample)
    row = b'<row><c t="inlineStr"><is><t>placement</t></is></c></row>' * 10_000
    with zipfile.ZipFile(sample) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in original.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(item, original.read(item))
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            for _ in range(megabytes * 1024 * 1024 // len(row)):
                part.write(row)
            part.write(b"</sheetData></worksheet>")
    sample.unlink()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        big = base / "entries-1m.csv"
        started = time.perf_counter()
        # About 1.3 rows an entry (a processing has several rows).
        data = synthetic(entries=ROWS * 4 // 5, authorisations=4, seed=5)
        rows = data.write_csv(big)
        largest = base / "largest.csv"
        _first_rows(big, largest, MAX_ROWS)
        bad = base / "bad.csv"
        _bad_rows(largest, bad)
        workbook = base / "largest.xlsx"
        unpacked = _as_xlsx(largest, workbook)
        bomb = base / "bomb.xlsx"
        _bomb(bomb, BOMB_MB)
        print(f"files written in {time.perf_counter() - started:.0f} s", flush=True)
        cases = [
            (f"valid CSV, {rows:,} rows ({big.stat().st_size / 1e6:,.0f} MB), pa submit", "submit", big),
            ("the same, pa submit --dry-run", "dry-run", big),
            (
                f"largest accepted CSV, {MAX_ROWS:,} rows ({largest.stat().st_size / 1e6:,.0f} MB)",
                "read",
                largest,
            ),
            (
                f"the same as XLSX ({workbook.stat().st_size / 1e6:,.0f} MB, {unpacked / 1e6:,.0f} MB uncompressed)",
                "read",
                workbook,
            ),
            (f"{MAX_ROWS:,} rows with a problem each", "read", bad),
            (f"zip-bomb XLSX ({bomb.stat().st_size / 1e6:,.1f} MB, a {BOMB_MB:,} MB sheet)", "read", bomb),
        ]
        print(f"  {'file':<62} {'time (s)':>8} {'peak (MB)':>9}  outcome")
        for name, case, path in cases:
            result = _measure(case, path)
            outcome = str(result["outcome"])
            print(
                f"  {name:<62} {float(str(result['seconds'])):>8.1f} {float(str(result['peak_mb'])):>9,.0f}  "
                f"{outcome[:150]}",
                flush=True,
            )
