"""Bad input: `pa submit` on mutated CSV and XLSX files, random bytes, huge fields and wrong encodings.

For every input the command must end with an exit code (0: a valid file, 1: problems listed, 2: a
usage error), never a traceback; and when the reader found any problem, nothing may be sent — the
chain is never even opened (`open_ledger` is replaced by a spy that counts its calls and refuses).

Budget: PA_READER_EXAMPLES examples per strategy (CI: 30; `make fuzz-reader`: 500). The counts of
inputs tried, by strategy and outcome, are printed at the end (`-s`) for docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import openpyxl  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError  # type: ignore[import-untyped]

from pa_client.cli import main
from pa_client.errors import ChainError, InputError
from pa_client.records.entries_file import read_entries

pytestmark = pytest.mark.faults

EXAMPLES = int(os.environ.get("PA_READER_EXAMPLES", "30"))
SAMPLE = (Path(__file__).parent.parent / "examples" / "season-bourges-2019.csv").read_bytes()
SAMPLE_LINES = SAMPLE.splitlines(keepends=True)
SMALL_SAMPLE = b"".join(SAMPLE_LINES[:40])  # every kind of entry, quick to check
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    derandomize=bool(os.environ.get("CI")) and "PA_READER_EXAMPLES" not in os.environ,
)
TRIED: Counter[tuple[str, str]] = Counter()


def _sample_rows() -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(SMALL_SAMPLE.decode("utf-8"))))


def _xlsx(rows: list[list[object]]) -> bytes | None:
    """The rows as a workbook, or None when openpyxl refuses a value (control characters, …)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    try:
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
    except (ValueError, TypeError, IllegalCharacterError):
        return None
    return out.getvalue()


_WORKBOOK = _xlsx([list(r) for r in _sample_rows()])
assert _WORKBOOK is not None
SAMPLE_XLSX: bytes = _WORKBOOK


