"""The presentation's building blocks without a chain: numbers for people, exact cells for CSV and
XLSX, the JSON writer's refusal of floats, the export tables' coverage of the rules' schemas, and the
SVG charts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pa_client.audit.rules import alerts, delays, discharges, duties, fifo, placements, stock, yields
from pa_client.audit.rules.frames import OBJ, make_frame
from pa_client.present import charts, display
from pa_client.present.csv_report import csv_text
from pa_client.present.html_report import Cell, Table
from pa_client.present.json_report import dumps
from pa_client.present.tables import EQUIV, MICRO, SPECS, TEXT, ExportColumn, ExportTable, export_frame
from pa_client.present.xlsx_report import fits_a_spreadsheet, number_format, write_workbook

# ---------------------------------------------------------------- numbers for people


def test_plain_numbers_have_separators_and_no_trailing_zeros() -> None:
    assert display.plain(Decimal("1234.500000")) == "1,234.5"
    assert display.plain(Decimal("13.000000")) == "13"
    assert display.plain(Decimal("1E+3")) == "1,000"
    assert display.plain(Decimal("-0.000000")) == "0"
    assert display.plain(Decimal("0.48"), min_decimals=2) == "0.48"
    assert display.plain(Decimal("1940.2"), min_decimals=2) == "1,940.20"
    with pytest.raises(ValueError):
        display.plain(Decimal("NaN"))


def test_quantities_equivalents_money_and_rates_are_exact() -> None:
    assert display.quantity(58_950_000, "KGM") == "58.95 kg"
    assert display.quantity(13_000_000, "NAR") == "13 p/st"
    assert display.quantity(1_500_000, "XYZ") == "1.5 XYZ"
    # 700 kg of product at 20/19: 736.842105263157894736 kg, shown with 6 decimals, half up.
    assert display.equivalent_quantity(736_842_105_263_157_894_736, "KGM") == "736.842105 kg"
    assert display.equivalent_quantity(2, "KGM") == "0 kg"  # rounding dust
    assert display.equivalent_quantity(500_000_000_000, "KGM") == "0.000001 kg"  # half up
    assert display.money(194025) == "1,940.25" and display.eur(48) == "EUR 0.48"
    assert display.percent(45_000) == "4.5 %" and display.percent(30_000) == "3 %"
    assert display.signed_percent(Decimal("-11.8519")) == "\u221211.8519 %"
    assert display.signed_percent(Decimal("0.25")) == "+0.25 %" and display.signed_percent(None) == "n/a"


def test_ratios_dates_durations_and_codes() -> None:
    assert display.ratio(Fraction(23, 2)) == "11.5"
    assert display.ratio(Fraction(20, 19)) == "20/19 \u2248 1.052632"
    assert display.ratio(Fraction(2, 23)) == "2/23 \u2248 0.086957"
    assert display.long_day(date(2019, 9, 30)) == "30 Sep 2019" and display.day(None) == "—"
    assert display.moment(1553850720) == "2019-03-29 09:12 UTC"
    assert display.moment(pd.Timestamp("2019-03-01 15:15:07", tz="UTC")) == "2019-03-01 15:15:07 UTC"
    assert display.duration(720) == "12 min" and display.duration(4 * 86400 + 7200) == "4 d 2 h"
    assert display.duration(-180) == "\u22123 min" and display.duration(5400) == "1 h 30 min"
    assert display.goods_code("40122000") == "4012 20 00"


# ---------------------------------------------------------------- export tables


SCHEMAS = {
    "placements": placements.PLACEMENTS,
    "discharges": discharges.DISCHARGES,
    "allocations": fifo.ALLOCATIONS,
    "duty_due": duties.DUTY_DUE,
    "yields": yields.YIELDS,
    "recording_delays": delays.RECORDING_DELAYS,
    "stock": stock.STOCK,
    "stock_history": stock.STOCK_HISTORY,
    "stock_by_code": stock.STOCK_BY_CODE,
    "alerts": alerts.ALERTS,
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_column_of_the_rules_tables_has_a_declared_kind(name: str) -> None:
    """A column the rules add must be declared in `tables.SPECS` (its unit decides its scaling)."""
    assert set(SPECS[name]) >= set(SCHEMAS[name]), sorted(set(SCHEMAS[name]) - set(SPECS[name]))


def test_an_equivalent_beyond_64_bits_is_exported_exactly() -> None:
    frame = make_frame(
        [{"lot": "L", "on_hand": 123_456_789_012_345_678_500_000_000_000, "quantity": 2**70}],
        {"lot": OBJ, "on_hand": OBJ, "quantity": OBJ},
    )
    table = export_frame("x", frame, spec={"lot": TEXT, "on_hand": EQUIV, "quantity": MICRO})
    assert [csv_text(v) for v in table.rows[0]] == [
        "L",
        "123456789012.345679",  # 6 decimals, half up
        "1180591620717411.303424",
    ]


def test_csv_cells_are_exact_text() -> None:
    assert csv_text(Decimal("-0.000000")) == "0.000000"
    assert csv_text(Decimal("4590.40")) == "4590.40"
    assert csv_text(datetime(2019, 3, 15, 7, 10, tzinfo=UTC)) == "2019-03-15T07:10:00Z"
    assert csv_text(date(2019, 9, 30)) == "2019-09-30"
    assert (csv_text(True), csv_text(None), csv_text(7)) == ("true", "", "7")


# ---------------------------------------------------------------- XLSX numbers


decimals_a_spreadsheet_shows = st.builds(
    lambda digits, scale: Decimal(digits).scaleb(-scale),
    st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
    st.integers(min_value=0, max_value=9),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(decimals_a_spreadsheet_shows, min_size=1, max_size=20))
def test_numbers_of_15_significant_digits_read_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, values: list[Decimal]
) -> None:
    path = tmp_path_factory.mktemp("xlsx") / "n.xlsx"
    table = ExportTable("t", (ExportColumn("v", MICRO),), tuple((v,) for v in values))
    write_workbook([table], path)
    sheet = openpyxl.load_workbook(path).active
    for row, value in enumerate(values, start=2):
        cell = sheet.cell(row=row, column=1)
        assert fits_a_spreadsheet(value)
        assert isinstance(cell.value, int | float)
        assert Decimal(f"{cell.value:.15g}") == value  # what a spreadsheet shows (15 digits)


def test_numbers_a_spreadsheet_cannot_show_become_text(tmp_path: Path) -> None:
    big = Decimal("1234567890.123456")  # 16 significant digits
    table = ExportTable("t", (ExportColumn("v", MICRO),), ((big,), (Decimal("58.95"),)))
    write_workbook([table], tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert sheet["A2"].value == "1234567890.123456" and sheet["A2"].alignment.horizontal == "right"
    assert sheet["A3"].value == 58.95 and sheet["A3"].number_format == "#,##0.00"
    assert number_format(ExportColumn("v", MICRO), [Decimal("13.000000"), Decimal("0.5")]) == "#,##0.0"


# ---------------------------------------------------------------- JSON


def test_the_json_writer_refuses_floats_and_sorts_keys() -> None:
    assert (
        dumps({"b": Decimal("1.10"), "a": [date(2019, 1, 2)]})
        == '{\n  "a": [\n    "2019-01-02"\n  ],\n  "b": "1.10"\n}\n'
    )
    with pytest.raises(TypeError, match=r"\$\.x\[0\]"):
        dumps({"x": [0.1]})


# ---------------------------------------------------------------- charts


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_ticks_are_round_decimals() -> None:
    assert charts.value_ticks(Decimal("956.6")) == [Decimal(v) for v in (0, 200, 400, 600, 800, 1000)]
    assert charts.value_ticks(Decimal("54")) == [Decimal(v) for v in (0, 20, 40, 60)]
    assert charts.value_ticks(Decimal("0.003")) == [
        Decimal("0.000"),
        Decimal("0.001"),
        Decimal("0.002"),
        Decimal("0.003"),
    ]
    months = charts.time_ticks(date(2019, 2, 10), date(2019, 10, 15))
    assert [label for _, label in months][:3] == ["Mar 2019", "Apr", "May"]
    days = charts.time_ticks(date(2019, 2, 11), date(2019, 3, 31))
    assert days[0] == (date(2019, 2, 11), "11 Feb") and all(d.weekday() == 0 for d, _ in days)


def test_charts_are_well_formed_svg_with_exact_labels() -> None:
    series = charts.StockSeries(
        "40061000",
        "KGM",
        (
            (date(2019, 2, 15), Decimal("490")),
            (date(2019, 3, 26), Decimal("956.6")),
            (date(2019, 3, 28), Decimal("841.8")),
        ),
    )
    stock_svg = charts.stock_panel(series, date(2019, 2, 10), date(2019, 4, 2), date(2019, 3, 20))
    assert "1,000" in _texts(stock_svg) and "kg" in _texts(stock_svg)
    bars = [
        charts.DeadlineBar(
            "P1", "L1", date(2019, 2, 15), date(2019, 8, 31), date(2019, 12, 31), "discharged", ""
        ),
        charts.DeadlineBar(
            "P2", "L2", date(2019, 3, 15), date(2019, 9, 30), date(2019, 9, 30), "overdue", "251.8 kg left"
        ),
    ]
    timeline = charts.deadline_chart(bars, date(2019, 10, 5))
    assert "url(#hatch)" in timeline and "audit date 5 Oct 2019" in _texts(timeline)
    far = charts.deadline_chart(bars, date(2026, 11, 26))
    assert "audit date 26 Nov 2026 \u2192" in _texts(far)  # years later: pointed at, not drawn to scale
    points = [
        charts.YieldPoint("T1", date(2019, 3, 11), "40061000", Decimal("-11.8519"), Decimal(2), True),
        charts.YieldPoint("T1", date(2019, 3, 11), "40122000", Decimal(0), Decimal(2), False),
        charts.YieldPoint("T2", date(2019, 3, 12), "40061000", None, Decimal(2), True),
    ]
    yield_svg = charts.yield_chart(points, [("40061000", charts.colour(0)), ("40122000", charts.colour(1))])
    assert "T1 (4006 10 00): \u221211.8519 %" in _texts(yield_svg)
    for svg in (stock_svg, timeline, far, yield_svg):
        for text in _texts(svg):
            assert not re.search(r"\d\.\d{7,}|e[+-]\d", text), text  # no float artefact is ever shown
        assert "<script" not in svg


def test_an_item_spans_its_lines_and_each_group_its_members() -> None:
    table = Table([("item", False), ("code", False), ("share", False)])
    table.add_spanning(
        [Cell("D1")],
        [([Cell("A")], [[Cell("a1")], [Cell("a2")]]), ([Cell("B")], [[Cell("b1")]]), ([Cell("C")], [])],
    )
    table.add_spanning([Cell("D2")], [])  # nothing to allocate: still one line
    assert [[(c.text, c.rowspan) for c in row] for row in table.rows] == [
        [("D1", 3), ("A", 2), ("a1", 1)],
        [("a2", 1)],
        [("B", 1), ("b1", 1)],
        [("D2", 1)],
    ]
    assert table.row_classes == ["group-start", "group-cont", "group-cont", "group-start"]
