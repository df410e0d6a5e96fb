"""The entries file (docs/spec/interfaces.md §1): reading CSV and XLSX into typed entries, and checking the whole
file with one exact problem per fault. No chain needed."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pa_client.domain.codes import check_unit
from pa_client.domain.models import (
    Correction,
    Discharge,
    DischargeMode,
    Handling,
    Movement,
    Placement,
    Processing,
    ProcessingInput,
    ProcessingOutput,
)
from pa_client.domain.units import UNIT_CODES
from pa_client.errors import InputError
from pa_client.records.entries_file import (
    COLUMNS,
    KINDS,
    EntriesFile,
    Problem,
    SourcedEntry,
    read_entries,
    unresolved_lots,
)

DATA = Path(__file__).parent / "data" / "entries"
AUTH = "FRIPO000000000042"
MRN_1 = "24FR00000000000017"
MRN_2 = "24FR00000000000025"
MRN_3 = "24FR00000000000033"
DIGEST_A = "a3f5c0de9b1e6f7a8c2d4e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3"
DIGEST_B = "0x" + "B" * 64

BASE: dict[str, dict[str, str]] = {
    "placement": {
        "entry_ref": "PL-1",
        "kind": "placement",
        "authorisation": AUTH,
        "occurred_at": "2019-02-15",
        "lot": "CAS-1",
        "goods_code": "40122000",
        "description": "Used aircraft tyre casings",
        "quantity": "20",
        "unit": "NAR",
        "site": "BOURGES",
        "declaration": MRN_1,
        "customs_value": "12000.50",
        "duty_rate": "4.5",
        "origin": "US",
    },
    "movement": {
        "entry_ref": "MV-1",
        "kind": "movement",
        "authorisation": AUTH,
        "occurred_at": "2019-02-16",
        "lot": "CAS-1",
        "quantity": "5",
        "site": "BOURGES",
        "to_site": "VIERZON",
    },
    "in": {
        "entry_ref": "PR-1",
        "kind": "processing",
        "authorisation": AUTH,
        "occurred_at": "2019-02-20",
        "line": "in",
        "lot": "CAS-1",
        "quantity": "10",
        "site": "BOURGES",
    },
    "out": {
        "entry_ref": "PR-1",
        "kind": "processing",
        "authorisation": AUTH,
        "occurred_at": "2019-02-20",
        "line": "out",
        "lot": "TYR-1",
        "goods_code": "40121300",
        "description": "Retreaded aircraft tyres",
        "quantity": "10",
        "unit": "NAR",
        "site": "BOURGES",
    },
    "handling": {
        "entry_ref": "HD-1",
        "kind": "handling",
        "authorisation": AUTH,
        "occurred_at": "2019-02-21",
        "lot": "TYR-1",
        "goods_code": "40121300",
    },
    "discharge": {
        "entry_ref": "DS-1",
        "kind": "discharge",
        "authorisation": AUTH,
        "occurred_at": "2019-03-01",
        "lot": "TYR-1",
        "quantity": "10",
        "site": "BOURGES",
        "mode": "reexport",
        "declaration": MRN_3,
        "procedure": "3151",
    },
    "correction": {
        "entry_ref": "CO-1",
        "kind": "correction",
        "authorisation": AUTH,
        "occurred_at": "2019-03-03",
        "corrects": "PL-1",
        "reason": "Customs value was mistyped",
    },
}


def rec(base: str, **changes: str | None) -> dict[str, str]:
    """A valid row of the given kind, with changes (None: the cell left empty)."""
    row = {**BASE[base], **changes}
    return {column: value for column, value in row.items() if value is not None}


def write_csv(path: Path, rows: Sequence[dict[str, str]], columns: Sequence[str] = COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, list(columns), extrasaction="raise")
        writer.writeheader()
        writer.writerows(rows)
    return path


def read(tmp_path: Path, *rows: dict[str, str], columns: Sequence[str] = COLUMNS) -> EntriesFile:
    return read_entries(write_csv(tmp_path / "entries.csv", rows, columns))


def problems(result: EntriesFile) -> list[str]:
    """The problems without the file name, which is the same for all."""
    prefix = f"{result.path}:"
    texts = [str(problem) for problem in result.problems]
    assert all(text.startswith(prefix) for text in texts)
    return [text.removeprefix(prefix) for text in texts]


def only_entry(result: EntriesFile) -> SourcedEntry:
    assert result.problems == []
    assert len(result.entries) == 1
    return result.entries[0]


# ---------------------------------------------------------------- a valid file


def test_valid_file_gives_every_kind_with_its_rows() -> None:
    result = read_entries(DATA / "valid.csv")
    assert result.problems == []
    result.raise_if_problems()  # nothing to raise
    assert [(type(s.entry).__name__, s.rows) for s in result.entries] == [
        ("Placement", (2,)),
        ("Placement", (3,)),
        ("Movement", (4,)),
        ("Processing", (5, 6, 7, 8)),
        ("Handling", (9,)),
        ("Discharge", (10,)),
        ("Discharge", (11,)),
        ("Correction", (12,)),
    ]
    first = result.entries[0].entry
    assert first == Placement(
        authorisation=AUTH,
        entry_ref="PL-1",
        occurred_at=datetime(2019, 2, 15, tzinfo=UTC),
        documents=(DIGEST_A,),
        lot="CAS-1",
        goods_code="40122000",
        description="Used aircraft tyre casings",
        quantity=Decimal(20),
        unit="NAR",
        site="BOURGES",
        declaration=MRN_1,
        procedure=5100,
        customs_value=Decimal("12000.50"),
        duty_rate=Decimal("4.5"),
        origin="US",
    )
    assert result.entries[1].entry.occurred_at == datetime(2019, 2, 15, 9, 30, tzinfo=UTC)
    assert result.entries[2].entry == Movement(
        authorisation=AUTH,
        entry_ref="MV-1",
        occurred_at=datetime(2019, 2, 16, tzinfo=UTC),
        lot="TRD-1",
        quantity=Decimal(50),
        site="BOURGES",
        to_site="VIERZON",
    )
    assert result.entries[4].entry == Handling(
        authorisation=AUTH,
        entry_ref="HD-1",
        occurred_at=datetime(2019, 2, 21, tzinfo=UTC),
        lot="SCR-1",
        goods_code="40040000",
    )
    reexport, destruction = result.entries[5].entry, result.entries[6].entry
    assert isinstance(reexport, Discharge) and isinstance(destruction, Discharge)
    assert (reexport.mode, reexport.declaration, reexport.procedure) == (DischargeMode.REEXPORT, MRN_3, 3151)
    assert (destruction.mode, destruction.declaration) == (DischargeMode.DESTRUCTION, None)
    assert result.entries[7].entry == Correction(
        authorisation=AUTH,
        entry_ref="CO-1",
        occurred_at=datetime(2019, 3, 3, tzinfo=UTC),
        corrects="PL-2",
        reason="Customs value was mistyped",
    )
    assert result.rejected_rows() == []


def test_processing_rows_are_grouped_into_inputs_and_outputs() -> None:
    processing = read_entries(DATA / "valid.csv").entries[3]
    assert processing.entry == Processing(
        authorisation=AUTH,
        entry_ref="PR-1",
        occurred_at=datetime(2019, 2, 20, 8, 0, tzinfo=UTC),
        site="BOURGES",
        inputs=(
            ProcessingInput(lot="CAS-1", quantity=Decimal(10)),
            ProcessingInput(lot="TRD-1", quantity=Decimal(115)),
        ),
        outputs=(
            ProcessingOutput(
                lot="TYR-1",
                goods_code="40121300",
                description="Retreaded aircraft tyres",
                quantity=Decimal(10),
                unit="NAR",
            ),
            ProcessingOutput(
                lot="SCR-1",
                goods_code="40040000",
                description="Rubber buffing dust",
                quantity=Decimal("12.25"),
                unit="KGM",
            ),
        ),
    )
    assert processing.rows == (5, 6, 7, 8)
    assert processing.input_rows == (5, 6)
    assert processing.output_rows == (7, 8)
    assert processing.needs_lots == ("CAS-1", "TRD-1")
    assert processing.creates_lots == ("TYR-1", "SCR-1")


def test_processing_rows_in_any_line_order_and_documents_from_every_row(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        rec("out", documents=DIGEST_A),
        rec("in", line="IN", documents=f"{DIGEST_A};{DIGEST_B}"),
        rec("out", lot="SCR-1", unit="KGM", quantity="2.5", occurred_at="2019-02-20T00:00:00Z"),
    )
    sourced = only_entry(result)
    assert isinstance(sourced.entry, Processing)
    assert sourced.rows == (2, 3, 4)
    assert (sourced.input_rows, sourced.output_rows) == ((3,), (2, 4))
    assert sourced.entry.documents == (DIGEST_A, DIGEST_B)
    assert [o.lot for o in sourced.entry.outputs] == ["TYR-1", "SCR-1"]


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (DATA / "valid.csv").read_bytes())
    result = read_entries(path)
    assert result.problems == []
    assert [s.entry for s in result.entries] == [s.entry for s in read_entries(DATA / "valid.csv").entries]


def test_column_order_is_free_and_unneeded_columns_may_be_absent(tmp_path: Path) -> None:
    columns = [
        "reason",
        "corrects",
        "to_site",
        "quantity",
        "lot",
        "site",
        "occurred_at",
        "authorisation",
        "kind",
        "entry_ref",
    ]
    result = read(tmp_path, rec("movement"), rec("correction"), columns=columns)
    assert result.problems == []
    assert [type(s.entry) for s in result.entries] == [Movement, Correction]


def test_column_names_are_trimmed_and_case_insensitive_and_words_too(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text(
        " Entry_Ref ,KIND,Authorisation,occurred_AT,Lot,Quantity,Site,Mode\n"
        f"DS-1, Discharge ,{AUTH},2019-03-01, TYR-1 ,10,BOURGES,Destruction\n"
        "\n"
        ",,,,,,,\n"
        f"DS-2,discharge,{AUTH},2019-03-01,TYR-1,10,BOURGES,Free Circulation\n"
        f"DS-3,discharge,{AUTH},2019-03-01,TYR-1,10,BOURGES,re-export\n",
        encoding="utf-8",
    )
    result = read_entries(path)
    assert problems(result) == [
        "1: column 'declaration' is missing; a discharge by free_circulation on row 5 and 1 more row need it"
    ]
    assert [(s.rows, s.entry.kind) for s in result.entries] == [((2,), "discharge")]
    discharge = result.entries[0].entry
    assert isinstance(discharge, Discharge)
    assert (discharge.lot, discharge.mode) == ("TYR-1", DischargeMode.DESTRUCTION)


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        (
            {"occurred_at": "2019-02-15T10:30:00+01:00"},
            "occurred_at",
            datetime(2019, 2, 15, 9, 30, tzinfo=UTC),
        ),
        ({"occurred_at": "2019-02-15T10:30"}, "occurred_at", datetime(2019, 2, 15, 10, 30, tzinfo=UTC)),
        ({"occurred_at": "2019-02-15 10:30:00Z"}, "occurred_at", datetime(2019, 2, 15, 10, 30, tzinfo=UTC)),
        ({"quantity": "1.123456"}, "quantity", Decimal("1.123456")),
        ({"duty_rate": "4.5%"}, "duty_rate", Decimal("4.5")),
        ({"duty_rate": "0"}, "duty_rate", Decimal(0)),
        ({"customs_value": "0.1"}, "customs_value", Decimal("0.1")),
        ({"goods_code": "4012.20.00"}, "goods_code", "40122000"),
        ({"origin": "us"}, "origin", "US"),
        ({"unit": "kgm"}, "unit", "KGM"),
        ({"declaration": MRN_1.lower()}, "declaration", MRN_1),
        ({"procedure": "5151"}, "procedure", 5151),
        ({"documents": f" {DIGEST_A} ; {DIGEST_B};"}, "documents", (DIGEST_A, DIGEST_B)),
    ],
)
def test_values_people_write_are_read(
    tmp_path: Path, changes: dict[str, str], field: str, expected: object
) -> None:
    entry = only_entry(read(tmp_path, rec("placement", **changes))).entry
    assert getattr(entry, field) == expected


# ---------------------------------------------------------------- one problem per check

CASES: list[tuple[str, list[dict[str, str]], str]] = [
    # required per kind
    ("placement lot", [rec("placement", lot=None)], "2: column 'lot' is required for a placement"),
    (
        "placement customs value",
        [rec("placement", customs_value=None)],
        "2: column 'customs_value' is required for a placement",
    ),
    ("movement to_site", [rec("movement", to_site=None)], "2: column 'to_site' is required for a movement"),
    (
        "processing input quantity",
        [rec("in", quantity=None), rec("out")],
        "2: column 'quantity' is required for a processing input (line = in)",
    ),
    (
        "processing output unit",
        [rec("in"), rec("out", unit=None)],
        "3: column 'unit' is required for a processing output (line = out)",
    ),
    ("processing line", [rec("in", line=None), rec("out")], "2: column 'line' is required for a processing"),
    (
        "handling goods code",
        [rec("handling", goods_code=None)],
        "2: column 'goods_code' is required for a handling",
    ),
    ("discharge mode", [rec("discharge", mode=None)], "2: column 'mode' is required for a discharge"),
    (
        "discharge declaration",
        [rec("discharge", declaration=None)],
        "2: column 'declaration' is required for a discharge by reexport",
    ),
    (
        "correction reason",
        [rec("correction", reason=None)],
        "2: column 'reason' is required for a correction",
    ),
    ("kind", [rec("movement", kind=None)], "2: column 'kind' is required for every entry"),
    (
        "occurred_at",
        [rec("movement", occurred_at=None)],
        "2: column 'occurred_at' is required for a movement",
    ),
    ("entry_ref", [rec("correction", entry_ref=None)], "2: column 'entry_ref' is required for a correction"),
    # fields a kind does not use
    (
        "to_site on a placement",
        [rec("placement", to_site="VIERZON")],
        "2: column 'to_site' = 'VIERZON': not used by a placement; leave it empty (it is for movement)",
    ),
    (
        "line on a placement",
        [rec("placement", line="in")],
        "2: column 'line' = 'in': not used by a placement; leave it empty (it is for processing)",
    ),
    (
        "goods code on a processing input",
        [rec("in", goods_code="40122000"), rec("out")],
        "2: column 'goods_code' = '40122000': not used by a processing input (line = in); leave it empty "
        "(it is for placement, processing output, handling)",
    ),
    (
        "lot on a correction",
        [rec("correction", lot="CAS-1")],
        "2: column 'lot' = 'CAS-1': not used by a correction; leave it empty "
        "(it is for placement, movement, processing, handling, discharge)",
    ),
    (
        "quantity on a handling",
        [rec("handling", quantity="3")],
        "2: column 'quantity' = '3': not used by a handling; leave it empty "
        "(it is for placement, movement, processing, discharge)",
    ),
    (
        "procedure on a movement",
        [rec("movement", procedure="5100")],
        "2: column 'procedure' = '5100': not used by a movement; leave it empty (it is for placement, discharge)",
    ),
    # unknown words
    (
        "unknown kind",
        [rec("placement", kind="placment")],
        "2: column 'kind' = 'placment': unknown kind (did you mean 'placement'?); "
        "the kinds are placement, movement, processing, handling, discharge, correction",
    ),
    (
        "extension",
        [rec("correction", kind="extension")],
        "2: column 'kind' = 'extension': deadline extensions are recorded by customs with 'pa extend', "
        "not in an entries file",
    ),
    (
        "unknown line",
        [rec("in", line="input"), rec("out")],
        "2: column 'line' = 'input': unknown line; a processing row is 'in' (an input) or 'out' (an output)",
    ),
    (
        "unknown mode",
        [rec("discharge", mode="export")],
        "2: column 'mode' = 'export': unknown mode (did you mean 'reexport'?); "
        "the modes are reexport, free_circulation, warehousing, transfer, destruction, abandonment",
    ),
    # dates
    (
        "date",
        [rec("movement", occurred_at="15/02/2019")],
        "2: column 'occurred_at' = '15/02/2019': not an ISO 8601 date or date-time "
        "(e.g. 2024-01-10 or 2024-01-10T09:30:00+01:00)",
    ),
    (
        "date out of range",
        [rec("movement", occurred_at="2019-13-01")],
        "2: column 'occurred_at' = '2019-13-01': not an ISO 8601 date or date-time "
        "(e.g. 2024-01-10 or 2024-01-10T09:30:00+01:00)",
    ),
    # quantities
    (
        "zero quantity",
        [rec("movement", quantity="0")],
        "2: column 'quantity' = '0': quantity must be greater than zero",
    ),
    (
        "negative quantity",
        [rec("movement", quantity="-2")],
        "2: column 'quantity' = '-2': quantity must be greater than zero",
    ),
    (
        "seven decimals",
        [rec("movement", quantity="1.1234567")],
        "2: column 'quantity' = '1.1234567': quantity has more than 6 decimals",
    ),
    (
        "exponent",
        [rec("movement", quantity="1e3")],
        "2: column 'quantity' = '1e3': not a plain decimal number",
    ),
    (
        "not a number",
        [rec("movement", quantity="many")],
        "2: column 'quantity' = 'many': not a decimal number",
    ),
    (
        "decimal comma",
        [rec("movement", quantity="1,5")],
        "2: column 'quantity' = '1,5': not a decimal number; "
        "write numbers with a decimal point and no thousands separator (e.g. 1234.5)",
    ),
    (
        "processing output quantity",
        [rec("in"), rec("out", quantity="0.0000001")],
        "3: column 'quantity' = '0.0000001': quantity has more than 6 decimals",
    ),
    # money and percent
    (
        "customs value decimals",
        [rec("placement", customs_value="12000.505")],
        "2: column 'customs_value' = '12000.505': amount has more than 2 decimals",
    ),
    (
        "negative customs value",
        [rec("placement", customs_value="-1")],
        "2: column 'customs_value' = '-1': amount must not be negative",
    ),
    (
        "duty rate over 100",
        [rec("placement", duty_rate="101")],
        "2: column 'duty_rate' = '101': percentage must be between 0 and 100",
    ),
    (
        "duty rate decimals",
        [rec("placement", duty_rate="4.12345")],
        "2: column 'duty_rate' = '4.12345': percentage has more than 4 decimals",
    ),
    # codes
    (
        "CN code",
        [rec("placement", goods_code="4012200")],
        "2: column 'goods_code' = '4012200': a CN code has exactly 8 digits",
    ),
    (
        "handling CN code",
        [rec("handling", goods_code="4012130A")],
        "2: column 'goods_code' = '4012130A': a CN code has exactly 8 digits",
    ),
    (
        "MRN check character",
        [rec("placement", declaration="24FR00000000000018")],
        "2: column 'declaration' = '24FR00000000000018': wrong check character '8' (expected '7')",
    ),
    (
        "MRN length",
        [rec("discharge", declaration="24FR123")],
        "2: column 'declaration' = '24FR123': an MRN has 18 characters, not 7",
    ),
    (
        "MRN format",
        [rec("placement", declaration="2XFR00000000000017")],
        "2: column 'declaration' = '2XFR00000000000017': "
        "an MRN is 2 digits (year), 2 letters (country), 13 letters or digits, 1 check character",
    ),
    (
        "country",
        [rec("placement", origin="XX")],
        "2: column 'origin' = 'XX': not an ISO 3166-1 alpha-2 country code",
    ),
    (
        "unit people write",
        [rec("placement", unit="KG")],
        "2: column 'unit' = 'KG': not a UN/ECE Recommendation 20 unit code; write KGM (kilogram)",
    ),
    (
        "unit not in Rec. 20",
        [rec("placement", unit="QQQ")],
        "2: column 'unit' = 'QQQ': not a UN/ECE Recommendation 20 unit code (e.g. KGM, NAR, LTR, MTR, MTK, MTQ)",
    ),
    (
        "document digest",
        [rec("movement", documents=f"{DIGEST_A};abc")],
        "2: column 'documents' = 'abc': not a SHA-256 digest (64 hexadecimal characters; ';' between digests)",
    ),
    (
        "procedure digits",
        [rec("discharge", procedure="31")],
        "2: column 'procedure' = '31': a procedure code has 4 digits (e.g. 5100, 3151)",
    ),
    (
        "placement procedure",
        [rec("placement", procedure="3151")],
        "2: column 'procedure' = '3151': a placement is under procedure 51xx (5100 to 5199)",
    ),
    # lengths and rules of the models
    (
        "reference too long",
        [rec("movement", lot="L" * 129)],
        "2: column 'lot' = '" + "L" * 79 + "…': too long: at most 128 characters",
    ),
    (
        "description too long",
        [rec("placement", description="d" * 513)],
        "2: column 'description' = '" + "d" * 79 + "…': too long: at most 512 characters",
    ),
    (
        "reference on two lines",
        [rec("movement", lot="CAS\n1")],
        "2: column 'lot' = 'CAS\\n1': must be a single line of text",
    ),
    (
        "movement to the same site",
        [rec("movement", to_site="BOURGES")],
        "2: column 'to_site' = 'BOURGES': a movement goes from one site to another: "
        "'site' and 'to_site' are the same",
    ),
    # processing as a whole
    (
        "processing without output",
        [rec("in")],
        "2: processing 'PR-1' has no output row (line = out); it needs at least one input and one output",
    ),
    (
        "processing without input",
        [rec("out"), rec("out", lot="SCR-1")],
        "2: processing 'PR-1' has no input row (line = in); it needs at least one input and one output",
    ),
    (
        "processing site differs",
        [rec("in"), rec("out", site="VIERZON")],
        "3: column 'site' = 'VIERZON': differs from 'BOURGES' on row 2; the rows of processing 'PR-1' share it",
    ),
    (
        "processing authorisation differs",
        [rec("in"), rec("out", authorisation="FRIPO000000000043")],
        f"3: column 'authorisation' = 'FRIPO000000000043': differs from '{AUTH}' on row 2; "
        "the rows of processing 'PR-1' share it",
    ),
    (
        "processing time differs",
        [rec("in"), rec("out", occurred_at="2019-02-20T00:00:01")],
        "3: column 'occurred_at' = '2019-02-20T00:00:01': differs from '2019-02-20' on row 2; "
        "the rows of processing 'PR-1' share it",
    ),
    (
        "processing time not a date on a later row",
        [rec("in"), rec("out", occurred_at="20.02.2019")],
        "3: column 'occurred_at' = '20.02.2019': not an ISO 8601 date or date-time "
        "(e.g. 2024-01-10 or 2024-01-10T09:30:00+01:00)",
    ),
    # references across the file
    (
        "duplicate entry_ref",
        [rec("placement"), rec("movement", entry_ref="PL-1")],
        f"3: column 'entry_ref' = 'PL-1': already used on row 2 for authorisation '{AUTH}'; "
        "an entry_ref is unique within its authorisation",
    ),
    (
        "lot created twice",
        [rec("placement"), rec("placement", entry_ref="PL-2", declaration=MRN_2)],
        f"3: column 'lot' = 'CAS-1': lot already created on row 2 for authorisation '{AUTH}'; a lot is created once",
    ),
    (
        "lot created by a processing output and a placement",
        [rec("in"), rec("out"), rec("placement", lot="TYR-1")],
        f"4: column 'lot' = 'TYR-1': lot already created on row 3 for authorisation '{AUTH}'; a lot is created once",
    ),
    (
        "lot placed again after a correction of another entry",
        [
            rec("placement"),
            rec("correction", corrects="MV-1"),
            rec("placement", entry_ref="PL-2", declaration=MRN_2),
        ],
        f"4: column 'lot' = 'CAS-1': lot already created on row 2 for authorisation '{AUTH}'; a lot is created once",
    ),
    (
        "correction of a correction",
        [rec("placement"), rec("correction"), rec("correction", entry_ref="CO-2", corrects="CO-1")],
        "4: column 'corrects' = 'CO-1': entry CO-1 is a correction, which cannot be corrected: to undo a "
        "correction, record the corrected entry again under a new entry_ref",
    ),
]


def test_a_correction_and_the_lot_placed_again_in_one_file_are_accepted(tmp_path: Path) -> None:
    """The file's corrections apply in order, as on chain: the correction of PL-1 removes its lot, so
    the lot can be placed again further down (two files with these rows were accepted already)."""
    result = read(
        tmp_path, rec("placement"), rec("correction"), rec("placement", entry_ref="PL-2", declaration=MRN_2)
    )
    assert result.problems == []
    assert [(s.entry.entry_ref, s.rows) for s in result.entries] == [
        ("PL-1", (2,)),
        ("CO-1", (3,)),
        ("PL-2", (4,)),
    ]


@pytest.mark.parametrize(("rows", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_check_reports_one_exact_problem(
    tmp_path: Path, rows: list[dict[str, str]], expected: str
) -> None:
    result = read(tmp_path, *rows)
    assert problems(result) == [expected]
    assert result.problems[0].row in result.rejected_rows()  # the faulty entry is never sent


def test_processing_rows_that_do_not_follow_one_another_are_a_duplicate(tmp_path: Path) -> None:
    result = read(tmp_path, rec("in"), rec("out"), rec("movement"), rec("out", lot="SCR-1"))
    assert problems(result) == [
        "5: processing 'PR-1' has no input row (line = in); it needs at least one input and one output",
        f"5: column 'entry_ref' = 'PR-1': already used on row 2 for authorisation '{AUTH}'; "
        "an entry_ref is unique within its authorisation (the rows of one processing follow one another)",
    ]
    assert [s.rows for s in result.entries] == [(2, 3), (4,)]
    assert result.rejected_rows() == [5]


def test_processing_row_without_entry_ref_belongs_to_no_processing(tmp_path: Path) -> None:
    result = read(tmp_path, rec("in", entry_ref=None), rec("out"))
    assert problems(result) == [
        "2: column 'entry_ref' is required for a processing input (line = in)",
        "3: processing 'PR-1' has no input row (line = in); it needs at least one input and one output",
    ]


def test_same_entry_ref_in_another_authorisation_is_fine(tmp_path: Path) -> None:
    result = read(tmp_path, rec("placement"), rec("placement", authorisation="FRIPO000000000043"))
    assert result.problems == []
    assert len(result.entries) == 2


def test_discharges_that_need_no_declaration(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        rec("discharge", entry_ref="D1", mode="destruction", declaration=None, procedure=None),
        rec("discharge", entry_ref="D2", mode="abandonment", declaration=None, procedure=None),
        rec("discharge", entry_ref="D3", mode="transfer", declaration=None, procedure=None),
    )
    assert result.problems == []
    assert [s.entry.mode for s in result.entries if isinstance(s.entry, Discharge)] == [
        DischargeMode.DESTRUCTION,
        DischargeMode.ABANDONMENT,
        DischargeMode.TRANSFER,
    ]


# ---------------------------------------------------------------- header and file


def test_unknown_column_with_a_suggestion(tmp_path: Path) -> None:
    columns = [c if c != "quantity" else "qty" for c in COLUMNS]
    result = read(tmp_path, rec("correction"), columns=columns)
    assert problems(result) == ["1: column 'qty' is unknown (did you mean 'quantity'?)"]
    assert len(result.entries) == 1  # a row that needs no quantity is fine; the file is not


def test_unknown_column_lists_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text(
        ",".join((*BASE["correction"], "colour")) + "\n" + ",".join(BASE["correction"].values()) + ",red\n"
    )
    assert problems(read_entries(path)) == [
        f"1: column 'colour' is unknown; the columns are {', '.join(COLUMNS)}"
    ]


def test_column_named_twice(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text(
        ",".join((*BASE["correction"], "Reason")) + "\n" + ",".join(BASE["correction"].values()) + ",\n"
    )
    assert problems(read_entries(path)) == ["1: column 'reason' appears twice (columns 6 and 7)"]


def test_column_every_row_needs_is_missing(tmp_path: Path) -> None:
    columns = [c for c in COLUMNS if c != "kind"]
    row = rec("movement", kind=None)
    result = read(tmp_path, row, row, columns=columns)
    assert problems(result) == ["1: column 'kind' is missing; every row needs it"]
    assert result.rejected_rows() == [2, 3]


def test_column_some_rows_need_is_missing(tmp_path: Path) -> None:
    columns = [c for c in COLUMNS if c != "origin"]
    rows = [rec("placement", entry_ref=f"PL-{n}", lot=f"L{n}", origin=None) for n in range(3)]
    result = read(tmp_path, *rows, rec("movement"), columns=columns)
    assert problems(result) == ["1: column 'origin' is missing; a placement on row 2 and 2 more rows need it"]
    assert [s.rows for s in result.entries] == [(5,)]
    one = read(tmp_path, rows[0], columns=columns)
    assert problems(one) == ["1: column 'origin' is missing; a placement on row 2 needs it"]


def test_values_in_a_column_without_a_name(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    header = ",".join(BASE["movement"])
    values = ",".join(BASE["movement"].values())
    path.write_text(f"{header},\n{values},,\n{values.replace('MV-1', 'MV-2')},stray,extra\n")
    assert problems(read_entries(path)) == [
        "3: column 9 has no name in the header row but holds 'stray'",
        "3: column 10 has no name in the header row but holds 'extra'",
    ]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_bytes(b"")
    assert problems(read_entries(path)) == [
        f"1: the file is empty; its first row names the columns ({', '.join(COLUMNS)})"
    ]


def test_header_without_entries(tmp_path: Path) -> None:
    assert problems(read(tmp_path)) == ["2: the file has a header row but no entries"]


def test_first_row_empty(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text("\n" + ",".join(BASE["correction"]) + "\n")
    assert problems(read_entries(path)) == [
        f"1: the first row is empty; it must name the columns ({', '.join(COLUMNS)})"
    ]


def test_first_row_is_not_a_header(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text("PL-1,placement\n")
    assert problems(read_entries(path)) == [
        f"1: the first row does not name the columns ({', '.join(COLUMNS)}); it holds 'PL-1,placement'"
    ]


def test_semicolon_separated_file(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text(";".join(BASE["correction"]) + "\n" + ";".join(BASE["correction"].values()) + "\n")
    assert problems(read_entries(path)) == [
        "1: the columns are separated by semicolons: save the file comma-separated"
    ]


def test_not_utf8_names_the_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    head = (",".join(BASE["correction"]) + "\n").encode()
    first = (",".join(BASE["correction"].values()) + "\n").encode()
    path.write_bytes(
        head + first + b"CO-2,correction," + AUTH.encode() + b",2019-03-03,PL-1,Valeur erron\xe9e\n"
    )
    offset = len(head) + len(first) + len(f"CO-2,correction,{AUTH},2019-03-03,PL-1,Valeur erron")
    result = read_entries(path)
    assert problems(result) == [
        f"3: not UTF-8 text: byte 0xE9 at offset {offset} cannot be read; save the file as CSV UTF-8"
    ]
    assert result.entries == []


def test_workbook_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    workbook = openpyxl.Workbook()
    workbook.save(path)
    assert problems(read_entries(path)) == [
        "1: this is a spreadsheet workbook (XLSX), not CSV text: name it .xlsx"
    ]


def test_huge_cell(tmp_path: Path) -> None:
    result = read(tmp_path, rec("correction"), rec("correction", entry_ref="CO-2", reason="x" * 200_000))
    assert problems(result) == [
        "3: not readable as CSV (a cell holds more than 131072 characters); the rest of the file was not read"
    ]
    assert result.entries == []  # part of the file is unread: nothing is safe to send


def test_long_cell_within_the_csv_limit(tmp_path: Path) -> None:
    result = read(tmp_path, rec("correction", reason="x" * 100_000))
    assert problems(result) == ["2: column 'reason' = '" + "x" * 79 + "…': too long: at most 512 characters"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("entries.txt", "an entries file is a .csv or .xlsx file, not '.txt'"),
        ("entries", "an entries file is a .csv or .xlsx file, not 'entries'"),
        ("entries.xls", "an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8"),
    ],
)
def test_file_that_is_not_csv_or_xlsx(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_text("entry_ref\n")
    with pytest.raises(InputError) as caught:
        read_entries(path)
    assert str(caught.value) == f"{path}: {message}"


def test_missing_file(tmp_path: Path) -> None:
    for name in ("absent.csv", "absent.xlsx"):
        with pytest.raises(InputError) as caught:
            read_entries(tmp_path / name)
        assert str(caught.value) == f"{tmp_path / name}: cannot read the file: No such file or directory"


def test_broken_workbook(tmp_path: Path) -> None:
    path = tmp_path / "entries.xlsx"
    path.write_text("entry_ref,kind\n")
    with pytest.raises(InputError) as caught:
        read_entries(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not a readable XLSX workbook (")
    assert "\n" not in message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.lists(st.sampled_from([*',"\n\r;x5-.:TZé\x00 ', *COLUMNS, *KINDS, "in", "out"]), max_size=80).map(
            lambda parts: "".join(parts).encode()
        ),
        st.lists(st.sampled_from([*COLUMNS, "", "bad"]), min_size=1, max_size=25).flatmap(
            lambda header: st.lists(
                st.lists(
                    st.sampled_from(
                        ["", "in", "out", "processing", "placement", "PR-1", AUTH, "1", "0", "x,y", '"']
                    ),
                    min_size=len(header),
                    max_size=len(header) + 1,
                ),
                max_size=6,
            ).map(lambda rows: "\n".join(",".join(cells) for cells in [header, *rows]).encode())
        ),
    )
)
def test_no_input_raises(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    result = read_entries(path)
    for problem in result.problems:
        text = str(problem)
        assert "\n" not in text.replace("\\n", "")
        assert "Value error" not in text and "Input should" not in text
    if not result.problems:
        assert all(
            isinstance(s.entry, Placement | Movement | Processing | Handling | Discharge | Correction)
            for s in result.entries
        )


# ---------------------------------------------------------------- many problems at once


MANY_ERRORS = [
    f"1: column 'colour' is unknown; the columns are {', '.join(COLUMNS)}",
    "1: column 'corrects' is missing; a correction on row 11 needs it",
    "1: column 'reason' is missing; a correction on row 11 needs it",
    "2: column 'to_site' = 'VIERZON': not used by a placement; leave it empty (it is for movement)",
    "2: column 'documents' = 'abc': not a SHA-256 digest (64 hexadecimal characters; ';' between digests)",
    "2: column 'goods_code' = '4012200': a CN code has exactly 8 digits",
    "2: column 'quantity' = '0': quantity must be greater than zero",
    "2: column 'unit' = 'KG': not a UN/ECE Recommendation 20 unit code; write KGM (kilogram)",
    "2: column 'declaration' = '24FR00000000000018': wrong check character '8' (expected '7')",
    "2: column 'customs_value' = '12000.505': amount has more than 2 decimals",
    "2: column 'duty_rate' = '101': percentage must be between 0 and 100",
    "2: column 'origin' = 'XX': not an ISO 3166-1 alpha-2 country code",
    "3: column 'occurred_at' = '15/02/2019': not an ISO 8601 date or date-time "
    "(e.g. 2024-01-10 or 2024-01-10T09:30:00+01:00)",
    "3: column 'quantity' = '1,5': not a decimal number; "
    "write numbers with a decimal point and no thousands separator (e.g. 1234.5)",
    f"3: column 'entry_ref' = 'PL-1': already used on row 2 for authorisation '{AUTH}'; "
    "an entry_ref is unique within its authorisation",
    "4: column 'kind' = 'movment': unknown kind (did you mean 'movement'?); "
    "the kinds are placement, movement, processing, handling, discharge, correction",
    "5: column 'to_site' = 'BOURGES': a movement goes from one site to another: 'site' and 'to_site' are the same",
    "7: processing 'PR-1' has no output row (line = out); it needs at least one input and one output",
    "7: column 'quantity' = '1.1234567': quantity has more than 6 decimals",
    "8: column 'goods_code' = '40061000': not used by a processing input (line = in); leave it empty "
    "(it is for placement, processing output, handling)",
    "8: column 'site' = 'VIERZON': differs from 'BOURGES' on row 7; the rows of processing 'PR-1' share it",
    "9: column 'mode' = 'export': unknown mode (did you mean 'reexport'?); "
    "the modes are reexport, free_circulation, warehousing, transfer, destruction, abandonment",
    "10: column 'declaration' is required for a discharge by reexport",
    "11: column 'lot' = 'CAS-1': not used by a correction; leave it empty "
    "(it is for placement, movement, processing, handling, discharge)",
]


def test_a_file_with_many_errors_reports_all_of_them() -> None:
    result = read_entries(DATA / "many-errors.csv")
    assert problems(result) == MANY_ERRORS
    assert result.entries == []
    assert result.rejected_rows() == [2, 3, 4, 5, 7, 8, 9, 10, 11]  # row 6 is empty
    assert not any("Value error" in p.message or "Input should" in p.message for p in result.problems)


def test_raise_if_problems_lists_them_all_after_their_count() -> None:
    result = read_entries(DATA / "many-errors.csv")
    with pytest.raises(InputError) as caught:
        result.raise_if_problems()
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{len(MANY_ERRORS)} problems found in {DATA / 'many-errors.csv'}:"
    assert lines[1:] == [str(problem) for problem in result.problems]


def test_raise_if_problems_with_one(tmp_path: Path) -> None:
    result = read(tmp_path, rec("movement", quantity="0"))
    with pytest.raises(InputError) as caught:
        result.raise_if_problems()
    assert str(caught.value) == (
        f"1 problem found in {result.path}:\n{result.path}:2: column 'quantity' = '0': quantity must be greater than zero"
    )


def test_problem_text() -> None:
    file = Path("in.csv")
    assert str(Problem(file, 3, "lot", "X", "is bad")) == "in.csv:3: column 'lot' = 'X': is bad"
    assert str(Problem(file, 3, "lot", None, "is required for a movement")) == (
        "in.csv:3: column 'lot' is required for a movement"
    )
    assert str(Problem(file, 1, None, None, "the file is empty")) == "in.csv:1: the file is empty"


def test_bad_rows_are_rejected_and_the_rest_kept(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        rec("placement"),
        rec("in"),
        rec("out", quantity="0"),
        rec("movement", entry_ref="MV-2", lot="TYR-1"),
    )
    assert problems(result) == ["4: column 'quantity' = '0': quantity must be greater than zero"]
    assert [s.rows for s in result.entries] == [(2,), (5,)]
    assert result.rejected_rows() == [3, 4]
    assert result.header == COLUMNS
    assert result.raw_rows[4][COLUMNS.index("quantity")] == "0"


# ---------------------------------------------------------------- lots the file needs


def test_lots_needed_and_created() -> None:
    by_kind = {type(s.entry).__name__: s for s in read_entries(DATA / "valid.csv").entries}
    assert (by_kind["Placement"].needs_lots, by_kind["Placement"].creates_lots) == ((), ("TRD-1",))
    assert (by_kind["Movement"].needs_lots, by_kind["Movement"].creates_lots) == (("TRD-1",), ())
    assert (by_kind["Handling"].needs_lots, by_kind["Handling"].creates_lots) == (("SCR-1",), ())
    assert (by_kind["Discharge"].needs_lots, by_kind["Discharge"].creates_lots) == (("SCR-1",), ())
    assert (by_kind["Correction"].needs_lots, by_kind["Correction"].creates_lots) == ((), ())
    assert unresolved_lots(read_entries(DATA / "valid.csv").entries) == {}


def test_lots_not_created_earlier_in_the_file_are_not_an_error(tmp_path: Path) -> None:
    result = read(
        tmp_path,
        rec("movement", lot="ON-CHAIN"),
        rec("in", lot="CAS-1"),
        rec("in", lot="ON-CHAIN"),
        rec("out"),
        rec("placement", entry_ref="PL-9", lot="CAS-1"),
        rec("discharge", lot="TYR-1"),
        rec("handling", lot="ON-CHAIN", authorisation="FRIPO000000000043"),
    )
    assert result.problems == []
    assert unresolved_lots(result.entries) == {
        (AUTH, "ON-CHAIN"): 2,
        (AUTH, "CAS-1"): 3,
        ("FRIPO000000000043", "ON-CHAIN"): 8,
    }


# ---------------------------------------------------------------- XLSX


def _xlsx_valid(path: Path) -> Path:
    """The data of valid.csv as a workbook typed by a person: numbers, dates, a percent cell."""
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active["A1"] = "the entries are on the first sheet, not the active one"
    sheet = workbook.create_sheet("Entries", 0)
    sheet.append(list(COLUMNS))
    with (DATA / "valid.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    typed: dict[str, object] = {
        "2019-02-15": date(2019, 2, 15),
        "2019-02-16": datetime(2019, 2, 16),
        "2019-02-20T08:00:00Z": datetime(2019, 2, 20, 8, 0),
        "2019-02-21": datetime(2019, 2, 21),
        "2019-03-01": datetime(2019, 3, 1),
        "2019-03-02": datetime(2019, 3, 2),
        "2019-03-03": datetime(2019, 3, 3),
    }
    for number, row in enumerate(rows, start=2):
        cells: list[object] = []
        for column in COLUMNS:
            value = row[column]
            if not value:
                cells.append(None)
            elif column == "occurred_at":
                cells.append(typed.get(value, value))  # 10:30+01:00 stays text: a cell has no offset
            elif column in ("quantity", "customs_value", "goods_code", "procedure"):
                number_value = Decimal(value)
                cells.append(int(number_value) if number_value == int(number_value) else float(value))
            else:
                cells.append(value)
        sheet.append(cells)
        if row["duty_rate"]:
            cell = sheet.cell(number, COLUMNS.index("duty_rate") + 1)
            cell.value = float(Decimal(row["duty_rate"]) / 100)
            cell.number_format = "0.0%"
    workbook.save(path)
    return path


def test_xlsx_gives_the_same_entries_as_csv(tmp_path: Path) -> None:
    from_csv = read_entries(DATA / "valid.csv")
    from_xlsx = read_entries(_xlsx_valid(tmp_path / "entries.xlsx"))
    assert from_xlsx.problems == []
    assert from_xlsx.entries == from_csv.entries
    assert from_xlsx.raw_rows[2][COLUMNS.index("duty_rate")] == "4.5%"
    assert from_xlsx.raw_rows[2][COLUMNS.index("occurred_at")] == "2019-02-15"
    assert from_xlsx.raw_rows[5][COLUMNS.index("occurred_at")] == "2019-02-20T08:00:00"


def _xlsx(path: Path, rows: Sequence[Sequence[object]], formats: dict[str, str] | None = None) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for coordinate, number_format in (formats or {}).items():
        sheet[coordinate].number_format = number_format
    workbook.save(path)
    return path


def test_xlsx_number_that_cannot_be_exact(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "entries.xlsx",
        [list(BASE["movement"]), [*list(BASE["movement"].values())[:5], 1.0000001, "BOURGES", "VIERZON"]],
    )
    assert problems(read_entries(path)) == [
        "2: column 'quantity' = '1.0000001': a spreadsheet number with more than 6 decimals cannot be read "
        "exactly: round it in the sheet or type it as text"
    ]


def test_xlsx_large_number_is_not_exact(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "entries.xlsx",
        [list(BASE["movement"]), [*list(BASE["movement"].values())[:5], 2.0**60, "BOURGES", "VIERZON"]],
    )
    assert problems(read_entries(path)) == [
        "2: column 'quantity' = '1.152921504606847e+18': a spreadsheet number this large is not exact: "
        "type it as text"
    ]


def test_xlsx_cells_people_type(tmp_path: Path) -> None:
    header = list(BASE["placement"])
    values: list[object] = list(BASE["placement"].values())
    values[header.index("goods_code")] = 1012100  # shown as 01012100 by its format
    values[header.index("quantity")] = 20.25
    values[header.index("customs_value")] = 12000
    values[header.index("duty_rate")] = 0.03
    values[header.index("occurred_at")] = datetime(2019, 2, 15, 10, 30)

    def letter(column: str) -> str:
        return "ABCDEFGHIJKLMNOPQRSTU"[header.index(column)]

    path = _xlsx(
        tmp_path / "entries.xlsx",
        [header, values],
        {f"{letter('goods_code')}2": "00000000", f"{letter('duty_rate')}2": "0%"},
    )
    entry = only_entry(read_entries(path)).entry
    assert isinstance(entry, Placement)
    assert entry.goods_code == "01012100"
    assert entry.quantity == Decimal("20.25")
    assert entry.customs_value == Decimal(12000)
    assert entry.duty_rate == Decimal(3)
    assert entry.occurred_at == datetime(2019, 2, 15, 10, 30, tzinfo=UTC)


def test_xlsx_problems_have_the_same_rows_and_columns(tmp_path: Path) -> None:
    header = [" Entry_Ref", *list(BASE["movement"])[1:], "Qty "]
    path = _xlsx(
        tmp_path / "entries.xlsx", [header, [], [*list(BASE["movement"].values())[:5], 0, "A", "B", 3]]
    )
    assert problems(read_entries(path)) == [
        "1: column 'qty' is unknown (did you mean 'quantity'?)",
        "3: column 'quantity' = '0': quantity must be greater than zero",
    ]


def test_empty_workbook(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "entries.xlsx", [])
    assert problems(read_entries(path)) == [
        f"1: the file is empty; its first row names the columns ({', '.join(COLUMNS)})"
    ]


# ---------------------------------------------------------------- units


def test_unit_codes_of_customs_use_are_known() -> None:
    common = "KGM GRM TNE DTN LTR HLT MLT LPA MTR KMT MTK MTQ NAR NPR PR C62 H87 SET DZN CEN MIL CTM KWH MWH"
    for code in common.split():
        assert check_unit(code) == code
    assert check_unit(" kgm ") == "KGM"
    assert all(re.fullmatch(r"[A-Z0-9]{2,3}", code) for code in UNIT_CODES)  # fit the ledger's bytes3
    with pytest.raises(ValueError, match="write MTQ"):
        check_unit("m3")


# ---------------------------------------------------------------- size (speed is measured by make bench)


def test_ten_thousand_rows_are_all_read(tmp_path: Path) -> None:
    rows = []
    for n in range(5_000):
        rows.append(rec("placement", entry_ref=f"PL-{n}", lot=f"L{n}", documents=DIGEST_A))
        rows.append(rec("movement", entry_ref=f"MV-{n}", lot=f"L{n}"))
    result = read_entries(write_csv(tmp_path / "big.csv", rows))
    assert result.problems == []
    assert len(result.entries) == 10_000
    assert [e.rows for e in result.entries[-2:]] == [(10_000,), (10_001,)]


def test_a_workbook_of_a_zip_version_python_cannot_read_is_refused_in_one_line(tmp_path: Path) -> None:
    """Found by the reader's fuzzing: a central directory saying "version 8.4 needed to extract" made
    Python's zip reader raise NotImplementedError, a traceback instead of a refusal."""
    path = _xlsx_valid(tmp_path / "entries.xlsx")
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")
    data[at + 6 : at + 8] = (84).to_bytes(2, "little")  # the first part's "version needed to extract"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=f"^{re.escape(str(path))}: not a readable XLSX workbook"):
        read_entries(path)