def _run(strategy: str, data: bytes, suffix: str) -> None:
    """`pa submit` on `data`: an exit code, never a traceback; nothing sent when there is a problem."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"entries{suffix}"
        path.write_bytes(data)
        try:
            problems = len(read_entries(path).problems)
        except InputError:
            problems = -1  # unreadable as a whole (a broken workbook): a one-line error
        opened: list[object] = []

        def spy(*args: object, **kwargs: object) -> None:
            opened.append(args)
            raise ChainError("fuzz: no chain here")

        out, err = io.StringIO(), io.StringIO()
        with (
            mock.patch("pa_client.chain.connection.open_ledger", spy),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            code = main(
                ["--data-dir", str(Path(folder) / "data"), "--account", "holder", "submit", str(path)]
            )
        assert code in (0, 1, 2), code
        assert "Traceback" not in err.getvalue()
        if problems:
            assert not opened, f"the chain was opened for a file with {problems} problems"
            assert code == 1 and err.getvalue().splitlines()[-1].startswith("error: ")
        outcome = "problems found, nothing sent" if problems else "valid: would be sent"
        TRIED[(strategy, outcome)] += 1


# ---------------------------------------------------------------- mutations


def _mutate(data: bytes, edits: list[tuple[int, int, int, bytes]]) -> bytes:
    """Applies (kind, position, length, bytes) edits: 0 flip, 1 insert, 2 delete, 3 duplicate a span."""
    buffer = bytearray(data)
    for kind, position, length, payload in edits:
        if not buffer:
            buffer.extend(payload)
            continue
        at = position % len(buffer)
        if kind == 0:
            buffer[at] ^= 1 + length % 255
        elif kind == 1:
            buffer[at:at] = payload
        elif kind == 2:
            del buffer[at : at + length]
        else:
            buffer[at:at] = buffer[at : at + length]
    return bytes(buffer)


EDITS = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 10**6),
        st.integers(1, 64),
        st.binary(min_size=1, max_size=8)
        | st.sampled_from([b",", b'"', b"\n", b"\r", b"\x00", b"\xff", b";"]),
    ),
    min_size=1,
    max_size=8,
)
CELLS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", "placement", "movement", "processing", "in", "out", "-1", "0", "1e308", "NaN", "=1+1"]
    ),
    st.integers(-(10**30), 10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


def _with_cells(rows: list[list[str]], changes: list[tuple[int, int, str]]) -> list[list[str]]:
    rows = [list(r) for r in rows]
    for row, column, value in changes:
        target = rows[1 + row % (len(rows) - 1)]
        target[column % len(target)] = value
    return rows


def _csv(rows: list[list[str]]) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


CHANGES = st.lists(st.tuples(st.integers(0, 100), st.integers(0, 30), CELLS), min_size=1, max_size=6)


@FUZZ
@given(data=st.binary(max_size=4000))
def test_random_bytes(data: bytes) -> None:
    _run("random bytes (.csv)", data, ".csv")


@FUZZ
@given(data=st.binary(max_size=4000), keep=st.integers(0, len(SAMPLE_XLSX)))
def test_random_bytes_and_broken_workbooks(data: bytes, keep: int) -> None:
    # A workbook cut anywhere or with random bytes after the zip signature; and plain random bytes.
    _run("random bytes and cut workbooks (.xlsx)", SAMPLE_XLSX[:keep] + data, ".xlsx")


@FUZZ
@given(edits=EDITS)
def test_mutated_csv(edits: list[tuple[int, int, int, bytes]]) -> None:
    _run("mutated CSV bytes", _mutate(SMALL_SAMPLE, edits), ".csv")


@FUZZ
@given(changes=CHANGES)
def test_csv_with_wrong_cells(changes: list[tuple[int, int, str]]) -> None:
    _run("CSV with random cell values", _csv(_with_cells(_sample_rows(), changes)), ".csv")


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=6))
def test_mutated_xlsx_bytes(edits: list[tuple[int, int]]) -> None:
    buffer = bytearray(SAMPLE_XLSX)
    for position, flip in edits:
        buffer[position % len(buffer)] ^= flip
    _run("mutated XLSX bytes", bytes(buffer), ".xlsx")


@FUZZ
@given(
    changes=st.lists(
        st.tuples(
            st.integers(0, 100),
            st.integers(0, 30),
            st.one_of(
                CELLS,
                st.integers(-(10**20), 10**20),
                st.floats(),
                st.booleans(),
                st.datetimes(),
                st.dates(),
                st.none(),
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_xlsx_with_wrong_cells(changes: list[tuple[int, int, object]]) -> None:
    rows: list[list[object]] = [list(r) for r in _sample_rows()]
    for row, column, value in changes:
        target = rows[1 + row % (len(rows) - 1)]
        target[column % len(target)] = value
    data = _xlsx(rows)
    if data is None:
        return  # a value openpyxl cannot write: no workbook to read
    _run("XLSX with random cell values and types", data, ".xlsx")


ENCODINGS = ["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "mac_roman", "cp037"]


@FUZZ
@given(encoding=st.sampled_from(ENCODINGS), accents=st.text("éèàçüÿ€œ—", min_size=1, max_size=5))
def test_wrong_encodings(encoding: str, accents: str) -> None:
    text = SMALL_SAMPLE.decode("utf-8").replace("Tread rubber", f"Tread rubber {accents}")
    _run("wrong encodings", text.encode(encoding, errors="replace"), ".csv")


@FUZZ
@given(
    size=st.sampled_from([10_000, 131_071, 131_072, 131_073, 1_000_000]),
    column=st.integers(0, 20),
    row=st.integers(0, 30),
    char=st.sampled_from(["x", "9", ",", '"', "\n", "é"]),
)
def test_huge_fields(size: int, column: int, row: int, char: str) -> None:
    rows = _with_cells(_sample_rows(), [(row, column, char * size)])
    _run("huge fields", _csv(rows), ".csv")


def test_zip_bomb_like_workbook_is_refused_in_one_line() -> None:
    # A workbook whose sheet part claims to be huge, compressed from zeros: read as bad input.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(SAMPLE_XLSX)) as sample:
            for item in sample.infolist():
                if item.filename != "xl/worksheets/sheet1.xml":
                    archive.writestr(item, sample.read(item))
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"\0" * 50_000_000)
    _run("zip-bomb-like workbook", out.getvalue(), ".xlsx")


# ---------------------------------------------------------------- the figures


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    if TRIED:
        total = sum(TRIED.values())
        print(
            f"\nreader fuzzing: {total:,} inputs tried, no traceback, nothing sent for any input with a problem"
        )
        for (strategy, outcome), count in sorted(TRIED.items()):
            print(f"  {strategy}: {outcome}: {count:,}")


def test_the_spy_sees_a_valid_file(tmp_path: Path) -> None:
    # The check above would be empty if a valid file never reached the chain: it does.
    _run("the valid sample", SMALL_SAMPLE, ".csv")
    assert TRIED[("the valid sample", "valid: would be sent")] == 1
