"""The UN/ECE Recommendation 20 list is a data file of the package that names its revision."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from importlib import resources

import pytest

from pa_client.domain import units
from pa_client.domain.codes import format_cn_code
from pa_client.domain.units import in_unit


def _lines() -> list[str]:
    return (resources.files("pa_client.domain") / units.REC20_FILE).read_text(encoding="utf-8").splitlines()


def test_the_list_names_its_revision_and_holds_each_code_once() -> None:
    header = " ".join(line for line in _lines() if line.startswith("#"))
    assert re.search(r"Recommendation 20\b.*Revision \d+ \(UN/CEFACT, \d{4}\)", header), header
    codes = [row["code"] for row in csv.DictReader(line for line in _lines() if not line.startswith("#"))]
    assert len(codes) == len(set(codes)) == len(units.UNIT_NAMES)
    assert all(re.fullmatch(r"[0-9A-Z]{2,3}", code) for code in codes), [c for c in codes if len(c) > 3]


def test_the_codes_of_the_sample_season_and_every_usual_mistake_are_known() -> None:
    assert units.unit_name("KGM") == "kilogram" and units.unit_name("NAR") == "number of articles"
    assert units.unit_name("KG") is None  # a mistake, corrected by the reader to KGM
    assert set(units.USUAL_MISTAKES.values()) <= units.UNIT_CODES


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (Decimal("40.500000"), "KGM", "40.5 kg"),
        (Decimal("7.000000"), "NAR", "7 p/st"),
        (Decimal("1234.500000"), "KGM", "1,234.5 kg"),
        (Decimal("0.000001"), "LTR", "0.000001 l"),
        (Decimal("3"), "XYZ", "3 XYZ"),  # no usual symbol: the code
        (Decimal("3"), "", "3"),
    ],
)
def test_a_quantity_in_its_unit_shows_only_the_decimals_that_matter(
    value: Decimal, unit: str, shown: str
) -> None:
    assert in_unit(value, unit) == shown


def test_cn_codes_as_customs_write_them() -> None:
    assert format_cn_code("40061000") == "4006 10 00"
    assert format_cn_code("4006") == "4006"  # not a CN8 code: as it is
